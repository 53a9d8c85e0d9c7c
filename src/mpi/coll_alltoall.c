/* coll_alltoall.c — MPI_Alltoall, MPI_Alltoallv, MPI_Alltoallw.
 *
 *   alltoall    Bruck's algorithm for small blocks (ceil(log2 n) steps on
 *               packed blocks); nonblocking sends and receives to a window
 *               of peers at a time for medium blocks; a pairwise exchange
 *               (one peer per step) for large blocks
 *   alltoallv/w the window of nonblocking sends and receives
 *
 * With MPI_IN_PLACE the blocks to send are first packed out of the receive
 * buffer, which the transfers then overwrite. */
#include "coll.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ Bruck */

/* Phase 1: position j of a packed buffer gets the block for rank r+j.
 * Phase 2: at step k, every block whose position has bit k set moves to
 * rank r+k (into the same position): after all steps, position j holds the
 * block rank r-j sent to this rank.  Phase 3: unrotate into rbuf. */
static int alltoall_bruck(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, int rcount,
                          MPI_Datatype rdt, size_t block, struct mpi_comm *c)
{
    int n = c->size, r = c->rank, rc = MPI_SUCCESS, tag = COLL_TAG(CK_ALLTOALL, 0);
    char *tmp = coll_alloc((size_t)n * block);
    char *out = coll_alloc(((size_t)n / 2 + 1) * block), *in = coll_alloc(((size_t)n / 2 + 1) * block);
    if (!tmp || !out || !in) {
        rc = MPI_ERR_NO_MEM;
        goto done;
    }
    for (int j = 0; j < n; j++) {
        size_t to = (size_t)((r + j) % n);
        if (sbuf == MPI_IN_PLACE)
            dtype_pack(coll_elem(rbuf, to * rcount, rdt), rcount, dtype_get(rdt), 0, tmp + (size_t)j * block, block);
        else
            dtype_pack(coll_elem(sbuf, to * scount, sdt), scount, dtype_get(sdt), 0, tmp + (size_t)j * block, block);
    }
    for (int k = 1; k < n && rc == MPI_SUCCESS; k <<= 1) {
        size_t cnt = 0;
        for (int j = k; j < n; j++)
            if (j & k)
                memcpy(out + cnt++ * block, tmp + (size_t)j * block, block);
        rc = coll_sendrecv(out, cnt * block, (r + k) % n, in, cnt * block, (r - k + n) % n, tag, c);
        cnt = 0;
        for (int j = k; j < n && rc == MPI_SUCCESS; j++)
            if (j & k)
                memcpy(tmp + (size_t)j * block, in + cnt++ * block, block);
    }
    for (int i = 0; i < n && rc == MPI_SUCCESS; i++)
        dtype_unpack(tmp + (size_t)((r - i + n) % n) * block, 0, block, coll_elem(rbuf, (size_t)i * rcount, rdt),
                     rcount, dtype_get(rdt));
done:
    free(tmp);
    free(out);
    free(in);
    return rc;
}

/* ------------------------------------------------------------------ general exchanges
 * Peer i's block to send: scount[i] of stype[i] at sbuf + sdisp[i] bytes;
 * to receive: rcount[i] of rtype[i] at rbuf + rdisp[i]. */
struct a2a {
    const char *sbuf;
    const int *scount;
    const MPI_Aint *sdisp;
    const MPI_Datatype *stype;
    char *rbuf;
    const int *rcount;
    const MPI_Aint *rdisp;
    const MPI_Datatype *rtype;
    int in_place; /* the own block is already where it belongs */
    int tag;
};

static int a2a_self(const struct a2a *a, int r)
{
    if (a->in_place || coll_bytes(a->rcount[r], a->rtype[r]) == 0)
        return MPI_SUCCESS;
    return dtype_copy(a->sbuf + a->sdisp[r], a->scount[r], dtype_get(a->stype[r]), a->rbuf + a->rdisp[r],
                      a->rcount[r], dtype_get(a->rtype[r]));
}

