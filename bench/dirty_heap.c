/* dirty_heap.c — a process with a large dirty heap, for the checkpoint and
 * restart benchmarks.
 *
 * usage: dirty_heap MIB READY_FILE GO_FILE
 *
 * Allocates MIB MiB with malloc and fills every 64-bit word with the output
 * of a xorshift generator: no word is zero and no page repeats another, so
 * neither zero-page elision nor any deduplication can shrink the image.
 * Then it creates READY_FILE and waits, polling once a millisecond, until
 * GO_FILE exists or the process finds it has been restarted
 * (crest_restart_count() > 0, looked up weakly so that the program also runs
 * without libcrest).  It then prints "done <restarts> <checksum>" and exits 0.
 *
 * It waits by sleeping rather than busy-spinning: on a 2-core machine a
 * spinning waiter would take a core away from the commands it is compared
 * against. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Defined by libcrest when it is loaded (crest run or -lcrest); NULL otherwise. */
extern unsigned crest_restart_count(void) __attribute__((weak));

static unsigned restarts(void)
{
    return crest_restart_count ? crest_restart_count() : 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: dirty_heap MIB READY_FILE GO_FILE\n");
        return 2;
    }
    char *end;
    unsigned long mib = strtoul(argv[1], &end, 10);
    if (*end || mib == 0) {
        fprintf(stderr, "dirty_heap: '%s' is not a size in MiB\n", argv[1]);
        return 2;
    }
    size_t words = (size_t)mib << 17; /* 2^20 bytes / 8 */
    uint64_t *heap = malloc(words * sizeof *heap);
    if (!heap) {
        fprintf(stderr, "dirty_heap: cannot allocate %lu MiB\n", mib);
        return 1;
    }
    uint64_t x = 0x9e3779b97f4a7c15ull; /* xorshift64: never yields 0 from a non-zero seed */
    for (size_t i = 0; i < words; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        heap[i] = x;
    }

    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        fprintf(stderr, "dirty_heap: cannot create %s\n", argv[2]);
        return 1;
    }
    close(fd);

    const struct timespec ms = {0, 1000000};
    while (access(argv[3], F_OK) != 0 && restarts() == 0)
        nanosleep(&ms, NULL);

    uint64_t sum = 0;
    for (size_t i = 0; i < words; i += 512) /* one word per page */
        sum += heap[i];
    printf("done %u %016" PRIx64 "\n", restarts(), sum);
    return 0;
}
