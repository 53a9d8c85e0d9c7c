/* unit_coll.c — unit tests of the collectives (src/mpi/coll_*.c and
 * api_coll.c) without the rest of the MPI library: N threads play N ranks
 * over a point-to-point layer of this file, with datatypes and operations
 * of its own.
 *
 * The point-to-point layer matches like MPI (source, tag, context; in
 * order) and runs in two modes: eager (a send completes at once) and
 * synchronous (a send completes only when matched: every message behaves
 * like a rendezvous, so an algorithm that counts on buffering hangs, which
 * the harness reports).  It can sleep at random before each call, to shuffle
 * the timing.  It checks that collectives use context + 1 and the
 * collective tag range, never send to themselves, and leave no message
 * behind.
 *
 * Datatypes: MPI_BYTE, MPI_INT, MPI_DOUBLE and derived ones: VEC (2
 * doubles 16 bytes apart, extent 24: not contiguous), SHIFT (an int at
 * displacement 8, lb 8: contiguous from buf + 8), MAT (4 ints, a 2x2
 * matrix), GAPINT (an int, extent 8), MIXED (int + double), UNCOMMITTED.
 * Operations: MPI_SUM, MPI_MAX, MPI_MIN and user ones: MATMUL (2x2 integer
 * matrices, not commutative), UDSUM (sum, a user function), NCSUM (sum of
 * doubles declared non-commutative).
 *
 * Every collective runs at 1..9 ranks, for counts on both sides of each
 * threshold, with the default thresholds and with thresholds forcing each
 * algorithm, with every root or a sample, with and without MPI_IN_PLACE;
 * results are compared with a serial computation, and the bytes a call must
 * not write (gaps of datatypes, around buffers) are checked.  Reductions of
 * random doubles are run three times with random delays and must give the
 * same bits each time and on every rank.
 *
 * usage: unit_coll [-q] [TEXT]
 *   -q     fewer counts
 *   TEXT   only the cases whose description contains TEXT (e.g. "allreduce n=6") */
#include "coll.h"
#include "mpi_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXR 9
#define SENT 0xA5 /* bytes a call must not write */

static int failures;
static char test_desc[256];
static pthread_mutex_t print_mu = PTHREAD_MUTEX_INITIALIZER;

static void failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failed(const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&print_mu);
    if (failures < 40) {
        printf("FAIL [%s] ", test_desc);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
    }
    failures++;
    pthread_mutex_unlock(&print_mu);
}

/* ------------------------------------------------------------------ ranks */

struct rank_ctx {
    struct mpi_comm comm, inter;
    int last_err;
    int nerrors;
    char last_msg[300];
    unsigned seed;
};
static __thread struct rank_ctx *me;

struct mpi_state mpi_state = {.initialized = 1};

#define H_BOGUS_COMM ((MPI_Comm)MAKE_HANDLE(HT_COMM, 77))
#define H_INTERCOMM ((MPI_Comm)MAKE_HANDLE(HT_COMM, 5))

struct mpi_comm *comm_get(MPI_Comm h)
{
    if (!me)
        return NULL;
    if (h == MPI_COMM_WORLD)
        return &me->comm;
    if (h == H_INTERCOMM)
        return &me->inter;
    return NULL;
}

int mpi_error(MPI_Comm comm, int code, const char *func, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = snprintf(me->last_msg, sizeof me->last_msg, "%s: ", func);
    vsnprintf(me->last_msg + k, sizeof me->last_msg - (size_t)k, fmt, ap);
    va_end(ap);
    me->last_err = code;
    me->nerrors++;
    return code;
}

void mpi_fatal(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mpi_fatal: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

/* ------------------------------------------------------------------ datatypes */

struct mpi_dtype {
    MPI_Datatype h;
    const char *name;
    size_t size;
    MPI_Aint lb, extent, true_lb;
    int nblk;
    MPI_Aint boff[2];
    size_t blen[2];
    MPI_Datatype basic;
    int contig, committed;
};

#define T_VEC ((MPI_Datatype)MAKE_HANDLE(HT_DATATYPE, 1))
#define T_SHIFT ((MPI_Datatype)MAKE_HANDLE(HT_DATATYPE, 2))
#define T_MAT ((MPI_Datatype)MAKE_HANDLE(HT_DATATYPE, 3))
#define T_GAPINT ((MPI_Datatype)MAKE_HANDLE(HT_DATATYPE, 4))
#define T_UNCOMMITTED ((MPI_Datatype)MAKE_HANDLE(HT_DATATYPE, 5))
#define T_MIXED ((MPI_Datatype)MAKE_HANDLE(HT_DATATYPE, 6))

static const struct mpi_dtype types[] = {
    {MPI_BYTE, "MPI_BYTE", 1, 0, 1, 0, 1, {0}, {1}, MPI_BYTE, 1, 1},
    {MPI_PACKED, "MPI_PACKED", 1, 0, 1, 0, 1, {0}, {1}, MPI_DATATYPE_NULL, 1, 1},
    {MPI_INT, "MPI_INT", 4, 0, 4, 0, 1, {0}, {4}, MPI_INT, 1, 1},
    {MPI_DOUBLE, "MPI_DOUBLE", 8, 0, 8, 0, 1, {0}, {8}, MPI_DOUBLE, 1, 1},
    {T_VEC, "VEC", 16, 0, 24, 0, 2, {0, 16}, {8, 8}, MPI_DOUBLE, 0, 1},
    {T_SHIFT, "SHIFT", 4, 8, 4, 8, 1, {8}, {4}, MPI_INT, 1, 1},
    {T_MAT, "MAT", 16, 0, 16, 0, 1, {0}, {16}, MPI_INT, 1, 1},
    {T_GAPINT, "GAPINT", 4, 0, 8, 0, 1, {0}, {4}, MPI_INT, 0, 1},
    {T_UNCOMMITTED, "UNCOMMITTED", 4, 0, 4, 0, 1, {0}, {4}, MPI_INT, 1, 0},
    {T_MIXED, "MIXED", 12, 0, 16, 0, 2, {0, 8}, {4, 8}, MPI_DATATYPE_NULL, 0, 1},
};

const struct mpi_dtype *dtype_get(MPI_Datatype h)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i].h == h)
            return &types[i];
    return NULL;
}
int dtype_is_committed(const struct mpi_dtype *t) { return t->committed; }
size_t dtype_size(const struct mpi_dtype *t) { return t->size; }
MPI_Aint dtype_extent(const struct mpi_dtype *t) { return t->extent; }
MPI_Aint dtype_lb(const struct mpi_dtype *t) { return t->lb; }
MPI_Aint dtype_true_lb(const struct mpi_dtype *t) { return t->true_lb; }
/* Linked in by the intercommunicator collectives (coll_inter.c), which
 * mpi_inter tests with the whole library, not this harness. */
MPI_Aint dtype_true_extent(const struct mpi_dtype *t) { return t->extent; }
struct mpi_group *group_get(MPI_Group h) { return NULL; }
int dtype_is_contiguous(const struct mpi_dtype *t) { return t->contig; }
MPI_Datatype dtype_basic(const struct mpi_dtype *t) { return t->basic; }

/* Copies between the packed stream [offset, offset+len) and the typed
 * buffer, in either direction. */
static void stream_copy(char *typed, int count, const struct mpi_dtype *t, size_t offset, char *packed, size_t len,
                        int to_packed)
{
    if (!t)
        abort();
    if (t->contig) { /* one run from buf + true_lb */
        char *tp = typed + t->true_lb + offset;
        if (to_packed)
            memcpy(packed, tp, len);
        else
            memcpy(tp, packed, len);
        return;
    }
    size_t pos = 0, end = offset + len;
    size_t first = t->size ? offset / t->size : 0;
    pos = first * t->size;
    for (size_t e = first; e < (size_t)count && pos < end; e++) {
        for (int b = 0; b < t->nblk; b++) {
            size_t s0 = pos, s1 = pos + t->blen[b];
            size_t lo = s0 > offset ? s0 : offset, hi = s1 < end ? s1 : end;
            if (lo < hi) {
                char *tp = typed + (MPI_Aint)e * t->extent + t->boff[b] + (MPI_Aint)(lo - s0);
                char *pp = packed + (lo - offset);
                if (to_packed)
                    memcpy(pp, tp, hi - lo);
                else
                    memcpy(tp, pp, hi - lo);
            }
            pos = s1;
        }
    }
}

void dtype_pack(const void *buf, int count, const struct mpi_dtype *t, size_t offset, void *out, size_t len)
{
    if ((size_t)count * t->size < offset + len)
        failed("dtype_pack beyond the data: %zu+%zu of %zu bytes", offset, len, (size_t)count * t->size);
    stream_copy((char *)buf, count, t, offset, out, len, 1);
}

void dtype_unpack(const void *in, size_t offset, size_t len, void *buf, int count, const struct mpi_dtype *t)
{
    if ((size_t)count * t->size < offset + len)
        failed("dtype_unpack beyond the data: %zu+%zu of %zu bytes", offset, len, (size_t)count * t->size);
    stream_copy(buf, count, t, offset, (char *)in, len, 0);
}

int dtype_copy(const void *src, int scount, const struct mpi_dtype *stype, void *dst, int rcount,
               const struct mpi_dtype *rtype)
{
    size_t sb = (size_t)scount * stype->size, rb = (size_t)rcount * rtype->size;
    if (sb > rb)
        return MPI_ERR_TRUNCATE;
    char *tmp = malloc(sb + 1);
    dtype_pack(src, scount, stype, 0, tmp, sb);
    dtype_unpack(tmp, 0, sb, dst, rcount, rtype);
    free(tmp);
    return MPI_SUCCESS;
}

