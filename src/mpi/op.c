/* op.c — reduction operations: the kernels of the predefined operations on
 * every type MPI allows them on, and the table of user operations.
 *
 * A kernel does inout[i] = in[i] op inout[i] for i in order, one element
 * at a time, so that a reduction gives the same bits wherever it runs.
 * The loops are plain loops over restrict pointers so that the compiler
 * vectorizes them. */
#include "op.h"

#include <stdlib.h>
#include <string.h>

#include "dtype.h"

/* The predefined operations are 0x58000001 (MPI_MAX) .. 0x5800000e
 * (MPI_NO_OP): their low byte indexes the tables below. */
enum {
    OP_MAX = 1, OP_MIN, OP_SUM, OP_PROD, OP_LAND, OP_BAND, OP_LOR, OP_BOR, OP_LXOR, OP_BXOR, OP_MINLOC,
    OP_MAXLOC, OP_REPLACE, OP_NO_OP, OP_SLOTS
};
_Static_assert(MPI_MAX == 0x58000000 + OP_MAX && MPI_NO_OP == 0x58000000 + OP_NO_OP,
               "predefined operations and their table disagree");

static int predefined_index(MPI_Op op)
{
    unsigned low = (unsigned)op & 0xffu;
    return ((unsigned)op & ~0xffu) == 0x58000000u && low >= OP_MAX && low < OP_SLOTS ? (int)low : 0;
}

/* ------------------------------------------------------------------ kernels */

typedef void kernel_fn(const void *in, void *inout, size_t n);

/* The loop runs in chunks of a fixed number of elements: at -O2 GCC
 * vectorizes only loops that need no scalar remainder, which a fixed trip
 * count of a multiple of every vector width is. */
#define CHUNK 32
#define EACH(name, T, EXPR)                                                     \
    static void name(const void *restrict vin, void *restrict vio, size_t n)    \
    {                                                                           \
        const T *restrict a = vin;                                              \
        T *restrict b = vio;                                                    \
        size_t i = 0;                                                           \
        for (; i + CHUNK <= n; i += CHUNK)                                      \
            for (size_t j = i; j < i + CHUNK; j++) {                            \
                T x = a[j], y = b[j];                                           \
                b[j] = (T)(EXPR);                                               \
            }                                                                   \
        for (; i < n; i++) {                                                    \
            T x = a[i], y = b[i];                                               \
            b[i] = (T)(EXPR);                                                   \
        }                                                                       \
    }

/* Sums and products of signed integers are done on the unsigned type of
 * the same width: the same bits, and wrapping instead of undefined
 * overflow.  1u * promotes narrow types to unsigned before multiplying. */
