/* coll_inter.c — the blocking collectives on intercommunicators (MPI-2
 * semantics).  In rooted ones the root passes MPI_ROOT, the other processes
 * of its group MPI_PROC_NULL, the other group the root's rank in it; data
 * goes from one group to the other.  In the others each group gets what the
 * other group contributed.
 *
 * Algorithms: reductions and broadcasts run on each side's hidden local
 * intracommunicator (c->local_comm) with one exchange between the leaders
 * (rank 0 of each group) in between, so a reduction combines in the local
 * collective's fixed order and is deterministic.  Gathers, scatters and
 * the all-to-all kinds send each block straight to the process it is for.
 * Traffic between the groups is on the intercommunicator's collective
 * context with the tags of coll.h. */
#include <stdlib.h>

#include "coll.h"
#include "coll_args.h"
#include "coll_inter.h"

/* ------------------------------------------------------------------ checks */

/* Intercommunicators have no MPI_IN_PLACE: the names of the buffers in the
 * message say so. */
static const char inter_sbuf[] = "sendbuf on an intercommunicator", inter_rbuf[] = "recvbuf on an intercommunicator";

/* root: MPI_ROOT, MPI_PROC_NULL or a rank of the remote group. */
static int chk_root(MPI_Comm comm, const char *fn, const struct mpi_comm *c, int root)
{
    if (root == MPI_ROOT || root == MPI_PROC_NULL || (root >= 0 && root < comm_peer_size(c)))
        return MPI_SUCCESS;
    return mpi_error(comm, MPI_ERR_ROOT, fn,
                     "root %d is neither MPI_ROOT, MPI_PROC_NULL nor a rank of the remote group (size %d)", root,
                     comm_peer_size(c));
}

/* ------------------------------------------------------------------ helpers */

static struct mpi_comm *local_of(const struct mpi_comm *c) { return comm_get(c->local_comm); }

/* Room for count elements of dt as dt lays them out; *base is what to free. */
static void *typed_tmp(int count, MPI_Datatype dt, void **base)
{
    const struct mpi_dtype *t = dtype_get(dt);
    MPI_Aint ext = dtype_extent(t);
    if (count <= 0) {
        *base = coll_alloc(0);
        return *base;
    }
    MPI_Aint lo = dtype_true_lb(t) + (ext < 0 ? (MPI_Aint)(count - 1) * ext : 0);
    size_t span = (size_t)dtype_true_extent(t) + (size_t)(count - 1) * (size_t)(ext < 0 ? -ext : ext);
    *base = coll_alloc(span);
    return *base ? (char *)*base - lo : NULL;
}

/* The leaders swap count elements (sbuf to the remote leader, rbuf from it). */
static int leader_swap(const void *sbuf, void *rbuf, int count, MPI_Datatype dt, int tag, struct mpi_comm *c)
{
    return p2p_sendrecv(sbuf, count, dt, 0, tag, rbuf, count, dt, 0, tag, c, coll_ctx(c), MPI_STATUS_IGNORE);
}

/* One block per remote process, each way. */
struct block {
    const void *buf;
    int count;
    MPI_Datatype type;
};

static int exchange_blocks(struct mpi_comm *c, int tag, const struct block *send, const struct block *recv)
{
    int n = comm_peer_size(c), rc = MPI_SUCCESS;
    struct coll_reqs q;
    coll_reqs_init(&q);
    for (int i = 0; i < n && !rc; i++)
        if (recv)
            rc = coll_irecv_typed(&q, (void *)recv[i].buf, recv[i].count, recv[i].type, i, tag, c);
    for (int i = 0; i < n && !rc; i++)
        if (send)
            rc = coll_isend_typed(&q, send[i].buf, send[i].count, send[i].type, i, tag, c);
    int wrc = coll_reqs_wait(&q);
    coll_reqs_free(&q);
    return rc ? rc : wrc;
}

static struct block *blocks(int n)
{
    return malloc((size_t)(n > 0 ? n : 1) * sizeof(struct block));
}

/* ------------------------------------------------------------------ barrier, bcast */

int inter_barrier(MPI_Comm comm)
{
    static const char fn[] = "MPI_Barrier";
    struct mpi_comm *c = comm_get(comm), *l = local_of(c);
    char none = 0, got;
    /* Every local process has arrived; the leaders tell each other; so
     * every remote one has too. */
    int rc = coll_barrier(l);
    if (!rc && l->rank == 0)
        rc = leader_swap(&none, &got, 0, MPI_BYTE, COLL_TAG(CK_BARRIER, 0), c);
    if (!rc)
        rc = coll_barrier(l);
    return coll_failed(comm, fn, rc);
}