/* ------------------------------------------------------------------ operations */

#define OP_MATMUL ((MPI_Op)MAKE_HANDLE(HT_OP, 1))
#define OP_UDSUM ((MPI_Op)MAKE_HANDLE(HT_OP, 2))
#define OP_NCSUM ((MPI_Op)MAKE_HANDLE(HT_OP, 3))

int op_is_valid(MPI_Op op)
{
    return (op >= MPI_MAX && op <= MPI_NO_OP) || op == OP_MATMUL || op == OP_UDSUM || op == OP_NCSUM;
}
int op_is_commutative(MPI_Op op) { return op != OP_MATMUL && op != OP_NCSUM; }

static atomic_int op_calls;

int op_apply(MPI_Op op, const void *in, void *inout, int count, MPI_Datatype dt)
{
    atomic_fetch_add(&op_calls, 1);
    const struct mpi_dtype *t = dtype_get(dt);
    if (!t) {
        failed("op_apply with datatype 0x%x", (unsigned)dt);
        return MPI_ERR_TYPE;
    }
    if (op == OP_MATMUL) {
        if (dt != T_MAT) {
            failed("the user function MATMUL got datatype %s, not the user's MAT", t->name);
            return MPI_ERR_OP;
        }
        for (int e = 0; e < count; e++) {
            uint32_t a[4], b[4], c[4];
            memcpy(a, (const char *)in + 16 * e, 16);
            memcpy(b, (char *)inout + 16 * e, 16);
            c[0] = a[0] * b[0] + a[1] * b[2];
            c[1] = a[0] * b[1] + a[1] * b[3];
            c[2] = a[2] * b[0] + a[3] * b[2];
            c[3] = a[2] * b[1] + a[3] * b[3];
            memcpy((char *)inout + 16 * e, c, 16);
        }
        return MPI_SUCCESS;
    }
    if (op == OP_UDSUM && dt != T_VEC)
        failed("the user function UDSUM got datatype %s, not the user's VEC", t->name);
    if (op == OP_NCSUM && dt != MPI_DOUBLE)
        failed("the user function NCSUM got datatype %s, not MPI_DOUBLE", t->name);
    if (t->basic == MPI_DATATYPE_NULL || t->basic == MPI_BYTE)
        return MPI_ERR_OP;
    size_t n = (size_t)count * (t->size / (t->basic == MPI_INT ? 4 : 8));
    if (op == OP_UDSUM || op == OP_NCSUM)
        op = MPI_SUM;
    for (size_t i = 0; i < n; i++) {
        if (t->basic == MPI_INT) {
            int32_t a, b;
            memcpy(&a, (const char *)in + 4 * i, 4);
            memcpy(&b, (char *)inout + 4 * i, 4);
            int32_t r = op == MPI_SUM ? (int32_t)((uint32_t)a + (uint32_t)b) : op == MPI_MAX ? (a > b ? a : b)
                                                                                : (a < b ? a : b);
            memcpy((char *)inout + 4 * i, &r, 4);
        } else {
            double a, b;
            memcpy(&a, (const char *)in + 8 * i, 8);
            memcpy(&b, (char *)inout + 8 * i, 8);
            double r = op == MPI_SUM ? a + b : op == MPI_MAX ? (a > b ? a : b) : (a < b ? a : b);
            memcpy((char *)inout + 8 * i, &r, 8);
        }
    }
    if (op != MPI_SUM && op != MPI_MAX && op != MPI_MIN)
        return MPI_ERR_OP;
    return MPI_SUCCESS;
}

/* ------------------------------------------------------------------ point-to-point */

struct msg {
    struct msg *next;
    int src, tag;
    uint32_t ctx;
    char *data;
    size_t len;
    struct hreq *sreq; /* completed when matched (synchronous mode) */
};

struct hreq {
    int used, done, err;
    int owner, is_send;
    void *buf;
    int count;
    MPI_Datatype dt;
    int src, tag;
    uint32_t ctx;
    struct hreq *next; /* posted receives */
};

#define MAXREQ 8192
static struct hreq reqs[MAXREQ];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv[MAXR]; /* one per rank: it waits on its own */
static struct msg *unexp_head[MAXR], *unexp_tail[MAXR];
static struct hreq *posted_head[MAXR], *posted_tail[MAXR];
static int sync_mode, delay_mode;
static atomic_long messages;
static struct timespec deadline;

static void maybe_delay(void)
{
    if (delay_mode && rand_r(&me->seed) % 3 == 0)
        usleep(rand_r(&me->seed) % 300);
}

static struct hreq *req_new(MPI_Request *h)
{
    for (int i = 0; i < MAXREQ; i++) {
        if (!reqs[i].used) {
            memset(&reqs[i], 0, sizeof reqs[i]);
            reqs[i].used = 1;
            *h = MAKE_HANDLE(HT_REQUEST, i);
            return &reqs[i];
        }
    }
    fprintf(stderr, "unit_coll: out of requests\n");
    abort();
}

static struct hreq *req_of(MPI_Request h)
{
    unsigned i = HANDLE_INDEX(h);
    if (HANDLE_TYPE(h) != HT_REQUEST || i >= MAXREQ || !reqs[i].used) {
        failed("waiting on a bad request 0x%x", (unsigned)h);
        return NULL;
    }
    return &reqs[i];
}

/* Under mu. */
static void deliver(struct msg *m, struct hreq *r)
{
    const struct mpi_dtype *t = dtype_get(r->dt);
    size_t cap = (size_t)r->count * t->size;
    if (m->len > cap)
        r->err = MPI_ERR_TRUNCATE;
    else if (m->len)
        dtype_unpack(m->data, 0, m->len, r->buf, r->count, t);
    r->done = 1;
    pthread_cond_signal(&cv[r->owner]);
    if (m->sreq) {
        m->sreq->done = 1;
        pthread_cond_signal(&cv[m->sreq->owner]);
    }
    free(m->data);
    free(m);
}

static void check_envelope(struct mpi_comm *comm, uint32_t context, int tag, int peer)
{
    if (comm != &me->comm)
        failed("p2p on a communicator that is not the one of the call");
    if (context != comm->context + 1)
        failed("collective traffic on context %u, not context + 1 (%u)", context, comm->context + 1);
    if (tag < COLL_TAG_BASE || tag >= COLL_TAG_NONBLOCKING)
        failed("tag 0x%x outside the blocking collectives' range", (unsigned)tag);
    if (peer < 0 || peer >= comm->size)
        failed("peer %d outside the communicator", peer);
    if (peer == comm->rank)
        failed("rank %d sends a message to itself", peer);
}

int p2p_isend(const void *buf, int count, MPI_Datatype dt, int dest, int tag, struct mpi_comm *comm,
              uint32_t context, enum send_mode mode, MPI_Request *req)
{
    maybe_delay();
    check_envelope(comm, context, tag, dest);
    const struct mpi_dtype *t = dtype_get(dt);
    if (!t || count < 0) {
        failed("isend with a bad datatype or count %d", count);
        return MPI_ERR_TYPE;
    }
    if (dest < 0 || dest >= comm->size || dest == comm->rank)
        return MPI_ERR_RANK;
    struct msg *m = calloc(1, sizeof *m);
    m->len = (size_t)count * t->size;
    m->data = malloc(m->len + 1);
    if (m->len)
        dtype_pack(buf, count, t, 0, m->data, m->len);
    m->src = comm->rank;
    m->tag = tag;
    m->ctx = context;
    atomic_fetch_add(&messages, 1);
    pthread_mutex_lock(&mu);
    struct hreq *s = req_new(req);
    s->owner = comm->rank;
    s->is_send = 1;
    s->src = dest;
    s->tag = tag;
    if (sync_mode)
        m->sreq = s;
    else
        s->done = 1;
    struct hreq *r, *prev = NULL;
    for (r = posted_head[dest]; r; prev = r, r = r->next)
        if (r->src == m->src && r->tag == tag && r->ctx == context)
            break;
    if (r) {
        if (prev)
            prev->next = r->next;
        else
            posted_head[dest] = r->next;
        if (posted_tail[dest] == r)
            posted_tail[dest] = prev;
        deliver(m, r);
    } else {
        if (unexp_tail[dest])
            unexp_tail[dest]->next = m;
        else
            unexp_head[dest] = m;
        unexp_tail[dest] = m;
    }
    pthread_mutex_unlock(&mu);
    return MPI_SUCCESS;
}

int p2p_irecv(void *buf, int count, MPI_Datatype dt, int source, int tag, struct mpi_comm *comm, uint32_t context,
              MPI_Request *req)
{
    maybe_delay();
    check_envelope(comm, context, tag, source);
    const struct mpi_dtype *t = dtype_get(dt);
    if (!t || count < 0) {
        failed("irecv with a bad datatype or count %d", count);
        return MPI_ERR_TYPE;
    }
    int self = comm->rank;
    pthread_mutex_lock(&mu);
    struct hreq *r = req_new(req);
    r->owner = self;
    r->buf = buf;
    r->count = count;
    r->dt = dt;
    r->src = source;
    r->tag = tag;
    r->ctx = context;
    struct msg *m, *prev = NULL;
    for (m = unexp_head[self]; m; prev = m, m = m->next)
        if (m->src == source && m->tag == tag && m->ctx == context)
            break;
    if (m) {
        if (prev)
            prev->next = m->next;
        else
            unexp_head[self] = m->next;
        if (unexp_tail[self] == m)
            unexp_tail[self] = prev;
        deliver(m, r);
    } else {
        if (posted_tail[self])
            posted_tail[self]->next = r;
        else
            posted_head[self] = r;
        posted_tail[self] = r;
    }
    pthread_mutex_unlock(&mu);
    return MPI_SUCCESS;
}

