/* mpi_quiesce.c — the checkpoint's channel drain, close and reconnect,
 * done while messages of every size are in flight: every rank keeps
 * sequence-numbered messages going to every other (small ones eager,
 * large ones rendezvous, some synchronous), and every few rounds all ranks
 * drain, close and reconnect the channels (MPIX_Crest_channel_cycle, what a
 * checkpoint that continues does) with their sends and receives still
 * outstanding.  Every message must arrive once, intact and in order.
 * argv[1]: rounds (default 20); argv[2]: cycle every N rounds (default 2).
 * Prints "quiesce ok RANKS CYCLES" on rank 0. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int MPIX_Crest_channel_cycle(void);

static size_t msg_len(int round, int from, int to)
{
    static const size_t lens[] = { 8, 100, 4000, 20000, 70000, 300000, 1200000 };
    return lens[(round + from * 3 + to) % 7];
}

static unsigned char byte_at(size_t i, int round, int from, int to)
{
    return (unsigned char)(i * 7 + (size_t)round * 13 + (size_t)from * 31 + (size_t)to * 5);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int rounds = argc > 1 ? atoi(argv[1]) : 20;
    int every = argc > 2 ? atoi(argv[2]) : 2;
    int cycles = 0, bad = 0;
    MPI_Request *reqs = malloc(sizeof *reqs * (size_t)size * 2);
    unsigned char **sbuf = calloc((size_t)size, sizeof *sbuf), **rbuf = calloc((size_t)size, sizeof *rbuf);
    for (int round = 0; round < rounds; round++) {
        int n = 0;
        for (int p = 0; p < size; p++) {
            size_t len = msg_len(round, p, rank);
            rbuf[p] = malloc(len);
            MPI_Irecv(rbuf[p], (int)len, MPI_BYTE, p, round, MPI_COMM_WORLD, &reqs[n++]);
        }
        for (int p = 0; p < size; p++) {
            size_t len = msg_len(round, rank, p);
            sbuf[p] = malloc(len);
            for (size_t i = 0; i < len; i++)
                sbuf[p][i] = byte_at(i, round, rank, p);
            if ((round + p) % 3 == 0)
                MPI_Issend(sbuf[p], (int)len, MPI_BYTE, p, round, MPI_COMM_WORLD, &reqs[n++]);
            else
                MPI_Isend(sbuf[p], (int)len, MPI_BYTE, p, round, MPI_COMM_WORLD, &reqs[n++]);
        }
        /* With everything still outstanding: drain, close, reconnect. */
        if (every > 0 && round % every == 0) {
            if (MPIX_Crest_channel_cycle() != MPI_SUCCESS) {
                fprintf(stderr, "rank %d: the channel cycle failed in round %d\n", rank, round);
                MPI_Abort(MPI_COMM_WORLD, 1);
            }
            cycles++;
        }
        MPI_Status *st = malloc(sizeof *st * (size_t)n);
        MPI_Waitall(n, reqs, st);
        for (int p = 0; p < size; p++) {
            size_t len = msg_len(round, p, rank);
            int count;
            MPI_Get_count(&st[p], MPI_BYTE, &count);
            if ((size_t)count != len) {
                fprintf(stderr, "rank %d: round %d from %d: %d bytes, want %zu\n", rank, round, p, count, len);
                bad++;
            }
            for (size_t i = 0; i < len; i++)
                if (rbuf[p][i] != byte_at(i, round, p, rank)) {
                    fprintf(stderr, "rank %d: round %d from %d: byte %zu wrong\n", rank, round, p, i);
                    bad++;
                    break;
                }
            free(rbuf[p]);
            free(sbuf[p]);
        }
        free(st);
    }
    int total;
    MPI_Allreduce(&bad, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        printf(total ? "quiesce FAILED %d %d\n" : "quiesce ok %d %d\n", total ? total : size, cycles);
    MPI_Finalize();
    return total != 0;
}