int inter_bcast(void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm)
{
    static const char fn[] = "MPI_Bcast";
    struct mpi_comm *c = comm_get(comm), *l = local_of(c);
    CHECK(coll_check_count(comm, fn, "count", count));
    CHECK(coll_check_type(comm, fn, "the datatype", type));
    CHECK(chk_root(comm, fn, c, root));
    CHECK(coll_check_not_in_place(comm, fn, buf, "the buffer on an intercommunicator"));
    int tag = COLL_TAG(CK_BCAST, 0), rc = MPI_SUCCESS;
    if (root == MPI_PROC_NULL)
        return MPI_SUCCESS;
    if (root == MPI_ROOT)
        return coll_failed(comm, fn, p2p_send(buf, count, type, 0, tag, c, coll_ctx(c)));
    if (l->rank == 0)
        rc = p2p_recv(buf, count, type, root, tag, c, coll_ctx(c), MPI_STATUS_IGNORE);
    if (!rc)
        rc = coll_bcast(buf, count, type, 0, l);
    return coll_failed(comm, fn, rc);
}

/* ------------------------------------------------------------------ reductions */

/* The local group's reduction of count elements, at the leader in *out (a
 * new buffer to free with *base; NULL elsewhere). */
static int reduce_local(const void *sbuf, int count, MPI_Datatype type, MPI_Op op, struct mpi_comm *l, void **out,
                        void **base)
{
    *out = *base = NULL;
    if (l->rank == 0 && !(*out = typed_tmp(count, type, base)))
        return MPI_ERR_NO_MEM;
    return coll_reduce(sbuf, *out, count, type, op, 0, l);
}

int inter_reduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op, int root, MPI_Comm comm)
{
    static const char fn[] = "MPI_Reduce";
    struct mpi_comm *c = comm_get(comm), *l = local_of(c);
    CHECK(chk_root(comm, fn, c, root));
    if (root == MPI_PROC_NULL)
        return MPI_SUCCESS;
    CHECK(coll_check_reduction(comm, fn, count, type, op));
    int tag = COLL_TAG(CK_REDUCE, 0);
    if (root == MPI_ROOT) {
        CHECK(coll_check_not_in_place(comm, fn, rbuf, inter_rbuf));
        return coll_failed(comm, fn, p2p_recv(rbuf, count, type, 0, tag, c, coll_ctx(c), MPI_STATUS_IGNORE));
    }
    CHECK(coll_check_not_in_place(comm, fn, sbuf, inter_sbuf));
    void *tmp, *base;
    int rc = reduce_local(sbuf, count, type, op, l, &tmp, &base);
    if (!rc && l->rank == 0)
        rc = p2p_send(tmp, count, type, root, tag, c, coll_ctx(c));
    free(base);
    return coll_failed(comm, fn, rc);
}

int inter_allreduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm)
{
    static const char fn[] = "MPI_Allreduce";
    struct mpi_comm *c = comm_get(comm), *l = local_of(c);
    CHECK(coll_check_reduction(comm, fn, count, type, op));
    CHECK(coll_check_not_in_place(comm, fn, sbuf, inter_sbuf));
    CHECK(coll_check_not_in_place(comm, fn, rbuf, inter_rbuf));
    void *tmp, *base;
    int rc = reduce_local(sbuf, count, type, op, l, &tmp, &base);
    if (!rc && l->rank == 0)
        rc = leader_swap(tmp, rbuf, count, type, COLL_TAG(CK_ALLREDUCE, 0), c);
    free(base);
    if (!rc)
        rc = coll_bcast(rbuf, count, type, 0, l);
    return coll_failed(comm, fn, rc);
}

/* Reduces n elements in the local group, swaps the result with the other
 * group, scatters the other group's among the local processes. */
