/* api_coll.c — the blocking collective functions of MPI: argument checks,
 * then the algorithms of coll_*.c.
 *
 * Checks are local: what every rank passes must agree (counts, roots,
 * operations), which no rank can see alone; a disagreement shows up as a
 * truncation or a hang, as in every MPI.  MPI_IN_PLACE is accepted exactly
 * where MPI-3.1 allows it and refused with MPI_ERR_BUFFER elsewhere. */
#include "coll.h"
#include "coll_inter.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ checks
 * Each returns MPI_SUCCESS or what mpi_error returned. */

static int check_comm(MPI_Comm comm, const char *fn, struct mpi_comm **out)
{
    struct mpi_comm *c = comm_get(comm);
    *out = c;
    if (!c) {
        if (comm == MPI_COMM_NULL)
            return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, fn, "the communicator is MPI_COMM_NULL");
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, fn, "0x%x is not a communicator (freed, or never one)",
                         (unsigned)comm);
    }
    if (c->remote != MPI_GROUP_NULL)
        return mpi_error(comm, MPI_ERR_COMM, fn, "the communicator is an intercommunicator; this call needs an intracommunicator");
    return MPI_SUCCESS;
}

static int check_count(MPI_Comm comm, const char *fn, const char *what, int count)
{
    if (count < 0)
        return mpi_error(comm, MPI_ERR_COUNT, fn, "%s is negative (%d)", what, count);
    return MPI_SUCCESS;
}

static int check_counts(MPI_Comm comm, const char *fn, const char *what, const int *counts, int n)
{
    if (!counts)
        return mpi_error(comm, MPI_ERR_ARG, fn, "%s is NULL", what);
    for (int i = 0; i < n; i++)
        if (counts[i] < 0)
            return mpi_error(comm, MPI_ERR_COUNT, fn, "%s[%d] is negative (%d)", what, i, counts[i]);
    return MPI_SUCCESS;
}

static int check_array(MPI_Comm comm, const char *fn, const char *what, const void *a)
{
    if (!a)
        return mpi_error(comm, MPI_ERR_ARG, fn, "%s is NULL", what);
    return MPI_SUCCESS;
}

static int check_type(MPI_Comm comm, const char *fn, const char *what, MPI_Datatype dt)
{
    const struct mpi_dtype *t = dtype_get(dt);
    if (!t) {
        if (dt == MPI_DATATYPE_NULL)
            return mpi_error(comm, MPI_ERR_TYPE, fn, "%s is MPI_DATATYPE_NULL", what);
        return mpi_error(comm, MPI_ERR_TYPE, fn, "%s 0x%x is not a datatype (freed, or never one)", what,
                         (unsigned)dt);
    }
    if (!dtype_is_committed(t))
        return mpi_error(comm, MPI_ERR_TYPE, fn, "%s is not committed: call MPI_Type_commit first", what);
    return MPI_SUCCESS;
}

static int check_root(MPI_Comm comm, const char *fn, int root, int size)
{
    if (root < 0 || root >= size)
        return mpi_error(comm, MPI_ERR_ROOT, fn, "root %d is not a rank of the communicator (size %d)", root, size);
    return MPI_SUCCESS;
}

static const char *builtin_op_name(MPI_Op op)
{
    static const char *const names[] = {"MPI_MAX", "MPI_MIN", "MPI_SUM", "MPI_PROD", "MPI_LAND", "MPI_BAND",
                                        "MPI_LOR", "MPI_BOR", "MPI_LXOR", "MPI_BXOR", "MPI_MINLOC", "MPI_MAXLOC"};
    unsigned i = (unsigned)op - (unsigned)MPI_MAX;
    return i < sizeof names / sizeof names[0] ? names[i] : "the operation";
}

/* A built-in operation must be defined for the datatype: tried on one
 * zeroed basic element, which no built-in operation can mind.  (User
 * functions accept whatever they are given.) */
