/* maps_parse.h — parse the text of /proc/PID/maps without allocating. */
#ifndef CREST_MAPS_PARSE_H
#define CREST_MAPS_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct crest_maps_entry {
    uint64_t start, end, offset, inode;
    unsigned dev_major, dev_minor;
    int prot;          /* PROT_* */
    int shared;        /* 's' rather than 'p' */
    const char *path;  /* NUL-terminated copy, "" for none */
};

/* Calls fn for every line; stops early and returns fn's value when it is
 * non-zero. Returns -1 on a malformed line. */
int crest_maps_parse(const char *text, size_t len,
                     int (*fn)(const struct crest_maps_entry *e, void *arg), void *arg);

/* Reads a whole /proc file into buf (no allocation); returns its length or
 * -1. A file larger than len is an error (errno EFBIG). */
long crest_read_proc_file(const char *path, char *buf, size_t len);

#endif