static int wait_one(MPI_Request *h)
{
    maybe_delay();
    pthread_mutex_lock(&mu);
    struct hreq *r = req_of(*h);
    if (!r) {
        pthread_mutex_unlock(&mu);
        return MPI_ERR_REQUEST;
    }
    while (!r->done) {
        if (pthread_cond_timedwait(&cv[me->comm.rank], &mu, &deadline) == ETIMEDOUT) {
            printf("FAIL [%s] rank %d waits forever for a %s (peer %d, tag 0x%x): deadlock\n", test_desc,
                   me->comm.rank, r->is_send ? "send" : "receive", r->src, (unsigned)r->tag);
            fflush(stdout);
            _exit(1);
        }
    }
    int err = r->err;
    r->used = 0;
    *h = MPI_REQUEST_NULL;
    pthread_mutex_unlock(&mu);
    return err;
}

int p2p_wait(MPI_Request *req, MPI_Status *status) { return wait_one(req); }

int p2p_waitall(int n, MPI_Request *rq, MPI_Status *statuses)
{
    int rc = MPI_SUCCESS;
    for (int i = 0; i < n; i++) {
        int e = wait_one(&rq[i]);
        if (rc == MPI_SUCCESS)
            rc = e;
    }
    return rc;
}

int p2p_send(const void *buf, int count, MPI_Datatype dt, int dest, int tag, struct mpi_comm *comm,
             uint32_t context)
{
    MPI_Request r;
    int rc = p2p_isend(buf, count, dt, dest, tag, comm, context, MODE_STANDARD, &r);
    return rc != MPI_SUCCESS ? rc : wait_one(&r);
}

int p2p_recv(void *buf, int count, MPI_Datatype dt, int source, int tag, struct mpi_comm *comm, uint32_t context,
             MPI_Status *status)
{
    MPI_Request r;
    int rc = p2p_irecv(buf, count, dt, source, tag, comm, context, &r);
    return rc != MPI_SUCCESS ? rc : wait_one(&r);
}

int p2p_sendrecv(const void *sbuf, int scount, MPI_Datatype sdt, int dest, int stag, void *rbuf, int rcount,
                 MPI_Datatype rdt, int source, int rtag, struct mpi_comm *comm, uint32_t context, MPI_Status *status)
{
    MPI_Request r[2];
    int rc = p2p_irecv(rbuf, rcount, rdt, source, rtag, comm, context, &r[0]);
    if (rc != MPI_SUCCESS)
        return rc;
    rc = p2p_isend(sbuf, scount, sdt, dest, stag, comm, context, MODE_STANDARD, &r[1]);
    if (rc != MPI_SUCCESS)
        return rc;
    return p2p_waitall(2, r, MPI_STATUSES_IGNORE);
}

/* ------------------------------------------------------------------ running ranks */

typedef void (*rank_fn)(void *arg);
static pthread_t workers[MAXR];
static struct rank_ctx ctxs[MAXR];
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER; /* workers: a new run */
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER; /* main: all workers done */
static long pool_gen;
static int pool_n, pool_done;
static rank_fn pool_fn;
static void *pool_arg;

static void *worker(void *p)
{
    int i = (int)(intptr_t)p;
    long seen = 0;
    me = &ctxs[i];
    for (;;) {
        pthread_mutex_lock(&pool_mu);
        while (pool_gen == seen)
            pthread_cond_wait(&pool_cv, &pool_mu);
        seen = pool_gen;
        int n = pool_n;
        pthread_mutex_unlock(&pool_mu);
        if (i < n)
            pool_fn(pool_arg);
        pthread_mutex_lock(&pool_mu);
        if (++pool_done == MAXR)
            pthread_cond_signal(&done_cv);
        pthread_mutex_unlock(&pool_mu);
    }
    return NULL;
}

static unsigned run_counter;

/* Runs fn on ranks 0..n-1 at once; checks that nothing is left in the
 * queues after.  Returns the number of messages sent. */
static long run_ranks(int n, rank_fn fn, void *arg)
{
    run_counter++;
    for (int i = 0; i < MAXR; i++) {
        struct rank_ctx *c = &ctxs[i];
        memset(c, 0, sizeof *c);
        c->comm = (struct mpi_comm){.in_use = 1, .context = 40, .group = MPI_GROUP_NULL,
                                    .remote = MPI_GROUP_NULL, .rank = i, .size = n};
        c->inter = c->comm;
        c->inter.remote = MAKE_HANDLE(HT_GROUP, 3);
        c->seed = run_counter * 7919u + (unsigned)i;
    }
    atomic_store(&messages, 0);
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 30;
    pthread_mutex_lock(&pool_mu);
    pool_fn = fn;
    pool_arg = arg;
    pool_n = n;
    pool_done = 0;
    pool_gen++;
    pthread_cond_broadcast(&pool_cv);
    while (pool_done < MAXR)
        pthread_cond_wait(&done_cv, &pool_mu);
    pthread_mutex_unlock(&pool_mu);
    for (int i = 0; i < MAXR; i++) {
        if (unexp_head[i] || posted_head[i]) {
            failed("rank %d: messages or receives left over after the call", i);
            while (unexp_head[i]) {
                struct msg *m = unexp_head[i];
                unexp_head[i] = m->next;
                free(m->data);
                free(m);
            }
            unexp_tail[i] = NULL;
            posted_head[i] = posted_tail[i] = NULL;
        }
    }
    for (int i = 0; i < MAXREQ; i++)
        if (reqs[i].used) {
            failed("request %d not completed and freed", i);
            reqs[i].used = 0;
        }
    return atomic_load(&messages);
}

/* ------------------------------------------------------------------ data */

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* The packed bytes rank `a` has for rank `b` in test `seed`. */
static void gen_stream(unsigned char *p, size_t len, unsigned seed, int a, int b)
{
    uint64_t key = ((uint64_t)seed << 40) ^ ((uint64_t)a << 32) ^ ((uint64_t)b << 24);
    for (size_t k = 0; k < len; k += 8) {
        uint64_t x = mix(key ^ (k / 8));
        memcpy(p + k, &x, len - k < 8 ? len - k : 8);
    }
}

/* A typed buffer inside a guarded allocation filled with SENT. */
struct tbuf {
    unsigned char *base;
    size_t total;
    char *buf;
};

static void tb_alloc(struct tbuf *b, size_t elems, MPI_Datatype dt)
{
    const struct mpi_dtype *t = dtype_get(dt);
    b->total = elems * (size_t)t->extent + 64 + 32;
    b->base = malloc(b->total);
    memset(b->base, SENT, b->total);
    b->buf = (char *)b->base + 32;
}

static void tb_free(struct tbuf *b) { free(b->base); }

/* Expected content: a map of which bytes are data (mask) and the bytes
 * themselves; everything else must still be SENT. */
struct expect {
    unsigned char *mask, *want;
};

static void ex_init(struct expect *e, const struct tbuf *b)
{
    e->mask = calloc(b->total, 1);
    e->want = malloc(b->total);
    memset(e->want, SENT, b->total);
}

/* Block of count elements of dt at byte offset `off` of b's buf is to hold
 * the packed bytes `stream`. */
static void ex_block(struct expect *e, const struct tbuf *b, MPI_Aint off, int count, MPI_Datatype dt,
                     const unsigned char *stream)
{
    const struct mpi_dtype *t = dtype_get(dt);
    size_t len = (size_t)count * t->size;
    if (!len)
        return;
    unsigned char *ones = malloc(len);
    memset(ones, 1, len);
    MPI_Aint shift = (char *)b->buf - (char *)b->base + off;
    stream_copy((char *)e->mask + shift, count, t, 0, (char *)ones, len, 0);
    stream_copy((char *)e->want + shift, count, t, 0, (char *)stream, len, 0);
    free(ones);
}

static void ex_check(struct expect *e, const struct tbuf *b, const char *what)
{
    for (size_t k = memcmp(b->base, e->want, b->total) ? 0 : b->total; k < b->total; k++) {
        if (b->base[k] != e->want[k]) {
            long rel = (long)k - (long)((char *)b->buf - (char *)b->base);
            failed("rank %d: %s: byte %ld is 0x%02x, want 0x%02x (%s)", me->comm.rank, what, rel, b->base[k],
                   e->want[k], e->mask[k] ? "data" : "must not be written");
            break;
        }
    }
    free(e->mask);
    free(e->want);
}

/* Writes the packed bytes `stream` as count elements of dt at b->buf + off. */
static void tb_fill(struct tbuf *b, MPI_Aint off, int count, MPI_Datatype dt, const unsigned char *stream)
{
    const struct mpi_dtype *t = dtype_get(dt);
    stream_copy(b->buf + off, count, t, 0, (char *)stream, (size_t)count * t->size, 0);
}

static unsigned char *stream_of(unsigned seed, int a, int b, size_t len)
{
    unsigned char *p = malloc(len + 1);
    gen_stream(p, len, seed, a, b);
    return p;
}

