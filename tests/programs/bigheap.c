/* bigheap.c — a large dirty heap.
 *
 * usage: bigheap MIB PASSES
 * mallocs MIB MiB, fills every word with a pattern, then makes PASSES passes
 * over it, each rewriting every word.  Next to it, 64 MiB written with zeros
 * (resident but all-zero pages) with one non-zero word per MiB.  Prints one
 * checksum line at the end.
 *
 * First thing, it writes "crest-test: program started" on stderr: a process
 * restarted from an image resumes and must not write it again. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

int main(int argc, char **argv)
{
    fputs("crest-test: program started\n", stderr); /* a resumed process never says this */
    if (argc != 3) {
        fprintf(stderr, "usage: bigheap MIB PASSES\n");
        return 2;
    }
    size_t mib = strtoul(argv[1], NULL, 10);
    long passes = strtol(argv[2], NULL, 10);
    size_t words = mib << 17;
    uint64_t *heap = malloc(words * sizeof *heap);
    size_t zwords = (size_t)64 << 17;
    uint64_t *zero = malloc(zwords * sizeof *zero);
    if (!heap || !zero) {
        perror("malloc");
        return 1;
    }
    memset(zero, 0, zwords * sizeof *zero);
    for (size_t i = 0; i < zwords; i += (size_t)1 << 17)
        zero[i + 4096] = i + 1;
    for (size_t i = 0; i < words; i++)
        heap[i] = (i * 0x9e3779b97f4a7c15ull) ^ 0x0123456789abcdefull;

    uint64_t sum = 0;
    for (long p = 0; p < passes; p++) {
        uint64_t s = 0;
        for (size_t i = 0; i < words; i++) {
            uint64_t v = rotl(heap[i], 7) ^ (uint64_t)p;
            heap[i] = v;
            s += v;
        }
        sum = rotl(sum, 13) ^ s;
    }
    uint64_t zsum = 0;
    size_t znonzero = 0;
    for (size_t i = 0; i < zwords; i++) {
        if (zero[i]) {
            znonzero++;
            zsum += zero[i] * (i + 1);
        }
    }
    printf("bigheap mib=%zu passes=%ld sum=%016" PRIx64 " first=%016" PRIx64 " last=%016" PRIx64
           " zero_nonzero=%zu zero_sum=%016" PRIx64 "\n",
           mib, passes, sum, heap[0], heap[words - 1], znonzero, zsum);
    free(heap);
    free(zero);
    return 0;
}
