/* mpi_abort.c — rank argv[1] calls MPI_Abort(MPI_COMM_WORLD, argv[2])
 * while the others wait in a receive that never matches. */
#include <mpi.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, who = argc > 1 ? atoi(argv[1]) : 0, code = argc > 2 ? atoi(argv[2]) : 3;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == who) {
        usleep(200000);
        MPI_Abort(MPI_COMM_WORLD, code);
    }
    int x;
    MPI_Recv(&x, 1, MPI_INT, MPI_ANY_SOURCE, 77, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Finalize();
    return 0;
}
