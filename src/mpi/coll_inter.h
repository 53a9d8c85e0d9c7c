/* coll_inter.h — the blocking collectives on intercommunicators
 * (coll_inter.c), with MPI-2 semantics: MPI_ROOT and MPI_PROC_NULL roots,
 * one group's data going to the other.  Each takes the arguments of its MPI
 * function, checks them and reports errors through the communicator's
 * handler; api_coll.c calls it when comm is an intercommunicator. */
#ifndef CREST_MPI_COLL_INTER_H
#define CREST_MPI_COLL_INTER_H

#include "mpi_impl.h"

static inline int coll_is_inter(MPI_Comm h)
{
    struct mpi_comm *c = comm_get(h);
    return c && c->remote != MPI_GROUP_NULL;
}

int inter_barrier(MPI_Comm comm);
int inter_bcast(void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm);
int inter_reduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op, int root, MPI_Comm comm);
int inter_allreduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm);
int inter_reduce_scatter(const void *sbuf, void *rbuf, const int rcounts[], MPI_Datatype type, MPI_Op op,
                         MPI_Comm comm);
int inter_reduce_scatter_block(const void *sbuf, void *rbuf, int rcount, MPI_Datatype type, MPI_Op op,
                               MPI_Comm comm);
int inter_gather(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, int rcount, MPI_Datatype rtype,
                 int root, MPI_Comm comm);
int inter_gatherv(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, const int rcounts[],
                  const int displs[], MPI_Datatype rtype, int root, MPI_Comm comm);
int inter_scatter(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, int rcount, MPI_Datatype rtype,
                  int root, MPI_Comm comm);
int inter_scatterv(const void *sbuf, const int scounts[], const int displs[], MPI_Datatype stype, void *rbuf,
                   int rcount, MPI_Datatype rtype, int root, MPI_Comm comm);
int inter_allgather(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, int rcount, MPI_Datatype rtype,
                    MPI_Comm comm);
int inter_allgatherv(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, const int rcounts[],
                     const int displs[], MPI_Datatype rtype, MPI_Comm comm);
int inter_alltoall(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, int rcount, MPI_Datatype rtype,
                   MPI_Comm comm);
int inter_alltoallv(const void *sbuf, const int scounts[], const int sdispls[], MPI_Datatype stype, void *rbuf,
                    const int rcounts[], const int rdispls[], MPI_Datatype rtype, MPI_Comm comm);
int inter_alltoallw(const void *sbuf, const int scounts[], const int sdispls[], const MPI_Datatype stypes[],
                    void *rbuf, const int rcounts[], const int rdispls[], const MPI_Datatype rtypes[], MPI_Comm comm);

#endif
