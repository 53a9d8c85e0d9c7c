/* coll_reduce.c — the reductions: MPI_Reduce, MPI_Allreduce,
 * MPI_Reduce_scatter(_block), MPI_Scan and MPI_Exscan.
 *
 * All of them work on packed vectors (see coll.h) and combine with
 * op_apply, which computes inout = in op inout.  The order of every
 * combination is fixed by ranks, never by arrival, so that results are
 * bit-identical from run to run; where several ranks compute the same value
 * they use the same expression, so that they agree to the bit.
 *
 *   reduce      binomial tree; for long vectors, Rabenseifner: the vector is
 *               reduce-scattered by recursive halving, then gathered to the
 *               root along the same pairs in reverse
 *   allreduce   recursive doubling; for long vectors, Rabenseifner:
 *               reduce-scatter by recursive halving, then allgather by
 *               recursive doubling
 *   reduce_scatter   recursive halving (commutative operations), else a
 *               reduce to rank 0 and a scatter of the blocks
 *   scan, exscan     recursive doubling
 *
 * Sizes that are not a power of two: with pof2 the largest power of two <=
 * n and rem = n - pof2, each even rank below 2*rem first hands its vector to
 * the next rank, which combines the two (x[2i] op x[2i+1]) and stands for
 * both as "new rank" i; ranks from 2*rem on are new rank r - rem.  New ranks
 * stand for consecutive runs of ranks in order, so the pof2 new ranks can
 * combine as if they were the whole communicator.
 *
 * Non-commutative operations keep rank order: the binomial reduce is rooted
 * at rank 0 (relative ranks would rotate the order) and sends the result to
 * the root; recursive doubling and the halving of allreduce and reduce pair
 * ranks at distance 1 first, then 2, 4, ... (each partial result covers an
 * aligned run of new ranks) and always put the lower run on the left. */
#include "coll.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* A reduction's vector: `units` units of type `unit`, `usize` bytes each.
 * Built-in operations reduce a derived type's basic elements (so that a
 * long vector of few large elements can still be cut evenly); user
 * functions get their own datatype, as they expect. */
struct red {
    MPI_Op op;
    int commutative;
    MPI_Datatype unit;
    size_t usize, units, bytes;
    size_t per_elem; /* units in one element of the user's datatype */
};

static void red_setup(struct red *rd, size_t count, MPI_Datatype dt, MPI_Op op)
{
    const struct mpi_dtype *t = dtype_get(dt);
    size_t size = dtype_size(t);
    rd->op = op;
    rd->commutative = op_is_commutative(op);
    rd->unit = dt;
    rd->usize = size;
    rd->per_elem = 1;
    if (HANDLE_KIND(op) == HANDLE_BUILTIN && size > 0) {
        MPI_Datatype b = dtype_basic(t);
        size_t bs = b != MPI_DATATYPE_NULL ? dtype_size(dtype_get(b)) : 0;
        if (b != dt && bs > 0 && size % bs == 0) {
            rd->unit = b;
            rd->usize = bs;
            rd->per_elem = size / bs;
        }
    }
    rd->units = count * rd->per_elem;
    rd->bytes = rd->units * rd->usize;
}

/* inout = in op inout over `units` units. */
static int red_apply(const struct red *rd, const char *in, char *inout, size_t units)
{
    while (units > 0) {
        int k = units < (size_t)INT_MAX ? (int)units : INT_MAX;
        int rc = op_apply(rd->op, in, inout, k, rd->unit);
        if (rc != MPI_SUCCESS)
            return rc;
        in += (size_t)k * rd->usize;
        inout += (size_t)k * rd->usize;
        units -= (size_t)k;
    }
    return MPI_SUCCESS;
}

/* The real rank that new rank k is (see the top of the file). */
static int real_of(int k, int rem) { return k < rem ? 2 * k + 1 : k + rem; }

/* Folds ranks 2i and 2i+1 (i < rem) into 2i+1: acc = x[2i] op x[2i+1].
 * Returns this rank's new rank, or -1 for the ranks that handed theirs on. */