static void expect_ok(int rc, const char *call)
{
    if (rc != MPI_SUCCESS)
        failed("rank %d: %s returned %d (%s)", me->comm.rank, call, rc, me->last_msg);
}

/* ------------------------------------------------------------------ test cases */

/* A case: one call of a collective at n ranks. */
struct tcase {
    int n;
    int count;             /* elements of dt (send side) */
    MPI_Datatype dt;       /* send type */
    MPI_Datatype rdt;      /* receive type, same signature */
    int rmul;              /* receive count = count * rmul */
    int root;
    int in_place;
    MPI_Op op;
    unsigned seed;
    int variant;           /* per collective */
};

static MPI_Comm W = MPI_COMM_WORLD;

/* barrier: nobody leaves before everybody arrived */
static atomic_int arrived[8];
static void t_barrier(void *arg __attribute__((unused)))
{
    int n = me->comm.size;
    for (int k = 0; k < 8; k++) {
        if (rand_r(&me->seed) % 2)
            usleep(rand_r(&me->seed) % 500);
        atomic_fetch_add(&arrived[k], 1);
        expect_ok(PMPI_Barrier(W), "MPI_Barrier");
        if (atomic_load(&arrived[k]) != n)
            failed("rank %d left barrier %d with %d of %d ranks arrived", me->comm.rank, k, atomic_load(&arrived[k]),
                   n);
    }
}

static void t_bcast(void *arg)
{
    struct tcase *tc = arg;
    int r = me->comm.rank;
    size_t len = (size_t)tc->count * dtype_size(dtype_get(tc->dt));
    unsigned char *s = stream_of(tc->seed, tc->root, 0, len);
    struct tbuf b;
    struct expect e;
    tb_alloc(&b, (size_t)tc->count, tc->dt);
    if (r == tc->root)
        tb_fill(&b, 0, tc->count, tc->dt, s);
    ex_init(&e, &b);
    ex_block(&e, &b, 0, tc->count, tc->dt, s);
    expect_ok(PMPI_Bcast(b.buf, tc->count, tc->dt, tc->root, W), "MPI_Bcast");
    ex_check(&e, &b, "bcast buffer");
    tb_free(&b);
    free(s);
}

/* gather: rank i sends count of dt, the root receives count*rmul of rdt per rank */
static void t_gather(void *arg)
{
    struct tcase *tc = arg;
    int r = me->comm.rank, n = me->comm.size, root = tc->root;
    int rcount = tc->count * tc->rmul;
    MPI_Aint rext = dtype_extent(dtype_get(tc->rdt));
    size_t len = (size_t)tc->count * dtype_size(dtype_get(tc->dt));
    unsigned char *mine = stream_of(tc->seed, r, 0, len);
    struct tbuf sb, rb;
    tb_alloc(&sb, (size_t)tc->count, tc->dt);
    tb_fill(&sb, 0, tc->count, tc->dt, mine);
    tb_alloc(&rb, (size_t)n * rcount, tc->rdt);
    int inplace = tc->in_place && r == root;
    if (inplace)
        tb_fill(&rb, (MPI_Aint)r * rcount * rext, rcount, tc->rdt, mine);
    int rc;
    if (tc->variant == 0) {
        rc = PMPI_Gather(inplace ? MPI_IN_PLACE : sb.buf, tc->count, tc->dt, r == root ? rb.buf : NULL, rcount,
                         tc->rdt, root, W);
    } else {
        int counts[MAXR], displs[MAXR];
        for (int i = 0; i < n; i++) {
            counts[i] = rcount;
            displs[i] = (n - 1 - i) * rcount; /* reversed order */
        }
        if (inplace) /* its block is at its displacement */
            tb_fill(&rb, (MPI_Aint)displs[r] * rext, rcount, tc->rdt, mine);
        rc = PMPI_Gatherv(inplace ? MPI_IN_PLACE : sb.buf, tc->count, tc->dt, r == root ? rb.buf : NULL, counts,
                          displs, tc->rdt, root, W);
    }
    expect_ok(rc, tc->variant ? "MPI_Gatherv" : "MPI_Gather");
    if (r == root) {
        struct expect e;
        ex_init(&e, &rb);
        for (int i = 0; i < n; i++) {
            unsigned char *s = stream_of(tc->seed, i, 0, len);
            int slot = tc->variant ? n - 1 - i : i;
            ex_block(&e, &rb, (MPI_Aint)slot * rcount * rext, rcount, tc->rdt, s);
            free(s);
        }
        ex_check(&e, &rb, "gathered buffer");
    }
    struct expect es;
    ex_init(&es, &sb);
    ex_block(&es, &sb, 0, tc->count, tc->dt, mine);
    ex_check(&es, &sb, "send buffer (must not change)");
    tb_free(&sb);
    tb_free(&rb);
    free(mine);
}

/* gatherv with uneven counts (zeros too) and gaps between blocks */
static void uneven(int n, int base, unsigned seed, int *counts, int *displs, int *total)
{
    int off = 0;
    for (int i = 0; i < n; i++) {
        counts[i] = (int)(mix(seed * 31u + (unsigned)i) % (unsigned)(base + 1));
        if (i % 3 == 1)
            counts[i] = 0;
    }
    for (int i = n - 1; i >= 0; i--) { /* reversed, with a gap of 1 element */
        displs[i] = off;
        off += counts[i] + 1;
    }
    *total = off;
}

static void t_gatherv_uneven(void *arg)
{
    struct tcase *tc = arg;
    int r = me->comm.rank, n = me->comm.size, root = tc->root, counts[MAXR], displs[MAXR], total;
    uneven(n, tc->count, tc->seed, counts, displs, &total);
    MPI_Aint rext = dtype_extent(dtype_get(tc->dt));
    size_t len = (size_t)counts[r] * dtype_size(dtype_get(tc->dt));
    unsigned char *mine = stream_of(tc->seed, r, 0, len);
    struct tbuf sb, rb;
    tb_alloc(&sb, (size_t)counts[r], tc->dt);
    tb_fill(&sb, 0, counts[r], tc->dt, mine);
    tb_alloc(&rb, (size_t)total, tc->dt);
    int inplace = tc->in_place && r == root;
    if (inplace)
        tb_fill(&rb, (MPI_Aint)displs[r] * rext, counts[r], tc->dt, mine);
    expect_ok(PMPI_Gatherv(inplace ? MPI_IN_PLACE : sb.buf, counts[r], tc->dt, r == root ? rb.buf : NULL, counts,
                           displs, tc->dt, root, W),
              "MPI_Gatherv");
    if (r == root) {
        struct expect e;
        ex_init(&e, &rb);
        for (int i = 0; i < n; i++) {
            unsigned char *s = stream_of(tc->seed, i, 0, (size_t)counts[i] * dtype_size(dtype_get(tc->dt)));
            ex_block(&e, &rb, (MPI_Aint)displs[i] * rext, counts[i], tc->dt, s);
            free(s);
        }
        ex_check(&e, &rb, "gatherv buffer");
    }
    tb_free(&sb);
    tb_free(&rb);
    free(mine);
}

/* scatter: the root sends count*rmul of rdt... here: root sends count of dt
 * per rank, each rank receives count*rmul of rdt */
static void t_scatter(void *arg)
{
    struct tcase *tc = arg;
    int r = me->comm.rank, n = me->comm.size, root = tc->root;
    int rcount = tc->count * tc->rmul;
    MPI_Aint sext = dtype_extent(dtype_get(tc->dt));
    size_t len = (size_t)tc->count * dtype_size(dtype_get(tc->dt));
    struct tbuf sb, rb;
    tb_alloc(&sb, (size_t)n * tc->count, tc->dt);
    int counts[MAXR], displs[MAXR];
    for (int i = 0; i < n; i++) {
        counts[i] = tc->count;
        displs[i] = tc->variant ? (n - 1 - i) * tc->count : i * tc->count;
    }
    if (r == root)
        for (int i = 0; i < n; i++) {
            unsigned char *s = stream_of(tc->seed, root, i, len);
            tb_fill(&sb, (MPI_Aint)displs[i] * sext, tc->count, tc->dt, s);
            free(s);
        }
    int inplace = tc->in_place && r == root;
    tb_alloc(&rb, (size_t)rcount, tc->rdt);
    int rc;
    if (tc->variant == 0)
        rc = PMPI_Scatter(r == root ? sb.buf : NULL, tc->count, tc->dt, inplace ? MPI_IN_PLACE : rb.buf, rcount,
                          tc->rdt, root, W);
    else
        rc = PMPI_Scatterv(r == root ? sb.buf : NULL, counts, displs, tc->dt, inplace ? MPI_IN_PLACE : rb.buf,
                           rcount, tc->rdt, root, W);
    expect_ok(rc, tc->variant ? "MPI_Scatterv" : "MPI_Scatter");
    struct expect e;
    ex_init(&e, &rb);
    if (!inplace) {
        unsigned char *s = stream_of(tc->seed, root, r, len);
        ex_block(&e, &rb, 0, rcount, tc->rdt, s);
        free(s);
    }
    ex_check(&e, &rb, inplace ? "recvbuf (in place: must not be written)" : "scattered block");
    if (r == root) {
        struct expect es;
        ex_init(&es, &sb);
        for (int i = 0; i < n; i++) {
            unsigned char *s = stream_of(tc->seed, root, i, len);
            ex_block(&es, &sb, (MPI_Aint)displs[i] * sext, tc->count, tc->dt, s);
            free(s);
        }
        ex_check(&es, &sb, "send buffer (must not change)");
    }
    tb_free(&sb);
    tb_free(&rb);
}

