/* coll_gather.c — MPI_Gather, MPI_Gatherv, MPI_Allgather, MPI_Allgatherv.
 *
 *   gather      binomial tree for small blocks (each subtree's blocks
 *               travel packed, in relative-rank order); linear for large
 *   gatherv     linear: the root receives each rank's block in place
 *   allgather(v)  recursive doubling (power-of-two sizes) or Bruck's
 *               algorithm on packed blocks while the total is small; a ring
 *               for large totals, passing blocks between the user's buffers
 *               with the user's datatype */
#include "coll.h"

#include <stdlib.h>

/* ------------------------------------------------------------------ gather */

static int gather_linear(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, const int *rcounts,
                         const MPI_Aint *rdisp, MPI_Datatype rdt, int root, int tag, struct mpi_comm *c)
{
    int n = c->size, rc = MPI_SUCCESS;
    if (c->rank != root)
        return coll_send_typed(sbuf, scount, sdt, root, tag, c);
    struct coll_reqs q;
    coll_reqs_init(&q);
    for (int i = 0; i < n && rc == MPI_SUCCESS; i++)
        if (i != root)
            rc = coll_irecv_typed(&q, (char *)rbuf + rdisp[i], rcounts[i], rdt, i, tag, c);
    if (rc == MPI_SUCCESS && sbuf != MPI_IN_PLACE)
        rc = dtype_copy(sbuf, scount, dtype_get(sdt), (char *)rbuf + rdisp[root], rcounts[root], dtype_get(rdt));
    int wrc = coll_reqs_wait(&q);
    coll_reqs_free(&q);
    return rc != MPI_SUCCESS ? rc : wrc;
}

/* Relative rank v gathers the blocks of v .. v+sub-1 (its subtree) in a
 * packed buffer from its children v+1, v+2, v+4, ... and sends them to its
 * parent in one message. */
static int gather_binomial(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, int rcount,
                           MPI_Datatype rdt, int root, size_t block, struct mpi_comm *c)
{
    int n = c->size, vr = (c->rank - root + n) % n, tag = COLL_TAG(CK_GATHER, 0), rc = MPI_SUCCESS;
    int low = vr ? vr & -vr : n; /* children are vr + m, m < low */
    int sub = vr + low < n ? low : n - vr;
    if (sub == 1) { /* a leaf: its block, packed like the rest of the tree's traffic */
        void *own;
        const char *p = coll_packed(sbuf, scount, sdt, &own);
        if (!p)
            return MPI_ERR_NO_MEM;
        rc = coll_send(p, block, (vr - low + root) % n, tag, c);
        free(own);
        return rc;
    }
    char *tmp = coll_alloc((size_t)sub * block);
    if (!tmp)
        return MPI_ERR_NO_MEM;
    if (vr != 0)
        dtype_pack(sbuf, scount, dtype_get(sdt), 0, tmp, block);
    for (int m = 1; m < low && vr + m < n && rc == MPI_SUCCESS; m <<= 1) {
        int cnt = vr + 2 * m < n ? m : n - vr - m;
        rc = coll_recv(tmp + (size_t)m * block, (size_t)cnt * block, (vr + m + root) % n, tag, c);
    }
    if (rc == MPI_SUCCESS && vr != 0)
        rc = coll_send(tmp, (size_t)sub * block, (vr - low + root) % n, tag, c);
    if (rc == MPI_SUCCESS && vr == 0) {
        const struct mpi_dtype *rt = dtype_get(rdt);
        for (int k = 1; k < n; k++)
            dtype_unpack(tmp + (size_t)k * block, 0, block, coll_elem(rbuf, (size_t)((k + root) % n) * rcount, rdt),
                         rcount, rt);
        if (sbuf != MPI_IN_PLACE)
            rc = dtype_copy(sbuf, scount, dtype_get(sdt), coll_elem(rbuf, (size_t)root * rcount, rdt), rcount, rt);
    }
    free(tmp);
    return rc;
}

