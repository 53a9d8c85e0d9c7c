/* nbc_sched.c — nonblocking collectives as schedules.
 *
 * A schedule is a list of steps cut into rounds: the engine runs the steps
 * of a round in order (sends and receives are started, local reductions,
 * copies and unpacks done at once), then waits for every transfer of the
 * round before it runs the next.  Every schedule is built whole at the
 * call, with its temporary buffers, so that advancing it only follows the
 * list; the engine is a progress_register step, so schedules move on inside
 * any MPI call that makes progress, and a checkpoint finds them as plain
 * memory.
 *
 * Traffic goes on the collective context (comm->context + 1) like the
 * blocking collectives, with one tag per nonblocking collective:
 * COLL_TAG_NONBLOCKING + the communicator's count of nonblocking
 * collectives so far.  Every rank starts them in the same order, so the
 * count agrees; their messages never match those of blocking collectives
 * or of other nonblocking ones, and within one, messages between two ranks
 * are started round by round in the same order on both sides.
 *
 * Algorithms have the shapes of the blocking ones with their short-message
 * choice, so that reductions combine in the same order (see
 * coll_reduce.c): binomial reduce (rank order for non-commutative
 * operations), recursive doubling for allreduce and scan, dissemination
 * barrier, binomial broadcast; gathers, scatters and alltoalls are linear.
 * Reduce_scatter is a reduce to rank 0 and a scatter. */
#include "nbc.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum step_kind { NS_SEND, NS_RECV, NS_REDUCE, NS_COPY, NS_UNPACK, NS_ROUND };

struct step {
    enum step_kind kind;
    const void *src;    /* SEND data, REDUCE in, COPY and UNPACK source (packed) */
    void *dst;          /* RECV data, REDUCE inout, COPY and UNPACK destination */
    int count;          /* SEND, RECV, UNPACK: elements of dt */
    MPI_Datatype dt;    /* held (dtype_ref) while the schedule lives */
    int peer;
    size_t n;           /* REDUCE: units; COPY, UNPACK: bytes */
};

struct sched {
    MPI_Request req;
    MPI_Comm comm;
    int tag;
    MPI_Op op;          /* reductions: op on `unit`s of usize bytes */
    MPI_Datatype unit;
    size_t usize;
    struct step *steps;
    int nsteps, cap, pos;
    MPI_Request *pending;
    int npending;
    void **bufs;        /* temporary buffers, freed with the schedule */
    int nbufs, capbufs;
    int error;
    int broken;         /* building ran out of memory */
    int too_big;        /* a packed block of more than INT_MAX bytes (one message each) */
    struct sched *next;
};

/* Schedules in progress, in the order they were started; owned by the
 * library's active thread. */
static struct sched *active, **active_tail = &active;
static int registered, busy;

/* ------------------------------------------------------------------ building */

