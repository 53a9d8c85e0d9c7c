/* forge_cpu.c — rewrites an image so that it claims a CPU feature this CPU
 * lacks, with every checksum made right again: the image of a process from
 * a better machine. Prints the feature's name.
 *
 * usage: forge_cpu IMAGE */
#include <cpuid.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image_format.h"

static uint32_t crc32c(uint32_t crc, const unsigned char *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
    }
    return ~crc;
}

/* Features of CPUID leaf 7 (EDX or EBX) that few CPUs have. */
static const struct {
    int edx;
    unsigned bit;
    const char *name;
} candidates[] = {
    {1, 24, "amx_tile"}, {1, 22, "amx_bf16"}, {1, 25, "amx_int8"},
    {1, 8, "avx512vp2intersect"}, {0, 16, "avx512f"}, {0, 5, "avx2"},
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: forge_cpu IMAGE\n");
        return 2;
    }
    unsigned a, b, c, d;
    __cpuid_count(7, 0, a, b, c, d);
    int pick = -1;
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0] && pick < 0; i++)
        if (!((candidates[i].edx ? d : b) & (1u << candidates[i].bit)))
            pick = (int)i;
    if (pick < 0) {
        fprintf(stderr, "forge_cpu: this CPU has every candidate feature\n");
        return 3;
    }
    int fd = open(argv[1], O_RDWR);
    struct crest_image_header h;
    if (fd < 0 || pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
        return perror(argv[1]), 1;
    unsigned char *rec = malloc(h.records_size);
    if (!rec || pread(fd, rec, h.records_size, (off_t)h.records_offset) != (ssize_t)h.records_size)
        return perror("records"), 1;
    for (size_t at = 0; at + sizeof(struct crest_record) <= h.records_size;) {
        struct crest_record *r = (struct crest_record *)(rec + at);
        unsigned char *payload = (unsigned char *)(r + 1);
        if (r->type == CREST_REC_PROCESS) {
            struct crest_rec_process *p = (struct crest_rec_process *)payload;
            if (candidates[pick].edx)
                p->cpu.leaf7_edx |= 1u << candidates[pick].bit;
            else
                p->cpu.leaf7_ebx |= 1u << candidates[pick].bit;
            r->crc = crc32c(0, payload, r->size);
            break;
        }
        at += sizeof *r + ((r->size + 7) & ~7u);
    }
    h.records_crc = crc32c(0, rec, h.records_size);
    h.header_crc = 0;
    h.header_crc = crc32c(0, (const unsigned char *)&h, sizeof h);
    if (pwrite(fd, rec, h.records_size, (off_t)h.records_offset) != (ssize_t)h.records_size ||
        pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
        return perror("write"), 1;
    printf("%s\n", candidates[pick].name);
    return 0;
}