int coll_gather(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, int rcount, MPI_Datatype rdt,
                int root, struct mpi_comm *c)
{
    int n = c->size, is_root = c->rank == root;
    size_t block = is_root ? coll_bytes(rcount, rdt) : coll_bytes(scount, sdt);
    if (block == 0)
        return MPI_SUCCESS;
    if (n == 1)
        return sbuf == MPI_IN_PLACE ? MPI_SUCCESS
                                    : dtype_copy(sbuf, scount, dtype_get(sdt), rbuf, rcount, dtype_get(rdt));
    if (block < coll_tune()->gather_long)
        return gather_binomial(sbuf, scount, sdt, rbuf, rcount, rdt, root, block, c);
    if (!is_root)
        return coll_send_typed(sbuf, scount, sdt, root, COLL_TAG(CK_GATHER, 1), c);
    int *counts = malloc((size_t)n * sizeof *counts);
    MPI_Aint *disp = malloc((size_t)n * sizeof *disp);
    int rc = MPI_ERR_NO_MEM;
    if (counts && disp) {
        MPI_Aint ext = dtype_extent(dtype_get(rdt));
        for (int i = 0; i < n; i++) {
            counts[i] = rcount;
            disp[i] = (MPI_Aint)i * rcount * ext;
        }
        rc = gather_linear(sbuf, scount, sdt, rbuf, counts, disp, rdt, root, COLL_TAG(CK_GATHER, 1), c);
    }
    free(counts);
    free(disp);
    return rc;
}

int coll_gatherv(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, const int *rcounts,
                 const int *displs, MPI_Datatype rdt, int root, struct mpi_comm *c)
{
    int n = c->size, tag = COLL_TAG(CK_GATHERV, 0);
    if (c->rank != root)
        return coll_send_typed(sbuf, scount, sdt, root, tag, c);
    MPI_Aint *disp = malloc((size_t)n * sizeof *disp);
    if (!disp)
        return MPI_ERR_NO_MEM;
    MPI_Aint ext = dtype_extent(dtype_get(rdt));
    for (int i = 0; i < n; i++)
        disp[i] = (MPI_Aint)displs[i] * ext;
    int rc = gather_linear(sbuf, scount, sdt, rbuf, rcounts, disp, rdt, root, tag, c);
    free(disp);
    return rc;
}

/* ------------------------------------------------------------------ allgather(v)
 * Rank i's block is rcounts[i] elements of rdt at rbuf + rdisp[i] bytes;
 * bytes[i] its packed size. */

struct ag {
    void *rbuf;
    const int *rcounts;
    const MPI_Aint *rdisp;
    MPI_Datatype rdt;
    size_t *bytes;
    int tag;
};

static char *ag_block(const struct ag *a, int i) { return (char *)a->rbuf + a->rdisp[i]; }

/* Power-of-two sizes: at step m each rank swaps with rank ^ m the blocks of
 * the aligned run of m ranks it has, packed in rank order. */
static int ag_doubling(const struct ag *a, struct mpi_comm *c)
{
    int n = c->size, r = c->rank, rc = MPI_SUCCESS;
    const struct mpi_dtype *rt = dtype_get(a->rdt);
    size_t *off = malloc(((size_t)n + 1) * sizeof *off);
    char *tmp = NULL;
    if (!off)
        return MPI_ERR_NO_MEM;
    off[0] = 0;
    for (int i = 0; i < n; i++)
        off[i + 1] = off[i] + a->bytes[i];
    if (!(tmp = coll_alloc(off[n]))) {
        free(off);
        return MPI_ERR_NO_MEM;
    }
    if (a->bytes[r])
        dtype_pack(ag_block(a, r), a->rcounts[r], rt, 0, tmp + off[r], a->bytes[r]);
    for (int m = 1; m < n && rc == MPI_SUCCESS; m <<= 1) {
        int mine = r & ~(m - 1), theirs = (r ^ m) & ~(m - 1);
        rc = coll_sendrecv(tmp + off[mine], off[mine + m] - off[mine], r ^ m, tmp + off[theirs],
                           off[theirs + m] - off[theirs], r ^ m, a->tag, c);
    }
    for (int i = 0; i < n && rc == MPI_SUCCESS; i++)
        if (i != r && a->bytes[i])
            dtype_unpack(tmp + off[i], 0, a->bytes[i], ag_block(a, i), a->rcounts[i], rt);
    free(off);
    free(tmp);
    return rc;
}

/* Bruck: blocks kept in rotated order (position j holds rank r+j's); at
 * step k every rank sends the first min(k, n-k) blocks it has to rank r-k
 * and puts the ones from rank r+k after its own.  ceil(log2 n) steps. */