static int check_op(MPI_Comm comm, const char *fn, MPI_Op op, MPI_Datatype dt)
{
    if (op == MPI_REPLACE || op == MPI_NO_OP)
        return mpi_error(comm, MPI_ERR_OP, fn, "MPI_REPLACE and MPI_NO_OP are for one-sided accumulates only");
    if (!op_is_valid(op)) {
        if (op == MPI_OP_NULL)
            return mpi_error(comm, MPI_ERR_OP, fn, "the operation is MPI_OP_NULL");
        return mpi_error(comm, MPI_ERR_OP, fn, "0x%x is not an operation (freed, or never one)", (unsigned)op);
    }
    if (HANDLE_KIND(op) != HANDLE_BUILTIN)
        return MPI_SUCCESS;
    const struct mpi_dtype *t = dtype_get(dt);
    if (dtype_size(t) == 0)
        return MPI_SUCCESS;
    MPI_Datatype basic = dtype_basic(t);
    if (basic == MPI_DATATYPE_NULL)
        return mpi_error(comm, MPI_ERR_OP, fn, "%s needs a datatype made of one basic type; this one mixes several",
                         builtin_op_name(op));
    union {
        long double ld[4];
        char bytes[64];
    } a, b;
    if (dtype_size(dtype_get(basic)) > sizeof a)
        return MPI_SUCCESS;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if (op_apply(op, &a, &b, 1, basic) != MPI_SUCCESS)
        return mpi_error(comm, MPI_ERR_OP, fn, "%s is not defined for the datatype given", builtin_op_name(op));
    return MPI_SUCCESS;
}

static int check_not_in_place(MPI_Comm comm, const char *fn, const void *buf, const char *what)
{
    if (buf == MPI_IN_PLACE)
        return mpi_error(comm, MPI_ERR_BUFFER, fn, "MPI_IN_PLACE is not allowed as %s", what);
    return MPI_SUCCESS;
}

/* MPI_IN_PLACE where only the root may pass it. */
static int check_root_only_in_place(MPI_Comm comm, const char *fn, const void *buf, const char *what,
                                    const struct mpi_comm *c, int root)
{
    if (buf == MPI_IN_PLACE)
        return mpi_error(comm, MPI_ERR_BUFFER, fn, "MPI_IN_PLACE is allowed as %s at the root only (rank %d, root %d)",
                         what, c->rank, root);
    return MPI_SUCCESS;
}

/* The same memory as send and receive buffer must be said with MPI_IN_PLACE
 * (MPI_BOTTOM twice is fine: the datatypes hold absolute addresses). */
static int check_alias(MPI_Comm comm, const char *fn, const void *sbuf, const void *rbuf, int nonempty)
{
    if (nonempty && sbuf == rbuf && sbuf != MPI_BOTTOM && sbuf != MPI_IN_PLACE)
        return mpi_error(comm, MPI_ERR_BUFFER, fn,
                         "sendbuf and recvbuf are the same buffer: pass MPI_IN_PLACE as sendbuf instead");
    return MPI_SUCCESS;
}

/* An error of the algorithm (a transfer, memory, an operation). */
static int coll_failed(MPI_Comm comm, const char *fn, int rc)
{
    switch (rc) {
    case MPI_SUCCESS:
        return MPI_SUCCESS;
    case MPI_ERR_NO_MEM:
        return mpi_error(comm, rc, fn, "out of memory for the collective's temporary buffers");
    case MPI_ERR_TRUNCATE:
        return mpi_error(comm, rc, fn,
                         "a rank sent more data than the receiving rank expected: the ranks passed "
                         "different counts or datatypes");
    case MPI_ERR_OP:
        return mpi_error(comm, rc, fn, "the operation failed on the datatype given");
    default:
        return mpi_error(comm, rc, fn, "a transfer between ranks failed (error class %d)", rc);
    }
}

#define CHECK(call)                                                                                                \
    do {                                                                                                           \
        int rc_ = (call);                                                                                          \
        if (rc_ != MPI_SUCCESS)                                                                                    \
            return rc_;                                                                                            \
    } while (0)

/* ------------------------------------------------------------------ the functions */

int PMPI_Barrier(MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Barrier";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_barrier(comm);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c));
    return coll_failed(comm, fn, coll_barrier(c));
}
MPI_WEAK(MPI_Barrier);

int PMPI_Bcast(void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Bcast";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_bcast(buf, count, type, root, comm);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c));
    CHECK(check_count(comm, fn, "count", count));
    CHECK(check_type(comm, fn, "the datatype", type));
    CHECK(check_root(comm, fn, root, c->size));
    CHECK(check_not_in_place(comm, fn, buf, "the buffer"));
    return coll_failed(comm, fn, coll_bcast(buf, count, type, root, c));
}
MPI_WEAK(MPI_Bcast);

/* The checks every reduction shares. */
static int check_reduction(MPI_Comm comm, const char *fn, struct mpi_comm **c, int count, MPI_Datatype type,
                           MPI_Op op)
{
    CHECK(check_comm(comm, fn, c));
    CHECK(check_count(comm, fn, "count", count));
    CHECK(check_type(comm, fn, "the datatype", type));
    return check_op(comm, fn, op, type);
}

