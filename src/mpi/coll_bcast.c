/* coll_bcast.c — MPI_Bcast: a binomial tree for short messages; for long
 * ones a binomial scatter of n blocks followed by a ring allgather (van de
 * Geijn), which sends each byte about twice instead of log2(n) times. */
#include "coll.h"

#include <stdlib.h>

/* Ranks relative to the root: relative rank v receives from v minus its
 * lowest set bit and sends to v + m for each power of two m below that bit,
 * the largest subtree first. */
static int bcast_binomial(void *buf, int count, MPI_Datatype dt, int root, struct mpi_comm *c)
{
    int n = c->size, vr = (c->rank - root + n) % n, tag = COLL_TAG(CK_BCAST, 0), mask = 1;
    while (mask < n) {
        if (vr & mask) {
            int rc = p2p_recv(buf, count, dt, (vr - mask + root) % n, tag, c, coll_ctx(c), MPI_STATUS_IGNORE);
            if (rc != MPI_SUCCESS)
                return rc;
            break;
        }
        mask <<= 1;
    }
    for (mask >>= 1; mask > 0; mask >>= 1) {
        if (vr + mask < n) {
            int rc = p2p_send(buf, count, dt, (vr + mask + root) % n, tag, c, coll_ctx(c));
            if (rc != MPI_SUCCESS)
                return rc;
        }
    }
    return MPI_SUCCESS;
}

/* The packed message is cut into n blocks of ceil(bytes/n) bytes (the last
 * ones shorter or empty); relative rank j ends the scatter with block j
 * (and the rest of its subtree's), then the ring passes every block on. */
static int bcast_scatter_ring(void *buf, int count, MPI_Datatype dt, int root, struct mpi_comm *c,
                              size_t bytes)
{
    int n = c->size, vr = (c->rank - root + n) % n, rc = MPI_SUCCESS, mask = 1;
    void *tmp;
    char *p = c->rank == root ? (char *)coll_packed(buf, count, dt, &tmp) : coll_packing_space(buf, count, dt, &tmp);
    if (!p)
        return MPI_ERR_NO_MEM;
    size_t bs = (bytes + (size_t)n - 1) / (size_t)n;
#define BLK(j) ((size_t)(j) * bs < bytes ? (size_t)(j) * bs : bytes) /* where block j starts */

    while (mask < n) {
        if (vr & mask) {
            int end = vr + mask < n ? vr + mask : n;
            rc = coll_recv(p + BLK(vr), BLK(end) - BLK(vr), (vr - mask + root) % n, COLL_TAG(CK_BCAST, 1), c);
            if (rc != MPI_SUCCESS)
                goto out;
            break;
        }
        mask <<= 1;
    }
    for (mask >>= 1; mask > 0; mask >>= 1) {
        if (vr + mask < n) {
            int end = vr + 2 * mask < n ? vr + 2 * mask : n;
            rc = coll_send(p + BLK(vr + mask), BLK(end) - BLK(vr + mask), (vr + mask + root) % n,
                           COLL_TAG(CK_BCAST, 1), c);
            if (rc != MPI_SUCCESS)
                goto out;
        }
    }

    int right = (vr + 1 + root) % n, left = (vr - 1 + n + root) % n;
    for (int s = 0; s < n - 1; s++) {
        int sb = (vr - s + n) % n, rb = (vr - s - 1 + 2 * n) % n;
        rc = coll_sendrecv(p + BLK(sb), BLK(sb + 1) - BLK(sb), right, p + BLK(rb), BLK(rb + 1) - BLK(rb), left,
                           COLL_TAG(CK_BCAST, 2), c);
        if (rc != MPI_SUCCESS)
            goto out;
    }
#undef BLK
out:
    if (c->rank == root || rc != MPI_SUCCESS)
        free(tmp);
    else
        coll_unpacked(buf, count, dt, tmp);
    return rc;
}

int coll_bcast(void *buf, int count, MPI_Datatype dt, int root, struct mpi_comm *c)
{
    size_t bytes = coll_bytes(count, dt);
    if (c->size == 1 || bytes == 0)
        return MPI_SUCCESS;
    const struct coll_tuning *t = coll_tune();
    if (bytes >= t->bcast_long && (size_t)c->size >= t->bcast_min_ranks)
        return bcast_scatter_ring(buf, count, dt, root, c, bytes);
    return bcast_binomial(buf, count, dt, root, c);
}
