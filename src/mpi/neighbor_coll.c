/* neighbor_coll.c — the blocking neighbourhood collectives
 * (MPI_Neighbor_allgather(v), MPI_Neighbor_alltoall(v,w)) on Cartesian,
 * graph and distributed-graph communicators: argument checks, then every
 * receive from the in-neighbours and every send to the out-neighbours
 * started at once and waited for together.
 *
 * Block i of the receive buffer comes from in-neighbour i, block i of the
 * send buffer (alltoall forms) goes to out-neighbour i, in the order of
 * topo_neighbors (topo.c): on a grid, for each dimension the -1 then the
 * +1 neighbour; an MPI_PROC_NULL neighbour off the edge of a non-periodic
 * dimension keeps its block, which nothing is sent from or written to.
 * Traffic uses the collective context with tags from NEIGHBOR_TAG up
 * (below COLL_TAG_BASE, apart from the other collectives' tags).  The
 * nonblocking forms (MPI_Ineighbor_*) are not in the library. */
#include <stdlib.h>

#include "coll.h"
#include "coll_args.h"
#include "topo.h"

#define NEIGHBOR_TAG (COLL_TAG_BASE / 2)

/* One block: where, how many, of what. */
struct block {
    char *buf;
    int count;
    MPI_Datatype dt;
};

/* The communicator, its neighbourhood (nb, to free with topo_nbrs_free on
 * success) and the buffers' sanity. */
static int start(MPI_Comm comm, const char *fn, const void *sbuf, const void *rbuf, struct mpi_comm **c,
                 struct topo_nbrs *nb)
{
    CHECK(coll_check_comm(comm, fn, NULL, c));
    const struct topo *t = topo_of(*c);
    if (!t)
        return mpi_error(comm, MPI_ERR_TOPOLOGY, fn,
                         "the communicator has no process topology (make one with MPI_Cart_create, "
                         "MPI_Graph_create or MPI_Dist_graph_create)");
    if (sbuf == MPI_IN_PLACE || rbuf == MPI_IN_PLACE)
        return mpi_error(comm, MPI_ERR_BUFFER, fn, "MPI_IN_PLACE is not allowed in neighbourhood collectives");
    if (topo_neighbors(t, (*c)->rank, nb) != MPI_SUCCESS)
        return mpi_error(comm, MPI_ERR_NO_MEM, fn, "out of memory");
    return MPI_SUCCESS;
}

/* Receives every in block and sends every out block; blocks of 0 bytes and
 * MPI_PROC_NULL neighbours move nothing. */
static int exchange(struct mpi_comm *c, const struct topo_nbrs *nb, const struct block *in, const struct block *out)
{
    struct coll_reqs q;
    coll_reqs_init(&q);
    int rc = MPI_SUCCESS;
    for (int i = 0; i < nb->nin && rc == MPI_SUCCESS; i++)
        if (nb->in[i] != MPI_PROC_NULL)
            rc = coll_irecv_typed(&q, in[i].buf, in[i].count, in[i].dt, nb->in[i], NEIGHBOR_TAG + nb->intag[i], c);
    for (int i = 0; i < nb->nout && rc == MPI_SUCCESS; i++)
        if (nb->out[i] != MPI_PROC_NULL)
            rc = coll_isend_typed(&q, out[i].buf, out[i].count, out[i].dt, nb->out[i], NEIGHBOR_TAG + nb->outtag[i],
                                  c);
    int wrc = coll_reqs_wait(&q);
    coll_reqs_free(&q);
    return rc ? rc : wrc;
}

/* Allocates the two block lists and runs the exchange; fill_in/fill_out
 * describe block i. */
struct args {
    const void *sbuf;
    void *rbuf;
    int scount, rcount;
    const int *scounts, *rcounts, *sdispls, *rdispls;
    const MPI_Aint *sbdispls, *rbdispls;
    MPI_Datatype sdt, rdt;
    const MPI_Datatype *sdts, *rdts;
    int kind; /* 0 allgather, 1 allgatherv, 2 alltoall, 3 alltoallv, 4 alltoallw */
};

