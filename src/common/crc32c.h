/* crc32c.h — CRC32C (Castagnoli), the checksum of every image part. */
#ifndef CREST_CRC32C_H
#define CREST_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC32C of buf, continuing from crc (start with 0). Needs SSE4.2, which
 * crest requires of the CPU (crest_cpu_missing() reports its absence). */
uint32_t crest_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