static void t_scatterv_uneven(void *arg)
{
    struct tcase *tc = arg;
    int r = me->comm.rank, n = me->comm.size, root = tc->root, counts[MAXR], displs[MAXR], total;
    uneven(n, tc->count, tc->seed, counts, displs, &total);
    MPI_Aint ext = dtype_extent(dtype_get(tc->dt));
    size_t size = dtype_size(dtype_get(tc->dt));
    struct tbuf sb, rb;
    tb_alloc(&sb, (size_t)total, tc->dt);
    if (r == root)
        for (int i = 0; i < n; i++) {
            unsigned char *s = stream_of(tc->seed, root, i, (size_t)counts[i] * size);
            tb_fill(&sb, (MPI_Aint)displs[i] * ext, counts[i], tc->dt, s);
            free(s);
        }
    tb_alloc(&rb, (size_t)counts[r], tc->dt);
    int inplace = tc->in_place && r == root;
    expect_ok(PMPI_Scatterv(r == root ? sb.buf : NULL, counts, displs, tc->dt, inplace ? MPI_IN_PLACE : rb.buf,
                            counts[r], tc->dt, root, W),
              "MPI_Scatterv");
    struct expect e;
    ex_init(&e, &rb);
    if (!inplace) {
        unsigned char *s = stream_of(tc->seed, root, r, (size_t)counts[r] * size);
        ex_block(&e, &rb, 0, counts[r], tc->dt, s);
        free(s);
    }
    ex_check(&e, &rb, "scatterv block");
    tb_free(&sb);
    tb_free(&rb);
}

/* allgather(v): variant 0 allgather, 1 allgatherv with uneven counts */
static void t_allgather(void *arg)
{
    struct tcase *tc = arg;
    int r = me->comm.rank, n = me->comm.size;
    int counts[MAXR], displs[MAXR], total;
    MPI_Datatype rdt = tc->variant ? tc->dt : tc->rdt;
    MPI_Aint rext = dtype_extent(dtype_get(rdt));
    if (tc->variant) {
        uneven(n, tc->count, tc->seed, counts, displs, &total);
    } else {
        for (int i = 0; i < n; i++) {
            counts[i] = tc->count * tc->rmul;
            displs[i] = i * counts[i];
        }
        total = n * tc->count * tc->rmul;
    }
    int scount = tc->variant ? counts[r] : tc->count;
    size_t len = (size_t)scount * dtype_size(dtype_get(tc->dt));
    unsigned char *mine = stream_of(tc->seed, r, 0, len);
    struct tbuf sb, rb;
    tb_alloc(&sb, (size_t)scount, tc->dt);
    tb_fill(&sb, 0, scount, tc->dt, mine);
    tb_alloc(&rb, (size_t)total, rdt);
    if (tc->in_place)
        tb_fill(&rb, (MPI_Aint)displs[r] * rext, counts[r], rdt, mine);
    const void *s = tc->in_place ? MPI_IN_PLACE : sb.buf;
    int rc = tc->variant ? PMPI_Allgatherv(s, scount, tc->dt, rb.buf, counts, displs, rdt, W)
                         : PMPI_Allgather(s, scount, tc->dt, rb.buf, counts[0], rdt, W);
    expect_ok(rc, tc->variant ? "MPI_Allgatherv" : "MPI_Allgather");
    struct expect e;
    ex_init(&e, &rb);
    for (int i = 0; i < n; i++) {
        unsigned char *st = stream_of(tc->seed, i, 0, (size_t)counts[i] * dtype_size(dtype_get(rdt)));
        ex_block(&e, &rb, (MPI_Aint)displs[i] * rext, counts[i], rdt, st);
        free(st);
    }
    ex_check(&e, &rb, "allgather buffer");
    tb_free(&sb);
    tb_free(&rb);
    free(mine);
}

/* alltoall(v,w): variant 0 alltoall, 1 alltoallv (uneven), 2 alltoallw (types per peer) */
static void t_alltoall(void *arg)
{
    struct tcase *tc = arg;
    int r = me->comm.rank, n = me->comm.size;
    int scounts[MAXR], rcounts[MAXR], sdispls[MAXR], rdispls[MAXR];
    MPI_Datatype stypes[MAXR], rtypes[MAXR];
    size_t ssize = dtype_size(dtype_get(tc->dt));
    /* block i->j count: alltoall: count (recv count*rmul of rdt);
     * v/w: c(i,j) = mix % (count+1), a zero block now and then */
    /* symmetric (i->j as j->i): MPI_IN_PLACE needs it */
#define CNT(i, j) (tc->variant == 0 ? tc->count : ((i) + (j)) % 5 == 3 ? 0 : (int)(mix(tc->seed + 100u * (unsigned)((i) < (j) ? (i) : (j)) + (unsigned)((i) < (j) ? (j) : (i))) % (unsigned)(tc->count + 1)))
    int stotal = 0, rtotal = 0;
    for (int j = 0; j < n; j++) {
        scounts[j] = CNT(r, j);
        stypes[j] = tc->dt;
        rcounts[j] = CNT(j, r) * (tc->variant == 1 ? 1 : tc->rmul);
        rtypes[j] = tc->variant == 1 ? tc->dt : tc->rdt;
        if (tc->variant == 2 && j % 2 && r % 2 == 0 && !tc->in_place) { /* odd peers of even ranks: the other way round */
            stypes[j] = tc->rdt;
            scounts[j] = CNT(r, j) * tc->rmul;
            rtypes[j] = tc->dt;
            rcounts[j] = CNT(j, r);
        }
        if (tc->variant == 2 && scounts[j] == 0)
            stypes[j] = MPI_DATATYPE_NULL; /* allowed for empty blocks */
    }
    /* displacements: reversed order with gaps; alltoallw's in bytes */
    for (int j = n - 1; j >= 0; j--) {
        sdispls[j] = stotal;
        rdispls[j] = rtotal;
        if (tc->variant == 2) {
            stotal += (scounts[j] + 1) * 24; /* room for any of the types */
            rtotal += (rcounts[j] + 1) * 24;
        } else if (tc->variant == 1) {
            stotal += scounts[j] + 1;
            rtotal += rcounts[j] + 1;
        }
    }
    if (tc->variant == 0)
        for (int j = 0; j < n; j++) {
            sdispls[j] = j * tc->count;
            rdispls[j] = j * tc->count * tc->rmul;
        }
    struct tbuf sb, rb;
    MPI_Datatype sarr = tc->variant == 2 ? MPI_BYTE : tc->dt;
    MPI_Datatype rarr = tc->variant == 2 ? MPI_BYTE : tc->variant == 1 ? tc->dt : tc->rdt;
    tb_alloc(&sb, tc->variant == 2 ? (size_t)stotal : tc->variant == 1 ? (size_t)stotal : (size_t)n * tc->count,
             sarr);
    tb_alloc(&rb, tc->variant == 2 ? (size_t)rtotal : tc->variant == 1 ? (size_t)rtotal
                                                                        : (size_t)n * tc->count * tc->rmul,
             rarr);
    MPI_Aint sunit = tc->variant == 2 ? 1 : dtype_extent(dtype_get(sarr));
    MPI_Aint runit = tc->variant == 2 ? 1 : dtype_extent(dtype_get(rarr));
    /* in place: the receive layout describes the blocks to send, which the
     * test fills with the data for each peer */
    for (int j = 0; j < n; j++) {
        size_t len = (size_t)CNT(r, j) * ssize;
        unsigned char *s = stream_of(tc->seed, r, j, len);
        if (tc->in_place) {
            /* block j of the receive layout is also what goes to j: the sizes must match */
            tb_fill(&rb, (MPI_Aint)rdispls[j] * runit, (int)(len / dtype_size(dtype_get(rtypes[j]))), rtypes[j], s);
        } else if (scounts[j] > 0) {
            tb_fill(&sb, (MPI_Aint)sdispls[j] * sunit, scounts[j], stypes[j], s);
        }
        free(s);
    }
    const void *sbuf = tc->in_place ? MPI_IN_PLACE : sb.buf;
    int rc;
    if (tc->variant == 0) {
        rc = PMPI_Alltoall(sbuf, tc->count, tc->dt, rb.buf, tc->count * tc->rmul, tc->rdt, W);
    } else if (tc->variant == 1) {
        rc = PMPI_Alltoallv(sbuf, scounts, sdispls, tc->dt, rb.buf, rcounts, rdispls, tc->dt, W);
    } else {
        rc = PMPI_Alltoallw(sbuf, scounts, sdispls, stypes, rb.buf, rcounts, rdispls, rtypes, W);
    }
    expect_ok(rc, tc->variant == 0 ? "MPI_Alltoall" : tc->variant == 1 ? "MPI_Alltoallv" : "MPI_Alltoallw");
    struct expect e;
    ex_init(&e, &rb);
    for (int j = 0; j < n; j++) {
        size_t len = (size_t)CNT(j, r) * ssize;
        unsigned char *s = stream_of(tc->seed, j, r, len);
        ex_block(&e, &rb, (MPI_Aint)rdispls[j] * runit, rcounts[j], rtypes[j], s);
        free(s);
    }
    ex_check(&e, &rb, "alltoall buffer");
    tb_free(&sb);
    tb_free(&rb);
#undef CNT
}

