/* coll_util.c — what the collectives share: the algorithm thresholds,
 * packed views of user buffers, and transfers on the collective context. */
#include "coll.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ thresholds */

/* Owned by this file: filled from the environment by the first collective
 * (calls into the library are serialized) or by coll_tune_set; read-only
 * otherwise. */
static struct coll_tuning tuning;
static int tuning_loaded;

static void tune_env(size_t *v, const char *name)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return;
    char *end;
    unsigned long long x = strtoull(s, &end, 10);
    if (*end == '\0' && s[0] != '-')
        *v = (size_t)x;
}

const struct coll_tuning *coll_tune(void)
{
    if (!tuning_loaded) {
        struct coll_tuning t = {
            .bcast_long = 12288,
            .bcast_min_ranks = 4,
            .reduce_long = 2048,
            .allreduce_long = 2048,
            .allgather_long = 81920,
            .gather_long = 2048,
            .scatter_long = 2048,
            .alltoall_short = 256,
            .alltoall_long = 32768,
            .alltoall_window = 32,
        };
        tune_env(&t.bcast_long, "CREST_COLL_BCAST_LONG");
        tune_env(&t.bcast_min_ranks, "CREST_COLL_BCAST_MIN_RANKS");
        tune_env(&t.reduce_long, "CREST_COLL_REDUCE_LONG");
        tune_env(&t.allreduce_long, "CREST_COLL_ALLREDUCE_LONG");
        tune_env(&t.allgather_long, "CREST_COLL_ALLGATHER_LONG");
        tune_env(&t.gather_long, "CREST_COLL_GATHER_LONG");
        tune_env(&t.scatter_long, "CREST_COLL_SCATTER_LONG");
        tune_env(&t.alltoall_short, "CREST_COLL_ALLTOALL_SHORT");
        tune_env(&t.alltoall_long, "CREST_COLL_ALLTOALL_LONG");
        tune_env(&t.alltoall_window, "CREST_COLL_ALLTOALL_WINDOW");
        if (t.alltoall_window == 0)
            t.alltoall_window = 1;
        tuning = t;
        tuning_loaded = 1;
    }
    return &tuning;
}

void coll_tune_set(const struct coll_tuning *t)
{
    tuning = *t;
    if (tuning.alltoall_window == 0)
        tuning.alltoall_window = 1;
    tuning_loaded = 1;
}

/* ------------------------------------------------------------------ buffers */

void *coll_alloc(size_t bytes) { return malloc(bytes ? bytes : 1); }

size_t coll_bytes(int count, MPI_Datatype dt)
{
    if (count <= 0) /* the datatype of an empty block may be anything (MPI_Alltoallw) */
        return 0;
    return (size_t)count * dtype_size(dtype_get(dt));
}

const char *coll_packed(const void *buf, int count, MPI_Datatype dt, void **tmp)
{
    const struct mpi_dtype *t = dtype_get(dt);
    *tmp = NULL;
    if (dtype_is_contiguous(t))
        return (const char *)buf + dtype_true_lb(t);
    size_t bytes = (size_t)count * dtype_size(t);
    char *p = coll_alloc(bytes);
    if (!p)
        return NULL;
    if (bytes)
        dtype_pack(buf, count, t, 0, p, bytes);
    *tmp = p;
    return p;
}

char *coll_packing_space(void *buf, int count, MPI_Datatype dt, void **tmp)
{
    const struct mpi_dtype *t = dtype_get(dt);
    *tmp = NULL;
    if (dtype_is_contiguous(t))
        return (char *)buf + dtype_true_lb(t);
    char *p = coll_alloc((size_t)count * dtype_size(t));
    *tmp = p;
    return p;
}

void coll_unpacked(void *buf, int count, MPI_Datatype dt, void *tmp)
{
    if (!tmp)
        return;
    const struct mpi_dtype *t = dtype_get(dt);
    size_t bytes = (size_t)count * dtype_size(t);
    if (bytes)
        dtype_unpack(tmp, 0, bytes, buf, count, t);
    free(tmp);
}

/* ------------------------------------------------------------------ transfers */

/* Larger byte transfers are cut into messages of this size: counts are ints.
 * (Tests build with a small COLL_PIECE to exercise the cutting.) */
#ifdef COLL_PIECE
#define PIECE ((size_t)(COLL_PIECE))
#else
#define PIECE ((size_t)1 << 30)
#endif

static size_t pieces(size_t bytes) { return (bytes + PIECE - 1) / PIECE; }

static int piece_len(size_t bytes, size_t k)
{
    size_t left = bytes - k * PIECE;
    return (int)(left < PIECE ? left : PIECE);
}

int coll_send(const void *buf, size_t bytes, int dest, int tag, struct mpi_comm *c)
{
    for (size_t k = 0; k < pieces(bytes); k++) {
        int rc = p2p_send((const char *)buf + k * PIECE, piece_len(bytes, k), MPI_BYTE, dest, tag, c,
                          coll_ctx(c));
        if (rc != MPI_SUCCESS)
            return rc;
    }
    return MPI_SUCCESS;
}

