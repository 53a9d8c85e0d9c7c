/* mpi_libinfo.c — prints which MPI library the program runs on, and the
 * job as that library sees it: "RANK SIZE LIBRARY-VERSION". */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size, len;
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Get_library_version(version, &len);
    printf("%d %d %s\n", rank, size, version);
    MPI_Finalize();
    return 0;
}