static int ag_bruck(const struct ag *a, struct mpi_comm *c)
{
    int n = c->size, r = c->rank, rc = MPI_SUCCESS;
    const struct mpi_dtype *rt = dtype_get(a->rdt);
    size_t *off = malloc(((size_t)n + 1) * sizeof *off);
    char *tmp = NULL;
    if (!off)
        return MPI_ERR_NO_MEM;
    off[0] = 0;
    for (int j = 0; j < n; j++)
        off[j + 1] = off[j] + a->bytes[(r + j) % n];
    if (!(tmp = coll_alloc(off[n]))) {
        free(off);
        return MPI_ERR_NO_MEM;
    }
    if (a->bytes[r])
        dtype_pack(ag_block(a, r), a->rcounts[r], rt, 0, tmp, a->bytes[r]);
    for (int k = 1; k < n && rc == MPI_SUCCESS; k <<= 1) {
        int cnt = k < n - k ? k : n - k;
        rc = coll_sendrecv(tmp, off[cnt], (r - k + n) % n, tmp + off[k], off[k + cnt] - off[k], (r + k) % n, a->tag,
                           c);
    }
    for (int j = 1; j < n && rc == MPI_SUCCESS; j++) {
        int i = (r + j) % n;
        if (a->bytes[i])
            dtype_unpack(tmp + off[j], 0, a->bytes[i], ag_block(a, i), a->rcounts[i], rt);
    }
    free(off);
    free(tmp);
    return rc;
}

/* Ring: at step s each rank passes block r-s to r+1 and gets block r-s-1
 * from r-1, straight between the user's buffers. */
static int ag_ring(const struct ag *a, struct mpi_comm *c)
{
    int n = c->size, r = c->rank, rc = MPI_SUCCESS;
    int right = (r + 1) % n, left = (r - 1 + n) % n;
    struct coll_reqs q;
    coll_reqs_init(&q);
    for (int s = 0; s < n - 1 && rc == MPI_SUCCESS; s++) {
        int sb = (r - s + n) % n, rb = (r - s - 1 + n) % n;
        rc = coll_irecv_typed(&q, ag_block(a, rb), a->rcounts[rb], a->rdt, left, a->tag, c);
        if (rc == MPI_SUCCESS)
            rc = coll_isend_typed(&q, ag_block(a, sb), a->rcounts[sb], a->rdt, right, a->tag, c);
        int wrc = coll_reqs_wait(&q);
        if (rc == MPI_SUCCESS)
            rc = wrc;
    }
    coll_reqs_free(&q);
    return rc;
}

static int allgather_common(const void *sbuf, int scount, MPI_Datatype sdt, struct ag *a, struct mpi_comm *c)
{
    int n = c->size, r = c->rank, rc = MPI_SUCCESS;
    size_t total = 0, rsize = dtype_size(dtype_get(a->rdt));
    for (int i = 0; i < n; i++)
        total += a->bytes[i] = (size_t)a->rcounts[i] * rsize;
    if (total == 0)
        return MPI_SUCCESS;
    if (sbuf != MPI_IN_PLACE)
        rc = dtype_copy(sbuf, scount, dtype_get(sdt), ag_block(a, r), a->rcounts[r], dtype_get(a->rdt));
    if (rc != MPI_SUCCESS || n == 1)
        return rc;
    if (total >= coll_tune()->allgather_long)
        return ag_ring(a, c);
    if ((n & (n - 1)) == 0)
        return ag_doubling(a, c);
    return ag_bruck(a, c);
}

int coll_allgather(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, int rcount, MPI_Datatype rdt,
                   struct mpi_comm *c)
{
    int n = c->size, rc = MPI_ERR_NO_MEM;
    int *counts = malloc((size_t)n * sizeof *counts);
    MPI_Aint *disp = malloc((size_t)n * sizeof *disp);
    size_t *bytes = malloc((size_t)n * sizeof *bytes);
    if (counts && disp && bytes) {
        MPI_Aint ext = dtype_extent(dtype_get(rdt));
        for (int i = 0; i < n; i++) {
            counts[i] = rcount;
            disp[i] = (MPI_Aint)i * rcount * ext;
        }
        struct ag a = {rbuf, counts, disp, rdt, bytes, COLL_TAG(CK_ALLGATHER, 0)};
        rc = allgather_common(sbuf, scount, sdt, &a, c);
    }
    free(counts);
    free(disp);
    free(bytes);
    return rc;
}

int coll_allgatherv(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, const int *rcounts,
                    const int *displs, MPI_Datatype rdt, struct mpi_comm *c)
{
    int n = c->size, rc = MPI_ERR_NO_MEM;
    MPI_Aint *disp = malloc((size_t)n * sizeof *disp);
    size_t *bytes = malloc((size_t)n * sizeof *bytes);
    if (disp && bytes) {
        MPI_Aint ext = dtype_extent(dtype_get(rdt));
        for (int i = 0; i < n; i++)
            disp[i] = (MPI_Aint)displs[i] * ext;
        struct ag a = {rbuf, rcounts, disp, rdt, bytes, COLL_TAG(CK_ALLGATHERV, 0)};
        rc = allgather_common(sbuf, scount, sdt, &a, c);
    }
    free(disp);
    free(bytes);
    return rc;
}
