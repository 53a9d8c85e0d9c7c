/* dtype_pack.c — moving data between a buffer laid out by a datatype and
 * the packed stream of its elements: pack and unpack of any byte range of
 * the stream (large messages travel in pieces), local copies between two
 * types of the same signature, and counting basic elements.
 *
 * The stream of count elements is element 0's segments in order, then
 * element 1's (one extent further), ...  A piece starting at byte `offset`
 * finds its element by division and its segment by a binary search of the
 * segments' start offsets, so each piece costs its own length, not the
 * length of what came before it. */
#include "dtype.h"

#include <stdlib.h>
#include <string.h>

/* n blocks of len bytes, block k from src + k*sstep to dst + k*dstep.  The
 * usual small lengths get constant-size copies (plain loads and stores). */
static inline void copy_run(char *dst, MPI_Aint dstep, const char *src, MPI_Aint sstep, size_t len, size_t n)
{
    switch (len) {
#define RUN(L)                                                                   \
    case L:                                                                      \
        for (size_t k = 0; k < n; k++)                                           \
            memcpy(dst + (MPI_Aint)k * dstep, src + (MPI_Aint)k * sstep, L);     \
        return;
        RUN(1)
        RUN(2)
        RUN(4)
        RUN(8)
        RUN(12)
        RUN(16)
        RUN(24)
        RUN(32)
#undef RUN
    default:
        for (size_t k = 0; k < n; k++)
            memcpy(dst + (MPI_Aint)k * dstep, src + (MPI_Aint)k * sstep, len);
    }
}

/* n blocks of blen bytes between user + k*ustep and the stream at packed. */
static inline void move(int unpack, char *user, MPI_Aint ustep, char *packed, size_t blen, size_t n)
{
    if (unpack)
        copy_run(user, ustep, packed, (MPI_Aint)blen, blen, n);
    else
        copy_run(packed, (MPI_Aint)blen, user, ustep, blen, n);
}

static inline size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* Bytes [offset, offset+len) of the stream of t's elements at user, to or
 * from packed. */
static inline __attribute__((always_inline)) void walk(const struct mpi_dtype *t, char *user, size_t offset,
                                                       char *packed, size_t len, int unpack)
{
    if (len == 0)
        return;
    if (!t->flat && dtype_flatten((struct mpi_dtype *)t) != MPI_SUCCESS)
        mpi_fatal(MPI_ERR_NO_MEM, "out of memory flattening a datatype (%zu bytes per element)", t->size);
    if (t->contiguous) {
        move(unpack, user + t->true_lb + (MPI_Aint)offset, 0, packed, len, 1);
        return;
    }
    MPI_Aint extent = t->ub - t->lb;
    size_t size = t->size;
    size_t within = offset % size;
    char *base = user + (MPI_Aint)(offset / size) * extent;
    const struct dtype_seg *segs = t->segs;
    size_t nsegs = t->nsegs;

    if (nsegs == 1 && segs[0].count == 1) {
        /* one block per element (resized types, value-index pairs, structs
         * with padding at the end): a strided run over the elements */
        char *first = base + segs[0].disp;
        if (within) {
            size_t n = min_size(size - within, len);
            move(unpack, first + within, 0, packed, n, 1);
            packed += n;
            len -= n;
            first += extent;
        }
        size_t whole = len / size;
        move(unpack, first, extent, packed, size, whole);
        packed += whole * size;
        len -= whole * size;
        if (len)
            move(unpack, first + (MPI_Aint)whole * extent, 0, packed, len, 1);
        return;
    }

    /* the segment of the element where the piece begins: the last one
     * whose start is not beyond it */
    size_t lo = 0, hi = nsegs;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (segs[mid].start <= within)
            lo = mid;
        else
            hi = mid;
    }
    size_t i = lo;
    size_t in_seg = within - segs[i].start;
    size_t k = in_seg / segs[i].len, r = in_seg % segs[i].len; /* block, byte in it */
    for (;;) {
        const struct dtype_seg *s = &segs[i];
        char *p = base + s->disp + (MPI_Aint)k * s->stride;
        if (r) { /* the rest of a block an earlier piece began */
            size_t n = min_size(s->len - r, len);
            move(unpack, p + r, 0, packed, n, 1);
            packed += n;
            len -= n;
            if (len == 0)
                return;
            k++;
            p += s->stride;
            r = 0;
        }
        size_t whole = min_size(s->count - k, len / s->len);
        move(unpack, p, s->stride, packed, s->len, whole);
        packed += whole * s->len;
        len -= whole * s->len;
        k += whole;
        if (k < s->count) { /* the piece ends inside this segment */
            if (len)
                move(unpack, p + (MPI_Aint)whole * s->stride, 0, packed, len, 1);
            return;
        }
        if (len == 0)
            return;
        k = 0;
        if (++i == nsegs) {
            i = 0;
            base += extent;
        }
    }
}

