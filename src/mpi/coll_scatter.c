/* coll_scatter.c — MPI_Scatter and MPI_Scatterv.
 *
 *   scatter     binomial tree for small blocks (the root packs the blocks
 *               in relative-rank order, each subtree's share travels in one
 *               message); linear for large blocks
 *   scatterv    linear: the root sends each rank its block from its buffer */
#include "coll.h"

#include <stdlib.h>

static int scatter_linear(const void *sbuf, const int *scounts, const MPI_Aint *sdisp, MPI_Datatype sdt,
                          void *rbuf, int rcount, MPI_Datatype rdt, int root, int tag, struct mpi_comm *c)
{
    int n = c->size, rc = MPI_SUCCESS;
    if (c->rank != root)
        return coll_recv_typed(rbuf, rcount, rdt, root, tag, c);
    struct coll_reqs q;
    coll_reqs_init(&q);
    for (int k = 1; k < n && rc == MPI_SUCCESS; k++) {
        int i = (root + k) % n; /* not all ranks served by the lowest first */
        rc = coll_isend_typed(&q, (const char *)sbuf + sdisp[i], scounts[i], sdt, i, tag, c);
    }
    if (rc == MPI_SUCCESS && rbuf != MPI_IN_PLACE)
        rc = dtype_copy((const char *)sbuf + sdisp[root], scounts[root], dtype_get(sdt), rbuf, rcount,
                        dtype_get(rdt));
    int wrc = coll_reqs_wait(&q);
    coll_reqs_free(&q);
    return rc != MPI_SUCCESS ? rc : wrc;
}

/* Relative rank v gets the blocks of v .. v+sub-1 from its parent and
 * passes on to each child v+m (largest subtree first) the child's share. */
static int scatter_binomial(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, int rcount,
                            MPI_Datatype rdt, int root, size_t block, struct mpi_comm *c)
{
    int n = c->size, vr = (c->rank - root + n) % n, tag = COLL_TAG(CK_SCATTER, 0), rc = MPI_SUCCESS;
    int low = vr ? vr & -vr : n;
    int sub = vr + low < n ? low : n - vr;
    if (sub == 1) { /* a leaf: its block, packed like the rest of the tree's traffic */
        void *own;
        char *p = coll_packing_space(rbuf, rcount, rdt, &own);
        if (!p)
            return MPI_ERR_NO_MEM;
        rc = coll_recv(p, block, (vr - low + root) % n, tag, c);
        if (rc == MPI_SUCCESS)
            coll_unpacked(rbuf, rcount, rdt, own);
        else
            free(own);
        return rc;
    }
    char *tmp = coll_alloc((size_t)sub * block);
    if (!tmp)
        return MPI_ERR_NO_MEM;
    if (vr == 0) {
        const struct mpi_dtype *st = dtype_get(sdt);
        for (int k = 1; k < n; k++)
            dtype_pack(coll_elem(sbuf, (size_t)((k + root) % n) * scount, sdt), scount, st, 0,
                       tmp + (size_t)k * block, block);
    } else {
        rc = coll_recv(tmp, (size_t)sub * block, (vr - low + root) % n, tag, c);
    }
    int m = 1;
    while (m < low && vr + m < n)
        m <<= 1;
    for (m >>= 1; m > 0 && rc == MPI_SUCCESS; m >>= 1) {
        if (vr + m >= n)
            continue;
        int cnt = vr + 2 * m < n ? m : n - vr - m;
        rc = coll_send(tmp + (size_t)m * block, (size_t)cnt * block, (vr + m + root) % n, tag, c);
    }
    if (rc == MPI_SUCCESS) {
        if (vr != 0)
            dtype_unpack(tmp, 0, block, rbuf, rcount, dtype_get(rdt));
        else if (rbuf != MPI_IN_PLACE)
            rc = dtype_copy(coll_elem(sbuf, (size_t)root * scount, sdt), scount, dtype_get(sdt), rbuf, rcount,
                            dtype_get(rdt));
    }
    free(tmp);
    return rc;
}

int coll_scatter(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, int rcount, MPI_Datatype rdt,
                 int root, struct mpi_comm *c)
{
    int n = c->size, is_root = c->rank == root;
    size_t block = is_root ? coll_bytes(scount, sdt) : coll_bytes(rcount, rdt);
    if (block == 0)
        return MPI_SUCCESS;
    if (n == 1)
        return rbuf == MPI_IN_PLACE ? MPI_SUCCESS
                                    : dtype_copy(sbuf, scount, dtype_get(sdt), rbuf, rcount, dtype_get(rdt));
    if (block < coll_tune()->scatter_long)
        return scatter_binomial(sbuf, scount, sdt, rbuf, rcount, rdt, root, block, c);
    if (!is_root)
        return coll_recv_typed(rbuf, rcount, rdt, root, COLL_TAG(CK_SCATTER, 1), c);
    int *counts = malloc((size_t)n * sizeof *counts);
    MPI_Aint *disp = malloc((size_t)n * sizeof *disp);
    int rc = MPI_ERR_NO_MEM;
    if (counts && disp) {
        MPI_Aint ext = dtype_extent(dtype_get(sdt));
        for (int i = 0; i < n; i++) {
            counts[i] = scount;
            disp[i] = (MPI_Aint)i * scount * ext;
        }
        rc = scatter_linear(sbuf, counts, disp, sdt, rbuf, rcount, rdt, root, COLL_TAG(CK_SCATTER, 1), c);
    }
    free(counts);
    free(disp);
    return rc;
}

int coll_scatterv(const void *sbuf, const int *scounts, const int *displs, MPI_Datatype sdt, void *rbuf,
                  int rcount, MPI_Datatype rdt, int root, struct mpi_comm *c)
{
    int n = c->size, tag = COLL_TAG(CK_SCATTERV, 0);
    if (c->rank != root)
        return coll_recv_typed(rbuf, rcount, rdt, root, tag, c);
    MPI_Aint *disp = malloc((size_t)n * sizeof *disp);
    if (!disp)
        return MPI_ERR_NO_MEM;
    MPI_Aint ext = dtype_extent(dtype_get(sdt));
    for (int i = 0; i < n; i++)
        disp[i] = (MPI_Aint)displs[i] * ext;
    int rc = scatter_linear(sbuf, scounts, disp, sdt, rbuf, rcount, rdt, root, tag, c);
    free(disp);
    return rc;
}
