/* pcontrol.c — MPI_Pcontrol: for profiling libraries, which replace
 * MPI_Pcontrol itself; the library accepts every level and does nothing. */
#include "mpi_impl.h"

int PMPI_Pcontrol(const int level, ...)
{
    (void)level;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Pcontrol);