/* ------------------------------------------------------------------ reductions */

/* The basic values of the packed vector of rank r: ints or doubles; MAT
 * entries are small so that products stay interesting. */
static int kind_of(MPI_Datatype dt) { return dtype_get(dt)->basic == MPI_DOUBLE ? 1 : 0; }

static void gen_values(unsigned char *p, size_t units, MPI_Datatype dt, unsigned seed, int r)
{
    for (size_t i = 0; i < units; i++) {
        uint64_t x = mix(((uint64_t)seed << 32) ^ ((uint64_t)r << 24) ^ i);
        if (kind_of(dt)) {
            double v = ((double)(x % 4001) - 2000.0) * 0.25;
            memcpy(p + 8 * i, &v, 8);
        } else {
            int32_t v = dt == T_MAT ? (int32_t)(x % 5) : (int32_t)(x % 2001) - 1000;
            memcpy(p + 4 * i, &v, 4);
        }
    }
}

/* out = in op out on the packed values (the harness's own reference). */
static void ref_apply(MPI_Op op, MPI_Datatype dt, const unsigned char *in, unsigned char *out, size_t units)
{
    if (op == OP_MATMUL) {
        if (op_apply(OP_MATMUL, in, out, (int)(units / 4), T_MAT) != MPI_SUCCESS)
            failed("reference MATMUL failed");
        return;
    }
    MPI_Datatype b = kind_of(dt) ? MPI_DOUBLE : MPI_INT;
    if (op == OP_UDSUM || op == OP_NCSUM)
        op = MPI_SUM;
    op_apply(op, in, out, (int)units, b);
}

static size_t units_per(MPI_Datatype dt) { return dtype_size(dtype_get(dt)) / (kind_of(dt) ? 8 : 4); }

/* The reduction over ranks lo..hi-1, in rank order, of `units` values. */
static unsigned char *ref_reduce(MPI_Op op, MPI_Datatype dt, unsigned seed, int lo, int hi, size_t units)
{
    size_t us = kind_of(dt) ? 8 : 4;
    unsigned char *acc = malloc(units * us + 1), *x = malloc(units * us + 1);
    gen_values(acc, units, dt, seed, hi - 1);
    for (int r = hi - 2; r >= lo; r--) { /* acc = x_r op acc, from the right */
        gen_values(x, units, dt, seed, r);
        ref_apply(op, dt, x, acc, units);
    }
    free(x);
    return acc;
}

/* variant: 0 reduce, 1 allreduce, 2 scan, 3 exscan, 4 reduce_scatter_block, 5 reduce_scatter */
static void t_reduce(void *arg)
{
    struct tcase *tc = arg;
    int r = me->comm.rank, n = me->comm.size, v = tc->variant;
    MPI_Datatype dt = tc->dt;
    size_t up = units_per(dt), us = kind_of(dt) ? 8 : 4;
    int counts[MAXR];
    int total = tc->count;
    if (v == 4) {
        for (int i = 0; i < n; i++)
            counts[i] = tc->count;
        total = tc->count * n;
    } else if (v == 5) {
        total = 0;
        for (int i = 0; i < n; i++) {
            counts[i] = (int)(mix(tc->seed * 7u + (unsigned)i) % (unsigned)(tc->count + 1));
            if (i % 4 == 2)
                counts[i] = 0;
            total += counts[i];
        }
    }
    size_t units = (size_t)total * up;
    unsigned char *mine = malloc(units * us + 1);
    gen_values(mine, units, dt, tc->seed, r);
    struct tbuf sb, rb;
    tb_alloc(&sb, (size_t)total, dt);
    tb_fill(&sb, 0, total, dt, mine);
    tb_alloc(&rb, (size_t)total, dt);
    int is_root = v != 0 || r == tc->root;
    int inplace = tc->in_place && is_root;
    if (inplace)
        tb_fill(&rb, 0, total, dt, mine);
    const void *s = inplace ? MPI_IN_PLACE : sb.buf;
    int rc = MPI_SUCCESS;
    const char *name = "";
    switch (v) {
    case 0:
        rc = PMPI_Reduce(s, r == tc->root ? rb.buf : NULL, tc->count, dt, tc->op, tc->root, W);
        name = "MPI_Reduce";
        break;
    case 1:
        rc = PMPI_Allreduce(s, rb.buf, tc->count, dt, tc->op, W);
        name = "MPI_Allreduce";
        break;
    case 2:
        rc = PMPI_Scan(s, rb.buf, tc->count, dt, tc->op, W);
        name = "MPI_Scan";
        break;
    case 3:
        rc = PMPI_Exscan(s, rb.buf, tc->count, dt, tc->op, W);
        name = "MPI_Exscan";
        break;
    case 4:
        rc = PMPI_Reduce_scatter_block(s, rb.buf, tc->count, dt, tc->op, W);
        name = "MPI_Reduce_scatter_block";
        break;
    case 5:
        rc = PMPI_Reduce_scatter(s, rb.buf, counts, dt, tc->op, W);
        name = "MPI_Reduce_scatter";
        break;
    }
    expect_ok(rc, name);
    struct expect e;
    ex_init(&e, &rb);
    unsigned char *want = NULL;
    if (v == 0 && r != tc->root) {
        /* nothing written */
    } else if (v == 0 || v == 1) {
        want = ref_reduce(tc->op, dt, tc->seed, 0, n, units);
        ex_block(&e, &rb, 0, tc->count, dt, want);
    } else if (v == 2) {
        want = ref_reduce(tc->op, dt, tc->seed, 0, r + 1, units);
        ex_block(&e, &rb, 0, tc->count, dt, want);
    } else if (v == 3) {
        if (r > 0) {
            want = ref_reduce(tc->op, dt, tc->seed, 0, r, units);
            ex_block(&e, &rb, 0, tc->count, dt, want);
        } else if (inplace) {
            ex_block(&e, &rb, 0, tc->count, dt, mine); /* rank 0's recvbuf: left alone */
        }
    } else {
        want = ref_reduce(tc->op, dt, tc->seed, 0, n, units);
        size_t first = 0;
        for (int i = 0; i < r; i++)
            first += (size_t)counts[i];
        if (inplace) { /* the rest of the input stays as it was, or may be overwritten: not checked */
            ex_block(&e, &rb, 0, total, dt, mine);
        }
        ex_block(&e, &rb, 0, counts[r], dt, want + first * up * us);
        if (inplace) { /* only the first block is defined */
            MPI_Aint ext = dtype_extent(dtype_get(dt));
            size_t from = (size_t)((char *)rb.buf - (char *)rb.base) + (size_t)counts[r] * (size_t)ext;
            for (size_t k = from; k < rb.total; k++)
                e.want[k] = rb.base[k];
        }
    }
    ex_check(&e, &rb, name);
    struct expect es;
    ex_init(&es, &sb);
    ex_block(&es, &sb, 0, total, dt, mine);
    ex_check(&es, &sb, "send buffer (must not change)");
    free(want);
    free(mine);
    tb_free(&sb);
    tb_free(&rb);
}

/* ------------------------------------------------------------------ determinism */

static unsigned char results[MAXR][8 * 6000];

static void det_values(double *p, size_t n, unsigned seed, int r)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t x = mix(((uint64_t)seed << 32) ^ ((uint64_t)r << 24) ^ i);
        double mant = (double)(x >> 11) / 9007199254740992.0 - 0.5;
        int e = (int)((x >> 3) % 40) - 20;
        p[i] = mant * (double)(1ull << (e > 0 ? e : 0)) / (double)(1ull << (e < 0 ? -e : 0));
    }
}

/* variant: 1 allreduce, 0 reduce (root tc->root), 2 scan, 4 reduce_scatter_block */
static void t_det(void *arg)
{
    struct tcase *tc = arg;
    int r = me->comm.rank, n = me->comm.size, v = tc->variant;
    int total = v == 4 ? tc->count * n : tc->count;
    double *in = malloc(sizeof(double) * (size_t)total + 8), *out = calloc((size_t)total + 1, sizeof(double));
    det_values(in, (size_t)total, tc->seed, r);
    int rc = v == 1   ? PMPI_Allreduce(in, out, tc->count, MPI_DOUBLE, MPI_SUM, W)
             : v == 0 ? PMPI_Reduce(in, out, tc->count, MPI_DOUBLE, MPI_SUM, tc->root, W)
             : v == 2 ? PMPI_Scan(in, out, tc->count, MPI_DOUBLE, MPI_SUM, W)
                      : PMPI_Reduce_scatter_block(in, out, tc->count, MPI_DOUBLE, MPI_SUM, W);
    expect_ok(rc, "reduction of random doubles");
    memcpy(results[r], out, sizeof(double) * (size_t)tc->count);
    /* close to the exact sum */
    if (v != 0 || r == tc->root) {
        double *x = malloc(sizeof(double) * (size_t)total + 8);
        int hi = v == 2 ? r + 1 : n;
        size_t first = v == 4 ? (size_t)r * (size_t)tc->count : 0;
        for (int i = 0; i < tc->count; i++) {
            double sum = 0, mag = 0;
            for (int k = 0; k < hi; k++) {
                det_values(x, (size_t)total, tc->seed, k);
                sum += x[first + (size_t)i];
                mag += x[first + (size_t)i] < 0 ? -x[first + (size_t)i] : x[first + (size_t)i];
            }
            double d = out[i] - sum;
            if ((d < 0 ? -d : d) > 1e-12 * mag + 1e-300) {
                failed("rank %d: element %d is %.17g, the sum is %.17g", r, i, out[i], sum);
                break;
            }
            if (i > 40) /* a sample is enough */
                break;
        }
        free(x);
    }
    free(in);
    free(out);
}

