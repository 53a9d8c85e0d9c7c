/* coll.h — the collectives' private interface: the internal calls behind
 * the MPI functions of api_coll.c, the algorithm thresholds, the tag scheme
 * and the helpers the coll_*.c files share.
 *
 *   coll_util.c      thresholds, packed views of user buffers, byte transfers
 *   coll_barrier.c   barrier (dissemination)
 *   coll_bcast.c     bcast (binomial tree; scatter + ring allgather)
 *   coll_reduce.c    reduce, allreduce, reduce_scatter(_block), scan, exscan
 *   coll_gather.c    gather(v), allgather(v)
 *   coll_scatter.c   scatter(v)
 *   coll_alltoall.c  alltoall(v,w)
 *
 * Every internal call takes the arguments of its MPI function as the
 * standard defines them, MPI_IN_PLACE included, already checked by
 * api_coll.c, on an intracommunicator.  It returns MPI_SUCCESS or an error
 * class (MPI_ERR_NO_MEM for a temporary buffer, or what point-to-point or
 * op_apply returned) and never calls an error handler.
 *
 * Traffic: collectives talk on context comm->context + 1, so that they never
 * match the application's messages, with no MPI_ANY_SOURCE.  Tags: a
 * blocking collective uses COLL_TAG_BASE + 4 * kind + phase (enum
 * coll_kind, phase 0-3 for algorithms made of distinct steps).  One tag per
 * kind is enough since blocking collectives on a communicator start in the
 * same order everywhere and point-to-point does not overtake; phases only
 * make a mismatch easier to see.  Tags from COLL_TAG_NONBLOCKING upward are
 * left to nonblocking collectives (with comm->coll_seq in them).
 *
 * Data: where an algorithm only moves a rank's data from its buffer to
 * another rank's buffer, the user's buffer and datatype go straight to
 * point-to-point.  Where it combines, forwards or reorders data, it works on
 * packed bytes (dtype_pack/dtype_unpack; the user's memory itself when the
 * datatype is contiguous) sent as MPI_BYTE and received as MPI_BYTE.  The
 * one exception: with MPI_IN_PLACE, alltoall(v,w) sends blocks packed out of
 * the receive buffer as MPI_PACKED, received with the user's datatype.
 *
 * Determinism: every reduction combines in an order fixed by the ranks
 * alone (never by arrival order), and ranks that each compute the same
 * value compute it with the same expression, so a result is bit-identical
 * across runs and across ranks.  The algorithms used for non-commutative
 * operations keep rank order: (((x0 op x1) op x2) ...). */
#ifndef CREST_MPI_COLL_H
#define CREST_MPI_COLL_H

#include <stddef.h>

#include "mpi_impl.h"

/* ------------------------------------------------------------------ thresholds
 * Algorithm choice by message size (bytes of packed data) and ranks.  Every
 * rank must choose the same algorithm, so every input below is a value all
 * ranks agree on.  Each can be changed with the environment variable named
 * beside it (a decimal number; read once, at the first collective), which
 * must then be the same on every rank.
 *
 *   bcast_long        CREST_COLL_BCAST_LONG        12288  message bytes at or above which
 *   bcast_min_ranks   CREST_COLL_BCAST_MIN_RANKS       4  (with at least this many ranks) bcast
 *                                                         is a binomial scatter followed by a ring
 *                                                         allgather (van de Geijn), not a
 *                                                         binomial tree
 *   reduce_long       CREST_COLL_REDUCE_LONG        2048  message bytes at or above which reduce
 *                                                         is a reduce-scatter (recursive halving)
 *                                                         + binomial gather (Rabenseifner), not a
 *                                                         binomial tree
 *   allreduce_long    CREST_COLL_ALLREDUCE_LONG     2048  the same for allreduce: reduce-scatter
 *                                                         + allgather, not recursive doubling
 *   allgather_long    CREST_COLL_ALLGATHER_LONG    81920  total bytes gathered at or above which
 *                                                         allgather(v) is a ring; below it,
 *                                                         recursive doubling (power-of-two
 *                                                         sizes) or Bruck
 *   gather_long       CREST_COLL_GATHER_LONG        2048  bytes of one rank's block at or above
 *                                                         which gather is linear, not binomial
 *   scatter_long      CREST_COLL_SCATTER_LONG       2048  the same for scatter
 *   alltoall_short    CREST_COLL_ALLTOALL_SHORT      256  bytes of one block below which alltoall
 *                                                         is Bruck's algorithm
 *   alltoall_long     CREST_COLL_ALLTOALL_LONG     32768  bytes of one block at or above which
 *                                                         alltoall is a pairwise exchange; between
 *                                                         the two, and always for alltoallv/w,
 *                                                         nonblocking sends and receives with at
 *                                                         most alltoall_window peers at a time
 *   alltoall_window   CREST_COLL_ALLTOALL_WINDOW      32
 *
 * The Rabenseifner reductions also need at least one element per block
 * (count >= the largest power of two <= ranks).  Reduce_scatter always uses
 * recursive halving for commutative operations, a reduce to rank 0 and a
 * scatter otherwise; gatherv and scatterv are linear; scan and exscan use
 * recursive doubling. */