static int fold_in(const struct red *rd, char *acc, char *tmp, int rem, int tag, struct mpi_comm *c, int *rc)
{
    int r = c->rank;
    *rc = MPI_SUCCESS;
    if (r >= 2 * rem)
        return r - rem;
    if (r % 2 == 0) {
        *rc = coll_send(acc, rd->bytes, r + 1, tag, c);
        return -1;
    }
    *rc = coll_recv(tmp, rd->bytes, r - 1, tag, c);
    if (*rc == MPI_SUCCESS)
        *rc = red_apply(rd, tmp, acc, rd->units);
    return r / 2;
}

/* The reverse of fold_in for allreduce: the folded ranks get the result. */
static int fold_out(const struct red *rd, char *acc, int rem, int tag, struct mpi_comm *c)
{
    int r = c->rank;
    if (r >= 2 * rem)
        return MPI_SUCCESS;
    if (r % 2 == 0)
        return coll_recv(acc, rd->bytes, r + 1, tag, c);
    return coll_send(acc, rd->bytes, r - 1, tag, c);
}

/* Combines the partial results of two aligned runs of ranks, ours (acc)
 * and the other's (theirs), over `units` units: the lower run goes on the
 * left.  Leaves the result in acc; theirs is clobbered. */
static int combine(const struct red *rd, char *acc, char *theirs, size_t units, int we_are_lower)
{
    if (!we_are_lower || rd->commutative)
        return red_apply(rd, theirs, acc, units); /* commutative: one fixed order is as good */
    int rc = red_apply(rd, acc, theirs, units);
    if (rc == MPI_SUCCESS)
        memcpy(acc, theirs, units * rd->usize);
    return rc;
}

/* ------------------------------------------------------------------ recursive halving
 * pof2 new ranks share a vector cut into pof2 blocks (block b starts at unit
 * off[b], off[pof2] = units).  Step k pairs new ranks differing in bit m_k:
 * each keeps half of the blocks it has (the lower half if its bit m_k is
 * 0), sends the other half to its partner and combines what it gets for the
 * half it kept.  `ascending` takes m = 1, 2, 4, ... (rank order kept: each
 * partial covers an aligned run of new ranks; new rank i ends with block
 * bitreverse(i)); otherwise m = pof2/2, ..., 1 (new rank i ends with block
 * i).  win[k] records the blocks held before step k, for the way back. */
struct window {
    int lo, hi;
};

static int halving_mask(int k, int pof2, int ascending) { return ascending ? 1 << k : pof2 >> (k + 1); }

static int halve(const struct red *rd, char *acc, char *tmp, const size_t *off, int nr, int pof2, int rem,
                 int ascending, struct window *win, int tag, struct mpi_comm *c)
{
    int lo = 0, hi = pof2;
    size_t us = rd->usize;
    for (int k = 0; (1 << k) < pof2; k++) {
        int m = halving_mask(k, pof2, ascending), mid = lo + (hi - lo) / 2, lower = !(nr & m);
        int klo = lower ? lo : mid, khi = lower ? mid : hi; /* kept */
        int slo = lower ? mid : lo, shi = lower ? hi : mid; /* sent */
        win[k] = (struct window){lo, hi};
        int rc = coll_sendrecv(acc + off[slo] * us, (off[shi] - off[slo]) * us, real_of(nr ^ m, rem),
                               tmp + off[klo] * us, (off[khi] - off[klo]) * us, real_of(nr ^ m, rem), tag, c);
        if (rc == MPI_SUCCESS)
            rc = combine(rd, acc + off[klo] * us, tmp + off[klo] * us, off[khi] - off[klo], lower);
        if (rc != MPI_SUCCESS)
            return rc;
        lo = klo;
        hi = khi;
    }
    return MPI_SUCCESS;
}

static int log2_of(int pof2)
{
    int k = 0;
    while ((1 << k) < pof2)
        k++;
    return k;
}

/* After halve: every new rank gets every block (the steps in reverse, each
 * pair swapping the halves they hold). */
static int unhalve_all(const struct red *rd, char *acc, const size_t *off, int nr, int pof2, int rem,
                       int ascending, const struct window *win, int tag, struct mpi_comm *c)
{
    size_t us = rd->usize;
    for (int k = log2_of(pof2) - 1; k >= 0; k--) {
        int m = halving_mask(k, pof2, ascending), lo = win[k].lo, hi = win[k].hi, mid = lo + (hi - lo) / 2;
        int lower = !(nr & m);
        int mlo = lower ? lo : mid, mhi = lower ? mid : hi; /* ours */
        int tlo = lower ? mid : lo, thi = lower ? hi : mid; /* theirs */
        int rc = coll_sendrecv(acc + off[mlo] * us, (off[mhi] - off[mlo]) * us, real_of(nr ^ m, rem),
                               acc + off[tlo] * us, (off[thi] - off[tlo]) * us, real_of(nr ^ m, rem), tag, c);
        if (rc != MPI_SUCCESS)
            return rc;
    }
    return MPI_SUCCESS;
}