static struct block block_of(int kind, int recv, const struct args *a, int i)
{
    const void *buf = recv ? a->rbuf : a->sbuf;
    MPI_Datatype dt = recv ? a->rdt : a->sdt;
    int count = recv ? a->rcount : a->scount;
    struct block b = { (char *)buf, count, dt };
    switch (kind) {
    case 0:
        if (recv)
            b.buf = coll_elem(buf, (size_t)i * (size_t)count, dt);
        break;
    case 1:
        if (recv) {
            b.count = a->rcounts[i];
            b.buf = coll_elem(buf, 0, dt) + (MPI_Aint)a->rdispls[i] * dtype_extent(dtype_get(dt));
        }
        break;
    case 2:
        b.buf = coll_elem(buf, (size_t)i * (size_t)count, dt);
        break;
    case 3: {
        const int *counts = recv ? a->rcounts : a->scounts, *displs = recv ? a->rdispls : a->sdispls;
        b.count = counts[i];
        b.buf = (char *)buf + (MPI_Aint)displs[i] * dtype_extent(dtype_get(dt));
        break;
    }
    default:
        b.count = (recv ? a->rcounts : a->scounts)[i];
        b.dt = (recv ? a->rdts : a->sdts)[i];
        b.buf = (char *)buf + (recv ? a->rbdispls : a->sbdispls)[i];
        break;
    }
    return b;
}

static int run(MPI_Comm comm, const char *fn, struct mpi_comm *c, struct topo_nbrs *nb, const struct args *a)
{
    struct block *in = malloc(((size_t)nb->nin + (size_t)nb->nout + 1) * sizeof *in), *out = in ? in + nb->nin : NULL;
    if (!in) {
        topo_nbrs_free(nb);
        return mpi_error(comm, MPI_ERR_NO_MEM, fn, "out of memory");
    }
    for (int i = 0; i < nb->nin; i++)
        in[i] = block_of(a->kind, 1, a, i);
    for (int i = 0; i < nb->nout; i++)
        out[i] = block_of(a->kind, 0, a, i);
    int rc = exchange(c, nb, in, out);
    free(in);
    topo_nbrs_free(nb);
    return rc ? mpi_error(comm, rc, fn, "the exchange with the neighbours failed") : MPI_SUCCESS;
}

/* Counts and displacements of the v and w forms, one per neighbour (n);
 * both may be NULL where there are no neighbours. */
static int check_v(MPI_Comm comm, const char *fn, const char *counts_name, const int *counts,
                   const char *displs_name, const void *displs, int n)
{
    if (n == 0)
        return MPI_SUCCESS;
    CHECK(coll_check_counts(comm, fn, counts_name, counts, n));
    return coll_check_array(comm, fn, displs_name, displs);
}

#define FAIL_IF(expr)                  \
    do {                               \
        int rc_ = (expr);              \
        if (rc_) {                     \
            topo_nbrs_free(&nb);       \
            return rc_;                \
        }                              \
    } while (0)

int PMPI_Neighbor_allgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                            MPI_Datatype recvtype, MPI_Comm comm)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Neighbor_allgather");
    const char *fn = "MPI_Neighbor_allgather";
    struct mpi_comm *c;
    struct topo_nbrs nb;
    int rc = start(comm, fn, sendbuf, recvbuf, &c, &nb);
    if (rc)
        return rc;
    FAIL_IF(coll_check_count(comm, fn, "sendcount", sendcount));
    FAIL_IF(coll_check_count(comm, fn, "recvcount", recvcount));
    FAIL_IF(coll_check_type(comm, fn, "sendtype", sendtype));
    FAIL_IF(coll_check_type(comm, fn, "recvtype", recvtype));
    struct args a = { .sbuf = sendbuf, .rbuf = recvbuf, .scount = sendcount, .rcount = recvcount,
                      .sdt = sendtype, .rdt = recvtype, .kind = 0 };
    return run(comm, fn, c, &nb, &a);
}
MPI_WEAK(MPI_Neighbor_allgather);

int PMPI_Neighbor_allgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                             const int recvcounts[], const int displs[], MPI_Datatype recvtype, MPI_Comm comm)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Neighbor_allgatherv");
    const char *fn = "MPI_Neighbor_allgatherv";
    struct mpi_comm *c;
    struct topo_nbrs nb;
    int rc = start(comm, fn, sendbuf, recvbuf, &c, &nb);
    if (rc)
        return rc;
    FAIL_IF(coll_check_count(comm, fn, "sendcount", sendcount));
    FAIL_IF(check_v(comm, fn, "recvcounts", recvcounts, "displs", displs, nb.nin));
    FAIL_IF(coll_check_type(comm, fn, "sendtype", sendtype));
    FAIL_IF(coll_check_type(comm, fn, "recvtype", recvtype));
    struct args a = { .sbuf = sendbuf, .rbuf = recvbuf, .scount = sendcount, .rcounts = recvcounts,
                      .rdispls = displs, .sdt = sendtype, .rdt = recvtype, .kind = 1 };
    return run(comm, fn, c, &nb, &a);
}
MPI_WEAK(MPI_Neighbor_allgatherv);

