/* threads.c — 8 pthreads around a bounded queue (mutex + 2 condition
 * variables): 4 producers, 4 consumers, the main thread in pthread_join.
 *
 * usage: threads ITEMS_PER_PRODUCER WORK_PER_ITEM
 * Every item is consumed exactly once; the totals are sums, so the result
 * does not depend on which consumer took what.
 *
 * First thing, it writes "crest-test: program started" on stderr: a process
 * restarted from an image resumes and must not write it again. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define PRODUCERS 4
#define CONSUMERS 4
#define QCAP 16
#define POISON UINT64_MAX

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static uint64_t queue[QCAP];
static unsigned qhead, qlen;
static long items_per_producer, work_per_item;

struct consumer_result {
    uint64_t sum, xor_all;
    long count;
};
static struct consumer_result results[CONSUMERS];

static uint64_t mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ull;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dull;
    x ^= x >> 33;
    return x;
}

static void put(uint64_t v)
{
    pthread_mutex_lock(&qlock);
    while (qlen == QCAP)
        pthread_cond_wait(&not_full, &qlock);
    queue[(qhead + qlen) % QCAP] = v;
    qlen++;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&qlock);
}

static uint64_t get(void)
{
    pthread_mutex_lock(&qlock);
    while (qlen == 0)
        pthread_cond_wait(&not_empty, &qlock);
    uint64_t v = queue[qhead];
    qhead = (qhead + 1) % QCAP;
    qlen--;
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&qlock);
    return v;
}

static void *producer(void *arg)
{
    long p = (long)arg;
    for (long k = 0; k < items_per_producer; k++)
        put(mix((uint64_t)(p * items_per_producer + k) + 1));
    return (void *)(p + 100);
}

static void *consumer(void *arg)
{
    long c = (long)arg;
    struct consumer_result r = {0, 0, 0};
    for (;;) {
        uint64_t v = get();
        if (v == POISON)
            break;
        uint64_t h = v;
        for (long i = 0; i < work_per_item; i++)
            h = mix(h + (uint64_t)i);
        r.sum += h;
        r.xor_all ^= h;
        r.count++;
    }
    results[c] = r;
    return (void *)(c + 200);
}

int main(int argc, char **argv)
{
    fputs("crest-test: program started\n", stderr); /* a resumed process never says this */
    if (argc != 3) {
        fprintf(stderr, "usage: threads ITEMS_PER_PRODUCER WORK_PER_ITEM\n");
        return 2;
    }
    items_per_producer = strtol(argv[1], NULL, 10);
    work_per_item = strtol(argv[2], NULL, 10);
    pthread_t prod[PRODUCERS], cons[CONSUMERS];
    for (long i = 0; i < CONSUMERS; i++)
        if (pthread_create(&cons[i], NULL, consumer, (void *)i) != 0)
            return 1;
    for (long i = 0; i < PRODUCERS; i++)
        if (pthread_create(&prod[i], NULL, producer, (void *)i) != 0)
            return 1;
    int bad = 0;
    for (long i = 0; i < PRODUCERS; i++) {
        void *ret;
        if (pthread_join(prod[i], &ret) != 0 || ret != (void *)(i + 100))
            bad++;
    }
    for (int i = 0; i < CONSUMERS; i++)
        put(POISON);
    for (long i = 0; i < CONSUMERS; i++) {
        void *ret;
        if (pthread_join(cons[i], &ret) != 0 || ret != (void *)(i + 200))
            bad++;
    }
    uint64_t sum = 0, x = 0;
    long count = 0;
    for (int i = 0; i < CONSUMERS; i++) {
        sum += results[i].sum;
        x ^= results[i].xor_all;
        count += results[i].count;
    }
    printf("threads items=%ld sum=%016" PRIx64 " xor=%016" PRIx64 " joins_bad=%d\n",
           count, sum, x, bad);
    return bad ? 1 : 0;
}