/* After halve: new rank `to` gets every block.  The steps in reverse: in
 * each pair still active, the one agreeing with `to` on the step's bit
 * receives the other's half; the other is done. */
static int unhalve_to(const struct red *rd, char *acc, const size_t *off, int nr, int pof2, int rem,
                      int ascending, const struct window *win, int to, int tag, struct mpi_comm *c)
{
    size_t us = rd->usize;
    for (int k = log2_of(pof2) - 1; k >= 0; k--) {
        int m = halving_mask(k, pof2, ascending), lo = win[k].lo, hi = win[k].hi, mid = lo + (hi - lo) / 2;
        int lower = !(nr & m);
        int mlo = lower ? lo : mid, mhi = lower ? mid : hi;
        int tlo = lower ? mid : lo, thi = lower ? hi : mid;
        if ((nr & m) == (to & m)) {
            int rc = coll_recv(acc + off[tlo] * us, (off[thi] - off[tlo]) * us, real_of(nr ^ m, rem), tag, c);
            if (rc != MPI_SUCCESS)
                return rc;
        } else {
            return coll_send(acc + off[mlo] * us, (off[mhi] - off[mlo]) * us, real_of(nr ^ m, rem), tag, c);
        }
    }
    return MPI_SUCCESS;
}

/* Unit offsets of pof2 blocks as equal as can be. */
static size_t *even_blocks(size_t units, int pof2)
{
    size_t *off = malloc(((size_t)pof2 + 1) * sizeof *off);
    if (!off)
        return NULL;
    size_t q = units / (size_t)pof2, extra = units % (size_t)pof2;
    for (int b = 0; b <= pof2; b++)
        off[b] = (size_t)b * q + ((size_t)b < extra ? (size_t)b : extra);
    return off;
}

/* ------------------------------------------------------------------ reduce */

static int reduce_binomial(const struct red *rd, const char *in, char *out, int root, struct mpi_comm *c)
{
    int n = c->size, r = c->rank, rc = MPI_SUCCESS;
    int base = rd->commutative ? root : 0; /* see the top of the file */
    int vr = (r - base + n) % n, tag = COLL_TAG(CK_REDUCE, 0);
    const char *acc = in;
    char *buf[2] = {NULL, NULL};
    int cur = 1, sent = 0;
    for (int m = 1; m < n; m <<= 1) {
        if (vr & m) {
            rc = coll_send(acc, rd->bytes, (vr - m + base) % n, tag, c);
            sent = 1;
            break;
        }
        if (vr + m < n) {
            int nx = 1 - cur;
            if (!buf[nx] && !(buf[nx] = coll_alloc(rd->bytes))) {
                rc = MPI_ERR_NO_MEM;
                break;
            }
            rc = coll_recv(buf[nx], rd->bytes, (vr + m + base) % n, tag, c);
            /* ours covers relative ranks vr..vr+m-1, theirs the next m */
            if (rc == MPI_SUCCESS)
                rc = red_apply(rd, acc, buf[nx], rd->units);
            if (rc != MPI_SUCCESS)
                break;
            acc = buf[nx];
            cur = nx;
        }
    }
    if (rc == MPI_SUCCESS) {
        if (!sent && r == root) {
            if (acc != out)
                memcpy(out, acc, rd->bytes);
        } else if (!sent) {
            rc = coll_send(acc, rd->bytes, root, COLL_TAG(CK_REDUCE, 1), c);
        } else if (r == root) {
            rc = coll_recv(out, rd->bytes, base, COLL_TAG(CK_REDUCE, 1), c);
        }
    }
    free(buf[0]);
    free(buf[1]);
    return rc;
}

