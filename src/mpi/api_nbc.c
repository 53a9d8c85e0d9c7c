/* api_nbc.c — the nonblocking collective functions of MPI (MPI_Ibarrier ...
 * MPI_Iexscan, MPI_Comm_idup): the argument checks of their blocking
 * forms (api_coll.c), then a schedule (nbc_sched.c). */
#include "nbc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call)                                                                                                \
    do {                                                                                                           \
        int rc_ = (call);                                                                                          \
        if (rc_ != MPI_SUCCESS)                                                                                    \
            return rc_;                                                                                            \
    } while (0)

static int check_comm(MPI_Comm comm, const char *fn, struct mpi_comm **out, MPI_Request *req)
{
    struct mpi_comm *c = comm_get(comm);
    *out = c;
    if (!c)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, fn, "0x%x is not a communicator (MPI_COMM_NULL, freed, or never one)",
                         (unsigned)comm);
    if (c->remote != MPI_GROUP_NULL)
        return mpi_error(comm, MPI_ERR_COMM, fn, "nonblocking collectives on intercommunicators are not supported");
    if (!req)
        return mpi_error(comm, MPI_ERR_ARG, fn, "the request argument is NULL");
    return MPI_SUCCESS;
}

static int check_count(MPI_Comm comm, const char *fn, const char *what, int count)
{
    return count < 0 ? mpi_error(comm, MPI_ERR_COUNT, fn, "%s is negative (%d)", what, count) : MPI_SUCCESS;
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
    return a ? MPI_SUCCESS : mpi_error(comm, MPI_ERR_ARG, fn, "%s is NULL", what);
}

static int check_type(MPI_Comm comm, const char *fn, const char *what, MPI_Datatype dt)
{
    const struct mpi_dtype *t = dtype_get(dt);
    if (!t)
        return mpi_error(comm, MPI_ERR_TYPE, fn, "%s 0x%x is not a datatype", what, (unsigned)dt);
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

/* As api_coll.c: a built-in operation must be defined for the datatype
 * (tried on one zeroed basic element). */
static int check_op(MPI_Comm comm, const char *fn, MPI_Op op, MPI_Datatype dt)
{
    if (op == MPI_REPLACE || op == MPI_NO_OP || !op_is_valid(op))
        return mpi_error(comm, MPI_ERR_OP, fn, "0x%x is not an operation for collectives", (unsigned)op);
    if (HANDLE_KIND(op) != HANDLE_BUILTIN)
        return MPI_SUCCESS;
    const struct mpi_dtype *t = dtype_get(dt);
    if (dtype_size(t) == 0)
        return MPI_SUCCESS;
    MPI_Datatype basic = dtype_basic(t);
    if (basic == MPI_DATATYPE_NULL)
        return mpi_error(comm, MPI_ERR_OP, fn, "the operation needs a datatype made of one basic type");
    union {
        long double ld[4];
        char bytes[64];
    } a = {{0}}, b = {{0}};
    if (dtype_size(dtype_get(basic)) <= sizeof a && op_apply(op, &a, &b, 1, basic) != MPI_SUCCESS)
        return mpi_error(comm, MPI_ERR_OP, fn, "the operation is not defined for the datatype given");
    return MPI_SUCCESS;
}

static int not_in_place(MPI_Comm comm, const char *fn, const void *buf, const char *what)
{
    if (buf == MPI_IN_PLACE)
        return mpi_error(comm, MPI_ERR_BUFFER, fn, "MPI_IN_PLACE is not allowed as %s here", what);
    return MPI_SUCCESS;
}

static int check_alias(MPI_Comm comm, const char *fn, const void *sbuf, const void *rbuf, int nonempty)
{
    if (nonempty && sbuf == rbuf && sbuf != MPI_BOTTOM && sbuf != MPI_IN_PLACE)
        return mpi_error(comm, MPI_ERR_BUFFER, fn, "sendbuf and recvbuf are the same buffer: pass MPI_IN_PLACE");
    return MPI_SUCCESS;
}

static int started(MPI_Comm comm, const char *fn, int rc)
{
    if (rc == MPI_SUCCESS)
        return MPI_SUCCESS;
    return mpi_error(comm, rc, fn,
                     rc == MPI_ERR_NO_MEM  ? "out of memory for the schedule"
                     : rc == MPI_ERR_COUNT ? "a reduction vector of more than 2 GiB is not supported by the nonblocking form"
                                           : "cannot start the collective");
}

static int check_reduction(MPI_Comm comm, const char *fn, struct mpi_comm **c, int count, MPI_Datatype type,
                           MPI_Op op, void *rbuf, const void *sbuf, MPI_Request *req)
{
    CHECK(check_comm(comm, fn, c, req));
    CHECK(check_count(comm, fn, "count", count));
    CHECK(check_type(comm, fn, "the datatype", type));
    CHECK(check_op(comm, fn, op, type));
    CHECK(not_in_place(comm, fn, rbuf, "recvbuf"));
    return check_alias(comm, fn, sbuf, rbuf, count > 0);
}

/* ------------------------------------------------------------------ the functions */

int PMPI_Ibarrier(MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Ibarrier";
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c, request));
    return started(comm, fn, nbc_ibarrier(c, request));
}
MPI_WEAK(MPI_Ibarrier);