static int reduce_swap_scatter(const void *sbuf, void *rbuf, int n, const int *rcounts, int rcount,
                               MPI_Datatype type, MPI_Op op, struct mpi_comm *c, int tag)
{
    struct mpi_comm *l = local_of(c);
    void *mine, *base, *theirs = NULL, *base2 = NULL;
    int rc = reduce_local(sbuf, n, type, op, l, &mine, &base);
    if (!rc && l->rank == 0) {
        if (!(theirs = typed_tmp(n, type, &base2)))
            rc = MPI_ERR_NO_MEM;
        else
            rc = leader_swap(mine, theirs, n, type, tag, c);
    }
    free(base);
    if (!rc && rcounts) {
        int *displs = malloc((size_t)l->size * sizeof *displs);
        if (!displs)
            rc = MPI_ERR_NO_MEM;
        else {
            for (int i = 0, d = 0; i < l->size; d += rcounts[i++])
                displs[i] = d;
            rc = coll_scatterv(theirs, rcounts, displs, type, rbuf, rcounts[l->rank], type, 0, l);
            free(displs);
        }
    } else if (!rc) {
        rc = coll_scatter(theirs, rcount, type, rbuf, rcount, type, 0, l);
    }
    free(base2);
    return rc;
}

int inter_reduce_scatter(const void *sbuf, void *rbuf, const int rcounts[], MPI_Datatype type, MPI_Op op,
                         MPI_Comm comm)
{
    static const char fn[] = "MPI_Reduce_scatter";
    struct mpi_comm *c = comm_get(comm);
    CHECK(coll_check_counts(comm, fn, "recvcounts", rcounts, c->size));
    CHECK(coll_check_type(comm, fn, "the datatype", type));
    CHECK(coll_check_op(comm, fn, op, type));
    CHECK(coll_check_not_in_place(comm, fn, sbuf, inter_sbuf));
    CHECK(coll_check_not_in_place(comm, fn, rbuf, inter_rbuf));
    long long n = 0;
    for (int i = 0; i < c->size; i++)
        n += rcounts[i];
    if (n > 0x7fffffff)
        return mpi_error(comm, MPI_ERR_COUNT, fn, "the recvcounts add up to more than an int holds");
    return coll_failed(comm, fn,
                reduce_swap_scatter(sbuf, rbuf, (int)n, rcounts, 0, type, op, c, COLL_TAG(CK_REDUCE_SCATTER, 0)));
}

int inter_reduce_scatter_block(const void *sbuf, void *rbuf, int rcount, MPI_Datatype type, MPI_Op op,
                               MPI_Comm comm)
{
    static const char fn[] = "MPI_Reduce_scatter_block";
    struct mpi_comm *c = comm_get(comm);
    CHECK(coll_check_count(comm, fn, "recvcount", rcount));
    CHECK(coll_check_type(comm, fn, "the datatype", type));
    CHECK(coll_check_op(comm, fn, op, type));
    CHECK(coll_check_not_in_place(comm, fn, sbuf, inter_sbuf));
    CHECK(coll_check_not_in_place(comm, fn, rbuf, inter_rbuf));
    if ((long long)rcount * c->size > 0x7fffffff)
        return mpi_error(comm, MPI_ERR_COUNT, fn, "recvcount times the group size is more than an int holds");
    return coll_failed(comm, fn,
                reduce_swap_scatter(sbuf, rbuf, rcount * c->size, NULL, rcount, type, op, c,
                                    COLL_TAG(CK_REDUCE_SCATTER, 1)));
}

/* ------------------------------------------------------------------ gather, scatter */

int inter_gather(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, int rcount, MPI_Datatype rtype,
                 int root, MPI_Comm comm)
{
    static const char fn[] = "MPI_Gather";
    struct mpi_comm *c = comm_get(comm);
    CHECK(chk_root(comm, fn, c, root));
    int tag = COLL_TAG(CK_GATHER, 0);
    if (root == MPI_PROC_NULL)
        return MPI_SUCCESS;
    if (root != MPI_ROOT) {
        CHECK(coll_check_not_in_place(comm, fn, sbuf, inter_sbuf));
        CHECK(coll_check_count(comm, fn, "sendcount", scount));
        CHECK(coll_check_type(comm, fn, "sendtype", stype));
        return coll_failed(comm, fn, coll_send_typed(sbuf, scount, stype, root, tag, c));
    }
    CHECK(coll_check_not_in_place(comm, fn, rbuf, inter_rbuf));
    CHECK(coll_check_count(comm, fn, "recvcount", rcount));
    CHECK(coll_check_type(comm, fn, "recvtype", rtype));
    int n = comm_peer_size(c);
    struct block *b = blocks(n);
    if (!b)
        return coll_failed(comm, fn, MPI_ERR_NO_MEM);
    for (int i = 0; i < n; i++)
        b[i] = (struct block){ coll_elem(rbuf, (size_t)i * (size_t)rcount, rtype), rcount, rtype };
    int rc = exchange_blocks(c, tag, NULL, b);
    free(b);
    return coll_failed(comm, fn, rc);
}

