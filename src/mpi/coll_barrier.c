/* coll_barrier.c — MPI_Barrier by dissemination: in round k (k = 1, 2, 4,
 * ...) each rank signals rank + k and waits for rank - k, so after
 * ceil(log2 n) rounds every rank has heard, directly or not, from all. */
#include "coll.h"

int coll_barrier(struct mpi_comm *c)
{
    int n = c->size, r = c->rank;
    for (int k = 1; k < n; k <<= 1) {
        int rc = p2p_sendrecv(NULL, 0, MPI_BYTE, (r + k) % n, COLL_TAG(CK_BARRIER, 0), NULL, 0, MPI_BYTE,
                              (r - k + n) % n, COLL_TAG(CK_BARRIER, 0), c, coll_ctx(c), MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return rc;
    }
    return MPI_SUCCESS;
}
