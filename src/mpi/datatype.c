/* datatype.c — the datatype table: the predefined types, the constructors'
 * arithmetic (size, bounds, MPI-1's LB/UB markers, struct padding), the
 * flattened typemap, reference counts and freeing. */
#include "dtype.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ predefined types */

/* The built-in handles are 0x4c00SSII: SS the size, II an index below
 * 0x46; the table is indexed by II. */
#define BUILTIN_SLOTS 0x46

static const struct builtin_def {
    MPI_Datatype handle;
    const char *name;
    unsigned char align, ctype, groups;
} builtin_defs[] = {
    {MPI_CHAR, "MPI_CHAR", 1, CT_I8, DTG_CINT}, /* char is signed on x86_64 */
    {MPI_SIGNED_CHAR, "MPI_SIGNED_CHAR", 1, CT_I8, DTG_CINT},
    {MPI_UNSIGNED_CHAR, "MPI_UNSIGNED_CHAR", 1, CT_U8, DTG_CINT},
    {MPI_BYTE, "MPI_BYTE", 1, CT_BYTE, DTG_BYTE},
    {MPI_WCHAR, "MPI_WCHAR", 4, CT_NONE, 0},
    {MPI_SHORT, "MPI_SHORT", 2, CT_I16, DTG_CINT},
    {MPI_UNSIGNED_SHORT, "MPI_UNSIGNED_SHORT", 2, CT_U16, DTG_CINT},
    {MPI_INT, "MPI_INT", 4, CT_I32, DTG_CINT},
    {MPI_UNSIGNED, "MPI_UNSIGNED", 4, CT_U32, DTG_CINT},
    {MPI_LONG, "MPI_LONG", 8, CT_I64, DTG_CINT},
    {MPI_UNSIGNED_LONG, "MPI_UNSIGNED_LONG", 8, CT_U64, DTG_CINT},
    {MPI_LONG_LONG_INT, "MPI_LONG_LONG_INT", 8, CT_I64, DTG_CINT},
    {MPI_UNSIGNED_LONG_LONG, "MPI_UNSIGNED_LONG_LONG", 8, CT_U64, DTG_CINT},
    {MPI_FLOAT, "MPI_FLOAT", 4, CT_F32, DTG_FLOAT},
    {MPI_DOUBLE, "MPI_DOUBLE", 8, CT_F64, DTG_FLOAT},
    {MPI_LONG_DOUBLE, "MPI_LONG_DOUBLE", 16, CT_LDOUBLE, DTG_FLOAT},
    {MPI_PACKED, "MPI_PACKED", 1, CT_NONE, 0},
    {MPI_INT8_T, "MPI_INT8_T", 1, CT_I8, DTG_CINT},
    {MPI_INT16_T, "MPI_INT16_T", 2, CT_I16, DTG_CINT},
    {MPI_INT32_T, "MPI_INT32_T", 4, CT_I32, DTG_CINT},
    {MPI_INT64_T, "MPI_INT64_T", 8, CT_I64, DTG_CINT},
    {MPI_UINT8_T, "MPI_UINT8_T", 1, CT_U8, DTG_CINT},
    {MPI_UINT16_T, "MPI_UINT16_T", 2, CT_U16, DTG_CINT},
    {MPI_UINT32_T, "MPI_UINT32_T", 4, CT_U32, DTG_CINT},
    {MPI_UINT64_T, "MPI_UINT64_T", 8, CT_U64, DTG_CINT},
    {MPI_C_BOOL, "MPI_C_BOOL", 1, CT_BOOL8, DTG_LOGICAL},
    {MPI_C_FLOAT_COMPLEX, "MPI_C_COMPLEX", 4, CT_C32, DTG_COMPLEX}, /* MPICH's name */
    {MPI_C_DOUBLE_COMPLEX, "MPI_C_DOUBLE_COMPLEX", 8, CT_C64, DTG_COMPLEX},
    {MPI_C_LONG_DOUBLE_COMPLEX, "MPI_C_LONG_DOUBLE_COMPLEX", 16, CT_CLDOUBLE, DTG_COMPLEX},
    {MPI_AINT, "MPI_AINT", 8, CT_I64, DTG_FINT},
    {MPI_OFFSET, "MPI_OFFSET", 8, CT_I64, DTG_FINT},
    {MPI_COUNT, "MPI_COUNT", 8, CT_I64, DTG_FINT},
    {MPI_CXX_BOOL, "MPI_CXX_BOOL", 1, CT_BOOL8, DTG_LOGICAL},
    {MPI_CXX_FLOAT_COMPLEX, "MPI_CXX_FLOAT_COMPLEX", 4, CT_C32, DTG_COMPLEX},
    {MPI_CXX_DOUBLE_COMPLEX, "MPI_CXX_DOUBLE_COMPLEX", 8, CT_C64, DTG_COMPLEX},
    {MPI_CXX_LONG_DOUBLE_COMPLEX, "MPI_CXX_LONG_DOUBLE_COMPLEX", 16, CT_CLDOUBLE, DTG_COMPLEX},
    {MPI_2INT, "MPI_2INT", 4, CT_2INT, DTG_PAIR},
    {MPI_CHARACTER, "MPI_CHARACTER", 1, CT_NONE, 0},
    {MPI_LOGICAL, "MPI_LOGICAL", 4, CT_LOGICAL, DTG_LOGICAL},
    {MPI_INTEGER, "MPI_INTEGER", 4, CT_I32, DTG_FINT},
    {MPI_REAL, "MPI_REAL", 4, CT_F32, DTG_FLOAT},
    {MPI_DOUBLE_PRECISION, "MPI_DOUBLE_PRECISION", 8, CT_F64, DTG_FLOAT},
    {MPI_COMPLEX, "MPI_COMPLEX", 4, CT_C32, DTG_COMPLEX},
    {MPI_DOUBLE_COMPLEX, "MPI_DOUBLE_COMPLEX", 8, CT_C64, DTG_COMPLEX},
    {MPI_2INTEGER, "MPI_2INTEGER", 4, CT_2INT, DTG_PAIR},
    {MPI_2REAL, "MPI_2REAL", 4, CT_2FLOAT, DTG_PAIR},
    {MPI_2DOUBLE_PRECISION, "MPI_2DOUBLE_PRECISION", 8, CT_2DOUBLE, DTG_PAIR},
    {MPI_INTEGER1, "MPI_INTEGER1", 1, CT_I8, DTG_FINT},
    {MPI_INTEGER2, "MPI_INTEGER2", 2, CT_I16, DTG_FINT},
    {MPI_INTEGER4, "MPI_INTEGER4", 4, CT_I32, DTG_FINT},
    {MPI_INTEGER8, "MPI_INTEGER8", 8, CT_I64, DTG_FINT},
    {MPI_REAL4, "MPI_REAL4", 4, CT_F32, DTG_FLOAT},
    {MPI_REAL8, "MPI_REAL8", 8, CT_F64, DTG_FLOAT},
    {MPI_REAL16, "MPI_REAL16", 16, CT_F128, DTG_FLOAT}, /* gfortran's REAL(16): binary128 */
    {MPI_COMPLEX8, "MPI_COMPLEX8", 4, CT_C32, DTG_COMPLEX},
    {MPI_COMPLEX16, "MPI_COMPLEX16", 8, CT_C64, DTG_COMPLEX},
    {MPI_COMPLEX32, "MPI_COMPLEX32", 16, CT_C128, DTG_COMPLEX},
    {MPI_LB, "MPI_LB", 1, CT_NONE, 0},
    {MPI_UB, "MPI_UB", 1, CT_NONE, 0},
};