struct coll_tuning {
    size_t bcast_long;
    size_t bcast_min_ranks;
    size_t reduce_long;
    size_t allreduce_long;
    size_t allgather_long;
    size_t gather_long;
    size_t scatter_long;
    size_t alltoall_short;
    size_t alltoall_long;
    size_t alltoall_window;
};
/* The thresholds in force (read from the environment on the first call). */
const struct coll_tuning *coll_tune(void);
/* Replaces them (unit tests force each algorithm this way). */
void coll_tune_set(const struct coll_tuning *t);

/* ------------------------------------------------------------------ tags */
enum coll_kind {
    CK_BARRIER, CK_BCAST, CK_REDUCE, CK_ALLREDUCE, CK_REDUCE_SCATTER, CK_SCAN, CK_EXSCAN,
    CK_GATHER, CK_GATHERV, CK_SCATTER, CK_SCATTERV, CK_ALLGATHER, CK_ALLGATHERV, CK_ALLTOALL,
    CK_ALLTOALLV, CK_ALLTOALLW,
};
#define COLL_TAG(kind, phase) (COLL_TAG_BASE + 4 * (int)(kind) + (phase))
#define COLL_TAG_NONBLOCKING (COLL_TAG_BASE + 0x100)

/* ------------------------------------------------------------------ the collectives */
int coll_barrier(struct mpi_comm *c);
int coll_bcast(void *buf, int count, MPI_Datatype dt, int root, struct mpi_comm *c);
int coll_reduce(const void *sbuf, void *rbuf, int count, MPI_Datatype dt, MPI_Op op, int root,
                struct mpi_comm *c);
int coll_allreduce(const void *sbuf, void *rbuf, int count, MPI_Datatype dt, MPI_Op op,
                   struct mpi_comm *c);
int coll_reduce_scatter(const void *sbuf, void *rbuf, const int *rcounts, MPI_Datatype dt, MPI_Op op,
                        struct mpi_comm *c);
int coll_reduce_scatter_block(const void *sbuf, void *rbuf, int rcount, MPI_Datatype dt, MPI_Op op,
                              struct mpi_comm *c);
int coll_scan(const void *sbuf, void *rbuf, int count, MPI_Datatype dt, MPI_Op op, struct mpi_comm *c);
int coll_exscan(const void *sbuf, void *rbuf, int count, MPI_Datatype dt, MPI_Op op, struct mpi_comm *c);
int coll_gather(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, int rcount, MPI_Datatype rdt,
                int root, struct mpi_comm *c);
int coll_gatherv(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, const int *rcounts,
                 const int *displs, MPI_Datatype rdt, int root, struct mpi_comm *c);
int coll_scatter(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, int rcount, MPI_Datatype rdt,
                 int root, struct mpi_comm *c);
int coll_scatterv(const void *sbuf, const int *scounts, const int *displs, MPI_Datatype sdt, void *rbuf,
                  int rcount, MPI_Datatype rdt, int root, struct mpi_comm *c);
int coll_allgather(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, int rcount,
                   MPI_Datatype rdt, struct mpi_comm *c);
