/* coll_args.h — the argument checks the collective functions share
 * (api_coll.c, api_nbc.c, coll_inter.c, neighbor_coll.c), in coll_args.c.
 *
 * Each check returns MPI_SUCCESS or what mpi_error returned (the error
 * class, after the communicator's handler ran); `fn` is the MPI function
 * named in the message, `what` the argument. */
#ifndef CREST_MPI_COLL_ARGS_H
#define CREST_MPI_COLL_ARGS_H

#include "mpi_impl.h"

/* Returns from the calling function what a failed check returned. */
#define CHECK(call)                                                                                                \
    do {                                                                                                           \
        int rc_ = (call);                                                                                          \
        if (rc_ != MPI_SUCCESS)                                                                                    \
            return rc_;                                                                                            \
    } while (0)

/* comm is a communicator (*out, NULL when it is not).  no_inter: NULL
 * accepts an intercommunicator, else the reason given for refusing one. */
int coll_check_comm(MPI_Comm comm, const char *fn, const char *no_inter, struct mpi_comm **out);

int coll_check_count(MPI_Comm comm, const char *fn, const char *what, int count);
/* An array of n counts, none negative. */
int coll_check_counts(MPI_Comm comm, const char *fn, const char *what, const int *counts, int n);
/* An array argument that must not be NULL. */
int coll_check_array(MPI_Comm comm, const char *fn, const char *what, const void *a);
/* A committed datatype. */
int coll_check_type(MPI_Comm comm, const char *fn, const char *what, MPI_Datatype dt);
/* root is a rank of an intracommunicator of size ranks. */
int coll_check_root(MPI_Comm comm, const char *fn, int root, int size);
/* An operation for collectives, defined for dt (already checked). */
int coll_check_op(MPI_Comm comm, const char *fn, MPI_Op op, MPI_Datatype dt);
/* count, datatype and operation of a reduction. */
int coll_check_reduction(MPI_Comm comm, const char *fn, int count, MPI_Datatype type, MPI_Op op);
/* The arguments of MPI_Reduce_scatter but the communicator (of size ranks). */
int coll_check_reduce_scatter(MPI_Comm comm, const char *fn, const void *sbuf, const void *rbuf, const int *rcounts,
                              int size, MPI_Datatype type, MPI_Op op);

int coll_check_not_in_place(MPI_Comm comm, const char *fn, const void *buf, const char *what);
/* MPI_IN_PLACE where only the root may pass it (this process: rank). */
int coll_check_root_only_in_place(MPI_Comm comm, const char *fn, const void *buf, const char *what, int rank,
                                  int root);
/* sendbuf and recvbuf are not the same memory (nonempty: data moves). */
int coll_check_alias(MPI_Comm comm, const char *fn, const void *sbuf, const void *rbuf, int nonempty);
/* The recvbuf of a reduction: neither MPI_IN_PLACE nor sendbuf. */
int coll_check_recvbuf(MPI_Comm comm, const char *fn, const void *sbuf, const void *rbuf, int nonempty);
/* Block peer of an in-place alltoall, count elements of type, fits one
 * message of bytes. */
int coll_check_in_place_block(MPI_Comm comm, const char *fn, int count, MPI_Datatype type, int peer);

/* Reports an error class returned by a collective's algorithm (a
 * transfer, memory, an operation); MPI_SUCCESS passes through. */
int coll_failed(MPI_Comm comm, const char *fn, int rc);

#endif