/* The value-index pairs are C structs {value; int}: their extents and the
 * place of the index come from the compiler, padding included (in
 * short_int the index is at 4, not 2). */
struct float_int { float v; int i; };
struct double_int { double v; int i; };
struct long_int { long v; int i; };
struct short_int { short v; int i; };
struct long_double_int { long double v; int i; };

#define NPAIRS 5
static const struct pair_def {
    MPI_Datatype handle;
    const char *name;
    size_t value_size, index_at, extent, align;
    unsigned char ctype;
} pair_defs[NPAIRS] = {
    {MPI_FLOAT_INT, "MPI_FLOAT_INT", sizeof(float), offsetof(struct float_int, i),
     sizeof(struct float_int), _Alignof(struct float_int), CT_FLOAT_INT},
    {MPI_DOUBLE_INT, "MPI_DOUBLE_INT", sizeof(double), offsetof(struct double_int, i),
     sizeof(struct double_int), _Alignof(struct double_int), CT_DOUBLE_INT},
    {MPI_LONG_INT, "MPI_LONG_INT", sizeof(long), offsetof(struct long_int, i), sizeof(struct long_int),
     _Alignof(struct long_int), CT_LONG_INT},
    {MPI_SHORT_INT, "MPI_SHORT_INT", sizeof(short), offsetof(struct short_int, i),
     sizeof(struct short_int), _Alignof(struct short_int), CT_SHORT_INT},
    {MPI_LONG_DOUBLE_INT, "MPI_LONG_DOUBLE_INT", sizeof(long double), offsetof(struct long_double_int, i),
     sizeof(struct long_double_int), _Alignof(struct long_double_int), CT_LDOUBLE_INT},
};

/* The predefined types, filled once by builtins_init (the table is static;
 * only the names can change afterwards, through MPI_Type_set_name). */
static struct mpi_dtype builtin[BUILTIN_SLOTS];
static struct dtype_seg builtin_segs[BUILTIN_SLOTS];
static struct mpi_dtype pairs[NPAIRS];
static struct dtype_seg pair_segs[NPAIRS][2];
static int builtins_ready;

static void predefined_common(struct mpi_dtype *t, MPI_Datatype h, const char *name)
{
    t->refs = 1;
    t->handle = h;
    t->predefined = 1;
    t->committed = 1;
    t->basic = h;
    t->combiner = MPI_COMBINER_NAMED;
    t->flat = 1;
    snprintf(t->name, sizeof t->name, "%s", name);
}

