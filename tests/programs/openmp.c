/* openmp.c — OpenMP parallel for loops with reductions, run as many
 * parallel regions so a checkpoint finds the libgomp team both working and
 * idle in its pool.
 *
 * usage: openmp ROUNDS N
 * Integer sums only: the results do not depend on scheduling.  The second
 * loop uses schedule(static), which fixes the iteration->thread mapping, and
 * weights each term by the thread number, so thread numbering is checked
 * too.
 *
 * First thing, it writes "crest-test: program started" on stderr: a process
 * restarted from an image resumes and must not write it again. */
#include <inttypes.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define TEAM 4

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

int main(int argc, char **argv)
{
    fputs("crest-test: program started\n", stderr); /* a resumed process never says this */
    if (argc != 3) {
        fprintf(stderr, "usage: openmp ROUNDS N\n");
        return 2;
    }
    long rounds = strtol(argv[1], NULL, 10);
    long n = strtol(argv[2], NULL, 10);
    omp_set_dynamic(0);
    omp_set_num_threads(TEAM);
    uint64_t total = 0, weighted = 0;
    long team_bad = 0;
    for (long r = 0; r < rounds; r++) {
        uint64_t s = 0;
#pragma omp parallel for schedule(dynamic, 64) reduction(+ : s)
        for (long i = 0; i < n; i++) {
            uint64_t h = (uint64_t)i + (uint64_t)r * 0x10001ull;
            for (int k = 0; k < 20; k++)
                h = mix(h);
            s += h;
        }
        uint64_t w = 0;
        long bad = 0;
#pragma omp parallel for schedule(static) reduction(+ : w, bad)
        for (long i = 0; i < n; i++) {
            if (omp_get_num_threads() != TEAM)
                bad++;
            w += (uint64_t)(omp_get_thread_num() + 1) * mix((uint64_t)i ^ s);
        }
        total += s;
        weighted ^= w + (uint64_t)r;
        team_bad += bad;
    }
    printf("openmp rounds=%ld n=%ld team=%d total=%016" PRIx64 " weighted=%016" PRIx64
           " team_bad=%ld\n", rounds, n, TEAM, total, weighted, team_bad);
    return team_bad ? 1 : 0;
}