int PMPI_Reduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype type, MPI_Op op, int root,
                MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Reduce";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_reduce(sendbuf, recvbuf, count, type, op, root, comm);
    struct mpi_comm *c;
    CHECK(check_reduction(comm, fn, &c, count, type, op));
    CHECK(check_root(comm, fn, root, c->size));
    if (c->rank == root) {
        CHECK(check_not_in_place(comm, fn, recvbuf, "recvbuf"));
        CHECK(check_alias(comm, fn, sendbuf, recvbuf, count > 0));
    } else {
        CHECK(check_root_only_in_place(comm, fn, sendbuf, "sendbuf", c, root));
    }
    return coll_failed(comm, fn, coll_reduce(sendbuf, recvbuf, count, type, op, root, c));
}
MPI_WEAK(MPI_Reduce);

int PMPI_Allreduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Allreduce";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_allreduce(sendbuf, recvbuf, count, type, op, comm);
    struct mpi_comm *c;
    CHECK(check_reduction(comm, fn, &c, count, type, op));
    CHECK(check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    CHECK(check_alias(comm, fn, sendbuf, recvbuf, count > 0));
    return coll_failed(comm, fn, coll_allreduce(sendbuf, recvbuf, count, type, op, c));
}
MPI_WEAK(MPI_Allreduce);

int PMPI_Reduce_scatter(const void *sendbuf, void *recvbuf, const int recvcounts[], MPI_Datatype type, MPI_Op op,
                        MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Reduce_scatter";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_reduce_scatter(sendbuf, recvbuf, recvcounts, type, op, comm);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c));
    CHECK(check_counts(comm, fn, "recvcounts", recvcounts, c->size));
    CHECK(check_type(comm, fn, "the datatype", type));
    CHECK(check_op(comm, fn, op, type));
    CHECK(check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    int any = 0;
    for (int i = 0; i < c->size; i++)
        any |= recvcounts[i] > 0;
    CHECK(check_alias(comm, fn, sendbuf, recvbuf, any));
    return coll_failed(comm, fn, coll_reduce_scatter(sendbuf, recvbuf, recvcounts, type, op, c));
}
MPI_WEAK(MPI_Reduce_scatter);

int PMPI_Reduce_scatter_block(const void *sendbuf, void *recvbuf, int recvcount, MPI_Datatype type, MPI_Op op,
                              MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Reduce_scatter_block";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_reduce_scatter_block(sendbuf, recvbuf, recvcount, type, op, comm);
    struct mpi_comm *c;
    CHECK(check_reduction(comm, fn, &c, recvcount, type, op));
    CHECK(check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    CHECK(check_alias(comm, fn, sendbuf, recvbuf, recvcount > 0));
    return coll_failed(comm, fn, coll_reduce_scatter_block(sendbuf, recvbuf, recvcount, type, op, c));
}
MPI_WEAK(MPI_Reduce_scatter_block);

int PMPI_Scan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Scan";
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c;
    CHECK(check_reduction(comm, fn, &c, count, type, op));
    CHECK(check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    CHECK(check_alias(comm, fn, sendbuf, recvbuf, count > 0));
    return coll_failed(comm, fn, coll_scan(sendbuf, recvbuf, count, type, op, c));
}
MPI_WEAK(MPI_Scan);

int PMPI_Exscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Exscan";
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c;
    CHECK(check_reduction(comm, fn, &c, count, type, op));
    CHECK(check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    CHECK(check_alias(comm, fn, sendbuf, recvbuf, count > 0));
    return coll_failed(comm, fn, coll_exscan(sendbuf, recvbuf, count, type, op, c));
}
MPI_WEAK(MPI_Exscan);

int PMPI_Gather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Gather";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_gather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root, comm);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c));
    CHECK(check_root(comm, fn, root, c->size));
    if (c->rank == root) {
        CHECK(check_not_in_place(comm, fn, recvbuf, "recvbuf"));
        CHECK(check_count(comm, fn, "recvcount", recvcount));
        CHECK(check_type(comm, fn, "recvtype", recvtype));
        CHECK(check_alias(comm, fn, sendbuf, recvbuf, recvcount > 0));
    } else {
        CHECK(check_root_only_in_place(comm, fn, sendbuf, "sendbuf", c, root));
    }
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(check_count(comm, fn, "sendcount", sendcount));
        CHECK(check_type(comm, fn, "sendtype", sendtype));
    }
    return coll_failed(comm, fn, coll_gather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root, c));
}
MPI_WEAK(MPI_Gather);