static void builtins_init(void)
{
    for (size_t i = 0; i < sizeof builtin_defs / sizeof builtin_defs[0]; i++) {
        const struct builtin_def *d = &builtin_defs[i];
        unsigned slot = (unsigned)d->handle & 0xffu;
        struct mpi_dtype *t = &builtin[slot];
        size_t size = ((unsigned)d->handle >> 8) & 0xffu;
        predefined_common(t, d->handle, d->name);
        t->size = size;
        t->ub = t->true_ub = (MPI_Aint)size;
        t->align = d->align;
        t->ctype = d->ctype;
        t->groups = d->groups;
        t->nbasic = (d->groups & DTG_PAIR) ? 2 : 1;
        t->pair_value = (d->groups & DTG_PAIR) ? (unsigned char)(size / 2) : 0;
        t->contiguous = 1;
        if (size) {
            builtin_segs[slot] = (struct dtype_seg){.disp = 0, .len = size, .count = 1};
            t->segs = &builtin_segs[slot];
            t->nsegs = 1;
        } else { /* MPI_LB, MPI_UB: markers without data */
            t->basic = MPI_DATATYPE_NULL;
            t->nbasic = 0;
            t->sticky_lb = d->handle == MPI_LB;
            t->sticky_ub = d->handle == MPI_UB;
        }
    }
    for (int i = 0; i < NPAIRS; i++) {
        const struct pair_def *d = &pair_defs[i];
        struct mpi_dtype *t = &pairs[i];
        predefined_common(t, d->handle, d->name);
        t->size = d->value_size + sizeof(int);
        t->ub = (MPI_Aint)d->extent;
        t->true_ub = (MPI_Aint)(d->index_at + sizeof(int));
        t->align = (unsigned)d->align;
        t->ctype = d->ctype;
        t->groups = DTG_PAIR;
        t->nbasic = 2;
        t->pair_value = (unsigned char)d->value_size;
        t->segs = pair_segs[i];
        if (d->index_at == d->value_size) {
            pair_segs[i][0] = (struct dtype_seg){.disp = 0, .len = t->size, .count = 1};
            t->nsegs = 1;
        } else {
            pair_segs[i][0] = (struct dtype_seg){.disp = 0, .len = d->value_size, .count = 1};
            pair_segs[i][1] = (struct dtype_seg){
                .disp = (MPI_Aint)d->index_at, .len = sizeof(int), .count = 1, .start = d->value_size};
            t->nsegs = 2;
        }
        t->contiguous = t->nsegs == 1 && (MPI_Aint)t->size == t->ub;
    }
    builtins_ready = 1;
}

/* ------------------------------------------------------------------ the table of derived types */

/* Derived types by handle index (slots below DTYPE_FIRST_INDEX unused);
 * NULL: free.  Owned by the thread inside the library (the library is
 * MPI_THREAD_SERIALIZED).  The objects themselves never move, so the
 * pointers the rest of the library holds stay valid while referenced. */
static struct mpi_dtype **table;
static size_t table_len;
static size_t lowest_free = DTYPE_FIRST_INDEX;

struct mpi_dtype *dtype_lookup(MPI_Datatype h)
{
    if (!builtins_ready)
        builtins_init();
    if (HANDLE_TYPE(h) != HT_DATATYPE)
        return NULL;
    unsigned index = HANDLE_INDEX(h);
    if (HANDLE_KIND(h) == HANDLE_BUILTIN) {
        unsigned slot = index & 0xffu;
        if (slot < BUILTIN_SLOTS && builtin[slot].handle == h)
            return &builtin[slot];
        return NULL;
    }
    if (HANDLE_KIND(h) != HANDLE_DYNAMIC)
        return NULL;
    if (index < NPAIRS)
        return &pairs[index];
    if (index >= DTYPE_FIRST_INDEX && index < table_len)
        return table[index];
    return NULL;
}

const struct mpi_dtype *dtype_get(MPI_Datatype h) { return dtype_lookup(h); }

static int table_insert(struct mpi_dtype *t)
{
    size_t i = lowest_free;
    while (i < table_len && table[i])
        i++;
    if (i >= table_len) {
        if (table_len >= (size_t)HANDLE_INDEX(~0u))
            return MPI_ERR_NO_MEM;
        size_t len = table_len ? table_len * 2 : 64;
        struct mpi_dtype **n = realloc(table, len * sizeof *n);
        if (!n)
            return MPI_ERR_NO_MEM;
        memset(n + table_len, 0, (len - table_len) * sizeof *n);
        table = n;
        table_len = len;
    }
    table[i] = t;
    lowest_free = i + 1;
    t->handle = MAKE_HANDLE(HT_DATATYPE, i);
    return MPI_SUCCESS;
}

void dtype_ref(MPI_Datatype h)
{
    struct mpi_dtype *t = dtype_lookup(h);
    if (t && !t->predefined)
        t->refs++;
}

void dtype_unref(MPI_Datatype h)
{
    struct mpi_dtype *t = dtype_lookup(h);
    if (!t || t->predefined || --t->refs > 0)
        return;
    unsigned index = HANDLE_INDEX(h);
    table[index] = NULL;
    if (index < lowest_free)
        lowest_free = index;
    for (int i = 0; i < t->nd; i++)
        dtype_unref(t->types[i]);
    free(t->ints);
    free(t->addrs);
    free(t->types);
    free(t->segs);
    free(t);
}

