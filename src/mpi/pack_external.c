/* pack_external.c — MPI_Pack_external, MPI_Unpack_external and
 * MPI_Pack_external_size in the "external32" representation (MPI 3.1,
 * 13.5.2): every basic value big-endian, in the standard's sizes (long 4
 * bytes, wchar 2, long double as IEEE binary128), no padding.
 *
 * The data are packed natively first (dtype_pack), then each basic value
 * of that stream is converted in the order of the type signature, which
 * walk() produces from how the type was made. */
#include <stdlib.h>
#include <string.h>

#include "dtype.h"

/* How one basic value (or one part of a pair or complex) is converted. */
enum conv { C_COPY, C_SWAP, C_SNARROW, C_UNARROW, C_LDQ };
struct part {
    unsigned char native, ext; /* sizes in bytes */
    unsigned char conv;
};

/* The parts of a predefined type (at most 2); returns how many, 0 for a
 * type without data. */
static int parts_of(const struct mpi_dtype *t, struct part p[2])
{
    MPI_Datatype h = t->handle;
    if (h == MPI_LONG || h == MPI_UNSIGNED_LONG) {
        p[0] = (struct part){ 8, 4, h == MPI_LONG ? C_SNARROW : C_UNARROW };
        return 1;
    }
    if (h == MPI_WCHAR) {
        p[0] = (struct part){ 4, 2, C_UNARROW };
        return 1;
    }
    switch (t->ctype) {
    case CT_I8: case CT_U8: case CT_BOOL8: case CT_BYTE:
        p[0] = (struct part){ 1, 1, C_COPY };
        return 1;
    case CT_I16: case CT_U16:
        p[0] = (struct part){ 2, 2, C_SWAP };
        return 1;
    case CT_I32: case CT_U32: case CT_F32: case CT_LOGICAL:
        p[0] = (struct part){ 4, 4, C_SWAP };
        return 1;
    case CT_I64: case CT_U64: case CT_F64:
        p[0] = (struct part){ 8, 8, C_SWAP };
        return 1;
    case CT_F128:
        p[0] = (struct part){ 16, 16, C_SWAP };
        return 1;
    case CT_LDOUBLE:
        p[0] = (struct part){ 16, 16, C_LDQ };
        return 1;
    case CT_C32: p[0] = p[1] = (struct part){ 4, 4, C_SWAP }; return 2;
    case CT_C64: p[0] = p[1] = (struct part){ 8, 8, C_SWAP }; return 2;
    case CT_C128: p[0] = p[1] = (struct part){ 16, 16, C_SWAP }; return 2;
    case CT_CLDOUBLE: p[0] = p[1] = (struct part){ 16, 16, C_LDQ }; return 2;
    case CT_2INT: case CT_2FLOAT: p[0] = p[1] = (struct part){ 4, 4, C_SWAP }; return 2;
    case CT_2DOUBLE: p[0] = p[1] = (struct part){ 8, 8, C_SWAP }; return 2;
    case CT_FLOAT_INT: p[0] = (struct part){ 4, 4, C_SWAP }; break;
    case CT_DOUBLE_INT: p[0] = (struct part){ 8, 8, C_SWAP }; break;
    case CT_LONG_INT: p[0] = (struct part){ 8, 4, C_SNARROW }; break;
    case CT_SHORT_INT: p[0] = (struct part){ 2, 2, C_SWAP }; break;
    case CT_LDOUBLE_INT: p[0] = (struct part){ 16, 16, C_LDQ }; break;
    default: /* MPI_PACKED, MPI_CHARACTER: bytes */
        if (t->size == 0)
            return 0;
        p[0] = (struct part){ 1, 1, C_COPY };
        return 1;
    }
    /* the value-index pairs: the index is an int */
    p[1] = (struct part){ 4, 4, C_SWAP };
    return 2;
}

static void reverse(unsigned char *dst, const unsigned char *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[n - 1 - i];
}

/* One part from native (at n) to external (at e), or back. */
static void convert(const struct part *p, unsigned char *n, unsigned char *e, int to_ext)
{
    switch (p->conv) {
    case C_COPY:
        memcpy(to_ext ? e : n, to_ext ? n : e, p->native);
        return;
    case C_SWAP:
        if (to_ext)
            reverse(e, n, p->native);
        else
            reverse(n, e, p->native);
        return;
    case C_SNARROW:
    case C_UNARROW: {
        /* integers wider here than in external32: the low bytes travel;
         * coming back, signed values are sign-extended */
        uint64_t v = 0;
        if (to_ext) {
            memcpy(&v, n, p->native);
            for (int i = 0; i < p->ext; i++)
                e[i] = (unsigned char)(v >> (8 * (p->ext - 1 - i)));
            return;
        }
        for (int i = 0; i < p->ext; i++)
            v = v << 8 | e[i];
        if (p->conv == C_SNARROW && (e[0] & 0x80))
            v |= ~0ull << (8 * p->ext);
        memcpy(n, &v, p->native);
        return;
    }
    case C_LDQ: {
        __float128 q;
        long double ld;
        unsigned char b[16];
        if (to_ext) {
            memcpy(&ld, n, sizeof ld);
            q = (__float128)ld;
            memcpy(b, &q, 16);
            reverse(e, b, 16);
        } else {
            reverse(b, e, 16);
            memcpy(&q, b, 16);
            ld = (long double)q;
            memset(n, 0, p->native);
            memcpy(n, &ld, 10); /* the x87 value; the rest is padding */
        }
        return;
    }
    }
}

/* Calls fn for the predefined types of count elements of t in signature
 * order, as runs (type, how many); stops when fn returns nonzero. */
typedef int (*walk_fn)(const struct mpi_dtype *basic, size_t n, void *ctx);

