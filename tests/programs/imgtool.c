/* imgtool.c — reads and edits the header of a crest image, for the tests
 * that feed crest damaged images.  Built with -I src/common so it follows
 * image_format.h.
 *
 * usage: imgtool field IMAGE NAME        print a header field (decimal)
 *        imgtool set-version IMAGE N     store version N, recompute header_crc
 *        imgtool flip IMAGE OFFSET       invert every bit of the byte at OFFSET
 *        imgtool header-crc-ok IMAGE     exit 0 when header_crc matches */
#include "image_format.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* CRC32C (Castagnoli, reflected), bit by bit. */
static uint32_t crc32c(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
    }
    return ~c;
}

static int read_header(const char *path, struct crest_image_header *h)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0 || pread(fd, h, sizeof *h, 0) != (ssize_t)sizeof *h) {
        fprintf(stderr, "imgtool: cannot read the header of %s\n", path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

static uint32_t header_crc(const struct crest_image_header *h)
{
    struct crest_image_header c = *h;
    c.header_crc = 0;
    return crc32c(&c, sizeof c);
}

static int write_at(const char *path, const void *buf, size_t len, off_t off)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0 || pwrite(fd, buf, len, off) != (ssize_t)len) {
        fprintf(stderr, "imgtool: cannot write %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    struct crest_image_header h;
    if (argc == 4 && strcmp(argv[1], "field") == 0) {
        if (read_header(argv[2], &h))
            return 1;
        const char *f = argv[3];
        unsigned long long v;
        if (!strcmp(f, "version")) v = h.version;
        else if (!strcmp(f, "header_size")) v = h.header_size;
        else if (!strcmp(f, "file_size")) v = h.file_size;
        else if (!strcmp(f, "records_offset")) v = h.records_offset;
        else if (!strcmp(f, "records_size")) v = h.records_size;
        else if (!strcmp(f, "data_bytes")) v = h.data_bytes;
        else if (!strcmp(f, "created_ns")) v = h.created_ns;
        else if (!strcmp(f, "created_ns_offset")) v = offsetof(struct crest_image_header, created_ns);
        else if (!strcmp(f, "header_struct_size")) v = sizeof h;
        else {
            fprintf(stderr, "imgtool: no field %s\n", f);
            return 2;
        }
        printf("%llu\n", v);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "set-version") == 0) {
        if (read_header(argv[2], &h))
            return 1;
        h.version = (uint32_t)strtoul(argv[3], NULL, 0);
        h.header_crc = header_crc(&h);
        return write_at(argv[2], &h, sizeof h, 0) ? 1 : 0;
    }
    if (argc == 4 && strcmp(argv[1], "flip") == 0) {
        off_t off = (off_t)strtoll(argv[3], NULL, 0);
        int fd = open(argv[2], O_RDONLY);
        unsigned char b;
        if (fd < 0 || pread(fd, &b, 1, off) != 1) {
            fprintf(stderr, "imgtool: cannot read byte %lld of %s\n", (long long)off, argv[2]);
            return 1;
        }
        close(fd);
        b ^= 0xff;
        return write_at(argv[2], &b, 1, off) ? 1 : 0;
    }
    if (argc == 3 && strcmp(argv[1], "header-crc-ok") == 0) {
        if (read_header(argv[2], &h))
            return 1;
        if (memcmp(h.magic, CREST_IMAGE_MAGIC, 8) != 0) {
            fprintf(stderr, "imgtool: %s: no magic\n", argv[2]);
            return 1;
        }
        uint32_t want = header_crc(&h);
        if (want != h.header_crc) {
            fprintf(stderr, "imgtool: header_crc %08x, computed %08x\n", h.header_crc, want);
            return 1;
        }
        return 0;
    }
    fprintf(stderr, "usage: imgtool field|set-version|flip|header-crc-ok IMAGE ...\n");
    return 2;
}