int inter_gatherv(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, const int rcounts[],
                  const int displs[], MPI_Datatype rtype, int root, MPI_Comm comm)
{
    static const char fn[] = "MPI_Gatherv";
    struct mpi_comm *c = comm_get(comm);
    CHECK(chk_root(comm, fn, c, root));
    int tag = COLL_TAG(CK_GATHERV, 0);
    if (root == MPI_PROC_NULL)
        return MPI_SUCCESS;
    if (root != MPI_ROOT) {
        CHECK(coll_check_not_in_place(comm, fn, sbuf, inter_sbuf));
        CHECK(coll_check_count(comm, fn, "sendcount", scount));
        CHECK(coll_check_type(comm, fn, "sendtype", stype));
        return coll_failed(comm, fn, coll_send_typed(sbuf, scount, stype, root, tag, c));
    }
    int n = comm_peer_size(c);
    CHECK(coll_check_not_in_place(comm, fn, rbuf, inter_rbuf));
    CHECK(coll_check_counts(comm, fn, "recvcounts", rcounts, n));
    CHECK(coll_check_array(comm, fn, "displs", displs));
    CHECK(coll_check_type(comm, fn, "recvtype", rtype));
    struct block *b = blocks(n);
    if (!b)
        return coll_failed(comm, fn, MPI_ERR_NO_MEM);
    for (int i = 0; i < n; i++)
        b[i] = (struct block){ (char *)rbuf + (MPI_Aint)displs[i] * dtype_extent(dtype_get(rtype)), rcounts[i], rtype };
    int rc = exchange_blocks(c, tag, NULL, b);
    free(b);
    return coll_failed(comm, fn, rc);
}

int inter_scatter(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, int rcount, MPI_Datatype rtype,
                  int root, MPI_Comm comm)
{
    static const char fn[] = "MPI_Scatter";
    struct mpi_comm *c = comm_get(comm);
    CHECK(chk_root(comm, fn, c, root));
    int tag = COLL_TAG(CK_SCATTER, 0);
    if (root == MPI_PROC_NULL)
        return MPI_SUCCESS;
    if (root != MPI_ROOT) {
        CHECK(coll_check_not_in_place(comm, fn, rbuf, inter_rbuf));
        CHECK(coll_check_count(comm, fn, "recvcount", rcount));
        CHECK(coll_check_type(comm, fn, "recvtype", rtype));
        return coll_failed(comm, fn, coll_recv_typed(rbuf, rcount, rtype, root, tag, c));
    }
    CHECK(coll_check_not_in_place(comm, fn, sbuf, inter_sbuf));
    CHECK(coll_check_count(comm, fn, "sendcount", scount));
    CHECK(coll_check_type(comm, fn, "sendtype", stype));
    int n = comm_peer_size(c);
    struct block *b = blocks(n);
    if (!b)
        return coll_failed(comm, fn, MPI_ERR_NO_MEM);
    for (int i = 0; i < n; i++)
        b[i] = (struct block){ coll_elem(sbuf, (size_t)i * (size_t)scount, stype), scount, stype };
    int rc = exchange_blocks(c, tag, b, NULL);
    free(b);
    return coll_failed(comm, fn, rc);
}

int inter_scatterv(const void *sbuf, const int scounts[], const int displs[], MPI_Datatype stype, void *rbuf,
                   int rcount, MPI_Datatype rtype, int root, MPI_Comm comm)
{
    static const char fn[] = "MPI_Scatterv";
    struct mpi_comm *c = comm_get(comm);
    CHECK(chk_root(comm, fn, c, root));
    int tag = COLL_TAG(CK_SCATTERV, 0);
    if (root == MPI_PROC_NULL)
        return MPI_SUCCESS;
    if (root != MPI_ROOT) {
        CHECK(coll_check_not_in_place(comm, fn, rbuf, inter_rbuf));
        CHECK(coll_check_count(comm, fn, "recvcount", rcount));
        CHECK(coll_check_type(comm, fn, "recvtype", rtype));
        return coll_failed(comm, fn, coll_recv_typed(rbuf, rcount, rtype, root, tag, c));
    }
    int n = comm_peer_size(c);
    CHECK(coll_check_not_in_place(comm, fn, sbuf, inter_sbuf));
    CHECK(coll_check_counts(comm, fn, "sendcounts", scounts, n));
    CHECK(coll_check_array(comm, fn, "displs", displs));
    CHECK(coll_check_type(comm, fn, "sendtype", stype));
    struct block *b = blocks(n);
    if (!b)
        return coll_failed(comm, fn, MPI_ERR_NO_MEM);
    for (int i = 0; i < n; i++)
        b[i] = (struct block){ (const char *)sbuf + (MPI_Aint)displs[i] * dtype_extent(dtype_get(stype)), scounts[i],
                               stype };
    int rc = exchange_blocks(c, tag, b, NULL);
    free(b);
    return coll_failed(comm, fn, rc);
}