int PMPI_Ibcast(void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Ibcast";
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c, request));
    CHECK(check_count(comm, fn, "count", count));
    CHECK(check_type(comm, fn, "the datatype", type));
    CHECK(check_root(comm, fn, root, c->size));
    CHECK(not_in_place(comm, fn, buf, "the buffer"));
    return started(comm, fn, nbc_ibcast(buf, count, type, root, c, request));
}
MPI_WEAK(MPI_Ibcast);

int PMPI_Ireduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype type, MPI_Op op, int root, MPI_Comm comm,
                 MPI_Request *request)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Ireduce";
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c, request));
    CHECK(check_count(comm, fn, "count", count));
    CHECK(check_type(comm, fn, "the datatype", type));
    CHECK(check_op(comm, fn, op, type));
    CHECK(check_root(comm, fn, root, c->size));
    if (c->rank == root) {
        CHECK(not_in_place(comm, fn, recvbuf, "recvbuf"));
        CHECK(check_alias(comm, fn, sendbuf, recvbuf, count > 0));
    } else {
        CHECK(not_in_place(comm, fn, sendbuf, "sendbuf (only at the root)"));
    }
    return started(comm, fn, nbc_ireduce(sendbuf, recvbuf, count, type, op, root, c, request));
}
MPI_WEAK(MPI_Ireduce);

int PMPI_Iallreduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm,
                    MPI_Request *request)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Iallreduce";
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c;
    CHECK(check_reduction(comm, fn, &c, count, type, op, recvbuf, sendbuf, request));
    return started(comm, fn, nbc_iallreduce(sendbuf, recvbuf, count, type, op, c, request));
}
MPI_WEAK(MPI_Iallreduce);

int PMPI_Ireduce_scatter(const void *sendbuf, void *recvbuf, const int recvcounts[], MPI_Datatype type, MPI_Op op,
                         MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Ireduce_scatter";
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c, request));
    CHECK(check_counts(comm, fn, "recvcounts", recvcounts, c->size));
    CHECK(check_type(comm, fn, "the datatype", type));
    CHECK(check_op(comm, fn, op, type));
    CHECK(not_in_place(comm, fn, recvbuf, "recvbuf"));
    int any = 0;
    for (int i = 0; i < c->size; i++)
        any |= recvcounts[i] > 0;
    CHECK(check_alias(comm, fn, sendbuf, recvbuf, any));
    return started(comm, fn, nbc_ireduce_scatter(sendbuf, recvbuf, recvcounts, type, op, c, request));
}
MPI_WEAK(MPI_Ireduce_scatter);

int PMPI_Ireduce_scatter_block(const void *sendbuf, void *recvbuf, int recvcount, MPI_Datatype type, MPI_Op op,
                               MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Ireduce_scatter_block";
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c;
    CHECK(check_reduction(comm, fn, &c, recvcount, type, op, recvbuf, sendbuf, request));
    int *counts = malloc((size_t)c->size * sizeof *counts);
    if (!counts)
        return started(comm, fn, MPI_ERR_NO_MEM);
    for (int i = 0; i < c->size; i++)
        counts[i] = recvcount;
    int rc = nbc_ireduce_scatter(sendbuf, recvbuf, counts, type, op, c, request);
    free(counts);
    return started(comm, fn, rc);
}
MPI_WEAK(MPI_Ireduce_scatter_block);

