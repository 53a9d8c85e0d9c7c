/* api_nbc.c — the nonblocking collective functions of MPI (MPI_Ibarrier ...
 * MPI_Iexscan, MPI_Comm_idup): the argument checks of their blocking
 * forms (coll_args.c), then a schedule (nbc_sched.c). */
#include "coll_args.h"
#include "nbc.h"

#include <stdio.h>
#include <stdlib.h>

/* The communicator of a nonblocking collective, and somewhere to put the
 * request. */
static int check_comm(MPI_Comm comm, const char *fn, struct mpi_comm **out, MPI_Request *req)
{
    CHECK(coll_check_comm(comm, fn, "nonblocking collectives on intercommunicators are not supported", out));
    if (!req)
        return mpi_error(comm, MPI_ERR_ARG, fn, "the request argument is NULL");
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
    CHECK(coll_check_reduction(comm, fn, count, type, op));
    return coll_check_recvbuf(comm, fn, sbuf, rbuf, count > 0);
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
    CHECK(coll_check_count(comm, fn, "count", count));
    CHECK(coll_check_type(comm, fn, "the datatype", type));
    CHECK(coll_check_root(comm, fn, root, c->size));
    CHECK(coll_check_not_in_place(comm, fn, buf, "the buffer"));
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
    CHECK(coll_check_reduction(comm, fn, count, type, op));
    CHECK(coll_check_root(comm, fn, root, c->size));
    if (c->rank == root)
        CHECK(coll_check_recvbuf(comm, fn, sendbuf, recvbuf, count > 0));
    else
        CHECK(coll_check_root_only_in_place(comm, fn, sendbuf, "sendbuf", c->rank, root));
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
    CHECK(coll_check_reduce_scatter(comm, fn, sendbuf, recvbuf, recvcounts, c->size, type, op));
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
    CHECK(coll_check_root(comm, fn, root, c->size));
    if (c->rank == root) {
        CHECK(coll_check_not_in_place(comm, fn, recvbuf, "recvbuf"));
        if (v) {
            CHECK(coll_check_counts(comm, fn, "recvcounts", recvcounts, c->size));
            CHECK(coll_check_array(comm, fn, "displs", displs));
        } else {
            CHECK(coll_check_count(comm, fn, "recvcount", recvcount));
        }
        CHECK(coll_check_type(comm, fn, "recvtype", recvtype));
        CHECK(coll_check_alias(comm, fn, sendbuf, recvbuf, (v ? recvcounts[root] : recvcount) > 0));
    } else {
        CHECK(coll_check_root_only_in_place(comm, fn, sendbuf, "sendbuf", c->rank, root));
    }
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(coll_check_count(comm, fn, "sendcount", sendcount));
        CHECK(coll_check_type(comm, fn, "sendtype", sendtype));
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
    CHECK(coll_check_root(comm, fn, root, c->size));
    if (c->rank == root) {
        CHECK(coll_check_not_in_place(comm, fn, sendbuf, "sendbuf"));
        if (v) {
            CHECK(coll_check_counts(comm, fn, "sendcounts", sendcounts, c->size));
            CHECK(coll_check_array(comm, fn, "displs", displs));
        } else {
            CHECK(coll_check_count(comm, fn, "sendcount", sendcount));
        }
        CHECK(coll_check_type(comm, fn, "sendtype", sendtype));
        CHECK(coll_check_alias(comm, fn, sendbuf, recvbuf, (v ? sendcounts[root] : sendcount) > 0));
    } else {
        CHECK(coll_check_root_only_in_place(comm, fn, recvbuf, "recvbuf", c->rank, root));
    }
    if (recvbuf != MPI_IN_PLACE) {
        CHECK(coll_check_count(comm, fn, "recvcount", recvcount));
        CHECK(coll_check_type(comm, fn, "recvtype", recvtype));
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
    CHECK(coll_check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    if (v) {
        CHECK(coll_check_counts(comm, fn, "recvcounts", recvcounts, c->size));
        CHECK(coll_check_array(comm, fn, "displs", displs));
    } else {
        CHECK(coll_check_count(comm, fn, "recvcount", recvcount));
    }
    CHECK(coll_check_type(comm, fn, "recvtype", recvtype));
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(coll_check_count(comm, fn, "sendcount", sendcount));
        CHECK(coll_check_type(comm, fn, "sendtype", sendtype));
        CHECK(coll_check_alias(comm, fn, sendbuf, recvbuf, (v ? recvcounts[c->rank] : recvcount) > 0));
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
    CHECK(coll_check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    /* form 0: alltoall, 1: alltoallv, 2: alltoallw */
    if (form == 0) {
        CHECK(coll_check_count(comm, fn, "recvcount", rcount));
    } else {
        CHECK(coll_check_counts(comm, fn, "recvcounts", rcounts, n));
        CHECK(coll_check_array(comm, fn, "rdispls", rdispls));
    }
    if (form == 2)
        CHECK(coll_check_array(comm, fn, "recvtypes", rtypes));
    else
        CHECK(coll_check_type(comm, fn, "recvtype", rtype));
    if (!in_place) {
        if (form == 0) {
            CHECK(coll_check_count(comm, fn, "sendcount", scount));
        } else {
            CHECK(coll_check_counts(comm, fn, "sendcounts", scounts, n));
            CHECK(coll_check_array(comm, fn, "sdispls", sdispls));
        }
        if (form == 2)
            CHECK(coll_check_array(comm, fn, "sendtypes", stypes));
        else
            CHECK(coll_check_type(comm, fn, "sendtype", stype));
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
            rc = coll_check_type(comm, fn, what, rt[i]);
        }
        if (rc == MPI_SUCCESS && in_place)
            rc = coll_check_in_place_block(comm, fn, rc_[i], rt[i], i);
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
            rc = coll_check_type(comm, fn, what, st[i]);
            if (rc != MPI_SUCCESS)
                break;
        }
        MPI_Aint sext = sc[i] > 0 || form != 2 ? dtype_extent(dtype_get(st[i])) : 0;
        sd[i] = form == 0 ? (MPI_Aint)i * scount * sext : form == 1 ? sdispls[i] * sext : sdispls[i];
    }
    if (rc == MPI_SUCCESS && !in_place)
        rc = coll_check_alias(comm, fn, sendbuf, recvbuf, any);
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
