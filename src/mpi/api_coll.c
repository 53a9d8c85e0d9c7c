/* api_coll.c — the blocking collective functions of MPI: argument checks,
 * then the algorithms of coll_*.c.
 *
 * Checks are local: what every rank passes must agree (counts, roots,
 * operations), which no rank can see alone; a disagreement shows up as a
 * truncation or a hang, as in every MPI.  MPI_IN_PLACE is accepted exactly
 * where MPI-3.1 allows it and refused with MPI_ERR_BUFFER elsewhere. */
#include "coll.h"
#include "coll_args.h"
#include "coll_inter.h"

#include <stdio.h>

/* Why an intercommunicator is refused where the call has no intercommunicator
 * form (the others go to coll_inter.c first). */
static const char intra_only[] = "this call needs an intracommunicator";

/* ------------------------------------------------------------------ the functions */

int PMPI_Barrier(MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Barrier";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_barrier(comm);
    struct mpi_comm *c;
    CHECK(coll_check_comm(comm, fn, intra_only, &c));
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
    CHECK(coll_check_comm(comm, fn, intra_only, &c));
    CHECK(coll_check_count(comm, fn, "count", count));
    CHECK(coll_check_type(comm, fn, "the datatype", type));
    CHECK(coll_check_root(comm, fn, root, c->size));
    CHECK(coll_check_not_in_place(comm, fn, buf, "the buffer"));
    return coll_failed(comm, fn, coll_bcast(buf, count, type, root, c));
}
MPI_WEAK(MPI_Bcast);

