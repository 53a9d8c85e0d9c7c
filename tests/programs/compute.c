/* compute.c — single-threaded compute loop.
 *
 * usage: compute ROUNDS
 * Mixes integer hashing with floating point under a non-default rounding
 * mode (so a lost MXCSR shows), keeps a small table on the stack and a
 * larger one on the heap, and prints one summary line at the end.
 *
 * First thing, it writes "crest-test: program started" on stderr: a process
 * restarted from an image resumes and must not write it again. */
#include <fenv.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define TABLE_WORDS (1u << 20) /* 8 MiB on the heap */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

int main(int argc, char **argv)
{
    fputs("crest-test: program started\n", stderr); /* a resumed process never says this */
    if (argc != 2) {
        fprintf(stderr, "usage: compute ROUNDS\n");
        return 2;
    }
    long rounds = strtol(argv[1], NULL, 10);
    uint64_t *table = malloc(TABLE_WORDS * sizeof *table);
    if (!table) {
        perror("malloc");
        return 1;
    }
    uint64_t local[512];
    for (unsigned i = 0; i < TABLE_WORDS; i++)
        table[i] = mix(i + 1);
    for (unsigned i = 0; i < 512; i++)
        local[i] = mix(i + 0x1234);

    if (fesetround(FE_UPWARD) != 0) {
        fprintf(stderr, "fesetround failed\n");
        return 1;
    }
    volatile double third = 1.0 / 3.0; /* rounded up: differs in the last bit */
    double acc = 0.0;
    uint64_t sum = 0x9e3779b97f4a7c15ull;
    for (long r = 0; r < rounds; r++) {
        for (unsigned i = 0; i < 1u << 16; i++) {
            uint64_t idx = mix(sum + i) & (TABLE_WORDS - 1);
            uint64_t v = table[idx];
            sum = (sum ^ v) * 0x100000001b3ull + local[i & 511];
            table[idx] = mix(v + (uint64_t)r);
            local[i & 511] ^= v >> 7;
        }
        acc += third * (double)(r % 1000 + 1);
        acc = acc / 1.0000001;
    }
    int mode_ok = fegetround() == FE_UPWARD;
    uint64_t tsum = 0;
    for (unsigned i = 0; i < TABLE_WORDS; i++)
        tsum += table[i] * (i | 1);
    printf("compute rounds=%ld sum=%016" PRIx64 " table=%016" PRIx64 " acc=%.17g round_up=%d\n",
           rounds, sum, tsum, acc, mode_ok);
    free(table);
    return 0;
}