int coll_recv(void *buf, size_t bytes, int src, int tag, struct mpi_comm *c)
{
    for (size_t k = 0; k < pieces(bytes); k++) {
        int rc = p2p_recv((char *)buf + k * PIECE, piece_len(bytes, k), MPI_BYTE, src, tag, c, coll_ctx(c),
                          MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return rc;
    }
    return MPI_SUCCESS;
}

/* Piece k of each direction is started and finished together: piece k of
 * every rank's transfers only waits on piece k of others', so a chain of
 * ranks exchanging different sizes cannot wait on each other in a cycle. */
int coll_sendrecv(const void *sbuf, size_t sbytes, int dest, void *rbuf, size_t rbytes, int src, int tag,
                  struct mpi_comm *c)
{
    size_t ns = pieces(sbytes), nr = pieces(rbytes), n = ns > nr ? ns : nr;
    for (size_t k = 0; k < n; k++) {
        int rc;
        if (k < ns && k < nr) {
            rc = p2p_sendrecv((const char *)sbuf + k * PIECE, piece_len(sbytes, k), MPI_BYTE, dest, tag,
                              (char *)rbuf + k * PIECE, piece_len(rbytes, k), MPI_BYTE, src, tag, c, coll_ctx(c),
                              MPI_STATUS_IGNORE);
        } else if (k < ns) {
            rc = p2p_send((const char *)sbuf + k * PIECE, piece_len(sbytes, k), MPI_BYTE, dest, tag, c,
                          coll_ctx(c));
        } else {
            rc = p2p_recv((char *)rbuf + k * PIECE, piece_len(rbytes, k), MPI_BYTE, src, tag, c, coll_ctx(c),
                          MPI_STATUS_IGNORE);
        }
        if (rc != MPI_SUCCESS)
            return rc;
    }
    return MPI_SUCCESS;
}

int coll_send_typed(const void *buf, int count, MPI_Datatype dt, int dest, int tag, struct mpi_comm *c)
{
    if (coll_bytes(count, dt) == 0)
        return MPI_SUCCESS;
    return p2p_send(buf, count, dt, dest, tag, c, coll_ctx(c));
}

int coll_recv_typed(void *buf, int count, MPI_Datatype dt, int src, int tag, struct mpi_comm *c)
{
    if (coll_bytes(count, dt) == 0)
        return MPI_SUCCESS;
    return p2p_recv(buf, count, dt, src, tag, c, coll_ctx(c), MPI_STATUS_IGNORE);
}

void coll_reqs_init(struct coll_reqs *q)
{
    q->n = 0;
    q->cap = (int)(sizeof q->inline_r / sizeof q->inline_r[0]);
    q->r = q->inline_r;
}

static MPI_Request *reqs_slot(struct coll_reqs *q)
{
    if (q->n == q->cap) {
        int cap = q->cap * 2;
        MPI_Request *r = malloc((size_t)cap * sizeof *r);
        if (!r)
            return NULL;
        memcpy(r, q->r, (size_t)q->n * sizeof *r);
        if (q->r != q->inline_r)
            free(q->r);
        q->r = r;
        q->cap = cap;
    }
    return &q->r[q->n];
}

int coll_isend_typed(struct coll_reqs *q, const void *buf, int count, MPI_Datatype dt, int dest, int tag,
                     struct mpi_comm *c)
{
    if (coll_bytes(count, dt) == 0)
        return MPI_SUCCESS;
    MPI_Request *slot = reqs_slot(q);
    if (!slot)
        return MPI_ERR_NO_MEM;
    int rc = p2p_isend(buf, count, dt, dest, tag, c, coll_ctx(c), MODE_STANDARD, slot);
    if (rc == MPI_SUCCESS)
        q->n++;
    return rc;
}

int coll_irecv_typed(struct coll_reqs *q, void *buf, int count, MPI_Datatype dt, int src, int tag,
                     struct mpi_comm *c)
{
    if (coll_bytes(count, dt) == 0)
        return MPI_SUCCESS;
    MPI_Request *slot = reqs_slot(q);
    if (!slot)
        return MPI_ERR_NO_MEM;
    int rc = p2p_irecv(buf, count, dt, src, tag, c, coll_ctx(c), slot);
    if (rc == MPI_SUCCESS)
        q->n++;
    return rc;
}

int coll_reqs_wait(struct coll_reqs *q)
{
    int rc = MPI_SUCCESS;
    if (q->n > 0)
        rc = p2p_waitall(q->n, q->r, MPI_STATUSES_IGNORE);
    q->n = 0;
    return rc;
}

void coll_reqs_free(struct coll_reqs *q)
{
    if (q->r != q->inline_r)
        free(q->r);
    coll_reqs_init(q);
}