int PMPI_Gatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                 const int displs[], MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Gatherv";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_gatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, root, comm);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c));
    CHECK(check_root(comm, fn, root, c->size));
    if (c->rank == root) {
        CHECK(check_not_in_place(comm, fn, recvbuf, "recvbuf"));
        CHECK(check_counts(comm, fn, "recvcounts", recvcounts, c->size));
        CHECK(check_array(comm, fn, "displs", displs));
        CHECK(check_type(comm, fn, "recvtype", recvtype));
        CHECK(check_alias(comm, fn, sendbuf, recvbuf, recvcounts[root] > 0));
    } else {
        CHECK(check_root_only_in_place(comm, fn, sendbuf, "sendbuf", c, root));
    }
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(check_count(comm, fn, "sendcount", sendcount));
        CHECK(check_type(comm, fn, "sendtype", sendtype));
    }
    return coll_failed(comm, fn,
                       coll_gatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, root, c));
}
MPI_WEAK(MPI_Gatherv);

int PMPI_Scatter(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                 MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Scatter";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_scatter(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root, comm);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c));
    CHECK(check_root(comm, fn, root, c->size));
    if (c->rank == root) {
        CHECK(check_not_in_place(comm, fn, sendbuf, "sendbuf"));
        CHECK(check_count(comm, fn, "sendcount", sendcount));
        CHECK(check_type(comm, fn, "sendtype", sendtype));
        CHECK(check_alias(comm, fn, sendbuf, recvbuf, sendcount > 0));
    } else {
        CHECK(check_root_only_in_place(comm, fn, recvbuf, "recvbuf", c, root));
    }
    if (recvbuf != MPI_IN_PLACE) {
        CHECK(check_count(comm, fn, "recvcount", recvcount));
        CHECK(check_type(comm, fn, "recvtype", recvtype));
    }
    return coll_failed(comm, fn, coll_scatter(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root, c));
}
MPI_WEAK(MPI_Scatter);

int PMPI_Scatterv(const void *sendbuf, const int sendcounts[], const int displs[], MPI_Datatype sendtype,
                  void *recvbuf, int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Scatterv";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_scatterv(sendbuf, sendcounts, displs, sendtype, recvbuf, recvcount, recvtype, root, comm);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c));
    CHECK(check_root(comm, fn, root, c->size));
    if (c->rank == root) {
        CHECK(check_not_in_place(comm, fn, sendbuf, "sendbuf"));
        CHECK(check_counts(comm, fn, "sendcounts", sendcounts, c->size));
        CHECK(check_array(comm, fn, "displs", displs));
        CHECK(check_type(comm, fn, "sendtype", sendtype));
        CHECK(check_alias(comm, fn, sendbuf, recvbuf, sendcounts[root] > 0));
    } else {
        CHECK(check_root_only_in_place(comm, fn, recvbuf, "recvbuf", c, root));
    }
    if (recvbuf != MPI_IN_PLACE) {
        CHECK(check_count(comm, fn, "recvcount", recvcount));
        CHECK(check_type(comm, fn, "recvtype", recvtype));
    }
    return coll_failed(comm, fn,
                       coll_scatterv(sendbuf, sendcounts, displs, sendtype, recvbuf, recvcount, recvtype, root, c));
}
MPI_WEAK(MPI_Scatterv);

int PMPI_Allgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                   MPI_Datatype recvtype, MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Allgather";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_allgather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c));
    CHECK(check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    CHECK(check_count(comm, fn, "recvcount", recvcount));
    CHECK(check_type(comm, fn, "recvtype", recvtype));
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(check_count(comm, fn, "sendcount", sendcount));
        CHECK(check_type(comm, fn, "sendtype", sendtype));
        CHECK(check_alias(comm, fn, sendbuf, recvbuf, recvcount > 0));
    }
    return coll_failed(comm, fn, coll_allgather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, c));
}
MPI_WEAK(MPI_Allgather);

int PMPI_Allgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                    const int recvcounts[], const int displs[], MPI_Datatype recvtype, MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Allgatherv";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_allgatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, comm);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c));
    CHECK(check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    CHECK(check_counts(comm, fn, "recvcounts", recvcounts, c->size));
    CHECK(check_array(comm, fn, "displs", displs));
    CHECK(check_type(comm, fn, "recvtype", recvtype));
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(check_count(comm, fn, "sendcount", sendcount));
        CHECK(check_type(comm, fn, "sendtype", sendtype));
        CHECK(check_alias(comm, fn, sendbuf, recvbuf, recvcounts[c->rank] > 0));
    }
    return coll_failed(comm, fn,
                       coll_allgatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, c));
}
MPI_WEAK(MPI_Allgatherv);