void **dtype_attrs(MPI_Datatype h)
{
    struct mpi_dtype *t = dtype_lookup(h);
    return t ? &t->attrs : NULL;
}

/* Queries of mpi_impl.h. */
int dtype_is_committed(const struct mpi_dtype *t) { return t->committed; }
size_t dtype_size(const struct mpi_dtype *t) { return t->size; }
MPI_Aint dtype_extent(const struct mpi_dtype *t) { return t->ub - t->lb; }
MPI_Aint dtype_lb(const struct mpi_dtype *t) { return t->lb; }
MPI_Aint dtype_true_lb(const struct mpi_dtype *t) { return t->true_lb; }
MPI_Aint dtype_true_extent(const struct mpi_dtype *t) { return t->true_ub - t->true_lb; }
int dtype_is_contiguous(const struct mpi_dtype *t) { return t->contiguous; }
MPI_Datatype dtype_basic(const struct mpi_dtype *t) { return t->basic; }

/* ------------------------------------------------------------------ envelopes */

void dtype_envelope(int combiner, const int *ints, int *ni, int *na, int *nd)
{
    int c = ints ? ints[0] : 0;
    *ni = *na = 0;
    *nd = 1;
    switch (combiner) {
    case MPI_COMBINER_NAMED: *nd = 0; break;
    case MPI_COMBINER_DUP: break;
    case MPI_COMBINER_CONTIGUOUS: *ni = 1; break;
    case MPI_COMBINER_VECTOR: *ni = 3; break;
    case MPI_COMBINER_HVECTOR: *ni = 2; *na = 1; break;
    case MPI_COMBINER_INDEXED: *ni = 1 + 2 * c; break;
    case MPI_COMBINER_HINDEXED: *ni = 1 + c; *na = c; break;
    case MPI_COMBINER_INDEXED_BLOCK: *ni = 2 + c; break;
    case MPI_COMBINER_HINDEXED_BLOCK: *ni = 2; *na = c; break;
    case MPI_COMBINER_STRUCT: *ni = 1 + c; *na = c; *nd = c; break;
    case MPI_COMBINER_SUBARRAY: *ni = 2 + 3 * c; break;
    case MPI_COMBINER_DARRAY: *ni = 4 + 4 * ints[2]; break;
    case MPI_COMBINER_RESIZED: *na = 2; break;
    }
}

/* ------------------------------------------------------------------ checked arithmetic */

/* Sizes and displacements of absurd types overflow: every step of the
 * arithmetic is checked, and one overflow makes the constructor fail. */
struct calc {
    int overflow;
};

static MPI_Aint cmul(struct calc *c, MPI_Aint a, MPI_Aint b)
{
    MPI_Aint r;
    if (__builtin_mul_overflow(a, b, &r))
        c->overflow = 1;
    return r;
}

static MPI_Aint cadd(struct calc *c, MPI_Aint a, MPI_Aint b)
{
    MPI_Aint r;
    if (__builtin_add_overflow(a, b, &r))
        c->overflow = 1;
    return r;
}

static MPI_Aint amin(MPI_Aint a, MPI_Aint b) { return a < b ? a : b; }
static MPI_Aint amax(MPI_Aint a, MPI_Aint b) { return a > b ? a : b; }

/* ------------------------------------------------------------------ layout of a new type */

/* Every constructor but subarray and darray places copies of its types in
 * groups: n blocks at d0, d0+step, ...; each block bl consecutive
 * elements of c (one extent of c apart). */
struct group {
    const struct mpi_dtype *c;
    size_t bl, n;
    MPI_Aint d0, step;
};

static size_t group_count(const struct mpi_dtype *t)
{
    switch (t->combiner) {
    case MPI_COMBINER_INDEXED:
    case MPI_COMBINER_HINDEXED:
    case MPI_COMBINER_INDEXED_BLOCK:
    case MPI_COMBINER_HINDEXED_BLOCK:
    case MPI_COMBINER_STRUCT:
        return (size_t)t->ints[0];
    default:
        return 1;
    }
}

static struct group group_at(const struct mpi_dtype *t, size_t i, struct calc *calc)
{
    const int *in = t->ints;
    const MPI_Aint *ad = t->addrs;
    struct group g = {.c = dtype_lookup(t->types[0]), .bl = 1, .n = 1};
    MPI_Aint ext = g.c->ub - g.c->lb;
    int count = in ? in[0] : 0;
    switch (t->combiner) {
    case MPI_COMBINER_CONTIGUOUS: g.bl = (size_t)count; break;
    case MPI_COMBINER_VECTOR:
        g.n = (size_t)count, g.bl = (size_t)in[1], g.step = cmul(calc, in[2], ext);
        break;
    case MPI_COMBINER_HVECTOR: g.n = (size_t)count, g.bl = (size_t)in[1], g.step = ad[0]; break;
    case MPI_COMBINER_INDEXED: g.bl = (size_t)in[1 + i], g.d0 = cmul(calc, in[1 + count + i], ext); break;
    case MPI_COMBINER_HINDEXED: g.bl = (size_t)in[1 + i], g.d0 = ad[i]; break;
    case MPI_COMBINER_INDEXED_BLOCK: g.bl = (size_t)in[1], g.d0 = cmul(calc, in[2 + i], ext); break;
    case MPI_COMBINER_HINDEXED_BLOCK: g.bl = (size_t)in[1], g.d0 = ad[i]; break;
    case MPI_COMBINER_STRUCT: g.c = dtype_lookup(t->types[i]), g.bl = (size_t)in[1 + i], g.d0 = ad[i]; break;
    default: break; /* DUP, RESIZED: one copy */
    }
    return g;
}

