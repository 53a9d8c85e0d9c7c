/* nbc.h — nonblocking collectives (nbc_sched.c): each call builds a
 * schedule of rounds (transfers started together, then local reductions
 * and copies) that the progress engine advances from inside any MPI call.
 *
 * Arguments are those of the MPI function, already checked (api_nbc.c), on
 * an intracommunicator.  Each returns MPI_SUCCESS with *req a new request
 * of kind REQ_COLL, or an error class (nothing started). */
#ifndef CREST_MPI_NBC_H
#define CREST_MPI_NBC_H

#include "coll.h"

int nbc_ibarrier(struct mpi_comm *c, MPI_Request *req);
int nbc_ibcast(void *buf, int count, MPI_Datatype dt, int root, struct mpi_comm *c, MPI_Request *req);
int nbc_ireduce(const void *sbuf, void *rbuf, int count, MPI_Datatype dt, MPI_Op op, int root, struct mpi_comm *c,
                MPI_Request *req);
int nbc_iallreduce(const void *sbuf, void *rbuf, int count, MPI_Datatype dt, MPI_Op op, struct mpi_comm *c,
                   MPI_Request *req);
int nbc_ireduce_scatter(const void *sbuf, void *rbuf, const int *rcounts, MPI_Datatype dt, MPI_Op op,
                        struct mpi_comm *c, MPI_Request *req);
int nbc_iscan(const void *sbuf, void *rbuf, int count, MPI_Datatype dt, MPI_Op op, struct mpi_comm *c,
              int exclusive, MPI_Request *req);
/* Gathers and scatters: counts and displs NULL for the regular forms
 * (every block count elements, block i at element i * count). */
int nbc_igatherv(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, int rcount, const int *rcounts,
                 const int *displs, MPI_Datatype rdt, int root, struct mpi_comm *c, MPI_Request *req);
int nbc_iscatterv(const void *sbuf, int scount, const int *scounts, const int *displs, MPI_Datatype sdt,
                  void *rbuf, int rcount, MPI_Datatype rdt, int root, struct mpi_comm *c, MPI_Request *req);
int nbc_iallgatherv(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, int rcount, const int *rcounts,
                    const int *displs, MPI_Datatype rdt, struct mpi_comm *c, MPI_Request *req);
/* Alltoall in all three forms: per-peer counts, displacements in bytes and
 * datatypes (the regular and v forms are expanded by the caller). */
int nbc_ialltoallw(const void *sbuf, const int *scounts, const MPI_Aint *sdispls, const MPI_Datatype *sdts,
                   void *rbuf, const int *rcounts, const MPI_Aint *rdispls, const MPI_Datatype *rdts,
                   struct mpi_comm *c, MPI_Request *req);

#endif