int PMPI_Iscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm,
               MPI_Request *request)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Iscan";
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c;
    CHECK(check_reduction(comm, fn, &c, count, type, op, recvbuf, sendbuf, request));
    return started(comm, fn, nbc_iscan(sendbuf, recvbuf, count, type, op, c, 0, request));
}
MPI_WEAK(MPI_Iscan);

int PMPI_Iexscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm,
                 MPI_Request *request)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Iexscan";
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c;
    CHECK(check_reduction(comm, fn, &c, count, type, op, recvbuf, sendbuf, request));
    return started(comm, fn, nbc_iscan(sendbuf, recvbuf, count, type, op, c, 1, request));
}
MPI_WEAK(MPI_Iexscan);

/* Gather(v): rcounts NULL for the regular form. */
static int gather_common(const char *fn, const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                         int recvcount, const int *recvcounts, const int *displs, MPI_Datatype recvtype, int root,
                         MPI_Comm comm, MPI_Request *request, int v)
{
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c, request));
    CHECK(check_root(comm, fn, root, c->size));
    if (c->rank == root) {
        CHECK(not_in_place(comm, fn, recvbuf, "recvbuf"));
        if (v) {
            CHECK(check_counts(comm, fn, "recvcounts", recvcounts, c->size));
            CHECK(check_array(comm, fn, "displs", displs));
        } else {
            CHECK(check_count(comm, fn, "recvcount", recvcount));
        }
        CHECK(check_type(comm, fn, "recvtype", recvtype));
        CHECK(check_alias(comm, fn, sendbuf, recvbuf, (v ? recvcounts[root] : recvcount) > 0));
    } else {
        CHECK(not_in_place(comm, fn, sendbuf, "sendbuf (only at the root)"));
    }
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(check_count(comm, fn, "sendcount", sendcount));
        CHECK(check_type(comm, fn, "sendtype", sendtype));
    }
    return started(comm, fn, nbc_igatherv(sendbuf, sendcount, sendtype, recvbuf, recvcount, v ? recvcounts : NULL,
                                          v ? displs : NULL, recvtype, root, c, request));
}

int PMPI_Igather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                 MPI_Datatype recvtype, int root, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    return gather_common("MPI_Igather", sendbuf, sendcount, sendtype, recvbuf, recvcount, NULL, NULL, recvtype, root,
                         comm, request, 0);
}
MPI_WEAK(MPI_Igather);

int PMPI_Igatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                  const int displs[], MPI_Datatype recvtype, int root, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    return gather_common("MPI_Igatherv", sendbuf, sendcount, sendtype, recvbuf, 0, recvcounts, displs, recvtype, root,
                         comm, request, 1);
}
MPI_WEAK(MPI_Igatherv);

static int scatter_common(const char *fn, const void *sendbuf, int sendcount, const int *sendcounts,
                          const int *displs, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                          MPI_Datatype recvtype, int root, MPI_Comm comm, MPI_Request *request, int v)
{
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c, request));
    CHECK(check_root(comm, fn, root, c->size));
    if (c->rank == root) {
        CHECK(not_in_place(comm, fn, sendbuf, "sendbuf"));
        if (v) {
            CHECK(check_counts(comm, fn, "sendcounts", sendcounts, c->size));
            CHECK(check_array(comm, fn, "displs", displs));
        } else {
            CHECK(check_count(comm, fn, "sendcount", sendcount));
        }
        CHECK(check_type(comm, fn, "sendtype", sendtype));
        CHECK(check_alias(comm, fn, sendbuf, recvbuf, (v ? sendcounts[root] : sendcount) > 0));
    } else {
        CHECK(not_in_place(comm, fn, recvbuf, "recvbuf (only at the root)"));
    }
    if (recvbuf != MPI_IN_PLACE) {
        CHECK(check_count(comm, fn, "recvcount", recvcount));
        CHECK(check_type(comm, fn, "recvtype", recvtype));
    }
    return started(comm, fn, nbc_iscatterv(sendbuf, sendcount, v ? sendcounts : NULL, v ? displs : NULL, sendtype,
                                           recvbuf, recvcount, recvtype, root, c, request));
}

int PMPI_Iscatter(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                  MPI_Datatype recvtype, int root, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    return scatter_common("MPI_Iscatter", sendbuf, sendcount, NULL, NULL, sendtype, recvbuf, recvcount, recvtype, root,
                          comm, request, 0);
}
MPI_WEAK(MPI_Iscatter);