/* With MPI_IN_PLACE each block travels packed as bytes, in one message. */
static int check_in_place_block(MPI_Comm comm, const char *fn, int count, MPI_Datatype type, int peer)
{
    if (count > 0 && (size_t)count * dtype_size(dtype_get(type)) > (size_t)INT_MAX)
        return mpi_error(comm, MPI_ERR_COUNT, fn,
                         "with MPI_IN_PLACE a block may hold at most %d bytes (block %d has %zu): pass a separate sendbuf",
                         INT_MAX, peer, (size_t)count * dtype_size(dtype_get(type)));
    return MPI_SUCCESS;
}

int PMPI_Alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                  MPI_Datatype recvtype, MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Alltoall";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_alltoall(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c));
    CHECK(check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    CHECK(check_count(comm, fn, "recvcount", recvcount));
    CHECK(check_type(comm, fn, "recvtype", recvtype));
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(check_count(comm, fn, "sendcount", sendcount));
        CHECK(check_type(comm, fn, "sendtype", sendtype));
        CHECK(check_alias(comm, fn, sendbuf, recvbuf, recvcount > 0));
    } else {
        CHECK(check_in_place_block(comm, fn, recvcount, recvtype, 0));
    }
    return coll_failed(comm, fn, coll_alltoall(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, c));
}
MPI_WEAK(MPI_Alltoall);

int PMPI_Alltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[], MPI_Datatype sendtype,
                   void *recvbuf, const int recvcounts[], const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Alltoallv";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_alltoallv(sendbuf, sendcounts, sdispls, sendtype, recvbuf, recvcounts, rdispls, recvtype, comm);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c));
    CHECK(check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    CHECK(check_counts(comm, fn, "recvcounts", recvcounts, c->size));
    CHECK(check_array(comm, fn, "rdispls", rdispls));
    CHECK(check_type(comm, fn, "recvtype", recvtype));
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(check_counts(comm, fn, "sendcounts", sendcounts, c->size));
        CHECK(check_array(comm, fn, "sdispls", sdispls));
        CHECK(check_type(comm, fn, "sendtype", sendtype));
        int any = 0;
        for (int i = 0; i < c->size; i++)
            any |= recvcounts[i] > 0;
        CHECK(check_alias(comm, fn, sendbuf, recvbuf, any));
    } else {
        for (int i = 0; i < c->size; i++)
            CHECK(check_in_place_block(comm, fn, recvcounts[i], recvtype, i));
    }
    return coll_failed(comm, fn,
                       coll_alltoallv(sendbuf, sendcounts, sdispls, sendtype, recvbuf, recvcounts, rdispls, recvtype, c));
}
MPI_WEAK(MPI_Alltoallv);

int PMPI_Alltoallw(const void *sendbuf, const int sendcounts[], const int sdispls[], const MPI_Datatype sendtypes[],
                   void *recvbuf, const int recvcounts[], const int rdispls[], const MPI_Datatype recvtypes[],
                   MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Alltoallw";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_alltoallw(sendbuf, sendcounts, sdispls, sendtypes, recvbuf, recvcounts, rdispls, recvtypes, comm);
    struct mpi_comm *c;
    char what[48];
    CHECK(check_comm(comm, fn, &c));
    CHECK(check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    CHECK(check_counts(comm, fn, "recvcounts", recvcounts, c->size));
    CHECK(check_array(comm, fn, "rdispls", rdispls));
    CHECK(check_array(comm, fn, "recvtypes", recvtypes));
    for (int i = 0; i < c->size; i++) {
        if (recvcounts[i] == 0)
            continue;
        snprintf(what, sizeof what, "recvtypes[%d]", i);
        CHECK(check_type(comm, fn, what, recvtypes[i]));
    }
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(check_counts(comm, fn, "sendcounts", sendcounts, c->size));
        CHECK(check_array(comm, fn, "sdispls", sdispls));
        CHECK(check_array(comm, fn, "sendtypes", sendtypes));
        int any = 0;
        for (int i = 0; i < c->size; i++) {
            any |= recvcounts[i] > 0;
            if (sendcounts[i] == 0)
                continue;
            snprintf(what, sizeof what, "sendtypes[%d]", i);
            CHECK(check_type(comm, fn, what, sendtypes[i]));
        }
        CHECK(check_alias(comm, fn, sendbuf, recvbuf, any));
    } else {
        for (int i = 0; i < c->size; i++)
            CHECK(check_in_place_block(comm, fn, recvcounts[i], recvtypes[i], i));
    }
    return coll_failed(comm, fn, coll_alltoallw(sendbuf, sendcounts, sdispls, sendtypes, recvbuf, recvcounts,
                                                rdispls, recvtypes, c));
}
MPI_WEAK(MPI_Alltoallw);