/* Subarrays and darrays select, in each dimension, ranges of indexes of an
 * array of the old type.  dims[] lists the dimensions fastest first. */
struct dim {
    MPI_Aint stride;     /* bytes from one index to the next */
    size_t nranges;
    MPI_Aint *start;     /* first index of each range, increasing */
    size_t *len;         /* indexes in each range */
    size_t total;        /* indexes selected in all */
};

static void dims_free(struct dim *dims, int n)
{
    if (!dims)
        return;
    for (int i = 0; i < n; i++) {
        free(dims[i].start);
        free(dims[i].len);
    }
    free(dims);
}

static int dim_add_range(struct dim *d, MPI_Aint start, size_t len)
{
    if (len == 0)
        return MPI_SUCCESS;
    if ((d->nranges & (d->nranges - 1)) == 0) { /* grows at powers of two */
        size_t cap = d->nranges ? d->nranges * 2 : 1;
        MPI_Aint *s = realloc(d->start, cap * sizeof *s);
        if (!s)
            return MPI_ERR_NO_MEM;
        d->start = s;
        size_t *l = realloc(d->len, cap * sizeof *l);
        if (!l)
            return MPI_ERR_NO_MEM;
        d->len = l;
    }
    d->start[d->nranges] = start;
    d->len[d->nranges] = len;
    d->nranges++;
    d->total += len;
    return MPI_SUCCESS;
}

/* The dimensions of a subarray or darray type, and the number of elements
 * of the whole array (for its extent). */
static int dims_of(const struct mpi_dtype *t, struct calc *calc, struct dim **out, int *ndims_out,
                   MPI_Aint *array_elems)
{
    const int *in = t->ints;
    const struct mpi_dtype *old = dtype_lookup(t->types[0]);
    MPI_Aint ext = old->ub - old->lb;
    int darray = t->combiner == MPI_COMBINER_DARRAY;
    int ndims = darray ? in[2] : in[0];
    const int *sizes = darray ? in + 3 : in + 1;
    int order = in[darray ? 3 + 4 * ndims : 1 + 3 * ndims];
    struct dim *dims = calloc((size_t)ndims, sizeof *dims);
    if (!dims)
        return MPI_ERR_NO_MEM;

    /* darray: this process's coordinates in the process grid, which is
     * always row-major (the last dimension varies fastest) */
    int *coords = NULL;
    if (darray) {
        const int *psizes = in + 3 + 3 * ndims;
        int r = in[1];
        if (!(coords = malloc((size_t)ndims * sizeof *coords))) {
            free(dims);
            return MPI_ERR_NO_MEM;
        }
        for (int k = ndims - 1; k >= 0; k--) {
            coords[k] = r % psizes[k];
            r /= psizes[k];
        }
    }

    MPI_Aint stride = 1; /* in elements */
    int rc = MPI_SUCCESS;
    for (int j = 0; j < ndims && rc == MPI_SUCCESS; j++) {
        int k = order == MPI_ORDER_C ? ndims - 1 - j : j; /* the j-th fastest dimension */
        struct dim *d = &dims[j];
        d->stride = cmul(calc, stride, ext);
        if (!darray) {
            rc = dim_add_range(d, in[1 + 2 * ndims + k], (size_t)in[1 + ndims + k]);
        } else {
            long g = sizes[k], p = in[3 + 3 * ndims + k], darg = in[3 + 2 * ndims + k], c = coords[k];
            switch (in[3 + ndims + k]) {
            case MPI_DISTRIBUTE_NONE: rc = dim_add_range(d, 0, (size_t)g); break;
            case MPI_DISTRIBUTE_BLOCK: {
                long b = darg == MPI_DISTRIBUTE_DFLT_DARG ? (g + p - 1) / p : darg;
                long s = c * b;
                if (s < g)
                    rc = dim_add_range(d, s, (size_t)(b < g - s ? b : g - s));
                break;
            }
            case MPI_DISTRIBUTE_CYCLIC: {
                long b = darg == MPI_DISTRIBUTE_DFLT_DARG ? 1 : darg;
                for (long s = c * b; s < g && rc == MPI_SUCCESS; s += p * b)
                    rc = dim_add_range(d, s, (size_t)(b < g - s ? b : g - s));
                break;
            }
            }
        }
        stride = cmul(calc, stride, sizes[k]);
    }
    free(coords);
    if (rc != MPI_SUCCESS) {
        dims_free(dims, ndims);
        return rc;
    }
    *out = dims;
    *ndims_out = ndims;
    *array_elems = stride;
    return MPI_SUCCESS;
}