/* The communicator and what every reduction checks. */
static int check_reduction(MPI_Comm comm, const char *fn, struct mpi_comm **c, int count, MPI_Datatype type,
                           MPI_Op op)
{
    CHECK(coll_check_comm(comm, fn, intra_only, c));
    return coll_check_reduction(comm, fn, count, type, op);
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
    CHECK(coll_check_root(comm, fn, root, c->size));
    if (c->rank == root)
        CHECK(coll_check_recvbuf(comm, fn, sendbuf, recvbuf, count > 0));
    else
        CHECK(coll_check_root_only_in_place(comm, fn, sendbuf, "sendbuf", c->rank, root));
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
    CHECK(coll_check_recvbuf(comm, fn, sendbuf, recvbuf, count > 0));
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
    CHECK(coll_check_comm(comm, fn, intra_only, &c));
    CHECK(coll_check_reduce_scatter(comm, fn, sendbuf, recvbuf, recvcounts, c->size, type, op));
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
    CHECK(coll_check_recvbuf(comm, fn, sendbuf, recvbuf, recvcount > 0));
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
    CHECK(coll_check_recvbuf(comm, fn, sendbuf, recvbuf, count > 0));
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
    CHECK(coll_check_recvbuf(comm, fn, sendbuf, recvbuf, count > 0));
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
    CHECK(coll_check_comm(comm, fn, intra_only, &c));
    CHECK(coll_check_root(comm, fn, root, c->size));
    if (c->rank == root) {
        CHECK(coll_check_not_in_place(comm, fn, recvbuf, "recvbuf"));
        CHECK(coll_check_count(comm, fn, "recvcount", recvcount));
        CHECK(coll_check_type(comm, fn, "recvtype", recvtype));
        CHECK(coll_check_alias(comm, fn, sendbuf, recvbuf, recvcount > 0));
    } else {
        CHECK(coll_check_root_only_in_place(comm, fn, sendbuf, "sendbuf", c->rank, root));
    }
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(coll_check_count(comm, fn, "sendcount", sendcount));
        CHECK(coll_check_type(comm, fn, "sendtype", sendtype));
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
    CHECK(coll_check_comm(comm, fn, intra_only, &c));
    CHECK(coll_check_root(comm, fn, root, c->size));
    if (c->rank == root) {
        CHECK(coll_check_not_in_place(comm, fn, recvbuf, "recvbuf"));
        CHECK(coll_check_counts(comm, fn, "recvcounts", recvcounts, c->size));
        CHECK(coll_check_array(comm, fn, "displs", displs));
        CHECK(coll_check_type(comm, fn, "recvtype", recvtype));
        CHECK(coll_check_alias(comm, fn, sendbuf, recvbuf, recvcounts[root] > 0));
    } else {
        CHECK(coll_check_root_only_in_place(comm, fn, sendbuf, "sendbuf", c->rank, root));
    }
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(coll_check_count(comm, fn, "sendcount", sendcount));
        CHECK(coll_check_type(comm, fn, "sendtype", sendtype));
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
    CHECK(coll_check_comm(comm, fn, intra_only, &c));
    CHECK(coll_check_root(comm, fn, root, c->size));
    if (c->rank == root) {
        CHECK(coll_check_not_in_place(comm, fn, sendbuf, "sendbuf"));
        CHECK(coll_check_count(comm, fn, "sendcount", sendcount));
        CHECK(coll_check_type(comm, fn, "sendtype", sendtype));
        CHECK(coll_check_alias(comm, fn, sendbuf, recvbuf, sendcount > 0));
    } else {
        CHECK(coll_check_root_only_in_place(comm, fn, recvbuf, "recvbuf", c->rank, root));
    }
    if (recvbuf != MPI_IN_PLACE) {
        CHECK(coll_check_count(comm, fn, "recvcount", recvcount));
        CHECK(coll_check_type(comm, fn, "recvtype", recvtype));
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
    CHECK(coll_check_comm(comm, fn, intra_only, &c));
    CHECK(coll_check_root(comm, fn, root, c->size));
    if (c->rank == root) {
        CHECK(coll_check_not_in_place(comm, fn, sendbuf, "sendbuf"));
        CHECK(coll_check_counts(comm, fn, "sendcounts", sendcounts, c->size));
        CHECK(coll_check_array(comm, fn, "displs", displs));
        CHECK(coll_check_type(comm, fn, "sendtype", sendtype));
        CHECK(coll_check_alias(comm, fn, sendbuf, recvbuf, sendcounts[root] > 0));
    } else {
        CHECK(coll_check_root_only_in_place(comm, fn, recvbuf, "recvbuf", c->rank, root));
    }
    if (recvbuf != MPI_IN_PLACE) {
        CHECK(coll_check_count(comm, fn, "recvcount", recvcount));
        CHECK(coll_check_type(comm, fn, "recvtype", recvtype));
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
    CHECK(coll_check_comm(comm, fn, intra_only, &c));
    CHECK(coll_check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    CHECK(coll_check_count(comm, fn, "recvcount", recvcount));
    CHECK(coll_check_type(comm, fn, "recvtype", recvtype));
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(coll_check_count(comm, fn, "sendcount", sendcount));
        CHECK(coll_check_type(comm, fn, "sendtype", sendtype));
        CHECK(coll_check_alias(comm, fn, sendbuf, recvbuf, recvcount > 0));
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
    CHECK(coll_check_comm(comm, fn, intra_only, &c));
    CHECK(coll_check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    CHECK(coll_check_counts(comm, fn, "recvcounts", recvcounts, c->size));
    CHECK(coll_check_array(comm, fn, "displs", displs));
    CHECK(coll_check_type(comm, fn, "recvtype", recvtype));
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(coll_check_count(comm, fn, "sendcount", sendcount));
        CHECK(coll_check_type(comm, fn, "sendtype", sendtype));
        CHECK(coll_check_alias(comm, fn, sendbuf, recvbuf, recvcounts[c->rank] > 0));
    }
    return coll_failed(comm, fn,
                       coll_allgatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, c));
}
MPI_WEAK(MPI_Allgatherv);

int PMPI_Alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                  MPI_Datatype recvtype, MPI_Comm comm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Alltoall";
    MPI_CHECK_INIT(fn);
    if (coll_is_inter(comm))
        return inter_alltoall(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm);
    struct mpi_comm *c;
    CHECK(coll_check_comm(comm, fn, intra_only, &c));
    CHECK(coll_check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    CHECK(coll_check_count(comm, fn, "recvcount", recvcount));
    CHECK(coll_check_type(comm, fn, "recvtype", recvtype));
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(coll_check_count(comm, fn, "sendcount", sendcount));
        CHECK(coll_check_type(comm, fn, "sendtype", sendtype));
        CHECK(coll_check_alias(comm, fn, sendbuf, recvbuf, recvcount > 0));
    } else {
        CHECK(coll_check_in_place_block(comm, fn, recvcount, recvtype, 0));
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
    CHECK(coll_check_comm(comm, fn, intra_only, &c));
    CHECK(coll_check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    CHECK(coll_check_counts(comm, fn, "recvcounts", recvcounts, c->size));
    CHECK(coll_check_array(comm, fn, "rdispls", rdispls));
    CHECK(coll_check_type(comm, fn, "recvtype", recvtype));
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(coll_check_counts(comm, fn, "sendcounts", sendcounts, c->size));
        CHECK(coll_check_array(comm, fn, "sdispls", sdispls));
        CHECK(coll_check_type(comm, fn, "sendtype", sendtype));
        int any = 0;
        for (int i = 0; i < c->size; i++)
            any |= recvcounts[i] > 0;
        CHECK(coll_check_alias(comm, fn, sendbuf, recvbuf, any));
    } else {
        for (int i = 0; i < c->size; i++)
            CHECK(coll_check_in_place_block(comm, fn, recvcounts[i], recvtype, i));
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
    CHECK(coll_check_comm(comm, fn, intra_only, &c));
    CHECK(coll_check_not_in_place(comm, fn, recvbuf, "recvbuf"));
    CHECK(coll_check_counts(comm, fn, "recvcounts", recvcounts, c->size));
    CHECK(coll_check_array(comm, fn, "rdispls", rdispls));
    CHECK(coll_check_array(comm, fn, "recvtypes", recvtypes));
    for (int i = 0; i < c->size; i++) {
        if (recvcounts[i] == 0)
            continue;
        snprintf(what, sizeof what, "recvtypes[%d]", i);
        CHECK(coll_check_type(comm, fn, what, recvtypes[i]));
    }
    if (sendbuf != MPI_IN_PLACE) {
        CHECK(coll_check_counts(comm, fn, "sendcounts", sendcounts, c->size));
        CHECK(coll_check_array(comm, fn, "sdispls", sdispls));
        CHECK(coll_check_array(comm, fn, "sendtypes", sendtypes));
        int any = 0;
        for (int i = 0; i < c->size; i++) {
            any |= recvcounts[i] > 0;
            if (sendcounts[i] == 0)
                continue;
            snprintf(what, sizeof what, "sendtypes[%d]", i);
            CHECK(coll_check_type(comm, fn, what, sendtypes[i]));
        }
        CHECK(coll_check_alias(comm, fn, sendbuf, recvbuf, any));
    } else {
        for (int i = 0; i < c->size; i++)
            CHECK(coll_check_in_place_block(comm, fn, recvcounts[i], recvtypes[i], i));
    }
    return coll_failed(comm, fn, coll_alltoallw(sendbuf, sendcounts, sdispls, sendtypes, recvbuf, recvcounts,
                                                rdispls, recvtypes, c));
}
MPI_WEAK(MPI_Alltoallw);