static int a2a_post(struct coll_reqs *q, const struct a2a *a, int to, int from, struct mpi_comm *c)
{
    int rc = coll_irecv_typed(q, a->rbuf + a->rdisp[from], a->rcount[from], a->rtype[from], from, a->tag, c);
    if (rc == MPI_SUCCESS)
        rc = coll_isend_typed(q, a->sbuf + a->sdisp[to], a->scount[to], a->stype[to], to, a->tag, c);
    return rc;
}

/* Step s (1 .. n-1) sends to r+s and receives from r-s; `window` steps are
 * under way at a time.  Rank r+s is at the same step when it receives from
 * r, so each window's transfers all find their partners in the same window. */
static int a2a_windowed(const struct a2a *a, size_t window, struct mpi_comm *c)
{
    int n = c->size, r = c->rank, rc = a2a_self(a, r);
    struct coll_reqs q;
    coll_reqs_init(&q);
    for (int s0 = 1; s0 < n && rc == MPI_SUCCESS; s0 += (int)(window < (size_t)n ? window : (size_t)n)) {
        for (int s = s0; s < n && (size_t)(s - s0) < window && rc == MPI_SUCCESS; s++)
            rc = a2a_post(&q, a, (r + s) % n, (r - s + n) % n, c);
        int wrc = coll_reqs_wait(&q);
        if (rc == MPI_SUCCESS)
            rc = wrc;
    }
    coll_reqs_free(&q);
    return rc;
}

/* One peer at a time: rank ^ s for power-of-two sizes (partners swap), else
 * send to r+s while receiving from r-s. */
static int a2a_pairwise(const struct a2a *a, struct mpi_comm *c)
{
    int n = c->size, r = c->rank, rc = a2a_self(a, r), pof2 = (n & (n - 1)) == 0;
    struct coll_reqs q;
    coll_reqs_init(&q);
    for (int s = 1; s < n && rc == MPI_SUCCESS; s++) {
        int to = pof2 ? r ^ s : (r + s) % n, from = pof2 ? r ^ s : (r - s + n) % n;
        rc = a2a_post(&q, a, to, from, c);
        int wrc = coll_reqs_wait(&q);
        if (rc == MPI_SUCCESS)
            rc = wrc;
    }
    coll_reqs_free(&q);
    return rc;
}

/* MPI_IN_PLACE: each block to send is packed out of the receive buffer
 * (the receive layout describes it) into *tmp; the send side then points
 * there, as MPI_PACKED, which MPI lets the receiver take with any datatype
 * of that signature (the API refuses blocks over INT_MAX bytes). */
static int a2a_pack_in_place(struct a2a *a, int n, int *scount, MPI_Aint *sdisp, MPI_Datatype *stype,
                             void **tmp)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += coll_bytes(a->rcount[i], a->rtype[i]);
    char *p = coll_alloc(total);
    if (!p)
        return MPI_ERR_NO_MEM;
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        size_t b = coll_bytes(a->rcount[i], a->rtype[i]);
        if (b)
            dtype_pack(a->rbuf + a->rdisp[i], a->rcount[i], dtype_get(a->rtype[i]), 0, p + o, b);
        scount[i] = (int)b;
        sdisp[i] = (MPI_Aint)o;
        stype[i] = MPI_PACKED;
        o += b;
    }
    a->sbuf = p;
    a->scount = scount;
    a->sdisp = sdisp;
    a->stype = stype;
    a->in_place = 1;
    *tmp = p;
    return MPI_SUCCESS;
}

/* Runs an exchange described by arrays; pairwise or windowed. */
static int a2a_run(struct a2a *a, int pairwise, struct mpi_comm *c)
{
    int n = c->size, rc = MPI_SUCCESS;
    int *scount = NULL;
    MPI_Aint *sdisp = NULL;
    MPI_Datatype *stype = NULL;
    void *tmp = NULL;
    if (a->sbuf == MPI_IN_PLACE) {
        scount = malloc((size_t)n * sizeof *scount);
        sdisp = malloc((size_t)n * sizeof *sdisp);
        stype = malloc((size_t)n * sizeof *stype);
        rc = scount && sdisp && stype ? a2a_pack_in_place(a, n, scount, sdisp, stype, &tmp) : MPI_ERR_NO_MEM;
    }
    if (rc == MPI_SUCCESS)
        rc = pairwise ? a2a_pairwise(a, c) : a2a_windowed(a, coll_tune()->alltoall_window, c);
    free(tmp);
    free(scount);
    free(sdisp);
    free(stype);
    return rc;
}