int PMPI_Neighbor_alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                           MPI_Datatype recvtype, MPI_Comm comm)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Neighbor_alltoall");
    const char *fn = "MPI_Neighbor_alltoall";
    struct mpi_comm *c;
    struct topo_nbrs nb;
    int rc = start(comm, fn, sendbuf, recvbuf, &c, &nb);
    if (rc)
        return rc;
    FAIL_IF(coll_check_count(comm, fn, "sendcount", sendcount));
    FAIL_IF(coll_check_count(comm, fn, "recvcount", recvcount));
    FAIL_IF(coll_check_type(comm, fn, "sendtype", sendtype));
    FAIL_IF(coll_check_type(comm, fn, "recvtype", recvtype));
    struct args a = { .sbuf = sendbuf, .rbuf = recvbuf, .scount = sendcount, .rcount = recvcount,
                      .sdt = sendtype, .rdt = recvtype, .kind = 2 };
    return run(comm, fn, c, &nb, &a);
}
MPI_WEAK(MPI_Neighbor_alltoall);

int PMPI_Neighbor_alltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[], MPI_Datatype sendtype,
                            void *recvbuf, const int recvcounts[], const int rdispls[], MPI_Datatype recvtype,
                            MPI_Comm comm)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Neighbor_alltoallv");
    const char *fn = "MPI_Neighbor_alltoallv";
    struct mpi_comm *c;
    struct topo_nbrs nb;
    int rc = start(comm, fn, sendbuf, recvbuf, &c, &nb);
    if (rc)
        return rc;
    FAIL_IF(check_v(comm, fn, "sendcounts", sendcounts, "sdispls", sdispls, nb.nout));
    FAIL_IF(check_v(comm, fn, "recvcounts", recvcounts, "rdispls", rdispls, nb.nin));
    FAIL_IF(coll_check_type(comm, fn, "sendtype", sendtype));
    FAIL_IF(coll_check_type(comm, fn, "recvtype", recvtype));
    struct args a = { .sbuf = sendbuf, .rbuf = recvbuf, .scounts = sendcounts, .rcounts = recvcounts,
                      .sdispls = sdispls, .rdispls = rdispls, .sdt = sendtype, .rdt = recvtype, .kind = 3 };
    return run(comm, fn, c, &nb, &a);
}
MPI_WEAK(MPI_Neighbor_alltoallv);

int PMPI_Neighbor_alltoallw(const void *sendbuf, const int sendcounts[], const MPI_Aint sdispls[],
                            const MPI_Datatype sendtypes[], void *recvbuf, const int recvcounts[],
                            const MPI_Aint rdispls[], const MPI_Datatype recvtypes[], MPI_Comm comm)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Neighbor_alltoallw");
    const char *fn = "MPI_Neighbor_alltoallw";
    struct mpi_comm *c;
    struct topo_nbrs nb;
    int rc = start(comm, fn, sendbuf, recvbuf, &c, &nb);
    if (rc)
        return rc;
    FAIL_IF(check_v(comm, fn, "sendcounts", sendcounts, "sdispls", sdispls, nb.nout));
    FAIL_IF(check_v(comm, fn, "recvcounts", recvcounts, "rdispls", rdispls, nb.nin));
    if (nb.nout > 0)
        FAIL_IF(coll_check_array(comm, fn, "sendtypes", sendtypes));
    if (nb.nin > 0)
        FAIL_IF(coll_check_array(comm, fn, "recvtypes", recvtypes));
    for (int i = 0; i < nb.nout; i++)
        FAIL_IF(coll_check_type(comm, fn, "a send type", sendtypes[i]));
    for (int i = 0; i < nb.nin; i++)
        FAIL_IF(coll_check_type(comm, fn, "a receive type", recvtypes[i]));
    struct args a = { .sbuf = sendbuf, .rbuf = recvbuf, .scounts = sendcounts, .rcounts = recvcounts,
                      .sbdispls = sdispls, .rbdispls = rdispls, .sdts = sendtypes, .rdts = recvtypes, .kind = 4 };
    return run(comm, fn, c, &nb, &a);
}
MPI_WEAK(MPI_Neighbor_alltoallw);
