/* rt_exchange.c — a rank of a job under mpirun that uses the runtime the
 * way an MPI library does: each rank puts a value naming itself, fences,
 * and reads every other rank's value; then a second round with new keys.
 * Prints "exchange ok RANK SIZE" or what was wrong (exit 1).
 * With argv[1] = "abort" rank SIZE-1 calls the runtime's abort with code 7
 * after the first fence; the others wait for the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rank_client.h"

int main(int argc, char **argv)
{
    struct crest_rank_info me;
    if (crest_rank_init(&me)) {
        printf("not started by mpirun\n");
        return 1;
    }
    char key[64], val[128];
    for (int round = 0; round < 2; round++) {
        snprintf(key, sizeof key, "card-%d", round);
        snprintf(val, sizeof val, "rank %d of %d round %d pid %d", me.rank, me.size, round, (int)getpid());
        if (crest_rank_put(key, val, strlen(val) + 1) || crest_rank_fence()) {
            printf("rank %d: the exchange failed\n", me.rank);
            return 1;
        }
        for (int r = 0; r < me.size; r++) {
            size_t len;
            const char *v = crest_rank_get(r, key, &len);
            char want[64];
            snprintf(want, sizeof want, "rank %d of %d round %d ", r, me.size, round);
            if (!v || strncmp(v, want, strlen(want)) || v[len - 1]) {
                printf("rank %d: round %d: wrong or missing value of rank %d: %s\n", me.rank, round, r, v ? v : "(none)");
                return 1;
            }
        }
        if (round == 0 && argc > 1 && !strcmp(argv[1], "abort")) {
            if (me.rank == me.size - 1) {
                crest_rank_abort(7, "rt_exchange asked to abort");
                pause();
            }
            sleep(60);
        }
    }
    crest_rank_finalize();
    printf("exchange ok %d %d\n", me.rank, me.size);
    return 0;
}