static int reduce_rabenseifner(const struct red *rd, const char *in, char *out, int root, struct mpi_comm *c)
{
    int n = c->size, r = c->rank, pof2 = coll_pof2_floor(n), rem = n - pof2, rc;
    char *acc = coll_alloc(rd->bytes), *tmp = coll_alloc(rd->bytes);
    size_t *off = even_blocks(rd->units, pof2);
    struct window *win = malloc(((size_t)log2_of(pof2) + 1) * sizeof *win);
    if (!acc || !tmp || !off || !win) {
        rc = MPI_ERR_NO_MEM;
        goto out;
    }
    memcpy(acc, in, rd->bytes);
    int nr = fold_in(rd, acc, tmp, rem, COLL_TAG(CK_REDUCE, 0), c, &rc);
    if (rc != MPI_SUCCESS)
        goto out;
    int newroot = root < 2 * rem ? root / 2 : root - rem, holder = real_of(newroot, rem);
    if (nr >= 0) {
        rc = halve(rd, acc, tmp, off, nr, pof2, rem, 1, win, COLL_TAG(CK_REDUCE, 1), c);
        if (rc == MPI_SUCCESS)
            rc = unhalve_to(rd, acc, off, nr, pof2, rem, 1, win, newroot, COLL_TAG(CK_REDUCE, 2), c);
        if (rc != MPI_SUCCESS)
            goto out;
    }
    /* the root was folded into its neighbour, which holds the result */
    if (r == holder && r != root)
        rc = coll_send(acc, rd->bytes, root, COLL_TAG(CK_REDUCE, 3), c);
    else if (r == root && r != holder)
        rc = coll_recv(out, rd->bytes, holder, COLL_TAG(CK_REDUCE, 3), c);
    else if (r == root)
        memcpy(out, acc, rd->bytes);
out:
    free(acc);
    free(tmp);
    free(off);
    free(win);
    return rc;
}

/* The packed vectors `in` of all ranks reduced into `out` at root (out may
 * be in at the root: MPI_IN_PLACE). */
static int reduce_packed(const struct red *rd, const char *in, char *out, int root, struct mpi_comm *c)
{
    if (c->size == 1) {
        if (out != in)
            memcpy(out, in, rd->bytes);
        return MPI_SUCCESS;
    }
    if (rd->bytes >= coll_tune()->reduce_long && rd->units >= (size_t)coll_pof2_floor(c->size))
        return reduce_rabenseifner(rd, in, out, root, c);
    return reduce_binomial(rd, in, out, root, c);
}

int coll_reduce(const void *sbuf, void *rbuf, int count, MPI_Datatype dt, MPI_Op op, int root,
                struct mpi_comm *c)
{
    struct red rd;
    red_setup(&rd, (size_t)count, dt, op);
    if (rd.bytes == 0)
        return MPI_SUCCESS;
    int is_root = c->rank == root;
    const void *src = is_root && sbuf == MPI_IN_PLACE ? rbuf : sbuf;
    if (c->size == 1) {
        if (src == rbuf)
            return MPI_SUCCESS;
        return dtype_copy(sbuf, count, dtype_get(dt), rbuf, count, dtype_get(dt));
    }
    void *itmp, *otmp = NULL;
    const char *in = coll_packed(src, count, dt, &itmp);
    char *out = NULL;
    if (in && is_root)
        out = coll_packing_space(rbuf, count, dt, &otmp);
    int rc = !in || (is_root && !out) ? MPI_ERR_NO_MEM : reduce_packed(&rd, in, out, root, c);
    free(itmp);
    if (rc == MPI_SUCCESS && is_root)
        coll_unpacked(rbuf, count, dt, otmp);
    else
        free(otmp);
    return rc;
}

/* ------------------------------------------------------------------ allreduce */

/* Recursive doubling over the new ranks; both partners compute the same
 * expression (lower run on the left), so all end with the same bits.
 * *acc and *tmp may be swapped. */
static int allreduce_doubling(const struct red *rd, char **acc, char **tmp, int nr, int pof2, int rem,
                              struct mpi_comm *c)
{
    for (int m = 1; m < pof2; m <<= 1) {
        int peer = real_of(nr ^ m, rem);
        int rc = coll_sendrecv(*acc, rd->bytes, peer, *tmp, rd->bytes, peer, COLL_TAG(CK_ALLREDUCE, 1), c);
        if (rc != MPI_SUCCESS)
            return rc;
        if (nr & m) {
            rc = red_apply(rd, *tmp, *acc, rd->units); /* theirs op ours */
        } else {
            rc = red_apply(rd, *acc, *tmp, rd->units); /* ours op theirs, into tmp */
            char *t = *acc;
            *acc = *tmp;
            *tmp = t;
        }
        if (rc != MPI_SUCCESS)
            return rc;
    }
    return MPI_SUCCESS;
}