void dtype_pack(const void *buf, int count, const struct mpi_dtype *t, size_t offset, void *out, size_t len)
{
    (void)count;
    walk(t, (char *)buf, offset, out, len, 0);
}

void dtype_unpack(const void *in, size_t offset, size_t len, void *buf, int count, const struct mpi_dtype *t)
{
    (void)count;
    walk(t, buf, offset, (char *)in, len, 1);
}

int dtype_copy(const void *src, int scount, const struct mpi_dtype *stype, void *dst, int rcount,
               const struct mpi_dtype *rtype)
{
    size_t sbytes = (size_t)scount * stype->size, rbytes = (size_t)rcount * rtype->size;
    size_t n = min_size(sbytes, rbytes);
    int rc = sbytes > rbytes ? MPI_ERR_TRUNCATE : MPI_SUCCESS;
    if (n == 0)
        return rc;
    if (stype->contiguous && rtype->contiguous) {
        const char *s = (const char *)src + stype->true_lb;
        char *d = (char *)dst + rtype->true_lb;
        if (s != d)
            memmove(d, s, n);
    } else if (stype->contiguous) {
        dtype_unpack((const char *)src + stype->true_lb, 0, n, dst, rcount, rtype);
    } else if (rtype->contiguous) {
        dtype_pack(src, scount, stype, 0, (char *)dst + rtype->true_lb, n);
    } else {
        /* through a bounce buffer, a piece at a time */
        char small[4096];
        size_t chunk = min_size(n, (size_t)1 << 20);
        char *tmp = chunk > sizeof small ? malloc(chunk) : NULL;
        if (!tmp) {
            tmp = small;
            chunk = min_size(chunk, sizeof small);
        }
        for (size_t off = 0; off < n; off += chunk) {
            size_t len = min_size(chunk, n - off);
            dtype_pack(src, scount, stype, off, tmp, len);
            dtype_unpack(tmp, off, len, dst, rcount, rtype);
        }
        if (tmp != small)
            free(tmp);
    }
    return rc;
}

/* Basic elements in the first rem bytes of one element of t (rem < size),
 * or MPI_UNDEFINED when rem ends inside a basic element.  All data of a
 * type but a struct is made of whole elements of its one old type. */
static MPI_Count partial_elements(const struct mpi_dtype *t, size_t rem)
{
    if (rem == 0)
        return 0;
    if (t->predefined)
        return t->pair_value && rem == t->pair_value ? 1 : MPI_UNDEFINED;
    if (t->combiner == MPI_COMBINER_STRUCT) {
        MPI_Count acc = 0;
        for (int i = 0; i < t->ints[0] && rem; i++) {
            const struct mpi_dtype *c = dtype_get(t->types[i]);
            size_t bl = (size_t)t->ints[1 + i], bytes = bl * c->size;
            if (rem >= bytes) {
                acc += (MPI_Count)bl * c->nbasic;
                rem -= bytes;
                continue;
            }
            MPI_Count p = partial_elements(c, rem % c->size);
            return p == MPI_UNDEFINED ? p : acc + (MPI_Count)(rem / c->size) * c->nbasic + p;
        }
        return acc;
    }
    const struct mpi_dtype *old = dtype_get(t->types[0]);
    MPI_Count p = partial_elements(old, rem % old->size);
    return p == MPI_UNDEFINED ? p : (MPI_Count)(rem / old->size) * old->nbasic + p;
}

MPI_Count dtype_elements(const struct mpi_dtype *t, size_t bytes)
{
    if (t->size == 0)
        return 0;
    MPI_Count p = partial_elements(t, bytes % t->size);
    return p == MPI_UNDEFINED ? p : (MPI_Count)(bytes / t->size) * t->nbasic + p;
}