/* ------------------------------------------------------------------ errors */

struct ecase {
    const char *what;
    int code;
    int who; /* -1: every rank calls; else only ranks != who call (who is the root) */
    int (*call)(void);
};

static int buf_i[64], buf_j[64];
static int e_comm_null(void) { return PMPI_Barrier(MPI_COMM_NULL); }
static int e_comm_bogus(void) { return PMPI_Bcast(buf_i, 1, MPI_INT, 0, H_BOGUS_COMM); }
static int e_intercomm(void) { return PMPI_Scan(buf_i, buf_j, 1, MPI_INT, MPI_SUM, H_INTERCOMM); }
static int e_count(void) { return PMPI_Bcast(buf_i, -1, MPI_INT, 0, W); }
static int e_type_null(void) { return PMPI_Bcast(buf_i, 1, MPI_DATATYPE_NULL, 0, W); }
static int e_type_uncommitted(void) { return PMPI_Allgather(buf_i, 1, T_UNCOMMITTED, buf_j, 1, MPI_INT, W); }
static int e_root_high(void) { return PMPI_Bcast(buf_i, 1, MPI_INT, me->comm.size, W); }
static int e_root_neg(void) { return PMPI_Reduce(buf_i, buf_j, 1, MPI_INT, MPI_SUM, -1, W); }
static int e_bcast_in_place(void) { return PMPI_Bcast(MPI_IN_PLACE, 1, MPI_INT, 0, W); }
static int e_op_null(void) { return PMPI_Allreduce(buf_i, buf_j, 1, MPI_INT, MPI_OP_NULL, W); }
static int e_op_replace(void) { return PMPI_Allreduce(buf_i, buf_j, 1, MPI_INT, MPI_REPLACE, W); }
static int e_op_byte(void) { return PMPI_Allreduce(buf_i, buf_j, 4, MPI_BYTE, MPI_SUM, W); }
static int e_op_mixed(void) { return PMPI_Reduce(buf_i, buf_j, 1, T_MIXED, MPI_MAX, 0, W); }
static int e_recv_in_place(void) { return PMPI_Allreduce(buf_i, MPI_IN_PLACE, 1, MPI_INT, MPI_SUM, W); }
static int e_alias(void) { return PMPI_Allreduce(buf_i, buf_i, 1, MPI_INT, MPI_SUM, W); }
static int e_alias_scan(void) { return PMPI_Scan(buf_i, buf_i, 2, MPI_INT, MPI_SUM, W); }
static int e_reduce_in_place_nonroot(void) { return PMPI_Reduce(MPI_IN_PLACE, NULL, 1, MPI_INT, MPI_SUM, 0, W); }
static int e_gather_in_place_nonroot(void) { return PMPI_Gather(MPI_IN_PLACE, 1, MPI_INT, NULL, 1, MPI_INT, 0, W); }
static int e_scatter_in_place_nonroot(void) { return PMPI_Scatter(NULL, 1, MPI_INT, MPI_IN_PLACE, 1, MPI_INT, 0, W); }
static int e_gatherv_null_counts(void)
{
    return PMPI_Gatherv(MPI_IN_PLACE, 1, MPI_INT, buf_j, NULL, buf_i, MPI_INT, me->comm.rank, W);
}
static int e_redscat_neg(void)
{
    int counts[MAXR];
    for (int i = 0; i < MAXR; i++)
        counts[i] = i == me->comm.size - 1 ? -2 : 1;
    return PMPI_Reduce_scatter(buf_i, buf_j, counts, MPI_INT, MPI_SUM, W);
}
static int e_alltoallw_type(void)
{
    int c[MAXR], d[MAXR];
    MPI_Datatype t[MAXR];
    for (int i = 0; i < MAXR; i++) {
        c[i] = 1;
        d[i] = 4 * i;
        t[i] = i == me->comm.size - 1 ? T_UNCOMMITTED : MPI_INT;
    }
    return PMPI_Alltoallw(buf_i, c, d, t, buf_j, c, d, t, W);
}
static int e_alltoall_recv_in_place(void) { return PMPI_Alltoall(MPI_IN_PLACE, 1, MPI_INT, MPI_IN_PLACE, 1, MPI_INT, W); }

static const struct ecase ecases[] = {
    {"MPI_COMM_NULL", MPI_ERR_COMM, -1, e_comm_null},
    {"a handle that is no communicator", MPI_ERR_COMM, -1, e_comm_bogus},
    {"MPI_Scan on an intercommunicator", MPI_ERR_COMM, -1, e_intercomm},
    {"a negative count", MPI_ERR_COUNT, -1, e_count},
    {"MPI_DATATYPE_NULL", MPI_ERR_TYPE, -1, e_type_null},
    {"an uncommitted datatype", MPI_ERR_TYPE, -1, e_type_uncommitted},
    {"root = size", MPI_ERR_ROOT, -1, e_root_high},
    {"root = -1", MPI_ERR_ROOT, -1, e_root_neg},
    {"MPI_IN_PLACE to MPI_Bcast", MPI_ERR_BUFFER, -1, e_bcast_in_place},
    {"MPI_OP_NULL", MPI_ERR_OP, -1, e_op_null},
    {"MPI_REPLACE", MPI_ERR_OP, -1, e_op_replace},
    {"MPI_SUM on MPI_BYTE", MPI_ERR_OP, -1, e_op_byte},
    {"MPI_MAX on a mixed datatype", MPI_ERR_OP, -1, e_op_mixed},
    {"MPI_IN_PLACE as recvbuf", MPI_ERR_BUFFER, -1, e_recv_in_place},
    {"sendbuf == recvbuf", MPI_ERR_BUFFER, -1, e_alias},
    {"sendbuf == recvbuf in MPI_Scan", MPI_ERR_BUFFER, -1, e_alias_scan},
    {"MPI_IN_PLACE at a non-root of MPI_Reduce", MPI_ERR_BUFFER, 0, e_reduce_in_place_nonroot},
    {"MPI_IN_PLACE at a non-root of MPI_Gather", MPI_ERR_BUFFER, 0, e_gather_in_place_nonroot},
    {"MPI_IN_PLACE at a non-root of MPI_Scatter", MPI_ERR_BUFFER, 0, e_scatter_in_place_nonroot},
    {"recvcounts NULL at the root of MPI_Gatherv", MPI_ERR_ARG, -1, e_gatherv_null_counts},
    {"a negative count in MPI_Reduce_scatter", MPI_ERR_COUNT, -1, e_redscat_neg},
    {"an uncommitted type in MPI_Alltoallw", MPI_ERR_TYPE, -1, e_alltoallw_type},
    {"MPI_IN_PLACE as both buffers of MPI_Alltoall", MPI_ERR_BUFFER, -1, e_alltoall_recv_in_place},
};

static void t_error(void *arg)
{
    const struct ecase *ec = arg;
    if (ec->who >= 0 && me->comm.rank == ec->who)
        return;
    int rc = ec->call();
    if (rc != ec->code)
        failed("rank %d: %s: returned %d, want %d", me->comm.rank, ec->what, rc, ec->code);
    else if (me->nerrors != 1 || me->last_err != ec->code)
        failed("rank %d: %s: mpi_error called %d times with %d", me->comm.rank, ec->what, me->nerrors,
               me->last_err);
    else if (strchr(me->last_msg, '\n') || strlen(me->last_msg) < 20)
        failed("rank %d: %s: message \"%s\"", me->comm.rank, ec->what, me->last_msg);
}

/* ------------------------------------------------------------------ the plan */

static const struct coll_tuning *tune_default;
static struct coll_tuning tunings[4];
static const char *tuning_names[] = {"default thresholds", "short algorithms", "long algorithms",
                                     "medium alltoall, window 2"};

static void setup_tunings(void)
{
    struct coll_tuning d = *coll_tune();
    tune_default = coll_tune();
    tunings[0] = d;
    struct coll_tuning s = d;
    s.bcast_long = s.reduce_long = s.allreduce_long = s.allgather_long = SIZE_MAX;
    s.gather_long = s.scatter_long = s.alltoall_short = s.alltoall_long = SIZE_MAX;
    tunings[1] = s;
    struct coll_tuning l = d;
    l.bcast_long = l.reduce_long = l.allreduce_long = l.allgather_long = 0;
    l.gather_long = l.scatter_long = l.alltoall_short = l.alltoall_long = 0;
    l.bcast_min_ranks = 1;
    tunings[2] = l;
    struct coll_tuning m = d;
    m.alltoall_short = 0;
    m.alltoall_long = SIZE_MAX;
    m.alltoall_window = 2;
    tunings[3] = m;
}

static int quick, cur_tuning;
static const char *only; /* run only the cases whose description contains this */
static long cases_run;

static const char *desc_suffix = "";