/* Bounds, as MPI-1 defines them from the typemap: lb is the lowest
 * displacement of an entry, ub the highest end of one; an explicit (sticky)
 * lower or upper bound wins over those of the entries.  True bounds only
 * look at the data. */
struct bounds {
    int any, data, sticky_lb, sticky_ub;
    MPI_Aint lb, ub, slb, sub, tlb, tub;
};

/* Copies of c at offsets between dmin and dmax (both reached). */
static void bounds_add(struct bounds *b, const struct mpi_dtype *c, MPI_Aint dmin, MPI_Aint dmax,
                       struct calc *calc)
{
    MPI_Aint lo = cadd(calc, dmin, c->lb), hi = cadd(calc, dmax, c->ub);
    b->lb = b->any ? amin(b->lb, lo) : lo;
    b->ub = b->any ? amax(b->ub, hi) : hi;
    b->any = 1;
    if (c->sticky_lb) {
        b->slb = b->sticky_lb ? amin(b->slb, lo) : lo;
        b->sticky_lb = 1;
    }
    if (c->sticky_ub) {
        b->sub = b->sticky_ub ? amax(b->sub, hi) : hi;
        b->sticky_ub = 1;
    }
    if (c->size > 0) {
        MPI_Aint tlo = cadd(calc, dmin, c->true_lb), thi = cadd(calc, dmax, c->true_ub);
        b->tlb = b->data ? amin(b->tlb, tlo) : tlo;
        b->tub = b->data ? amax(b->tub, thi) : thi;
        b->data = 1;
    }
}

/* Fills size, bounds, alignment, basic type of a new type from its
 * description.  MPI_SUCCESS or MPI_ERR_COUNT (overflow) or MPI_ERR_NO_MEM. */
static int compute_layout(struct mpi_dtype *t)
{
    struct calc calc = {0};
    struct bounds b = {0};
    size_t size = 0;
    MPI_Count nbasic = 0;
    unsigned align = 1;
    int basic_set = 0;
    MPI_Datatype basic = MPI_DATATYPE_NULL;

    if (t->combiner == MPI_COMBINER_SUBARRAY || t->combiner == MPI_COMBINER_DARRAY) {
        const struct mpi_dtype *old = dtype_lookup(t->types[0]);
        struct dim *dims;
        int ndims;
        MPI_Aint elems;
        int rc = dims_of(t, &calc, &dims, &ndims, &elems);
        if (rc != MPI_SUCCESS)
            return rc;
        MPI_Aint n = 1, lo = 0, hi = 0;
        for (int j = 0; j < ndims; j++) {
            const struct dim *d = &dims[j];
            n = cmul(&calc, n, (MPI_Aint)d->total);
            if (d->nranges == 0)
                continue;
            /* ranges increase: the first starts lowest, the last ends highest */
            MPI_Aint first = cmul(&calc, d->start[0], d->stride);
            MPI_Aint last = cmul(&calc, d->start[d->nranges - 1] + (MPI_Aint)d->len[d->nranges - 1] - 1, d->stride);
            lo = cadd(&calc, lo, amin(first, last));
            hi = cadd(&calc, hi, amax(first, last));
        }
        dims_free(dims, ndims);
        size = (size_t)cmul(&calc, n, (MPI_Aint)old->size);
        nbasic = cmul(&calc, n, old->nbasic);
        t->lb = 0;
        t->ub = cmul(&calc, elems, old->ub - old->lb);
        t->sticky_lb = t->sticky_ub = 1;
        if (n > 0 && old->size > 0) {
            t->true_lb = cadd(&calc, lo, old->true_lb);
            t->true_ub = cadd(&calc, hi, old->true_ub);
        }
        align = old->align;
        basic = old->basic;
    } else {
        size_t ng = group_count(t);
        for (size_t i = 0; i < ng; i++) {
            struct group g = group_at(t, i, &calc);
            if (g.bl == 0 || g.n == 0)
                continue;
            const struct mpi_dtype *c = g.c;
            MPI_Aint ext = c->ub - c->lb;
            MPI_Aint reach_n = cmul(&calc, (MPI_Aint)g.n - 1, g.step);
            MPI_Aint reach_bl = cmul(&calc, (MPI_Aint)g.bl - 1, ext);
            MPI_Aint dmin = cadd(&calc, g.d0, cadd(&calc, amin(0, reach_n), amin(0, reach_bl)));
            MPI_Aint dmax = cadd(&calc, g.d0, cadd(&calc, amax(0, reach_n), amax(0, reach_bl)));
            bounds_add(&b, c, dmin, dmax, &calc);
            MPI_Aint copies = cmul(&calc, (MPI_Aint)g.bl, (MPI_Aint)g.n);
            size = (size_t)cadd(&calc, (MPI_Aint)size, cmul(&calc, copies, (MPI_Aint)c->size));
            nbasic = cadd(&calc, nbasic, cmul(&calc, copies, c->nbasic));
            if (c->align > align)
                align = c->align;
            if (c->size > 0) {
                if (!basic_set)
                    basic = c->basic;
                else if (basic != c->basic)
                    basic = MPI_DATATYPE_NULL;
                basic_set = 1;
            }
        }
        if (!basic_set && t->combiner != MPI_COMBINER_STRUCT)
            basic = dtype_lookup(t->types[0])->basic;
        if (b.any) {
            t->lb = b.sticky_lb ? b.slb : b.lb;
            t->ub = b.sticky_ub ? b.sub : b.ub;
        }
        t->sticky_lb = b.sticky_lb;
        t->sticky_ub = b.sticky_ub;
        if (b.data) {
            t->true_lb = b.tlb;
            t->true_ub = b.tub;
        }
        /* A struct's extent is padded to the alignment of its most aligned
         * member, unless its upper bound was set explicitly (MPI-1's
         * epsilon): an array of the C struct has the same stride. */
        if (t->combiner == MPI_COMBINER_STRUCT && b.any && !b.sticky_ub) {
            MPI_Aint ext = t->ub - t->lb;
            if (ext > 0 && ext % (MPI_Aint)align)
                t->ub = cadd(&calc, t->ub, (MPI_Aint)align - ext % (MPI_Aint)align);
        }
        if (t->combiner == MPI_COMBINER_RESIZED) {
            t->lb = t->addrs[0];
            t->ub = cadd(&calc, t->addrs[0], t->addrs[1]);
            t->sticky_lb = t->sticky_ub = 1;
        }
    }
    if (calc.overflow || (size_t)size > (size_t)LONG_MAX)
        return MPI_ERR_COUNT;
    t->size = size;
    t->nbasic = nbasic;
    t->align = align;
    t->basic = basic;
    return MPI_SUCCESS;
}

