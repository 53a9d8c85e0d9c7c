/* image_reader.h — open an image, check it, and index its records. Every
 * failure becomes one line naming the file, the offset and what to do. */
#ifndef CREST_IMAGE_READER_H
#define CREST_IMAGE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "image_format.h"

struct crest_image_mapping {
    const struct crest_rec_mapping *rec;
    const char *path;                  /* "" when none */
    const struct crest_page_run *runs;
    const uint32_t *crcs;
};

struct crest_image_fd {
    const struct crest_rec_fd *rec;
    const char *path;
    const unsigned char *data; /* rec->data_len bytes */
};

struct crest_image {
    int fd;
    int own_fd;
    char path[4096];
    uint64_t actual_size;
    struct crest_image_header header;
    unsigned char *records;            /* the records area, in memory */
    const struct crest_rec_process *process;
    const unsigned char *auxv;
    const char *exe, *cwd, *cmdline, *comm;
    size_t cmdline_len;
    const struct crest_rec_thread **threads;
    size_t nthreads;
    struct crest_image_mapping *maps;
    size_t nmaps;
    struct crest_image_fd *fds;
    size_t nfds;
    const struct crest_rec_signals *signals;
    const struct crest_rec_timer **timers;
    size_t ntimers;
};

int crest_image_open(struct crest_image *img, const char *path, char *err, size_t errlen);
/* As crest_image_open on an open descriptor (not closed by crest_image_close). */
int crest_image_open_fd(struct crest_image *img, int fd, const char *path, char *err,
                        size_t errlen);
/* Reads every saved page and checks its block checksum. */
int crest_image_verify_data(struct crest_image *img, char *err, size_t errlen);
void crest_image_close(struct crest_image *img);

const char *crest_mapping_kind_name(uint32_t kind);
const char *crest_fd_kind_name(uint32_t kind);

#endif