/* ------------------------------------------------------------------ the calls */

int coll_alltoall(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, int rcount, MPI_Datatype rdt,
                  struct mpi_comm *c)
{
    int n = c->size, in_place = sbuf == MPI_IN_PLACE;
    size_t block = in_place ? coll_bytes(rcount, rdt) : coll_bytes(scount, sdt);
    if (block == 0 || (n == 1 && in_place))
        return MPI_SUCCESS;
    if (n == 1)
        return dtype_copy(sbuf, scount, dtype_get(sdt), rbuf, rcount, dtype_get(rdt));
    const struct coll_tuning *t = coll_tune();
    if (block < t->alltoall_short)
        return alltoall_bruck(sbuf, scount, sdt, rbuf, rcount, rdt, block, c);

    int rc = MPI_ERR_NO_MEM;
    int *counts = malloc(2 * (size_t)n * sizeof *counts);
    MPI_Aint *disp = malloc(2 * (size_t)n * sizeof *disp);
    MPI_Datatype *types = malloc(2 * (size_t)n * sizeof *types);
    if (counts && disp && types) {
        MPI_Aint sext = in_place ? 0 : dtype_extent(dtype_get(sdt)), rext = dtype_extent(dtype_get(rdt));
        for (int i = 0; i < n; i++) {
            counts[i] = scount;
            disp[i] = (MPI_Aint)i * scount * sext;
            types[i] = sdt;
            counts[n + i] = rcount;
            disp[n + i] = (MPI_Aint)i * rcount * rext;
            types[n + i] = rdt;
        }
        struct a2a a = {sbuf, counts, disp, types, rbuf, counts + n, disp + n, types + n, 0, COLL_TAG(CK_ALLTOALL, 1)};
        rc = a2a_run(&a, block >= t->alltoall_long, c);
    }
    free(counts);
    free(disp);
    free(types);
    return rc;
}

int coll_alltoallv(const void *sbuf, const int *scounts, const int *sdispls, MPI_Datatype sdt, void *rbuf,
                   const int *rcounts, const int *rdispls, MPI_Datatype rdt, struct mpi_comm *c)
{
    int n = c->size, in_place = sbuf == MPI_IN_PLACE, rc = MPI_ERR_NO_MEM;
    MPI_Aint *disp = malloc(2 * (size_t)n * sizeof *disp);
    MPI_Datatype *types = malloc(2 * (size_t)n * sizeof *types);
    if (disp && types) {
        MPI_Aint sext = in_place ? 0 : dtype_extent(dtype_get(sdt)), rext = dtype_extent(dtype_get(rdt));
        for (int i = 0; i < n; i++) {
            disp[i] = in_place ? 0 : (MPI_Aint)sdispls[i] * sext;
            types[i] = sdt;
            disp[n + i] = (MPI_Aint)rdispls[i] * rext;
            types[n + i] = rdt;
        }
        struct a2a a = {sbuf, scounts, disp, types, rbuf, rcounts, disp + n, types + n, 0, COLL_TAG(CK_ALLTOALLV, 0)};
        rc = a2a_run(&a, 0, c);
    }
    free(disp);
    free(types);
    return rc;
}

int coll_alltoallw(const void *sbuf, const int *scounts, const int *sdispls, const MPI_Datatype *sdts, void *rbuf,
                   const int *rcounts, const int *rdispls, const MPI_Datatype *rdts, struct mpi_comm *c)
{
    int n = c->size, rc = MPI_ERR_NO_MEM;
    MPI_Aint *disp = malloc(2 * (size_t)n * sizeof *disp);
    if (disp) {
        for (int i = 0; i < n; i++) {
            disp[i] = sbuf == MPI_IN_PLACE ? 0 : sdispls[i];
            disp[n + i] = rdispls[i];
        }
        struct a2a a = {sbuf, scounts, disp, sdts, rbuf, rcounts, disp + n, rdts, 0, COLL_TAG(CK_ALLTOALLW, 0)};
        rc = a2a_run(&a, 0, c);
    }
    free(disp);
    return rc;
}
