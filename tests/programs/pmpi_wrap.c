/* pmpi_wrap.c — a profiling library for tests/cases/64_mpi_pmpi.sh, built
 * as a shared object: it defines MPI_Send, MPI_Recv, MPI_Allreduce,
 * MPI_Comm_dup and MPI_Finalize, counts the application's calls and hands
 * each to the library through its PMPI_ name.  MPI_Finalize prints the
 * counts, one line per rank, before finalizing. */
#include <mpi.h>
#include <stdio.h>

static int n_send, n_recv, n_allreduce, n_dup;

int MPI_Send(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm)
{
    n_send++;
    return PMPI_Send(buf, count, type, dest, tag, comm);
}

int MPI_Recv(void *buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm, MPI_Status *status)
{
    n_recv++;
    return PMPI_Recv(buf, count, type, source, tag, comm, status);
}

int MPI_Allreduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm)
{
    n_allreduce++;
    return PMPI_Allreduce(sbuf, rbuf, count, type, op, comm);
}

int MPI_Comm_dup(MPI_Comm comm, MPI_Comm *newcomm)
{
    n_dup++;
    return PMPI_Comm_dup(comm, newcomm);
}

int MPI_Finalize(void)
{
    int rank = -1;
    PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
    printf("pmpi rank %d: MPI_Send %d MPI_Recv %d MPI_Allreduce %d MPI_Comm_dup %d\n", rank, n_send, n_recv,
           n_allreduce, n_dup);
    fflush(stdout);
    return PMPI_Finalize();
}