static struct step *add(struct sched *s, enum step_kind kind)
{
    if (s->nsteps == s->cap) {
        int cap = s->cap ? s->cap * 2 : 16;
        struct step *p = realloc(s->steps, (size_t)cap * sizeof *p);
        if (!p) {
            s->broken = 1;
            return NULL;
        }
        s->steps = p;
        s->cap = cap;
    }
    struct step *st = &s->steps[s->nsteps++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->dt = MPI_DATATYPE_NULL;
    return st;
}

static void *tmp(struct sched *s, size_t bytes)
{
    if (s->nbufs == s->capbufs) {
        int cap = s->capbufs ? s->capbufs * 2 : 8;
        void **p = realloc(s->bufs, (size_t)cap * sizeof *p);
        if (!p) {
            s->broken = 1;
            return NULL;
        }
        s->bufs = p;
        s->capbufs = cap;
    }
    void *b = coll_alloc(bytes);
    if (!b) {
        s->broken = 1;
        return NULL;
    }
    s->bufs[s->nbufs++] = b;
    return b;
}

static void typed(struct sched *s, enum step_kind kind, const void *src, void *dst, int count, MPI_Datatype dt,
                  int peer)
{
    struct step *st = add(s, kind);
    if (!st)
        return;
    st->src = src;
    st->dst = dst;
    st->count = count;
    st->dt = dt;
    st->peer = peer;
    dtype_ref(dt);
}

/* Transfers of user data: none when the data is 0 bytes (both sides agree). */
static void send_t(struct sched *s, const void *buf, int count, MPI_Datatype dt, int peer)
{
    if (coll_bytes(count, dt))
        typed(s, NS_SEND, buf, NULL, count, dt, peer);
}
static void recv_t(struct sched *s, void *buf, int count, MPI_Datatype dt, int peer)
{
    if (coll_bytes(count, dt))
        typed(s, NS_RECV, NULL, buf, count, dt, peer);
}
/* Packed bytes. */
static void send_b(struct sched *s, const void *buf, size_t bytes, int peer)
{
    if (bytes > (size_t)INT_MAX)
        s->too_big = 1;
    else if (bytes)
        typed(s, NS_SEND, buf, NULL, (int)bytes, MPI_BYTE, peer);
}
static void recv_b(struct sched *s, void *buf, size_t bytes, int peer)
{
    if (bytes > (size_t)INT_MAX)
        s->too_big = 1;
    else if (bytes)
        typed(s, NS_RECV, NULL, buf, (int)bytes, MPI_BYTE, peer);
}
static void reduce(struct sched *s, const void *in, void *inout, size_t units)
{
    struct step *st = add(s, NS_REDUCE);
    if (st) {
        st->src = in;
        st->dst = inout;
        st->n = units;
    }
}
static void copy(struct sched *s, const void *from, void *to, size_t bytes)
{
    struct step *st = add(s, NS_COPY);
    if (st && from != to && bytes) {
        st->src = from;
        st->dst = to;
        st->n = bytes;
    }
}
static void unpack(struct sched *s, const void *packed, size_t bytes, void *buf, int count, MPI_Datatype dt)
{
    if (!bytes)
        return;
    typed(s, NS_UNPACK, packed, buf, count, dt, 0);
    if (!s->broken)
        s->steps[s->nsteps - 1].n = bytes;
}
static void round_end(struct sched *s) { add(s, NS_ROUND); }

static struct sched *sched_new(struct mpi_comm *c)
{
    struct sched *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->comm = c->handle;
    s->tag = COLL_TAG_NONBLOCKING + (int)(c->coll_seq++ % (1u << 20));
    s->op = MPI_OP_NULL;
    return s;
}

static void sched_free(struct sched *s)
{
    for (int i = 0; i < s->nsteps; i++)
        if (s->steps[i].dt != MPI_DATATYPE_NULL)
            dtype_unref(s->steps[i].dt);
    for (int i = 0; i < s->nbufs; i++)
        free(s->bufs[i]);
    free(s->bufs);
    free(s->steps);
    free(s->pending);
    free(s);
}

/* The packed bytes of count elements of dt at buf, read at the call: buf
 * itself when contiguous, else a packed copy. */
static const char *packed_in(struct sched *s, const void *buf, int count, MPI_Datatype dt)
{
    const struct mpi_dtype *t = dtype_get(dt);
    if (dtype_is_contiguous(t))
        return (const char *)buf + dtype_true_lb(t);
    size_t bytes = coll_bytes(count, dt);
    char *p = tmp(s, bytes);
    if (p && bytes)
        dtype_pack(buf, count, t, 0, p, bytes);
    return p;
}

/* Where packed results for buf are built: buf itself when contiguous, else
 * a buffer that the caller's last step unpacks (*needs_unpack). */
static char *packed_out(struct sched *s, void *buf, int count, MPI_Datatype dt, int *needs_unpack)
{
    const struct mpi_dtype *t = dtype_get(dt);
    *needs_unpack = !dtype_is_contiguous(t);
    if (!*needs_unpack)
        return (char *)buf + dtype_true_lb(t);
    return tmp(s, coll_bytes(count, dt));
}

/* ------------------------------------------------------------------ running */

static int run_reduce(struct sched *s, const char *in, char *inout, size_t units)
{
    while (units > 0) {
        int k = units < (size_t)INT_MAX ? (int)units : INT_MAX;
        int rc = op_apply(s->op, in, inout, k, s->unit);
        if (rc != MPI_SUCCESS)
            return rc;
        in += (size_t)k * s->usize;
        inout += (size_t)k * s->usize;
        units -= (size_t)k;
    }
    return MPI_SUCCESS;
}

/* Runs the next round's steps: returns 1 when the schedule is finished. */
static int advance(struct sched *s)
{
    for (;;) {
        for (int i = 0; i < s->npending; i++)
            if (!request_get(s->pending[i])->complete)
                return 0;
        for (int i = 0; i < s->npending; i++) {
            struct mpi_request *r = request_get(s->pending[i]);
            if (r->error && !s->error)
                s->error = r->error;
            request_free(s->pending[i]);
        }
        s->npending = 0;
        if (s->error || s->pos >= s->nsteps)
            return 1;
        struct mpi_comm *c = comm_get(s->comm);
        if (!c) {
            s->error = MPI_ERR_COMM;
            return 1;
        }
        while (s->pos < s->nsteps && !s->error) {
            struct step *st = &s->steps[s->pos++];
            int rc = MPI_SUCCESS;
            if (st->kind == NS_ROUND)
                break;
            switch (st->kind) {
            case NS_SEND:
                rc = p2p_isend(st->src, st->count, st->dt, st->peer, s->tag, c, coll_ctx(c), MODE_STANDARD,
                               &s->pending[s->npending]);
                break;
            case NS_RECV:
                rc = p2p_irecv(st->dst, st->count, st->dt, st->peer, s->tag, c, coll_ctx(c),
                               &s->pending[s->npending]);
                break;
            case NS_REDUCE:
                rc = run_reduce(s, st->src, st->dst, st->n);
                break;
            case NS_COPY:
                if (st->n)
                    memmove(st->dst, st->src, st->n);
                break;
            case NS_UNPACK:
                dtype_unpack(st->src, 0, st->n, st->dst, st->count, dtype_get(st->dt));
                break;
            case NS_ROUND:
                break;
            }
            if (rc != MPI_SUCCESS)
                s->error = rc;
            else if (st->kind == NS_SEND || st->kind == NS_RECV)
                s->npending++;
        }
    }
}

static void finish(struct sched *s)
{
    struct mpi_request *r = request_get(s->req);
    r->error = s->error;
    r->complete = 1;
    r->sched = NULL;
    if (r->freed)
        request_free(s->req);
    sched_free(s);
}

/* Advances every schedule in order. */
static void advance_all(void)
{
    if (busy || quiesce_active) /* started from inside a transfer, or a checkpoint drains */
        return;
    busy = 1;
    for (struct sched **pp = &active; *pp;) {
        struct sched *s = *pp;
        if (advance(s)) {
            *pp = s->next;
            if (active_tail == &s->next)
                active_tail = pp;
            finish(s);
        } else {
            pp = &s->next;
        }
    }
    busy = 0;
}

/* The progress engine's step: leaves its list when no schedule is left
 * (so that waits know whether anything runs in the background). */
static int nbc_progress(void *unused)
{
    (void)unused;
    advance_all();
    if (active || busy)
        return 0;
    registered = 0;
    return 1;
}

/* Ends building: a request for the schedule, which starts its first round. */
static int start(struct sched *s, MPI_Request *req)
{
    int most = 0, here = 0;
    for (int i = 0; i < s->nsteps; i++) {
        if (s->steps[i].kind == NS_ROUND) {
            here = 0;
        } else if (s->steps[i].kind == NS_SEND || s->steps[i].kind == NS_RECV) {
            if (++here > most)
                most = here;
        }
    }
    if (s->too_big) {
        sched_free(s);
        return MPI_ERR_COUNT;
    }
    s->pending = malloc((size_t)(most ? most : 1) * sizeof *s->pending);
    struct mpi_request *r;
    if (s->broken || !s->pending || (s->req = request_new(REQ_COLL, &r)) == MPI_REQUEST_NULL) {
        sched_free(s);
        return MPI_ERR_NO_MEM;
    }
    r->comm = s->comm;
    r->sched = s;
    *req = s->req;
    if (!registered) {
        progress_register(nbc_progress, NULL);
        registered = 1;
    }
    s->next = NULL;
    *active_tail = s;
    active_tail = &s->next;
    advance_all();
    return MPI_SUCCESS;
}

/* ------------------------------------------------------------------ the collectives */

int nbc_ibarrier(struct mpi_comm *c, MPI_Request *req)
{
    struct sched *s = sched_new(c);
    if (!s)
        return MPI_ERR_NO_MEM;
    int n = c->size, r = c->rank;
    static char none;
    for (int k = 1; k < n; k <<= 1) {
        typed(s, NS_SEND, &none, NULL, 0, MPI_BYTE, (r + k) % n);
        typed(s, NS_RECV, NULL, &none, 0, MPI_BYTE, (r - k + n) % n);
        round_end(s);
    }
    return start(s, req);
}

int nbc_ibcast(void *buf, int count, MPI_Datatype dt, int root, struct mpi_comm *c, MPI_Request *req)
{
    struct sched *s = sched_new(c);
    if (!s)
        return MPI_ERR_NO_MEM;
    int n = c->size, vr = (c->rank - root + n) % n, mask = 1;
    if (n > 1 && coll_bytes(count, dt)) {
        while (mask < n) {
            if (vr & mask) {
                recv_t(s, buf, count, dt, (vr - mask + root) % n);
                round_end(s);
                break;
            }
            mask <<= 1;
        }
        for (mask >>= 1; mask > 0; mask >>= 1)
            if (vr + mask < n)
                send_t(s, buf, count, dt, (vr + mask + root) % n);
    }
    return start(s, req);
}

/* The reduction's unit, as coll_reduce.c's red_setup: built-in operations
 * work on the basic elements of a derived type.  Returns the units. */
static size_t red_setup(struct sched *s, size_t count, MPI_Datatype dt, MPI_Op op)
{
    const struct mpi_dtype *t = dtype_get(dt);
    size_t size = dtype_size(t), per = 1;
    s->op = op;
    s->unit = dt;
    s->usize = size;
    if (HANDLE_KIND(op) == HANDLE_BUILTIN && size > 0) {
        MPI_Datatype b = dtype_basic(t);
        size_t bs = b != MPI_DATATYPE_NULL ? dtype_size(dtype_get(b)) : 0;
        if (b != dt && bs > 0 && size % bs == 0) {
            s->unit = b;
            s->usize = bs;
            per = size / bs;
        }
    }
    return count * per;
}

/* coll_reduce.c's reduce_binomial: `in` (packed) of every rank reduced
 * into `out` at root; the alternation of its two buffers is followed here,
 * at build time. */
static void reduce_binomial(struct sched *s, const char *in, char *out, size_t units, int root, struct mpi_comm *c)
{
    int n = c->size, r = c->rank, base = op_is_commutative(s->op) ? root : 0;
    int vr = (r - base + n) % n, cur = 1, sent = 0;
    size_t bytes = units * s->usize;
    const char *acc = in;
    char *buf[2] = {NULL, NULL};
    for (int m = 1; m < n; m <<= 1) {
        if (vr & m) {
            send_b(s, acc, bytes, (vr - m + base) % n);
            round_end(s);
            sent = 1;
            break;
        }
        if (vr + m < n) {
            int nx = 1 - cur;
            if (!buf[nx] && !(buf[nx] = tmp(s, bytes)))
                return;
            recv_b(s, buf[nx], bytes, (vr + m + base) % n);
            round_end(s);
            reduce(s, acc, buf[nx], units);
            acc = buf[nx];
            cur = nx;
        }
    }
    if (!sent && r == root) {
        copy(s, acc, out, bytes);
    } else if (!sent) {
        send_b(s, acc, bytes, root);
        round_end(s);
    } else if (r == root) {
        recv_b(s, out, bytes, base);
        round_end(s);
    }
}

int nbc_ireduce(const void *sbuf, void *rbuf, int count, MPI_Datatype dt, MPI_Op op, int root, struct mpi_comm *c,
                MPI_Request *req)
{
    struct sched *s = sched_new(c);
    if (!s)
        return MPI_ERR_NO_MEM;
    size_t units = red_setup(s, (size_t)count, dt, op), bytes = units * s->usize;
    int is_root = c->rank == root;
    const void *src = is_root && sbuf == MPI_IN_PLACE ? rbuf : sbuf;
    if (bytes && c->size == 1) {
        if (src != rbuf)
            dtype_copy(sbuf, count, dtype_get(dt), rbuf, count, dtype_get(dt));
    } else if (bytes) {
        int unp = 0;
        const char *in = packed_in(s, src, count, dt);
        char *out = is_root ? packed_out(s, rbuf, count, dt, &unp) : NULL;
        if (in && (out || !is_root))
            reduce_binomial(s, in, out, units, root, c);
        if (unp)
            unpack(s, out, bytes, rbuf, count, dt);
    }
    return start(s, req);
}

static int real_of(int k, int rem) { return k < rem ? 2 * k + 1 : k + rem; }

int nbc_iallreduce(const void *sbuf, void *rbuf, int count, MPI_Datatype dt, MPI_Op op, struct mpi_comm *c,
                   MPI_Request *req)
{
    struct sched *s = sched_new(c);
    if (!s)
        return MPI_ERR_NO_MEM;
    const struct mpi_dtype *t = dtype_get(dt);
    size_t units = red_setup(s, (size_t)count, dt, op), bytes = units * s->usize;
    int n = c->size, r = c->rank, pof2 = coll_pof2_floor(n), rem = n - pof2, unp;
    if (bytes && n == 1) {
        if (sbuf != MPI_IN_PLACE)
            dtype_copy(sbuf, count, t, rbuf, count, t);
        return start(s, req);
    }
    char *acc0 = bytes ? packed_out(s, rbuf, count, dt, &unp) : NULL, *tmp0 = bytes ? tmp(s, bytes) : NULL;
    if (!acc0 || !tmp0)
        return start(s, req); /* nothing to do, or out of memory (start says so) */
    if (sbuf != MPI_IN_PLACE)
        dtype_pack(sbuf, count, t, 0, acc0, bytes);
    else if (unp)
        dtype_pack(rbuf, count, t, 0, acc0, bytes);
    char *acc = acc0, *tp = tmp0;
    /* fold_in of coll_reduce.c */
    int nr;
    if (r >= 2 * rem) {
        nr = r - rem;
    } else if (r % 2 == 0) {
        send_b(s, acc, bytes, r + 1);
        round_end(s);
        nr = -1;
    } else {
        recv_b(s, tp, bytes, r - 1);
        round_end(s);
        reduce(s, tp, acc, units);
        nr = r / 2;
    }
    /* recursive doubling: the lower run on the left */
    for (int m = 1; nr >= 0 && m < pof2; m <<= 1) {
        int peer = real_of(nr ^ m, rem);
        send_b(s, acc, bytes, peer);
        recv_b(s, tp, bytes, peer);
        round_end(s);
        if (nr & m) {
            reduce(s, tp, acc, units);
        } else {
            reduce(s, acc, tp, units);
            char *x = acc;
            acc = tp;
            tp = x;
        }
    }
    /* fold_out */
    if (r < 2 * rem) {
        if (r % 2 == 0)
            recv_b(s, acc, bytes, r + 1);
        else
            send_b(s, acc, bytes, r - 1);
        round_end(s);
    }
    copy(s, acc, acc0, bytes);
    if (unp)
        unpack(s, acc0, bytes, rbuf, count, dt);
    return start(s, req);
}

int nbc_ireduce_scatter(const void *sbuf, void *rbuf, const int *rcounts, MPI_Datatype dt, MPI_Op op,
                        struct mpi_comm *c, MPI_Request *req)
{
    struct sched *s = sched_new(c);
    if (!s)
        return MPI_ERR_NO_MEM;
    const struct mpi_dtype *t = dtype_get(dt);
    int n = c->size, r = c->rank;
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += (size_t)rcounts[i];
    size_t units = red_setup(s, total, dt, op), bytes = units * s->usize;
    size_t per = total ? units / total : 1;
    const char *src = sbuf == MPI_IN_PLACE ? rbuf : sbuf;
    if (bytes && n == 1) {
        if (sbuf != MPI_IN_PLACE)
            dtype_copy(sbuf, rcounts[0], t, rbuf, rcounts[0], t);
        return start(s, req);
    }
    size_t *roff = bytes ? malloc(((size_t)n + 1) * sizeof *roff) : NULL;
    char *acc = bytes ? tmp(s, bytes) : NULL, *res = bytes && r == 0 ? tmp(s, bytes) : NULL;
    if (!roff || !acc || (r == 0 && !res)) {
        if (bytes)
            s->broken = 1;
        free(roff);
        return start(s, req);
    }
    roff[0] = 0;
    for (int i = 0; i < n; i++)
        roff[i + 1] = roff[i] + (size_t)rcounts[i] * per;
    size_t elem0 = 0, us = s->usize;
    for (int i = 0; i < n; i++) {
        if (rcounts[i] > 0)
            dtype_pack(coll_elem(src, elem0, dt), rcounts[i], t, 0, acc + roff[i] * us,
                       (roff[i + 1] - roff[i]) * us);
        elem0 += (size_t)rcounts[i];
    }
    reduce_binomial(s, acc, res, units, 0, c);
    if (r == 0) {
        for (int i = 1; i < n; i++)
            send_b(s, res + roff[i] * us, (roff[i + 1] - roff[i]) * us, i);
        unpack(s, res, roff[1] * us, rbuf, rcounts[0], dt);
    } else {
        recv_b(s, acc + roff[r] * us, (roff[r + 1] - roff[r]) * us, 0);
        round_end(s);
        unpack(s, acc + roff[r] * us, (roff[r + 1] - roff[r]) * us, rbuf, rcounts[r], dt);
    }
    free(roff);
    return start(s, req);
}

int nbc_iscan(const void *sbuf, void *rbuf, int count, MPI_Datatype dt, MPI_Op op, struct mpi_comm *c,
              int exclusive, MPI_Request *req)
{
    struct sched *s = sched_new(c);
    if (!s)
        return MPI_ERR_NO_MEM;
    const struct mpi_dtype *t = dtype_get(dt);
    size_t units = red_setup(s, (size_t)count, dt, op), bytes = units * s->usize;
    int n = c->size, r = c->rank, have = !exclusive;
    if (!bytes)
        return start(s, req);
    if (n == 1) {
        if (!exclusive && sbuf != MPI_IN_PLACE)
            dtype_copy(sbuf, count, t, rbuf, count, t);
        return start(s, req);
    }
    const char *in = packed_in(s, sbuf == MPI_IN_PLACE ? rbuf : sbuf, count, dt);
    char *sum = tmp(s, bytes), *tp = tmp(s, bytes), *res = tmp(s, bytes);
    if (!in || !sum || !tp || !res)
        return start(s, req);
    memcpy(sum, in, bytes);
    if (!exclusive)
        memcpy(res, in, bytes);
    for (int m = 1; m < n; m <<= 1) {
        int peer = r ^ m;
        if (peer >= n)
            continue;
        send_b(s, sum, bytes, peer);
        recv_b(s, tp, bytes, peer);
        round_end(s);
        if (peer < r) {
            if (have) {
                reduce(s, tp, res, units);
            } else {
                copy(s, tp, res, bytes);
                have = 1;
            }
            reduce(s, tp, sum, units);
        } else {
            reduce(s, sum, tp, units);
            char *x = sum;
            sum = tp;
            tp = x;
        }
    }
    if (!(exclusive && r == 0))
        unpack(s, res, bytes, rbuf, count, dt);
    return start(s, req);
}

/* ------------------------------------------------------------------ moving data */

static char *block_at(const void *buf, const int *displs, int i, int count, MPI_Datatype dt)
{
    return coll_elem(buf, displs ? (size_t)displs[i] : (size_t)i * (size_t)count, dt);
}

int nbc_igatherv(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, int rcount, const int *rcounts,
                 const int *displs, MPI_Datatype rdt, int root, struct mpi_comm *c, MPI_Request *req)
{
    struct sched *s = sched_new(c);
    if (!s)
        return MPI_ERR_NO_MEM;
    int n = c->size, r = c->rank;
    if (r == root) {
        for (int i = 0; i < n; i++) {
            int k = rcounts ? rcounts[i] : rcount;
            char *blk = block_at(rbuf, displs, i, rcount, rdt);
            if (i != r)
                recv_t(s, blk, k, rdt, i);
            else if (sbuf != MPI_IN_PLACE && coll_bytes(k, rdt))
                dtype_copy(sbuf, scount, dtype_get(sdt), blk, k, dtype_get(rdt));
        }
    } else {
        send_t(s, sbuf, scount, sdt, root);
    }
    return start(s, req);
}

int nbc_iscatterv(const void *sbuf, int scount, const int *scounts, const int *displs, MPI_Datatype sdt,
                  void *rbuf, int rcount, MPI_Datatype rdt, int root, struct mpi_comm *c, MPI_Request *req)
{
    struct sched *s = sched_new(c);
    if (!s)
        return MPI_ERR_NO_MEM;
    int n = c->size, r = c->rank;
    if (r == root) {
        for (int i = 0; i < n; i++) {
            int k = scounts ? scounts[i] : scount;
            const char *blk = block_at(sbuf, displs, i, scount, sdt);
            if (i != r)
                send_t(s, blk, k, sdt, i);
            else if (rbuf != MPI_IN_PLACE && coll_bytes(k, sdt))
                dtype_copy(blk, k, dtype_get(sdt), rbuf, rcount, dtype_get(rdt));
        }
    } else {
        recv_t(s, rbuf, rcount, rdt, root);
    }
    return start(s, req);
}

int nbc_iallgatherv(const void *sbuf, int scount, MPI_Datatype sdt, void *rbuf, int rcount, const int *rcounts,
                    const int *displs, MPI_Datatype rdt, struct mpi_comm *c, MPI_Request *req)
{
    struct sched *s = sched_new(c);
    if (!s)
        return MPI_ERR_NO_MEM;
    int n = c->size, r = c->rank;
    char *mine = block_at(rbuf, displs, r, rcount, rdt);
    int kmine = rcounts ? rcounts[r] : rcount;
    if (sbuf != MPI_IN_PLACE && coll_bytes(scount, sdt))
        dtype_copy(sbuf, scount, dtype_get(sdt), mine, kmine, dtype_get(rdt));
    for (int i = 0; i < n; i++) {
        if (i == r)
            continue;
        recv_t(s, block_at(rbuf, displs, i, rcount, rdt), rcounts ? rcounts[i] : rcount, rdt, i);
        if (sbuf != MPI_IN_PLACE)
            send_t(s, sbuf, scount, sdt, i);
        else
            send_t(s, mine, kmine, rdt, i);
    }
    return start(s, req);
}

int nbc_ialltoallw(const void *sbuf, const int *scounts, const MPI_Aint *sdispls, const MPI_Datatype *sdts,
                   void *rbuf, const int *rcounts, const MPI_Aint *rdispls, const MPI_Datatype *rdts,
                   struct mpi_comm *c, MPI_Request *req)
{
    struct sched *s = sched_new(c);
    if (!s)
        return MPI_ERR_NO_MEM;
    int n = c->size, r = c->rank;
    if (sbuf == MPI_IN_PLACE) {
        /* what goes out is packed at the call: the receives overwrite it */
        for (int i = 0; i < n; i++) {
            if (i == r)
                continue;
            size_t bytes = coll_bytes(rcounts[i], rdts[i]);
            char *p = bytes ? tmp(s, bytes) : NULL;
            if (!p)
                continue;
            dtype_pack((char *)rbuf + rdispls[i], rcounts[i], dtype_get(rdts[i]), 0, p, bytes);
            typed(s, NS_SEND, p, NULL, (int)bytes, MPI_PACKED, i);
            recv_t(s, (char *)rbuf + rdispls[i], rcounts[i], rdts[i], i);
        }
        return start(s, req);
    }
    if (coll_bytes(scounts[r], sdts[r]))
        dtype_copy((const char *)sbuf + sdispls[r], scounts[r], dtype_get(sdts[r]), (char *)rbuf + rdispls[r],
                   rcounts[r], dtype_get(rdts[r]));
    for (int k = 1; k < n; k++) { /* peers in the order of a pairwise exchange */
        int to = (r + k) % n, from = (r - k + n) % n;
        recv_t(s, (char *)rbuf + rdispls[from], rcounts[from], rdts[from], from);
        send_t(s, (const char *)sbuf + sdispls[to], scounts[to], sdts[to], to);
    }
    return start(s, req);
}