int PMPI_Iscatterv(const void *sendbuf, const int sendcounts[], const int displs[], MPI_Datatype sendtype,
                   void *recvbuf, int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    return scatter_common("MPI_Iscatterv", sendbuf, 0, sendcounts, displs, sendtype, recvbuf, recvcount, recvtype,
                          root, comm, request, 1);
}
MPI_WEAK(MPI_Iscatterv);

static int allgather_common(const char *fn, const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                            void *recvbuf, int recvcount, const int *recvcounts, const int *displs,
                            MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request, int v)
{
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c, request));
    CHECK(not_in_place(comm, fn, recvbuf, "recvbuf"));
    if (v) {
        CHECK(check_counts(comm, fn, "recvcounts", recvcounts, c->size));
        CHECK(check_array(comm, fn, "displs", displs));
    } else {
        CHECK(check_count(comm, fn, "recvcount", recvcount));
    }
    CHECK(check_type(comm, fn, "recvtype", recvtype));
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(check_count(comm, fn, "sendcount", sendcount));
        CHECK(check_type(comm, fn, "sendtype", sendtype));
        CHECK(check_alias(comm, fn, sendbuf, recvbuf, (v ? recvcounts[c->rank] : recvcount) > 0));
    }
    return started(comm, fn, nbc_iallgatherv(sendbuf, sendcount, sendtype, recvbuf, recvcount, v ? recvcounts : NULL,
                                             v ? displs : NULL, recvtype, c, request));
}

int PMPI_Iallgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                    MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    return allgather_common("MPI_Iallgather", sendbuf, sendcount, sendtype, recvbuf, recvcount, NULL, NULL, recvtype,
                            comm, request, 0);
}
MPI_WEAK(MPI_Iallgather);

int PMPI_Iallgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                     const int recvcounts[], const int displs[], MPI_Datatype recvtype, MPI_Comm comm,
                     MPI_Request *request)
{
    MPI_SECTION();
    return allgather_common("MPI_Iallgatherv", sendbuf, sendcount, sendtype, recvbuf, 0, recvcounts, displs, recvtype,
                            comm, request, 1);
}
MPI_WEAK(MPI_Iallgatherv);

/* The three alltoalls: per-peer counts, byte displacements and types are
 * built here; `unit_s`/`unit_r` scale element displacements (0: bytes). */
