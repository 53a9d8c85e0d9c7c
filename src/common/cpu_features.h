/* cpu_features.h — the CPU feature bits an image depends on. */
#ifndef CREST_CPU_FEATURES_H
#define CREST_CPU_FEATURES_H

#include <stddef.h>
#include "image_format.h"

void crest_cpu_read(struct crest_cpu_features *out);

/* Writes into buf the names of features `need` has and `have` lacks,
 * separated by spaces; returns how many. */
int crest_cpu_missing(const struct crest_cpu_features *need,
                      const struct crest_cpu_features *have, char *buf, size_t len);

/* Writes the names of the notable features of f (sse4_2 avx2 avx512f ...). */
void crest_cpu_describe(const struct crest_cpu_features *f, char *buf, size_t len);

#endif