static void run_case(rank_fn fn, struct tcase *tc, const char *name, int expect_no_messages)
{
    const struct mpi_dtype *t = dtype_get(tc->dt), *rt = dtype_get(tc->rdt);
    snprintf(test_desc, sizeof test_desc, "%s n=%d count=%d %s/%s*%d root=%d%s op=0x%x, %s, %s sends%s%s", name,
             tc->n, tc->count, t->name, rt->name, tc->rmul, tc->root, tc->in_place ? " in-place" : "",
             (unsigned)tc->op, tuning_names[cur_tuning], sync_mode ? "synchronous" : "eager",
             delay_mode ? ", delays" : "", desc_suffix);
    if (only && !strstr(test_desc, only))
        return;
    long msgs = run_ranks(tc->n, fn, tc);
    if (expect_no_messages && msgs)
        failed("%ld messages where none are needed", msgs);
    cases_run++;
}

struct pair {
    MPI_Datatype s, r;
    int rmul; /* receive count = send count * rmul */
};
/* contiguous and not, with a lower bound, of different shapes on the two sides */
static const struct pair move_types[] = {
    {MPI_INT, MPI_INT, 1}, {T_VEC, MPI_DOUBLE, 2}, {T_VEC, T_VEC, 1}, {T_SHIFT, T_GAPINT, 1}, {MPI_BYTE, MPI_BYTE, 1},
};

/* counts crossing every threshold (ints: 4 bytes each) */
static const int move_counts[] = {0, 1, 3, 17, 64, 300, 700, 2100, 9000};

static void data_movement(void)
{
    unsigned seed = 1;
    for (int n = 1; n <= MAXR; n++) {
        for (size_t ci = 0; ci < sizeof move_counts / sizeof move_counts[0]; ci++) {
            int count = move_counts[ci];
            if (quick && ci % 2)
                continue;
            for (size_t ti = 0; ti < sizeof move_types / sizeof move_types[0]; ti++) {
                struct pair p = move_types[ti];
                if (count > 2100 && ti > 1)
                    continue; /* the largest with two pairs is enough */
                int roots[3] = {0, n - 1, n / 2}, nroots = n > 2 ? 3 : n;
                int none = n == 1 || count == 0;
                for (int ri = 0; ri < nroots; ri++) {
                    for (int ip = 0; ip < 2; ip++) {
                        struct tcase g = {n, count, p.s, p.r, p.rmul, roots[ri], ip, MPI_OP_NULL, seed++, 0};
                        if (!ip)
                            run_case(t_bcast, &g, "bcast", none);
                        run_case(t_gather, &g, "gather", none);
                        g.variant = 1;
                        run_case(t_gather, &g, "gatherv", none);
                        g.variant = 0;
                        run_case(t_scatter, &g, "scatter", none);
                        g.variant = 1;
                        run_case(t_scatter, &g, "scatterv", none);
                        if (ri != 0)
                            continue;
                        g.variant = 0;
                        run_case(t_allgather, &g, "allgather", none);
                        run_case(t_alltoall, &g, "alltoall", none);
                        if (count > 2100)
                            continue;
                        g.variant = 2;
                        run_case(t_alltoall, &g, "alltoallw", none);
                        if (ti >= 3)
                            continue;
                        struct tcase u = g;
                        u.rdt = p.s;
                        u.rmul = 1;
                        u.variant = 1;
                        run_case(t_allgather, &u, "allgatherv", none);
                        run_case(t_alltoall, &u, "alltoallv", none);
                        u.variant = 0;
                        run_case(t_gatherv_uneven, &u, "gatherv uneven", none);
                        run_case(t_scatterv_uneven, &u, "scatterv uneven", none);
                    }
                }
            }
        }
    }
}

struct rspec {
    MPI_Datatype dt;
    MPI_Op op;
};
static const struct rspec red_specs[] = {
    {MPI_INT, MPI_SUM}, {MPI_DOUBLE, MPI_SUM}, {MPI_INT, MPI_MAX}, {T_VEC, MPI_SUM}, {T_SHIFT, MPI_MIN},
    {T_MAT, OP_MATMUL}, {T_VEC, OP_UDSUM},     {MPI_DOUBLE, OP_NCSUM},
};
static const int red_counts[] = {0, 1, 2, 5, 9, 40, 300, 600, 2000};

static void reductions(void)
{
    unsigned seed = 1000;
    static const char *names[] = {"reduce", "allreduce", "scan", "exscan", "reduce_scatter_block", "reduce_scatter"};
    for (int n = 1; n <= MAXR; n++) {
        for (size_t ci = 0; ci < sizeof red_counts / sizeof red_counts[0]; ci++) {
            if (quick && ci % 2)
                continue;
            for (size_t si = 0; si < sizeof red_specs / sizeof red_specs[0]; si++) {
                const struct rspec *sp = &red_specs[si];
                for (int v = 0; v <= 5; v++) {
                    int count = red_counts[ci];
                    if (sp->dt == T_MAT || sp->dt == T_VEC) /* 16 bytes an element */
                        count = (count + 3) / 4;
                    if (v >= 4 && count > 300)
                        count /= 8; /* n blocks of it */
                    int roots[3] = {0, n - 1, n / 2}, nroots = v == 0 ? (n > 2 ? 3 : n) : 1;
                    for (int ri = 0; ri < nroots; ri++) {
                        for (int ip = 0; ip < 2; ip++) {
                            struct tcase tc = {n, count, sp->dt, sp->dt, 1, roots[ri], ip, sp->op, seed++, v};
                            int none = n == 1 || count == 0;
                            run_case(t_reduce, &tc, names[v], none);
                        }
                    }
                }
            }
        }
    }
}

static void determinism(void)
{
    static const int counts[] = {1, 7, 100, 1000, 5000};
    for (int tu = 0; tu < 3; tu++) {
        coll_tune_set(&tunings[tu]);
        cur_tuning = tu;
        for (int n = 2; n <= MAXR; n++) {
            for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
                static const int variants[] = {1, 0, 2, 4};
                for (size_t vi = 0; vi < 4; vi++) {
                    int v = variants[vi], count = counts[ci];
                    if (v == 4)
                        count = count / n + 1;
                    unsigned char first[MAXR][8 * 6000];
                    for (int run = 0; run < 3; run++) {
                        delay_mode = 1;
                        sync_mode = run == 1;
                        struct tcase tc = {n, count, MPI_DOUBLE, MPI_DOUBLE, 1, n / 2, 0, MPI_SUM, 4242u + (unsigned)ci, v};
                        memset(results, 0, sizeof results);
                        static const char *runs[] = {", run 1", ", run 2", ", run 3"};
                        desc_suffix = runs[run];
                        run_case(t_det, &tc, "determinism", 0);
                        desc_suffix = "";
                        size_t bytes = sizeof(double) * (size_t)count;
                        for (int r = 0; r < n; r++) {
                            if (v == 0 && r != n / 2)
                                continue;
                            if (run == 0)
                                memcpy(first[r], results[r], bytes);
                            else if (memcmp(first[r], results[r], bytes) != 0)
                                failed("rank %d: result differs from the first run's", r);
                            if (v == 1 && memcmp(results[r], results[0], bytes) != 0)
                                failed("allreduce: rank %d's result differs from rank 0's", r);
                        }
                    }
                    delay_mode = 0;
                    sync_mode = 0;
                }
            }
        }
    }
}

static void errors(void)
{
    coll_tune_set(&tunings[0]);
    for (size_t i = 0; i < sizeof ecases / sizeof ecases[0]; i++) {
        for (int n = 1; n <= 3; n += 2) {
            if (ecases[i].who >= 0 && n == 1)
                continue;
            snprintf(test_desc, sizeof test_desc, "error: %s, n=%d", ecases[i].what, n);
            if (only && !strstr(test_desc, only))
                continue;
            long msgs = run_ranks(n, t_error, (void *)&ecases[i]);
            if (msgs)
                failed("%ld messages sent by a call refused", msgs);
            cases_run++;
        }
    }
    /* MPI_Alltoallw: an empty block may have any datatype; a zero count
     * with MPI_DATATYPE_NULL is fine: covered by t_alltoall variant 2 */
}

static void barriers(void)
{
    for (int n = 1; n <= MAXR; n++) {
        for (int m = 0; m < 2; m++) {
            sync_mode = m;
            for (int k = 0; k < 8; k++)
                atomic_store(&arrived[k], 0);
            snprintf(test_desc, sizeof test_desc, "barrier n=%d %s", n, m ? "sync" : "eager");
            if (only && !strstr(test_desc, only))
                continue;
            long msgs = run_ranks(n, t_barrier, NULL);
            if (n == 1 && msgs)
                failed("barrier on one rank sent %ld messages", msgs);
            cases_run++;
        }
    }
    sync_mode = 0;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-q") == 0)
            quick = 1;
        else
            only = argv[i];
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    setup_tunings();
    for (int i = 0; i < MAXR; i++)
        pthread_cond_init(&cv[i], NULL);
    for (int i = 0; i < MAXR; i++)
        pthread_create(&workers[i], NULL, worker, (void *)(intptr_t)i);

    barriers();
    errors();
    for (int tu = 0; tu < 4; tu++) {
        coll_tune_set(&tunings[tu]);
        cur_tuning = tu;
        for (int m = 0; m < 2; m++) {
            sync_mode = m;
            delay_mode = 0;
            if (tu != 3)
                reductions();
            data_movement();
            printf("# %s, %s sends: %ld cases so far, %d failures\n", tuning_names[tu], m ? "synchronous" : "eager",
                   cases_run, failures);
        }
    }
    sync_mode = 0;
    determinism();
    printf("%ld cases, %d failure%s\n", cases_run, failures, failures == 1 ? "" : "s");
    return failures ? 1 : 0;
}