static int alltoall_common(const char *fn, const void *sendbuf, const int *scounts, const int *sdispls,
                           const MPI_Datatype *stypes, MPI_Datatype stype, void *recvbuf, const int *rcounts,
                           const int *rdispls, const MPI_Datatype *rtypes, MPI_Datatype rtype, int scount,
                           int rcount, int form, MPI_Comm comm, MPI_Request *request)
{
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c;
    char what[48];
    CHECK(check_comm(comm, fn, &c, request));
    int n = c->size, in_place = sendbuf == MPI_IN_PLACE;
    CHECK(not_in_place(comm, fn, recvbuf, "recvbuf"));
    /* form 0: alltoall, 1: alltoallv, 2: alltoallw */
    if (form == 0) {
        CHECK(check_count(comm, fn, "recvcount", rcount));
    } else {
        CHECK(check_counts(comm, fn, "recvcounts", rcounts, n));
        CHECK(check_array(comm, fn, "rdispls", rdispls));
    }
    if (form == 2)
        CHECK(check_array(comm, fn, "recvtypes", rtypes));
    else
        CHECK(check_type(comm, fn, "recvtype", rtype));
    if (!in_place) {
        if (form == 0) {
            CHECK(check_count(comm, fn, "sendcount", scount));
        } else {
            CHECK(check_counts(comm, fn, "sendcounts", scounts, n));
            CHECK(check_array(comm, fn, "sdispls", sdispls));
        }
        if (form == 2)
            CHECK(check_array(comm, fn, "sendtypes", stypes));
        else
            CHECK(check_type(comm, fn, "sendtype", stype));
    }
    int *sc = malloc(2 * (size_t)n * sizeof *sc);
    MPI_Aint *sd = malloc(2 * (size_t)n * sizeof *sd);
    MPI_Datatype *st = malloc(2 * (size_t)n * sizeof *st);
    if (!sc || !sd || !st) {
        free(sc);
        free(sd);
        free(st);
        return started(comm, fn, MPI_ERR_NO_MEM);
    }
    int *rc_ = sc + n;
    MPI_Aint *rd = sd + n;
    MPI_Datatype *rt = st + n;
    int rc = MPI_SUCCESS, any = 0;
    for (int i = 0; i < n && rc == MPI_SUCCESS; i++) {
        rt[i] = form == 2 ? rtypes[i] : rtype;
        rc_[i] = form == 0 ? rcount : rcounts[i];
        if (form == 2 && rc_[i] > 0) {
            snprintf(what, sizeof what, "recvtypes[%d]", i);
            rc = check_type(comm, fn, what, rt[i]);
        }
        if (rc == MPI_SUCCESS && in_place && rc_[i] > 0 && (size_t)rc_[i] * dtype_size(dtype_get(rt[i])) > INT_MAX)
            rc = mpi_error(comm, MPI_ERR_COUNT, fn, "with MPI_IN_PLACE a block may hold at most %d bytes", INT_MAX);
        if (rc != MPI_SUCCESS)
            break;
        MPI_Aint rext = rc_[i] > 0 || form != 2 ? dtype_extent(dtype_get(rt[i])) : 0;
        rd[i] = form == 0 ? (MPI_Aint)i * rcount * rext : form == 1 ? rdispls[i] * rext : rdispls[i];
        any |= rc_[i] > 0;
        if (in_place)
            continue;
        st[i] = form == 2 ? stypes[i] : stype;
        sc[i] = form == 0 ? scount : scounts[i];
        if (form == 2 && sc[i] > 0) {
            snprintf(what, sizeof what, "sendtypes[%d]", i);
            rc = check_type(comm, fn, what, st[i]);
            if (rc != MPI_SUCCESS)
                break;
        }
        MPI_Aint sext = sc[i] > 0 || form != 2 ? dtype_extent(dtype_get(st[i])) : 0;
        sd[i] = form == 0 ? (MPI_Aint)i * scount * sext : form == 1 ? sdispls[i] * sext : sdispls[i];
    }
    if (rc == MPI_SUCCESS && !in_place)
        rc = check_alias(comm, fn, sendbuf, recvbuf, any);
    if (rc == MPI_SUCCESS)
        rc = started(comm, fn, nbc_ialltoallw(sendbuf, sc, sd, st, recvbuf, rc_, rd, rt, c, request));
    free(sc);
    free(sd);
    free(st);
    return rc;
}

int PMPI_Ialltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                   MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    return alltoall_common("MPI_Ialltoall", sendbuf, NULL, NULL, NULL, sendtype, recvbuf, NULL, NULL, NULL, recvtype,
                           sendcount, recvcount, 0, comm, request);
}
MPI_WEAK(MPI_Ialltoall);

int PMPI_Ialltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[], MPI_Datatype sendtype,
                    void *recvbuf, const int recvcounts[], const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm,
                    MPI_Request *request)
{
    MPI_SECTION();
    return alltoall_common("MPI_Ialltoallv", sendbuf, sendcounts, sdispls, NULL, sendtype, recvbuf, recvcounts,
                           rdispls, NULL, recvtype, 0, 0, 1, comm, request);
}
MPI_WEAK(MPI_Ialltoallv);

int PMPI_Ialltoallw(const void *sendbuf, const int sendcounts[], const int sdispls[], const MPI_Datatype sendtypes[],
                    void *recvbuf, const int recvcounts[], const int rdispls[], const MPI_Datatype recvtypes[],
                    MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    return alltoall_common("MPI_Ialltoallw", sendbuf, sendcounts, sdispls, sendtypes, MPI_DATATYPE_NULL, recvbuf,
                           recvcounts, rdispls, recvtypes, MPI_DATATYPE_NULL, 0, 0, 2, comm, request);
}
MPI_WEAK(MPI_Ialltoallw);

/* The new communicator's context is agreed on at the call, as MPI_Comm_dup
 * does (a collective exchange among the members); the request is complete
 * at once. */
int PMPI_Comm_idup(MPI_Comm comm, MPI_Comm *newcomm, MPI_Request *request)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Comm_idup";
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c;
    CHECK(check_comm(comm, fn, &c, request));
    CHECK(PMPI_Comm_dup(comm, newcomm));
    struct mpi_request *r;
    *request = request_new(REQ_COLL, &r);
    if (*request == MPI_REQUEST_NULL)
        return mpi_error(comm, MPI_ERR_NO_MEM, fn, "out of memory");
    r->comm = comm;
    r->complete = 1;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_idup);