#define INTEGER_KERNELS(W, S, U)                     \
    EACH(max_i##W, S, x > y ? x : y)                 \
    EACH(min_i##W, S, x < y ? x : y)                 \
    EACH(max_u##W, U, x > y ? x : y)                 \
    EACH(min_u##W, U, x < y ? x : y)                 \
    EACH(sum_##W, U, x + y)                          \
    EACH(prod_##W, U, 1u * x * y)                    \
    EACH(land_##W, U, (x != 0) & (y != 0))           \
    EACH(lor_##W, U, (x != 0) | (y != 0))            \
    EACH(lxor_##W, U, (x != 0) ^ (y != 0))           \
    EACH(band_##W, U, x & y)                         \
    EACH(bor_##W, U, x | y)                          \
    EACH(bxor_##W, U, x ^ y)
INTEGER_KERNELS(8, int8_t, uint8_t)
INTEGER_KERNELS(16, int16_t, uint16_t)
INTEGER_KERNELS(32, int32_t, uint32_t)
INTEGER_KERNELS(64, int64_t, uint64_t)

#define FLOAT_KERNELS(N, T)              \
    EACH(max_##N, T, x > y ? x : y)      \
    EACH(min_##N, T, x < y ? x : y)      \
    EACH(sum_##N, T, x + y)              \
    EACH(prod_##N, T, x * y)
FLOAT_KERNELS(f32, float)
FLOAT_KERNELS(f64, double)
FLOAT_KERNELS(ld, long double)
FLOAT_KERNELS(f128, __float128)

/* Complex numbers are (re, im) pairs: a sum is the sum of twice as many
 * reals; the product is the textbook formula (no special cases for
 * infinities, as in MPICH). */
#define COMPLEX_KERNELS(N, T, R)                                            \
    static void sum_##N(const void *in, void *inout, size_t n) { sum_##R(in, inout, 2 * n); } \
    static void prod_##N(const void *vin, void *vio, size_t n)              \
    {                                                                       \
        const T *restrict a = vin;                                          \
        T *restrict b = vio;                                                \
        for (size_t i = 0; i < n; i++) {                                    \
            T ar = a[2 * i], ai = a[2 * i + 1], br = b[2 * i], bi = b[2 * i + 1]; \
            b[2 * i] = ar * br - ai * bi;                                   \
            b[2 * i + 1] = ar * bi + ai * br;                               \
        }                                                                   \
    }
COMPLEX_KERNELS(c32, float, f32)
COMPLEX_KERNELS(c64, double, f64)
COMPLEX_KERNELS(cld, long double, ld)
COMPLEX_KERNELS(c128, __float128, f128)

/* Value-index pairs, as packed records (the index right after the value,
 * maybe unaligned).  The better value wins; on a tie, the lower index
 * (MPI's rule, which makes the result independent of the order). */
#define PAIR(name, V, I, BETTER)                                                    \
    static void name(const void *vin, void *vio, size_t n)                          \
    {                                                                               \
        const char *a = vin;                                                        \
        char *b = vio;                                                              \
        for (size_t k = 0; k < n; k++, a += sizeof(V) + sizeof(I), b += sizeof(V) + sizeof(I)) { \
            V av, bv;                                                               \
            memcpy(&av, a, sizeof av);                                              \
            memcpy(&bv, b, sizeof bv);                                              \
            if (av BETTER bv) {                                                     \
                memcpy(b, a, sizeof(V) + sizeof(I));                                \
            } else if (av == bv) {                                                  \
                I ai, bi;                                                           \
                memcpy(&ai, a + sizeof(V), sizeof ai);                              \
                memcpy(&bi, b + sizeof(V), sizeof bi);                              \
                if (ai < bi)                                                        \
                    memcpy(b + sizeof(V), &ai, sizeof ai);                          \
            }                                                                       \
        }                                                                           \
    }
#define PAIR_KERNELS(N, V, I) PAIR(minloc_##N, V, I, <) PAIR(maxloc_##N, V, I, >)
PAIR_KERNELS(float_int, float, int)
PAIR_KERNELS(double_int, double, int)
PAIR_KERNELS(long_int, long, int)
PAIR_KERNELS(short_int, short, int)
PAIR_KERNELS(ldouble_int, long double, int)
PAIR_KERNELS(2int, int, int)
PAIR_KERNELS(2float, float, float)
PAIR_KERNELS(2double, double, double)

#define SIGNED_AND_UNSIGNED(op)                                                                      \
    [CT_I8] = op##_i8, [CT_I16] = op##_i16, [CT_I32] = op##_i32, [CT_I64] = op##_i64, [CT_U8] = op##_u8, \
    [CT_U16] = op##_u16, [CT_U32] = op##_u32, [CT_U64] = op##_u64
#define BITS(op)                                                                                     \
    [CT_I8] = op##_8, [CT_I16] = op##_16, [CT_I32] = op##_32, [CT_I64] = op##_64, [CT_U8] = op##_8,      \
    [CT_U16] = op##_16, [CT_U32] = op##_32, [CT_U64] = op##_64
#define FLOATS(op) [CT_F32] = op##_f32, [CT_F64] = op##_f64, [CT_LDOUBLE] = op##_ld, [CT_F128] = op##_f128
#define COMPLEXES(op) [CT_C32] = op##_c32, [CT_C64] = op##_c64, [CT_CLDOUBLE] = op##_cld, [CT_C128] = op##_c128
#define PAIRS(op)                                                                                    \
    [CT_FLOAT_INT] = op##_float_int, [CT_DOUBLE_INT] = op##_double_int, [CT_LONG_INT] = op##_long_int, \
    [CT_SHORT_INT] = op##_short_int, [CT_LDOUBLE_INT] = op##_ldouble_int, [CT_2INT] = op##_2int,       \
    [CT_2FLOAT] = op##_2float, [CT_2DOUBLE] = op##_2double

/* The kernel of each operation for each C representation.  Logical
 * operations store 1 for true (gfortran's .TRUE. too). */
static kernel_fn *const kernels[OP_SLOTS][CT_COUNT] = {
    [OP_MAX] = {SIGNED_AND_UNSIGNED(max), FLOATS(max)},
    [OP_MIN] = {SIGNED_AND_UNSIGNED(min), FLOATS(min)},
    [OP_SUM] = {BITS(sum), FLOATS(sum), COMPLEXES(sum)},
    [OP_PROD] = {BITS(prod), FLOATS(prod), COMPLEXES(prod)},
    [OP_LAND] = {BITS(land), [CT_BOOL8] = land_8, [CT_LOGICAL] = land_32},
    [OP_LOR] = {BITS(lor), [CT_BOOL8] = lor_8, [CT_LOGICAL] = lor_32},
    [OP_LXOR] = {BITS(lxor), [CT_BOOL8] = lxor_8, [CT_LOGICAL] = lxor_32},
    [OP_BAND] = {BITS(band), [CT_BYTE] = band_8},
    [OP_BOR] = {BITS(bor), [CT_BYTE] = bor_8},
    [OP_BXOR] = {BITS(bxor), [CT_BYTE] = bxor_8},
    [OP_MINLOC] = {PAIRS(minloc)},
    [OP_MAXLOC] = {PAIRS(maxloc)},
};

/* Which groups of types each operation is defined on (MPI-3.1 5.9.2);
 * MPI_CHAR counts as a C integer, as in MPICH. */
static const unsigned char allowed[OP_SLOTS] = {
    [OP_MAX] = DTG_CINT | DTG_FINT | DTG_FLOAT,
    [OP_MIN] = DTG_CINT | DTG_FINT | DTG_FLOAT,
    [OP_SUM] = DTG_CINT | DTG_FINT | DTG_FLOAT | DTG_COMPLEX,
    [OP_PROD] = DTG_CINT | DTG_FINT | DTG_FLOAT | DTG_COMPLEX,
    [OP_LAND] = DTG_CINT | DTG_LOGICAL,
    [OP_LOR] = DTG_CINT | DTG_LOGICAL,
    [OP_LXOR] = DTG_CINT | DTG_LOGICAL,
    [OP_BAND] = DTG_CINT | DTG_FINT | DTG_BYTE,
    [OP_BOR] = DTG_CINT | DTG_FINT | DTG_BYTE,
    [OP_BXOR] = DTG_CINT | DTG_FINT | DTG_BYTE,
    [OP_MINLOC] = DTG_PAIR,
    [OP_MAXLOC] = DTG_PAIR,
};

static const char *const op_names[OP_SLOTS] = {
    [OP_MAX] = "MPI_MAX", [OP_MIN] = "MPI_MIN", [OP_SUM] = "MPI_SUM", [OP_PROD] = "MPI_PROD",
    [OP_LAND] = "MPI_LAND", [OP_BAND] = "MPI_BAND", [OP_LOR] = "MPI_LOR", [OP_BOR] = "MPI_BOR",
    [OP_LXOR] = "MPI_LXOR", [OP_BXOR] = "MPI_BXOR", [OP_MINLOC] = "MPI_MINLOC", [OP_MAXLOC] = "MPI_MAXLOC",
    [OP_REPLACE] = "MPI_REPLACE", [OP_NO_OP] = "MPI_NO_OP",
};

/* The kernel of predefined operation o on t's basic type, with the size
 * of that basic type.  NULL when o is not defined on t. */
static kernel_fn *kernel_for(int o, const struct mpi_dtype *t, size_t *basic_size)
{
    const struct mpi_dtype *b = t->basic != MPI_DATATYPE_NULL ? dtype_get(t->basic) : NULL;
    if (!b || !(b->groups & allowed[o]))
        return NULL;
    *basic_size = b->size;
    return kernels[o][b->ctype];
}

/* ------------------------------------------------------------------ user operations */

struct user_op {
    int in_use;
    int commute;
    MPI_User_function *fn;
};
/* Indexed by handle index; owned by the thread inside the library. */
static struct user_op *user_ops;
static size_t user_ops_len;

static struct user_op *user_op(MPI_Op op)
{
    if (HANDLE_KIND(op) != HANDLE_DYNAMIC || HANDLE_TYPE(op) != HT_OP)
        return NULL;
    size_t i = HANDLE_INDEX(op);
    return i < user_ops_len && user_ops[i].in_use ? &user_ops[i] : NULL;
}

MPI_Op op_create(MPI_User_function *fn, int commute)
{
    size_t i = 0;
    while (i < user_ops_len && user_ops[i].in_use)
        i++;
    if (i == user_ops_len) {
        size_t len = user_ops_len ? user_ops_len * 2 : 16;
        struct user_op *n = realloc(user_ops, len * sizeof *n);
        if (!n)
            return MPI_OP_NULL;
        memset(n + user_ops_len, 0, (len - user_ops_len) * sizeof *n);
        user_ops = n;
        user_ops_len = len;
    }
    user_ops[i] = (struct user_op){.in_use = 1, .commute = commute != 0, .fn = fn};
    return MAKE_HANDLE(HT_OP, i);
}

int op_free(MPI_Op op)
{
    struct user_op *u = user_op(op);
    if (!u)
        return MPI_ERR_OP;
    u->in_use = 0;
    return MPI_SUCCESS;
}

int op_is_predefined(MPI_Op op) { return predefined_index(op) != 0; }
int op_is_valid(MPI_Op op) { return predefined_index(op) || user_op(op); }

int op_is_commutative(MPI_Op op)
{
    struct user_op *u = user_op(op);
    return u ? u->commute : 1;
}

const char *op_name(MPI_Op op)
{
    int o = predefined_index(op);
    return o ? op_names[o] : "a user operation";
}

/* A user function on packed elements: it gets them laid out as its
 * datatype describes, which for a contiguous type is the packed stream
 * itself (shifted by the true lb). */
static int user_apply(const struct user_op *u, const void *in, void *inout, int count, MPI_Datatype datatype,
                      const struct mpi_dtype *t)
{
    int len = count;
    MPI_Datatype dt = datatype;
    if (count <= 0)
        return MPI_SUCCESS;
    if (t->contiguous) {
        u->fn((char *)in - t->true_lb, (char *)inout - t->true_lb, &len, &dt);
        return MPI_SUCCESS;
    }
    MPI_Aint ext = t->ub - t->lb, reach = (MPI_Aint)(count - 1) * ext;
    MPI_Aint lo = t->true_lb + (reach < 0 ? reach : 0), hi = t->true_ub + (reach > 0 ? reach : 0);
    size_t bytes = (size_t)count * t->size, span = (size_t)(hi - lo);
    char *a = malloc(span ? span : 1), *b = malloc(span ? span : 1);
    if (!a || !b) {
        free(a);
        free(b);
        return MPI_ERR_NO_MEM;
    }
    char *a0 = a - lo, *b0 = b - lo; /* where element 0 begins */
    dtype_unpack(in, 0, bytes, a0, count, t);
    dtype_unpack(inout, 0, bytes, b0, count, t);
    u->fn(a0, b0, &len, &dt);
    dtype_pack(b0, count, t, 0, inout, bytes);
    free(a);
    free(b);
    return MPI_SUCCESS;
}

int op_apply(MPI_Op op, const void *in, void *inout, int count, MPI_Datatype datatype)
{
    const struct mpi_dtype *t = dtype_get(datatype);
    if (!t)
        return MPI_ERR_TYPE;
    struct user_op *u = user_op(op);
    if (u)
        return user_apply(u, in, inout, count, datatype, t);
    int o = predefined_index(op);
    if (!o)
        return MPI_ERR_OP;
    size_t bytes = count > 0 ? (size_t)count * t->size : 0;
    if (o == OP_NO_OP)
        return MPI_SUCCESS;
    if (o == OP_REPLACE) {
        if (bytes && in != inout)
            memmove(inout, in, bytes);
        return MPI_SUCCESS;
    }
    size_t basic_size = 0;
    kernel_fn *k = kernel_for(o, t, &basic_size);
    if (!k)
        return t->size == 0 && t->basic == MPI_DATATYPE_NULL ? MPI_SUCCESS : MPI_ERR_OP;
    if (bytes)
        k(in, inout, bytes / basic_size);
    return MPI_SUCCESS;
}

int op_apply_laid_out(MPI_Op op, const void *in, void *inout, int count, MPI_Datatype datatype)
{
    const struct mpi_dtype *t = dtype_get(datatype);
    if (!t)
        return MPI_ERR_TYPE;
    struct user_op *u = user_op(op);
    if (u) {
        int len = count;
        MPI_Datatype dt = datatype;
        if (count > 0)
            u->fn((void *)in, inout, &len, &dt);
        return MPI_SUCCESS;
    }
    int o = predefined_index(op);
    size_t basic_size;
    if (!o)
        return MPI_ERR_OP;
    if (o != OP_NO_OP && o != OP_REPLACE && !kernel_for(o, t, &basic_size) &&
        !(t->size == 0 && t->basic == MPI_DATATYPE_NULL))
        return MPI_ERR_OP;
    if (count <= 0 || t->size == 0 || o == OP_NO_OP)
        return MPI_SUCCESS;
    if (t->contiguous)
        return op_apply(op, (const char *)in + t->true_lb, (char *)inout + t->true_lb, count, datatype);
    size_t bytes = (size_t)count * t->size;
    char *a = malloc(bytes), *b = malloc(bytes);
    if (!a || !b) {
        free(a);
        free(b);
        return MPI_ERR_NO_MEM;
    }
    dtype_pack(in, count, t, 0, a, bytes);
    dtype_pack(inout, count, t, 0, b, bytes);
    int rc = op_apply(op, a, b, count, datatype);
    dtype_unpack(b, 0, bytes, inout, count, t);
    free(a);
    free(b);
    return rc;
}