int coll_allgatherv(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, const int *rcounts,
                    const int *displs, MPI_Datatype rdt, struct mpi_comm *c);
int coll_alltoall(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, int rcount,
                  MPI_Datatype rdt, struct mpi_comm *c);
int coll_alltoallv(const void *sbuf, const int *scounts, const int *sdispls, MPI_Datatype sdt, void *rbuf,
                   const int *rcounts, const int *rdispls, MPI_Datatype rdt, struct mpi_comm *c);
/* Displacements in bytes, a datatype per peer (MPI_Alltoallw). */
int coll_alltoallw(const void *sbuf, const int *scounts, const int *sdispls, const MPI_Datatype *sdts,
                   void *rbuf, const int *rcounts, const int *rdispls, const MPI_Datatype *rdts,
                   struct mpi_comm *c);

/* ------------------------------------------------------------------ helpers (coll_util.c) */

/* The context collectives use on c. */
static inline uint32_t coll_ctx(const struct mpi_comm *c) { return c->context + 1; }

/* Largest power of two <= n (n >= 1). */
static inline int coll_pof2_floor(int n)
{
    int p = 1;
    while (p <= n / 2)
        p <<= 1;
    return p;
}

/* malloc that never returns NULL for 0 bytes (NULL means out of memory). */
void *coll_alloc(size_t bytes);

/* Bytes of data in count elements of dt (0 when count <= 0, whatever dt). */
size_t coll_bytes(int count, MPI_Datatype dt);
/* Address of element i of an array of dt at buf (i may exceed int). */
static inline char *coll_elem(const void *buf, size_t i, MPI_Datatype dt)
{
    return (char *)buf + (MPI_Aint)i * dtype_extent(dtype_get(dt));
}

/* The packed bytes of count elements of dt at buf: a pointer into buf when
 * dt is contiguous (*tmp = NULL), else a packed copy in a new buffer (*tmp,
 * to free).  NULL when out of memory. */
const char *coll_packed(const void *buf, int count, MPI_Datatype dt, void **tmp);
/* Where to build the packed bytes of count elements of dt that end up at
 * buf: buf itself when dt is contiguous (*tmp = NULL), else a new buffer
 * (*tmp) that coll_unpacked then unpacks into buf and frees. */
char *coll_packing_space(void *buf, int count, MPI_Datatype dt, void **tmp);
void coll_unpacked(void *buf, int count, MPI_Datatype dt, void *tmp);

/* Byte transfers on the collective context; 0 bytes: no message.  Sizes
 * over 2^30 are cut into several messages, the same way on both sides. */
int coll_send(const void *buf, size_t bytes, int dest, int tag, struct mpi_comm *c);
int coll_recv(void *buf, size_t bytes, int src, int tag, struct mpi_comm *c);
/* Sends to dest and receives from src at the same time. */
int coll_sendrecv(const void *sbuf, size_t sbytes, int dest, void *rbuf, size_t rbytes, int src, int tag,
                  struct mpi_comm *c);

/* Typed transfers of user buffers; no message when the data is 0 bytes. */
int coll_send_typed(const void *buf, int count, MPI_Datatype dt, int dest, int tag, struct mpi_comm *c);
int coll_recv_typed(void *buf, int count, MPI_Datatype dt, int src, int tag, struct mpi_comm *c);

/* A list of nonblocking transfers waited for together. */
struct coll_reqs {
    int n, cap;
    MPI_Request *r;
    MPI_Request inline_r[8];
};
void coll_reqs_init(struct coll_reqs *q);
/* Start a transfer; no request when the data is 0 bytes. */
int coll_isend_typed(struct coll_reqs *q, const void *buf, int count, MPI_Datatype dt, int dest, int tag,
                     struct mpi_comm *c);
int coll_irecv_typed(struct coll_reqs *q, void *buf, int count, MPI_Datatype dt, int src, int tag,
                     struct mpi_comm *c);
/* Waits for every transfer started; returns the first error. */
int coll_reqs_wait(struct coll_reqs *q);
void coll_reqs_free(struct coll_reqs *q);

#endif