/* ------------------------------------------------------------------ flattening */

/* A growing list of segments; appending merges what can be merged. */
struct flat {
    struct dtype_seg *v;
    size_t n, cap;
    int oom;
};

/* Appends count blocks of len bytes at disp, disp+stride, ... */
static void flat_push(struct flat *f, MPI_Aint disp, size_t len, size_t count, MPI_Aint stride)
{
    if (len == 0 || count == 0 || f->oom)
        return;
    if (count == 1)
        stride = 0;
    else if (stride == (MPI_Aint)len) { /* blocks end to end: one block */
        len *= count;
        count = 1;
        stride = 0;
    }
    if (f->n) {
        struct dtype_seg *l = &f->v[f->n - 1];
        if (l->count == 1 && count == 1 && disp == l->disp + (MPI_Aint)l->len) {
            l->len += len; /* continues the last block */
            return;
        }
        if (l->len == len) {
            MPI_Aint next; /* where the last run's next block would be */
            if (l->count == 1) {
                MPI_Aint s = disp - l->disp;
                if (count == 1 || stride == s) {
                    l->stride = s;
                    l->count += count;
                    return;
                }
            } else if (!__builtin_mul_overflow((MPI_Aint)l->count, l->stride, &next) &&
                       !__builtin_add_overflow(next, l->disp, &next) && disp == next &&
                       (count == 1 || stride == l->stride)) {
                l->count += count;
                return;
            }
        }
    }
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        struct dtype_seg *v = realloc(f->v, cap * sizeof *v);
        if (!v) {
            f->oom = 1;
            return;
        }
        f->v = v;
        f->cap = cap;
    }
    f->v[f->n++] = (struct dtype_seg){.disp = disp, .stride = stride, .len = len, .count = count};
}

/* Appends n copies of the segments src (one element of some type), copy k
 * shifted by shift + k*step. */
static void flat_repeat(struct flat *f, const struct dtype_seg *src, size_t nsrc, size_t n, MPI_Aint step,
                        MPI_Aint shift)
{
    if (n == 0 || nsrc == 0)
        return;
    if (nsrc == 1) {
        const struct dtype_seg *s = src;
        MPI_Aint run;
        if (s->count == 1) {
            flat_push(f, shift + s->disp, s->len, n, step);
            return;
        }
        if (n == 1) {
            flat_push(f, shift + s->disp, s->len, s->count, s->stride);
            return;
        }
        if (!__builtin_mul_overflow((MPI_Aint)s->count, s->stride, &run) && run == step &&
            !__builtin_mul_overflow(s->count, n, &(size_t){0})) {
            flat_push(f, shift + s->disp, s->len, s->count * n, s->stride); /* one longer run */
            return;
        }
    }
    for (size_t k = 0; k < n && !f->oom; k++)
        for (size_t i = 0; i < nsrc; i++)
            flat_push(f, shift + (MPI_Aint)k * step + src[i].disp, src[i].len, src[i].count, src[i].stride);
}