static int allreduce_rabenseifner(const struct red *rd, char *acc, char *tmp, int nr, int pof2, int rem,
                                  struct mpi_comm *c)
{
    size_t *off = even_blocks(rd->units, pof2);
    struct window *win = malloc(((size_t)log2_of(pof2) + 1) * sizeof *win);
    int rc = MPI_ERR_NO_MEM;
    if (off && win) {
        rc = halve(rd, acc, tmp, off, nr, pof2, rem, 1, win, COLL_TAG(CK_ALLREDUCE, 1), c);
        if (rc == MPI_SUCCESS)
            rc = unhalve_all(rd, acc, off, nr, pof2, rem, 1, win, COLL_TAG(CK_ALLREDUCE, 2), c);
    }
    free(off);
    free(win);
    return rc;
}

int coll_allreduce(const void *sbuf, void *rbuf, int count, MPI_Datatype dt, MPI_Op op, struct mpi_comm *c)
{
    struct red rd;
    red_setup(&rd, (size_t)count, dt, op);
    const struct mpi_dtype *t = dtype_get(dt);
    if (rd.bytes == 0)
        return MPI_SUCCESS;
    if (c->size == 1)
        return sbuf == MPI_IN_PLACE ? MPI_SUCCESS : dtype_copy(sbuf, count, t, rbuf, count, t);

    int n = c->size, pof2 = coll_pof2_floor(n), rem = n - pof2, rc;
    void *otmp;
    char *acc0 = coll_packing_space(rbuf, count, dt, &otmp), *tmp0 = coll_alloc(rd.bytes);
    if (!acc0 || !tmp0) {
        free(otmp);
        free(tmp0);
        return MPI_ERR_NO_MEM;
    }
    if (sbuf != MPI_IN_PLACE)
        dtype_pack(sbuf, count, t, 0, acc0, rd.bytes);
    else if (otmp)
        dtype_pack(rbuf, count, t, 0, acc0, rd.bytes);
    char *acc = acc0, *tmp = tmp0;

    int nr = fold_in(&rd, acc, tmp, rem, COLL_TAG(CK_ALLREDUCE, 0), c, &rc);
    if (rc == MPI_SUCCESS && nr >= 0) {
        if (rd.bytes >= coll_tune()->allreduce_long && rd.units >= (size_t)pof2)
            rc = allreduce_rabenseifner(&rd, acc, tmp, nr, pof2, rem, c);
        else
            rc = allreduce_doubling(&rd, &acc, &tmp, nr, pof2, rem, c);
    }
    if (rc == MPI_SUCCESS)
        rc = fold_out(&rd, acc, rem, COLL_TAG(CK_ALLREDUCE, 3), c);
    if (rc == MPI_SUCCESS && acc != acc0)
        memcpy(acc0, acc, rd.bytes);
    if (rc == MPI_SUCCESS)
        coll_unpacked(rbuf, count, dt, otmp);
    else
        free(otmp);
    free(tmp0);
    return rc;
}

/* ------------------------------------------------------------------ reduce_scatter */

/* Recursive halving for commutative operations.  New rank k stands for
 * ranks first(k) .. first(k+1)-1, whose blocks are consecutive, so halving
 * new ranks in descending bit order leaves new rank k with exactly its
 * ranks' blocks; the folded rank 2k gets its block from 2k+1. */
