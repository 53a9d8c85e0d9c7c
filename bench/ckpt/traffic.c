/* traffic.c — an MPI job that keeps messages moving between its ranks
 * until told to stop, for measuring how long a checkpoint takes to quiesce
 * it.
 *
 * usage: traffic READY_FILE STOP_FILE [BYTES]
 *
 * Ranks form a ring.  In every step each rank posts receives from both
 * neighbours and sends BYTES (default 1024) to both (MPI_Irecv, MPI_Isend,
 * MPI_Waitall); every 16th step the messages are 64 KiB instead, so that
 * large transfers are often under way when a checkpoint begins.  Every
 * message carries the sender's step number, checked on arrival.  Every 64
 * steps an MPI_Allreduce tells every rank whether rank 0 has seen
 * STOP_FILE; after the first of these rank 0 creates READY_FILE.  On stop,
 * rank 0 prints "traffic ok STEPS" and every rank calls MPI_Finalize.
 * The ranks never sleep: the job is busy sending for its whole life. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIG (64 * 1024)

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc < 3 || argc > 4) {
        if (rank == 0)
            fprintf(stderr, "usage: traffic READY_FILE STOP_FILE [BYTES]\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    long small = argc == 4 ? atol(argv[3]) : 1024;
    if (small < (long)sizeof(uint64_t) || small > BIG) {
        if (rank == 0)
            fprintf(stderr, "traffic: BYTES must be from 8 to %d\n", BIG);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    int left = (rank + size - 1) % size, right = (rank + 1) % size;
    char *out = malloc(BIG), *in_l = malloc(BIG), *in_r = malloc(BIG);
    if (!out || !in_l || !in_r)
        MPI_Abort(MPI_COMM_WORLD, 1);
    memset(out, 0x5a, BIG);

    uint64_t step = 0;
    int stop = 0, ready = 0;
    while (!stop) {
        int n = (step % 16 == 15) ? BIG : (int)small;
        memcpy(out, &step, sizeof step);
        MPI_Request rq[4];
        MPI_Irecv(in_l, n, MPI_CHAR, left, 7, MPI_COMM_WORLD, &rq[0]);
        MPI_Irecv(in_r, n, MPI_CHAR, right, 7, MPI_COMM_WORLD, &rq[1]);
        MPI_Isend(out, n, MPI_CHAR, right, 7, MPI_COMM_WORLD, &rq[2]);
        MPI_Isend(out, n, MPI_CHAR, left, 7, MPI_COMM_WORLD, &rq[3]);
        MPI_Waitall(4, rq, MPI_STATUSES_IGNORE);
        uint64_t sl, sr;
        memcpy(&sl, in_l, sizeof sl);
        memcpy(&sr, in_r, sizeof sr);
        if (sl != step || sr != step) {
            fprintf(stderr, "traffic: rank %d step %llu: got steps %llu and %llu\n", rank,
                    (unsigned long long)step, (unsigned long long)sl, (unsigned long long)sr);
            MPI_Abort(MPI_COMM_WORLD, 3);
        }
        step++;
        if (step % 64 == 0) {
            int mine = rank == 0 && access(argv[2], F_OK) == 0;
            MPI_Allreduce(&mine, &stop, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
            if (rank == 0 && !ready) {
                int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
                if (fd >= 0)
                    close(fd);
                ready = 1;
            }
        }
    }
    if (rank == 0)
        printf("traffic ok %llu\n", (unsigned long long)step);
    free(out);
    free(in_l);
    free(in_r);
    MPI_Finalize();
    return 0;
}
