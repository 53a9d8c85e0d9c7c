/* bigreserve.c — large sparse address-space reservations.
 *
 * usage: bigreserve PASSES
 * A: 4 GiB PROT_READ|PROT_WRITE, MAP_NORESERVE; 32 MiB of it touched in 512
 *    scattered 64 KiB chunks.
 * B: 4 GiB PROT_NONE; 512 scattered 64 KiB chunks made read-write with
 *    mprotect (the way allocators grow into a reservation) and filled.
 * Then PASSES passes over the 64 MiB touched.  At the end: a checksum of the
 * data, a check that untouched pages of A still read as zero, and the
 * layout of B as /proc/self/maps shows it (offsets relative to B).
 *
 * First thing, it writes "crest-test: program started" on stderr: a process
 * restarted from an image resumes and must not write it again. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define GIB (1ull << 30)
#define RESERVE (4 * GIB)
#define CHUNK (64u * 1024u)
#define NCHUNKS ((unsigned)(RESERVE / CHUNK))
#define TOUCHED 512u

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* Picks TOUCHED distinct chunk indices, deterministically. */
static void pick(unsigned *out, uint64_t seed, unsigned char *used)
{
    memset(used, 0, NCHUNKS);
    for (unsigned n = 0; n < TOUCHED;) {
        seed = mix(seed + 1);
        unsigned c = (unsigned)(seed % NCHUNKS);
        if (used[c])
            continue;
        used[c] = 1;
        out[n++] = c;
    }
}

int main(int argc, char **argv)
{
    fputs("crest-test: program started\n", stderr); /* a resumed process never says this */
    if (argc != 2) {
        fprintf(stderr, "usage: bigreserve PASSES\n");
        return 2;
    }
    long passes = strtol(argv[1], NULL, 10);
    unsigned char *a = mmap(NULL, RESERVE, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    unsigned char *b = mmap(NULL, RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                            -1, 0);
    if (a == MAP_FAILED || b == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    static unsigned ca[TOUCHED], cb[TOUCHED];
    static unsigned char used_a[NCHUNKS], used_b[NCHUNKS];
    pick(ca, 1, used_a);
    pick(cb, 2, used_b);
    for (unsigned i = 0; i < TOUCHED; i++) {
        uint64_t *pa = (uint64_t *)(a + (uint64_t)ca[i] * CHUNK);
        if (mprotect(b + (uint64_t)cb[i] * CHUNK, CHUNK, PROT_READ | PROT_WRITE) != 0) {
            perror("mprotect");
            return 1;
        }
        uint64_t *pb = (uint64_t *)(b + (uint64_t)cb[i] * CHUNK);
        for (unsigned w = 0; w < CHUNK / 8; w++) {
            pa[w] = mix(((uint64_t)i << 20) + w);
            pb[w] = mix(((uint64_t)i << 20) + w + 0x5555);
        }
    }

    uint64_t sum = 0;
    for (long p = 0; p < passes; p++) {
        for (unsigned i = 0; i < TOUCHED; i++) {
            uint64_t *pa = (uint64_t *)(a + (uint64_t)ca[i] * CHUNK);
            uint64_t *pb = (uint64_t *)(b + (uint64_t)cb[i] * CHUNK);
            for (unsigned w = 0; w < CHUNK / 8; w++) {
                uint64_t v = pa[w] ^ (pb[w] >> 1);
                pa[w] = v * 0x9e3779b97f4a7c15ull + (uint64_t)p;
                pb[w] ^= v >> 3;
                sum += v;
            }
        }
    }

    uint64_t data = 0;
    for (unsigned i = 0; i < TOUCHED; i++) {
        uint64_t *pa = (uint64_t *)(a + (uint64_t)ca[i] * CHUNK);
        uint64_t *pb = (uint64_t *)(b + (uint64_t)cb[i] * CHUNK);
        for (unsigned w = 0; w < CHUNK / 8; w++)
            data = mix(data ^ pa[w]) + pb[w];
    }

    /* untouched pages of A: one page in each of 4096 untouched chunks */
    long nonzero = 0, checked = 0;
    for (unsigned c = 0; c < NCHUNKS && checked < 4096; c += 13) {
        if (used_a[c])
            continue;
        const uint64_t *q = (const uint64_t *)(a + (uint64_t)c * CHUNK + (c % 16) * 4096u);
        for (unsigned w = 0; w < 512; w++)
            if (q[w])
                nonzero++;
        checked++;
    }

    /* layout of B */
    FILE *m = fopen("/proc/self/maps", "r");
    if (!m) {
        perror("/proc/self/maps");
        return 1;
    }
    char line[512];
    unsigned long vmas = 0, rw_bytes = 0, none_bytes = 0;
    uint64_t layout = 0;
    uint64_t bs = (uint64_t)b, be = bs + RESERVE;
    while (fgets(line, sizeof line, m)) {
        unsigned long s, e;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) != 3)
            continue;
        if (e <= bs || s >= be)
            continue;
        if (s < bs || e > be) {
            printf("B region merged with a neighbour: %s", line);
            continue;
        }
        vmas++;
        if (perms[0] == 'r' && perms[1] == 'w')
            rw_bytes += e - s;
        else if (perms[0] == '-' && perms[1] == '-' && perms[2] == '-')
            none_bytes += e - s;
        layout = mix(layout ^ (s - bs)) + mix((e - bs) ^ (uint64_t)perms[0] ^ ((uint64_t)perms[1] << 8));
    }
    fclose(m);

    printf("bigreserve passes=%ld sum=%016" PRIx64 " data=%016" PRIx64 "\n", passes, sum, data);
    printf("untouched pages checked=%ld nonzero_words=%ld\n", checked, nonzero);
    printf("B vmas=%lu rw=%lu none=%lu layout=%016" PRIx64 "\n", vmas, rw_bytes, none_bytes, layout);
    return 0;
}
