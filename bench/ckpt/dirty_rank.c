/* dirty_rank.c — an MPI job whose every rank holds a large dirty heap and
 * then waits, for timing a job's snapshot and its restart.
 *
 * usage: dirty_rank MIB READY_DIR GO_FILE
 *
 * Each rank mallocs MIB MiB and fills every 64-bit word from a xorshift
 * generator seeded by its rank: no word is zero and no page repeats
 * another, in this rank or any other, so neither zero-page elision nor any
 * deduplication can shrink the images.  It remembers one word of every
 * page, meets the others in MPI_Barrier, creates READY_DIR/ready.RANK and
 * waits outside MPI, sleeping 1 ms per poll (so that it takes no CPU from
 * what it is compared with), until GO_FILE exists or it finds itself
 * restarted (crest_restart_count() > 0, a weak reference: the program also
 * runs without libcrest).  Then it checks that one word of every page still
 * holds what it wrote (the pages of a restored rank are read once more;
 * that is all the work a restored rank does), agrees with the others in
 * one MPI_Allreduce, and rank 0 prints "done RESTARTS ok" (or "BAD") before
 * MPI_Finalize. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

extern unsigned crest_restart_count(void) __attribute__((weak));

static unsigned restarts(void)
{
    return crest_restart_count ? crest_restart_count() : 0;
}

#define WORDS_PER_PAGE 512 /* 4 KiB pages */

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (argc != 4) {
        if (rank == 0)
            fprintf(stderr, "usage: dirty_rank MIB READY_DIR GO_FILE\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    char *end;
    unsigned long mib = strtoul(argv[1], &end, 10);
    if (*end || mib == 0) {
        if (rank == 0)
            fprintf(stderr, "dirty_rank: '%s' is not a size in MiB\n", argv[1]);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    size_t words = (size_t)mib << 17, pages = words / WORDS_PER_PAGE;
    uint64_t *heap = malloc(words * sizeof *heap);
    uint64_t *probe = malloc(pages * sizeof *probe);
    if (!heap || !probe) {
        fprintf(stderr, "dirty_rank: rank %d cannot allocate %lu MiB\n", rank, mib);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    /* a different non-zero seed per rank */
    uint64_t x = 0x9e3779b97f4a7c15ull ^ ((uint64_t)(rank + 1) * 0xbf58476d1ce4e5b9ull);
    if (!x)
        x = 1;
    for (size_t i = 0; i < words; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        heap[i] = x;
    }
    for (size_t p = 0; p < pages; p++)
        probe[p] = heap[p * WORDS_PER_PAGE];
    MPI_Barrier(MPI_COMM_WORLD);

    char path[4096];
    snprintf(path, sizeof path, "%s/ready.%d", argv[2], rank);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        fprintf(stderr, "dirty_rank: cannot create %s\n", path);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    close(fd);

    const struct timespec ms = {0, 1000000};
    while (access(argv[3], F_OK) != 0 && restarts() == 0)
        nanosleep(&ms, NULL);

    int bad = 0;
    for (size_t p = 0; p < pages; p++)
        bad |= heap[p * WORDS_PER_PAGE] != probe[p];
    int any_bad = 1;
    MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0)
        printf("done %u %s\n", restarts(), any_bad ? "BAD" : "ok");
    MPI_Finalize();
    return any_bad ? 1 : 0;
}
