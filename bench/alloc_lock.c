/* alloc_lock.c — malloc/free and pthread mutexes in a tight loop, from
 * several threads: the calls libcrest interposes (pthread_mutex_lock and
 * pthread_mutex_unlock) or whose locks it must not disturb (malloc).
 *
 * usage: alloc_lock THREADS ITERATIONS
 *
 * Each thread, ITERATIONS times: mallocs a block of 16..4111 bytes, writes
 * it, frees the block it allocated 64 steps earlier, and bumps a shared
 * counter under a shared mutex (plus a thread-private mutex, uncontended). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t shared_counter; /* guarded by shared_lock */
static uint64_t iterations;

static void *worker(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
    pthread_mutex_t own = PTHREAD_MUTEX_INITIALIZER;
    void *ring[64] = {0};
    uint64_t local = 0;
    for (uint64_t i = 0; i < iterations; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t size = 16 + (size_t)(x & 4095);
        unsigned slot = (unsigned)(i & 63);
        free(ring[slot]);
        ring[slot] = malloc(size);
        if (!ring[slot])
            abort();
        memset(ring[slot], (int)i, 16);
        pthread_mutex_lock(&own);
        local += size;
        pthread_mutex_unlock(&own);
        pthread_mutex_lock(&shared_lock);
        shared_counter++;
        pthread_mutex_unlock(&shared_lock);
    }
    for (unsigned i = 0; i < 64; i++)
        free(ring[i]);
    return (void *)(uintptr_t)local;
}

int main(int argc, char **argv)
{
    int nthreads = argc > 1 ? atoi(argv[1]) : 2;
    iterations = argc > 2 ? strtoull(argv[2], NULL, 10) : 5000000ull;
    if (nthreads < 1 || nthreads > 64) {
        fprintf(stderr, "usage: alloc_lock THREADS(1-64) ITERATIONS\n");
        return 2;
    }
    pthread_t th[64];
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i + 1))) {
            fprintf(stderr, "alloc_lock: cannot start thread %d\n", i);
            return 1;
        }
    uint64_t total = 0;
    for (int i = 0; i < nthreads; i++) {
        void *r;
        pthread_join(th[i], &r);
        total += (uint64_t)(uintptr_t)r;
    }
    printf("%llu %llu\n", (unsigned long long)shared_counter, (unsigned long long)total);
    return 0;
}
