/* ckpt_hold.c — a job's rank that can hold a checkpoint off.
 *
 * usage: ckpt_hold ROUNDS HOLD_SECONDS
 * Computes ROUNDS rounds of a deterministic mix (10 ms or so each) and
 * prints one checksum line at the end.  On SIGUSR2 (mpirun passes it to
 * every rank) it enters a libcrest critical section, says so on stdout,
 * and stays in it for HOLD_SECONDS: a checkpoint asked meanwhile waits. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "crest.h"

static volatile sig_atomic_t hold_asked;

static void on_usr2(int sig)
{
    hold_asked = 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: ckpt_hold ROUNDS HOLD_SECONDS\n");
        return 2;
    }
    long rounds = atol(argv[1]);
    int hold = atoi(argv[2]);
    signal(SIGUSR2, on_usr2);
    fprintf(stderr, "crest-test: program started\n");
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (long r = 0; r < rounds; r++) {
        for (int i = 0; i < 2000000; i++)
            x = (x ^ (x >> 29)) * 0xbf58476d1ce4e5b9ull + (uint64_t)i;
        if (hold_asked) {
            hold_asked = 0;
            crest_enter();
            printf("in a critical section for %d s\n", hold);
            fflush(stdout);
            struct timespec ts = { hold, 0 };
            while (nanosleep(&ts, &ts))
                ;
            crest_leave();
        }
    }
    printf("ckpt_hold rounds=%ld x=%016llx\n", rounds, (unsigned long long)x);
    return 0;
}