/* ------------------------------------------------------------------ allgather, alltoall */

/* send[i] and recv[i] filled by the caller: one message each way per pair. */
static int all_pairs(MPI_Comm comm, const char *fn, struct mpi_comm *c, int tag, struct block *s, struct block *r)
{
    int rc = exchange_blocks(c, tag, s, r);
    free(s);
    free(r);
    return coll_failed(comm, fn, rc);
}

int inter_allgather(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, int rcount, MPI_Datatype rtype,
                    MPI_Comm comm)
{
    static const char fn[] = "MPI_Allgather";
    struct mpi_comm *c = comm_get(comm);
    CHECK(coll_check_not_in_place(comm, fn, sbuf, inter_sbuf));
    CHECK(coll_check_not_in_place(comm, fn, rbuf, inter_rbuf));
    CHECK(coll_check_count(comm, fn, "sendcount", scount));
    CHECK(coll_check_type(comm, fn, "sendtype", stype));
    CHECK(coll_check_count(comm, fn, "recvcount", rcount));
    CHECK(coll_check_type(comm, fn, "recvtype", rtype));
    int n = comm_peer_size(c);
    struct block *s = blocks(n), *r = blocks(n);
    if (!s || !r) {
        free(s);
        free(r);
        return coll_failed(comm, fn, MPI_ERR_NO_MEM);
    }
    for (int i = 0; i < n; i++) {
        s[i] = (struct block){ sbuf, scount, stype };
        r[i] = (struct block){ coll_elem(rbuf, (size_t)i * (size_t)rcount, rtype), rcount, rtype };
    }
    return all_pairs(comm, fn, c, COLL_TAG(CK_ALLGATHER, 0), s, r);
}

int inter_allgatherv(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, const int rcounts[],
                     const int displs[], MPI_Datatype rtype, MPI_Comm comm)
{
    static const char fn[] = "MPI_Allgatherv";
    struct mpi_comm *c = comm_get(comm);
    int n = comm_peer_size(c);
    CHECK(coll_check_not_in_place(comm, fn, sbuf, inter_sbuf));
    CHECK(coll_check_not_in_place(comm, fn, rbuf, inter_rbuf));
    CHECK(coll_check_count(comm, fn, "sendcount", scount));
    CHECK(coll_check_type(comm, fn, "sendtype", stype));
    CHECK(coll_check_counts(comm, fn, "recvcounts", rcounts, n));
    CHECK(coll_check_array(comm, fn, "displs", displs));
    CHECK(coll_check_type(comm, fn, "recvtype", rtype));
    struct block *s = blocks(n), *r = blocks(n);
    if (!s || !r) {
        free(s);
        free(r);
        return coll_failed(comm, fn, MPI_ERR_NO_MEM);
    }
    MPI_Aint ext = dtype_extent(dtype_get(rtype));
    for (int i = 0; i < n; i++) {
        s[i] = (struct block){ sbuf, scount, stype };
        r[i] = (struct block){ (char *)rbuf + (MPI_Aint)displs[i] * ext, rcounts[i], rtype };
    }
    return all_pairs(comm, fn, c, COLL_TAG(CK_ALLGATHERV, 0), s, r);
}

int inter_alltoall(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, int rcount, MPI_Datatype rtype,
                   MPI_Comm comm)
{
    static const char fn[] = "MPI_Alltoall";
    struct mpi_comm *c = comm_get(comm);
    CHECK(coll_check_not_in_place(comm, fn, sbuf, inter_sbuf));
    CHECK(coll_check_not_in_place(comm, fn, rbuf, inter_rbuf));
    CHECK(coll_check_count(comm, fn, "sendcount", scount));
    CHECK(coll_check_type(comm, fn, "sendtype", stype));
    CHECK(coll_check_count(comm, fn, "recvcount", rcount));
    CHECK(coll_check_type(comm, fn, "recvtype", rtype));
    int n = comm_peer_size(c);
    struct block *s = blocks(n), *r = blocks(n);
    if (!s || !r) {
        free(s);
        free(r);
        return coll_failed(comm, fn, MPI_ERR_NO_MEM);
    }
    for (int i = 0; i < n; i++) {
        s[i] = (struct block){ coll_elem(sbuf, (size_t)i * (size_t)scount, stype), scount, stype };
        r[i] = (struct block){ coll_elem(rbuf, (size_t)i * (size_t)rcount, rtype), rcount, rtype };
    }
    return all_pairs(comm, fn, c, COLL_TAG(CK_ALLTOALL, 0), s, r);
}

