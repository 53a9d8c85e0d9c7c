/* demo_compute.c — the demo's program: four threads each fold a stream of
 * pseudo-random numbers for SECONDS seconds' worth of fixed work, then the
 * main thread prints every thread's result. The output depends only on the
 * work, never on timing, so an interrupted-and-restarted run must print
 * exactly what an uninterrupted one prints. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 4

static long rounds;
static uint64_t results[THREADS];

static void *work(void *arg)
{
    long id = (long)arg;
    uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(id + 1), acc = 0;
    for (long r = 0; r < rounds; r++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        acc += x % 1000003;
    }
    results[id] = acc;
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 4;
    rounds = (long)(seconds * 1.5e8 / THREADS * 2);
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, work, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        printf("thread %d: %" PRIu64 "\n", i, results[i]);
    return 0;
}