static int reduce_scatter_halving(const struct red *rd, char *acc, char *tmp, const size_t *roff,
                                  struct mpi_comm *c)
{
    int n = c->size, r = c->rank, pof2 = coll_pof2_floor(n), rem = n - pof2, rc;
    size_t us = rd->usize;
    size_t *off = malloc(((size_t)pof2 + 1) * sizeof *off);
    struct window *win = malloc(((size_t)log2_of(pof2) + 1) * sizeof *win);
    if (!off || !win) {
        rc = MPI_ERR_NO_MEM;
        goto out;
    }
    for (int k = 0; k <= pof2; k++)
        off[k] = roff[k == pof2 ? n : k < rem ? 2 * k : k + rem];
    int nr = fold_in(rd, acc, tmp, rem, COLL_TAG(CK_REDUCE_SCATTER, 0), c, &rc);
    if (rc != MPI_SUCCESS)
        goto out;
    if (nr >= 0)
        rc = halve(rd, acc, tmp, off, nr, pof2, rem, 0, win, COLL_TAG(CK_REDUCE_SCATTER, 1), c);
    if (rc != MPI_SUCCESS)
        goto out;
    if (r < 2 * rem && r % 2 == 1)
        rc = coll_send(acc + roff[r - 1] * us, (roff[r] - roff[r - 1]) * us, r - 1, COLL_TAG(CK_REDUCE_SCATTER, 2), c);
    else if (r < 2 * rem)
        rc = coll_recv(acc + roff[r] * us, (roff[r + 1] - roff[r]) * us, r + 1, COLL_TAG(CK_REDUCE_SCATTER, 2), c);
out:
    free(off);
    free(win);
    return rc;
}

/* Any operation: a reduce to rank 0 keeps rank order; rank 0 then sends
 * each rank its block. */
static int reduce_scatter_via_root(const struct red *rd, char *acc, char *tmp, const size_t *roff,
                                   struct mpi_comm *c)
{
    int n = c->size, r = c->rank, rc;
    size_t us = rd->usize;
    rc = reduce_packed(rd, acc, tmp, 0, c);
    if (rc != MPI_SUCCESS)
        return rc;
    if (r == 0) {
        memcpy(acc, tmp, roff[1] * us);
        for (int i = 1; i < n && rc == MPI_SUCCESS; i++)
            rc = coll_send(tmp + roff[i] * us, (roff[i + 1] - roff[i]) * us, i, COLL_TAG(CK_REDUCE_SCATTER, 3), c);
        return rc;
    }
    return coll_recv(acc + roff[r] * us, (roff[r + 1] - roff[r]) * us, 0, COLL_TAG(CK_REDUCE_SCATTER, 3), c);
}

int coll_reduce_scatter(const void *sbuf, void *rbuf, const int *rcounts, MPI_Datatype dt, MPI_Op op,
                        struct mpi_comm *c)
{
    int n = c->size, r = c->rank, rc = MPI_SUCCESS;
    const struct mpi_dtype *t = dtype_get(dt);
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += (size_t)rcounts[i];
    struct red rd;
    red_setup(&rd, total, dt, op);
    if (rd.bytes == 0)
        return MPI_SUCCESS;
    const char *src = sbuf == MPI_IN_PLACE ? rbuf : sbuf;
    if (n == 1)
        return sbuf == MPI_IN_PLACE ? MPI_SUCCESS : dtype_copy(sbuf, rcounts[0], t, rbuf, rcounts[0], t);

    /* roff[i]: where rank i's block starts, in units */
    size_t *roff = malloc(((size_t)n + 1) * sizeof *roff);
    char *acc = coll_alloc(rd.bytes), *tmp = coll_alloc(rd.bytes);
    if (!roff || !acc || !tmp) {
        rc = MPI_ERR_NO_MEM;
        goto out;
    }
    roff[0] = 0;
    for (int i = 0; i < n; i++)
        roff[i + 1] = roff[i] + (size_t)rcounts[i] * rd.per_elem;
    /* pack block by block: the whole vector may have more than INT_MAX elements */
    size_t elem0 = 0;
    for (int i = 0; i < n; i++) {
        if (rcounts[i] > 0)
            dtype_pack(coll_elem(src, elem0, dt), rcounts[i], t, 0, acc + roff[i] * rd.usize,
                       (roff[i + 1] - roff[i]) * rd.usize);
        elem0 += (size_t)rcounts[i];
    }
    if (rd.commutative)
        rc = reduce_scatter_halving(&rd, acc, tmp, roff, c);
    else
        rc = reduce_scatter_via_root(&rd, acc, tmp, roff, c);
    if (rc == MPI_SUCCESS && rcounts[r] > 0)
        dtype_unpack(acc + roff[r] * rd.usize, 0, (roff[r + 1] - roff[r]) * rd.usize, rbuf, rcounts[r], t);
out:
    free(roff);
    free(acc);
    free(tmp);
    return rc;
}

