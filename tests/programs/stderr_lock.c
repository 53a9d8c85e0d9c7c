/* stderr_lock.c — a thread that holds stdio's lock on stderr nearly all the
 * time (flockfile around a busy loop), so a checkpoint almost surely stops it
 * with the lock held; and a socketpair, about which a restart always warns.
 * The restart must warn without needing that lock.
 *
 * usage: stderr_lock ROUNDS */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

static long rounds;
static volatile uint64_t sink;

static void *holder(void *arg)
{
    (void)arg;
    for (long r = 0; r < rounds; r++) {
        flockfile(stderr);
        uint64_t x = (uint64_t)r;
        for (int i = 0; i < 200000; i++)
            x = x * 6364136223846793005ull + 1442695040888963407ull;
        sink += x;
        if (r % 64 == 0)
            fputc('.', stderr);
        funlockfile(stderr);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atol(argv[1]) : 3000;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
        return 2;
    pthread_t t;
    pthread_create(&t, NULL, holder, NULL);
    pthread_join(t, NULL);
    fputc('\n', stderr);
    printf("stderr_lock rounds=%ld sink=%016llx\n", rounds, (unsigned long long)sink);
    return 0;
}