static int walk(const struct mpi_dtype *t, size_t count, walk_fn fn, void *ctx)
{
    if (count == 0 || t->size == 0)
        return 0;
    if (t->predefined)
        return fn(t, count, ctx);
    if (t->combiner == MPI_COMBINER_STRUCT) {
        for (size_t c = 0; c < count; c++)
            for (int i = 0; i < t->ints[0]; i++) {
                int rc = walk(dtype_get(t->types[i]), (size_t)t->ints[1 + i], fn, ctx);
                if (rc)
                    return rc;
            }
        return 0;
    }
    /* every other combiner: whole elements of its one old type */
    const struct mpi_dtype *old = dtype_get(t->types[0]);
    return walk(old, count * (t->size / old->size), fn, ctx);
}

struct conv_ctx {
    unsigned char *native, *ext;
    int to_ext;
};

static int convert_run(const struct mpi_dtype *b, size_t n, void *arg)
{
    struct conv_ctx *c = arg;
    struct part p[2];
    int np = parts_of(b, p);
    for (size_t k = 0; k < n; k++)
        for (int i = 0; i < np; i++) {
            convert(&p[i], c->native, c->ext, c->to_ext);
            c->native += p[i].native;
            c->ext += p[i].ext;
        }
    return 0;
}

static int size_run(const struct mpi_dtype *b, size_t n, void *arg)
{
    struct part p[2];
    int np = parts_of(b, p);
    size_t one = 0;
    for (int i = 0; i < np; i++)
        one += p[i].ext;
    *(size_t *)arg += one * n;
    return 0;
}

static size_t ext_size(const struct mpi_dtype *t, size_t count)
{
    size_t one = 0;
    walk(t, 1, size_run, &one);
    return one * count;
}

/* ------------------------------------------------------------- MPI functions */

static int check(const char *fn, const char *datarep, int count, MPI_Datatype type, const struct mpi_dtype **t)
{
    MPI_CHECK_INIT(fn);
    if (!datarep || strcmp(datarep, "external32"))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_UNSUPPORTED_DATAREP, fn,
                         "data representation \"%s\": only \"external32\" is known", datarep ? datarep : "(null)");
    if (count < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COUNT, fn, "count is negative (%d)", count);
    *t = dtype_get(type);
    if (!*t)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_TYPE, fn, "0x%x is not a datatype, or was freed", (unsigned)type);
    if (!dtype_is_committed(*t))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_TYPE, fn, "the datatype is not committed (MPI_Type_commit)");
    return MPI_SUCCESS;
}

int PMPI_Pack_external_size(const char datarep[], int incount, MPI_Datatype type, MPI_Aint *size)
{
    MPI_SECTION();
    const char *fn = "MPI_Pack_external_size";
    const struct mpi_dtype *t;
    int rc = check(fn, datarep, incount, type, &t);
    if (rc)
        return rc;
    if (!size)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "size is a null pointer");
    *size = (MPI_Aint)ext_size(t, (size_t)incount);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Pack_external_size);

/* Packs or unpacks count elements through a native packed copy. */
static int transfer(const char *fn, const struct mpi_dtype *t, int count, void *buf, unsigned char *ext, int to_ext)
{
    size_t nbytes = (size_t)count * t->size;
    unsigned char *native = malloc(nbytes ? nbytes : 1);
    if (!native)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory for %zu bytes", nbytes);
    if (to_ext)
        dtype_pack(buf, count, t, 0, native, nbytes);
    struct conv_ctx c = { native, ext, to_ext };
    walk(t, (size_t)count, convert_run, &c);
    if (!to_ext)
        dtype_unpack(native, 0, nbytes, buf, count, t);
    free(native);
    return MPI_SUCCESS;
}

int PMPI_Pack_external(const char datarep[], const void *inbuf, int incount, MPI_Datatype type, void *outbuf,
                       MPI_Aint outsize, MPI_Aint *position)
{
    MPI_SECTION();
    const char *fn = "MPI_Pack_external";
    const struct mpi_dtype *t;
    int rc = check(fn, datarep, incount, type, &t);
    if (rc)
        return rc;
    if (!position || *position < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "position is %s", position ? "negative" : "a null pointer");
    size_t bytes = ext_size(t, (size_t)incount);
    if ((size_t)*position + bytes > (size_t)(outsize > 0 ? outsize : 0))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_TRUNCATE, fn,
                         "%zu bytes do not fit at position %ld of an output buffer of %ld bytes", bytes,
                         (long)*position, (long)outsize);
    rc = transfer(fn, t, incount, (void *)inbuf, (unsigned char *)outbuf + *position, 1);
    if (!rc)
        *position += (MPI_Aint)bytes;
    return rc;
}
MPI_WEAK(MPI_Pack_external);

int PMPI_Unpack_external(const char datarep[], const void *inbuf, MPI_Aint insize, MPI_Aint *position, void *outbuf,
                         int outcount, MPI_Datatype type)
{
    MPI_SECTION();
    const char *fn = "MPI_Unpack_external";
    const struct mpi_dtype *t;
    int rc = check(fn, datarep, outcount, type, &t);
    if (rc)
        return rc;
    if (!position || *position < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "position is %s", position ? "negative" : "a null pointer");
    size_t bytes = ext_size(t, (size_t)outcount);
    if ((size_t)*position + bytes > (size_t)(insize > 0 ? insize : 0))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_TRUNCATE, fn,
                         "%zu bytes to unpack at position %ld, but the input buffer has only %ld bytes", bytes,
                         (long)*position, (long)insize);
    rc = transfer(fn, t, outcount, outbuf, (unsigned char *)inbuf + *position, 0);
    if (!rc)
        *position += (MPI_Aint)bytes;
    return rc;
}
MPI_WEAK(MPI_Unpack_external);
