/* mpi_pmpi.c — the application side of the profiling-interface test
 * (tests/cases/64_mpi_pmpi.sh): a fixed number of calls of each function
 * the wrapper (pmpi_wrap.c) counts, and others it does not (MPI_Sendrecv,
 * MPI_Bcast, MPI_Comm_free), which must not reach its counters even though
 * the library implements them with the same machinery.  Each rank sends 3
 * messages to its right neighbour and receives 3 from its left one, calls
 * MPI_Allreduce twice and MPI_Comm_dup once.  Prints "pmpi app ok (N
 * ranks)" on rank 0 when the results are right. */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int rank, size, bad = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    for (int i = 0; i < 3; i++) {
        int out = rank * 10 + i, in = -1;
        if (rank % 2 == 0) {
            MPI_Send(&out, 1, MPI_INT, right, i, MPI_COMM_WORLD);
            MPI_Recv(&in, 1, MPI_INT, left, i, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(&in, 1, MPI_INT, left, i, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(&out, 1, MPI_INT, right, i, MPI_COMM_WORLD);
        }
        bad |= in != left * 10 + i;
    }
    int x = rank, y = -1;
    MPI_Sendrecv(&x, 1, MPI_INT, right, 9, &y, 1, MPI_INT, left, 9, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    bad |= y != left;
    MPI_Bcast(&x, 1, MPI_INT, 0, MPI_COMM_WORLD);
    bad |= x != 0;
    MPI_Comm d;
    MPI_Comm_dup(MPI_COMM_WORLD, &d);
    int sum = 0, all = 0;
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, d);
    bad |= sum != size * (size - 1) / 2;
    MPI_Comm_free(&d);
    MPI_Allreduce(&bad, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (all) {
        if (rank == 0)
            fprintf(stderr, "pmpi app: %d rank(s) got wrong data\n", all);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (rank == 0)
        printf("pmpi app ok (%d ranks)\n", size);
    fflush(stdout);
    MPI_Finalize();
    return 0;
}