int inter_alltoallv(const void *sbuf, const int scounts[], const int sdispls[], MPI_Datatype stype, void *rbuf,
                    const int rcounts[], const int rdispls[], MPI_Datatype rtype, MPI_Comm comm)
{
    static const char fn[] = "MPI_Alltoallv";
    struct mpi_comm *c = comm_get(comm);
    int n = comm_peer_size(c);
    CHECK(coll_check_not_in_place(comm, fn, sbuf, inter_sbuf));
    CHECK(coll_check_not_in_place(comm, fn, rbuf, inter_rbuf));
    CHECK(coll_check_counts(comm, fn, "sendcounts", scounts, n));
    CHECK(coll_check_array(comm, fn, "sdispls", sdispls));
    CHECK(coll_check_type(comm, fn, "sendtype", stype));
    CHECK(coll_check_counts(comm, fn, "recvcounts", rcounts, n));
    CHECK(coll_check_array(comm, fn, "rdispls", rdispls));
    CHECK(coll_check_type(comm, fn, "recvtype", rtype));
    struct block *s = blocks(n), *r = blocks(n);
    if (!s || !r) {
        free(s);
        free(r);
        return coll_failed(comm, fn, MPI_ERR_NO_MEM);
    }
    MPI_Aint sext = dtype_extent(dtype_get(stype)), rext = dtype_extent(dtype_get(rtype));
    for (int i = 0; i < n; i++) {
        s[i] = (struct block){ (const char *)sbuf + (MPI_Aint)sdispls[i] * sext, scounts[i], stype };
        r[i] = (struct block){ (char *)rbuf + (MPI_Aint)rdispls[i] * rext, rcounts[i], rtype };
    }
    return all_pairs(comm, fn, c, COLL_TAG(CK_ALLTOALLV, 0), s, r);
}

int inter_alltoallw(const void *sbuf, const int scounts[], const int sdispls[], const MPI_Datatype stypes[],
                    void *rbuf, const int rcounts[], const int rdispls[], const MPI_Datatype rtypes[], MPI_Comm comm)
{
    static const char fn[] = "MPI_Alltoallw";
    struct mpi_comm *c = comm_get(comm);
    int n = comm_peer_size(c);
    CHECK(coll_check_not_in_place(comm, fn, sbuf, inter_sbuf));
    CHECK(coll_check_not_in_place(comm, fn, rbuf, inter_rbuf));
    CHECK(coll_check_counts(comm, fn, "sendcounts", scounts, n));
    CHECK(coll_check_array(comm, fn, "sdispls", sdispls));
    CHECK(coll_check_array(comm, fn, "sendtypes", stypes));
    CHECK(coll_check_counts(comm, fn, "recvcounts", rcounts, n));
    CHECK(coll_check_array(comm, fn, "rdispls", rdispls));
    CHECK(coll_check_array(comm, fn, "recvtypes", rtypes));
    for (int i = 0; i < n; i++) {
        if (scounts[i])
            CHECK(coll_check_type(comm, fn, "a sendtype", stypes[i]));
        if (rcounts[i])
            CHECK(coll_check_type(comm, fn, "a recvtype", rtypes[i]));
    }
    struct block *s = blocks(n), *r = blocks(n);
    if (!s || !r) {
        free(s);
        free(r);
        return coll_failed(comm, fn, MPI_ERR_NO_MEM);
    }
    for (int i = 0; i < n; i++) {
        s[i] = (struct block){ (const char *)sbuf + sdispls[i], scounts[i], scounts[i] ? stypes[i] : MPI_BYTE };
        r[i] = (struct block){ (char *)rbuf + rdispls[i], rcounts[i], rcounts[i] ? rtypes[i] : MPI_BYTE };
    }
    return all_pairs(comm, fn, c, COLL_TAG(CK_ALLTOALLW, 0), s, r);
}