int coll_reduce_scatter_block(const void *sbuf, void *rbuf, int rcount, MPI_Datatype dt, MPI_Op op,
                              struct mpi_comm *c)
{
    int *counts = malloc((size_t)c->size * sizeof *counts);
    if (!counts)
        return MPI_ERR_NO_MEM;
    for (int i = 0; i < c->size; i++)
        counts[i] = rcount;
    int rc = coll_reduce_scatter(sbuf, rbuf, counts, dt, op, c);
    free(counts);
    return rc;
}

/* ------------------------------------------------------------------ scan, exscan */

/* Recursive doubling: `sum` is the reduction over this rank's aligned run
 * of 2m ranks after step m, `res` over ranks 0..r (exclusive: 0..r-1).  The
 * partner's sum covers the run just below or just above ours, so each
 * combination keeps rank order. */
static int scan_doubling(const struct red *rd, const char *in, char *res, int exclusive, struct mpi_comm *c)
{
    int n = c->size, r = c->rank, have = !exclusive, rc = MPI_SUCCESS;
    int tag = COLL_TAG(exclusive ? CK_EXSCAN : CK_SCAN, 0);
    char *sum = coll_alloc(rd->bytes), *tmp = coll_alloc(rd->bytes);
    if (!sum || !tmp) {
        rc = MPI_ERR_NO_MEM;
        goto out;
    }
    memcpy(sum, in, rd->bytes);
    if (!exclusive)
        memcpy(res, in, rd->bytes);
    for (int m = 1; m < n; m <<= 1) {
        int peer = r ^ m;
        if (peer >= n)
            continue;
        rc = coll_sendrecv(sum, rd->bytes, peer, tmp, rd->bytes, peer, tag, c);
        if (rc != MPI_SUCCESS)
            break;
        if (peer < r) {
            if (have) {
                rc = red_apply(rd, tmp, res, rd->units);
            } else {
                memcpy(res, tmp, rd->bytes);
                have = 1;
            }
            if (rc == MPI_SUCCESS)
                rc = red_apply(rd, tmp, sum, rd->units);
        } else {
            rc = red_apply(rd, sum, tmp, rd->units); /* ours op theirs, into tmp */
            char *t = sum;
            sum = tmp;
            tmp = t;
        }
        if (rc != MPI_SUCCESS)
            break;
    }
out:
    free(sum);
    free(tmp);
    return rc;
}

static int scan_common(const void *sbuf, void *rbuf, int count, MPI_Datatype dt, MPI_Op op, struct mpi_comm *c,
                       int exclusive)
{
    struct red rd;
    red_setup(&rd, (size_t)count, dt, op);
    const struct mpi_dtype *t = dtype_get(dt);
    if (rd.bytes == 0)
        return MPI_SUCCESS;
    if (c->size == 1) /* exscan: rank 0's result is undefined; scan: the input */
        return exclusive || sbuf == MPI_IN_PLACE ? MPI_SUCCESS : dtype_copy(sbuf, count, t, rbuf, count, t);
    void *itmp, *otmp;
    const char *in = coll_packed(sbuf == MPI_IN_PLACE ? rbuf : sbuf, count, dt, &itmp);
    char *res = NULL;
    if (in) /* not rbuf itself: with MPI_IN_PLACE it is also the input */
        res = coll_alloc(rd.bytes);
    int rc = in && res ? scan_doubling(&rd, in, res, exclusive, c) : MPI_ERR_NO_MEM;
    if (rc == MPI_SUCCESS && !(exclusive && c->rank == 0)) {
        char *dst = coll_packing_space(rbuf, count, dt, &otmp);
        if (!dst) {
            rc = MPI_ERR_NO_MEM;
        } else {
            memcpy(dst, res, rd.bytes);
            coll_unpacked(rbuf, count, dt, otmp);
        }
    }
    free(itmp);
    free(res);
    return rc;
}

int coll_scan(const void *sbuf, void *rbuf, int count, MPI_Datatype dt, MPI_Op op, struct mpi_comm *c)
{
    return scan_common(sbuf, rbuf, count, dt, op, c, 0);
}

int coll_exscan(const void *sbuf, void *rbuf, int count, MPI_Datatype dt, MPI_Op op, struct mpi_comm *c)
{
    return scan_common(sbuf, rbuf, count, dt, op, c, 1);
}