int dtype_flatten(struct mpi_dtype *t)
{
    if (t->flat)
        return MPI_SUCCESS;
    struct flat f = {0};
    int rc = MPI_SUCCESS;
    if (t->combiner == MPI_COMBINER_SUBARRAY || t->combiner == MPI_COMBINER_DARRAY) {
        struct mpi_dtype *old = dtype_lookup(t->types[0]);
        struct calc calc = {0};
        struct dim *dims;
        int ndims;
        MPI_Aint elems;
        if ((rc = dtype_flatten(old)) != MPI_SUCCESS || (rc = dims_of(t, &calc, &dims, &ndims, &elems)) != MPI_SUCCESS)
            return rc;
        /* innermost first: each dimension repeats the previous one's list */
        const struct dtype_seg *cur = old->segs;
        size_t ncur = old->nsegs;
        struct flat prev = {0};
        for (int j = 0; j < ndims && !f.oom; j++) {
            const struct dim *d = &dims[j];
            f = (struct flat){0};
            for (size_t r = 0; r < d->nranges; r++)
                flat_repeat(&f, cur, ncur, d->len[r], d->stride, d->start[r] * d->stride);
            free(prev.v);
            prev = f;
            cur = f.v;
            ncur = f.n;
        }
        dims_free(dims, ndims);
    } else {
        size_t ng = group_count(t);
        struct calc calc = {0};
        for (size_t i = 0; i < ng && !f.oom; i++) {
            struct group g = group_at(t, i, &calc);
            struct mpi_dtype *c = (struct mpi_dtype *)g.c;
            if (g.bl == 0 || g.n == 0)
                continue;
            if ((rc = dtype_flatten(c)) != MPI_SUCCESS)
                break;
            MPI_Aint ext = c->ub - c->lb;
            if (g.n == 1) {
                flat_repeat(&f, c->segs, c->nsegs, g.bl, ext, g.d0);
            } else { /* one block, then the blocks */
                struct flat block = {0};
                flat_repeat(&block, c->segs, c->nsegs, g.bl, ext, 0);
                f.oom |= block.oom;
                flat_repeat(&f, block.v, block.n, g.n, g.step, g.d0);
                free(block.v);
            }
        }
    }
    if (rc == MPI_SUCCESS && f.oom)
        rc = MPI_ERR_NO_MEM;
    if (rc != MPI_SUCCESS) {
        free(f.v);
        return rc;
    }
    size_t start = 0;
    for (size_t i = 0; i < f.n; i++) {
        f.v[i].start = start;
        start += f.v[i].len * f.v[i].count;
    }
    if (f.n == 0) {
        free(f.v);
        f.v = NULL;
    } else if (f.n < f.cap) {
        struct dtype_seg *v = realloc(f.v, f.n * sizeof *v);
        if (v)
            f.v = v;
    }
    t->segs = f.v;
    t->nsegs = f.n;
    t->flat = 1;
    /* One run of data as long as the extent: count elements are one run
     * too, from the first element's true lb. */
    t->contiguous = t->size == 0 || (f.n == 1 && f.v[0].count == 1 && (MPI_Aint)t->size == t->ub - t->lb);
    return MPI_SUCCESS;
}

int dtype_commit(struct mpi_dtype *t)
{
    if (t->committed)
        return MPI_SUCCESS;
    int rc = dtype_flatten(t);
    if (rc == MPI_SUCCESS)
        t->committed = 1;
    return rc;
}

/* ------------------------------------------------------------------ constructors */

int dtype_create(int combiner, const int *ints, const MPI_Aint *addrs, const MPI_Datatype *types,
                 MPI_Datatype *out)
{
    struct mpi_dtype *t = calloc(1, sizeof *t);
    if (!t)
        return MPI_ERR_NO_MEM;
    t->refs = 1;
    t->combiner = combiner;
    t->basic = MPI_DATATYPE_NULL;
    dtype_envelope(combiner, ints, &t->ni, &t->na, &t->nd);
    if ((t->ni && !(t->ints = malloc((size_t)t->ni * sizeof *t->ints))) ||
        (t->na && !(t->addrs = malloc((size_t)t->na * sizeof *t->addrs))) ||
        (t->nd && !(t->types = malloc((size_t)t->nd * sizeof *t->types)))) {
        free(t->ints);
        free(t->addrs);
        free(t);
        return MPI_ERR_NO_MEM;
    }
    if (t->ni)
        memcpy(t->ints, ints, (size_t)t->ni * sizeof *t->ints);
    if (t->na)
        memcpy(t->addrs, addrs, (size_t)t->na * sizeof *t->addrs);
    if (t->nd)
        memcpy(t->types, types, (size_t)t->nd * sizeof *t->types);

    int rc = compute_layout(t);
    if (rc == MPI_SUCCESS)
        rc = table_insert(t);
    if (rc != MPI_SUCCESS) {
        free(t->ints);
        free(t->addrs);
        free(t->types);
        free(t);
        return rc;
    }
    for (int i = 0; i < t->nd; i++)
        dtype_ref(t->types[i]);
    /* a duplicate is committed when its original is (MPI_Type_dup) */
    if (combiner == MPI_COMBINER_DUP && dtype_lookup(types[0])->committed &&
        (rc = dtype_commit(t)) != MPI_SUCCESS) {
        dtype_unref(t->handle);
        return rc;
    }
    *out = t->handle;
    return MPI_SUCCESS;
}
