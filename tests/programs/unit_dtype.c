/* unit_dtype.c — unit tests of crest's datatypes and reductions
 * (src/mpi/datatype.c, dtype_pack.c, op.c, api_datatype.c, api_op.c),
 * compiled in with a stand-in for the library's error handling:
 *   - sizes, bounds, true bounds, envelopes and contents of many types
 *     against values worked out by hand (struct padding, MPI-1 markers,
 *     resized, subarrays in both orders, darrays);
 *   - pack and unpack, whole and in random pieces in random order, against
 *     a naive reference that walks the typemap MPI_Type_get_contents
 *     describes (subarrays and darrays by filtering the whole array);
 *   - element counts, copies between types of one signature, statuses;
 *   - every predefined operation on every predefined type against scalar
 *     reference loops, MPI_ERR_OP where MPI does not define it, ties of
 *     MINLOC/MAXLOC, derived types, user operations;
 *   - freeing types in any order, argument errors, huge types.
 * Prints each failure; exits 1 if any. */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "dtype.h"
#include "op.h"
#include "status.h"

/* ------------------------------------------------------------------ stand-ins for error.c and init.c */

struct mpi_state mpi_state = {.initialized = 1};
static int last_error;
static char last_message[1024];

int mpi_error(MPI_Comm comm, int code, const char *func, const char *fmt, ...)
{
    va_list ap;
    (void)comm;
    int n = snprintf(last_message, sizeof last_message, "%s: ", func);
    va_start(ap, fmt);
    vsnprintf(last_message + n, sizeof last_message - (size_t)n, fmt, ap);
    va_end(ap);
    last_error = code;
    return code;
}

void mpi_fatal(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FATAL (%d): ", code);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    exit(2);
}

/* ... and for attr.c: datatypes without attributes */
int attr_type_dup(MPI_Datatype oldtype, MPI_Datatype newtype) { (void)oldtype; (void)newtype; return MPI_SUCCESS; }
int attr_type_free(MPI_Datatype type) { (void)type; return MPI_SUCCESS; }

/* ------------------------------------------------------------------ checking */

static int failures, checks;

static void check(int ok, const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void check(int ok, const char *file, int line, const char *fmt, ...)
{
    checks++;
    if (ok)
        return;
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s:%d: ", file, line);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (++failures > 200) {
        printf("too many failures\n");
        exit(1);
    }
}
#define CHECK(cond, ...) check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define OK(call)                                                                            \
    do {                                                                                    \
        last_error = 0;                                                                     \
        int rc_ = (call);                                                                   \
        CHECK(rc_ == MPI_SUCCESS, "%s returned %d (%s)", #call, rc_, last_message);         \
    } while (0)
/* The call fails with code, through the error handler, with a one-line message. */
#define FAILS(call, code)                                                                   \
    do {                                                                                    \
        last_error = 0;                                                                     \
        last_message[0] = '\0';                                                             \
        int rc_ = (call);                                                                   \
        CHECK(rc_ == (code) && last_error == (code) && last_message[0] && !strchr(last_message, '\n'), \
              "%s returned %d (handler saw %d: \"%s\"), expected %d", #call, rc_, last_error, last_message, \
              code);                                                                        \
    } while (0)

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static size_t rnd_below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

/* ------------------------------------------------------------------ the reference: typemaps */

/* One basic element of a typemap: displacement and length. */
struct ent {
    MPI_Aint disp;
    size_t len;
};
struct tmap {
    struct ent *v;
    size_t n, cap;
};

static void tm_push(struct tmap *m, MPI_Aint disp, size_t len)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->v = realloc(m->v, m->cap * sizeof *m->v);
        if (!m->v) {
            printf("out of memory\n");
            exit(2);
        }
    }
    m->v[m->n++] = (struct ent){disp, len};
}

/* The value-index pairs: value size, where the index is, index size. */
struct float_int { float v; int i; };
struct double_int { double v; int i; };
struct long_int { long v; int i; };
struct short_int { short v; int i; };
struct long_double_int { long double v; int i; };
static const struct {
    MPI_Datatype h;
    size_t vsize, at, isize, extent;
} pair_layouts[] = {
    {MPI_FLOAT_INT, sizeof(float), offsetof(struct float_int, i), sizeof(int), sizeof(struct float_int)},
    {MPI_DOUBLE_INT, sizeof(double), offsetof(struct double_int, i), sizeof(int), sizeof(struct double_int)},
    {MPI_LONG_INT, sizeof(long), offsetof(struct long_int, i), sizeof(int), sizeof(struct long_int)},
    {MPI_SHORT_INT, sizeof(short), offsetof(struct short_int, i), sizeof(int), sizeof(struct short_int)},
    {MPI_LONG_DOUBLE_INT, sizeof(long double), offsetof(struct long_double_int, i), sizeof(int),
     sizeof(struct long_double_int)},
    {MPI_2INT, 4, 4, 4, 8},
    {MPI_2INTEGER, 4, 4, 4, 8},
    {MPI_2REAL, 4, 4, 4, 8},
    {MPI_2DOUBLE_PRECISION, 8, 8, 8, 16},
};
#define NPAIR_LAYOUTS (sizeof pair_layouts / sizeof pair_layouts[0])

static int pair_layout(MPI_Datatype h)
{
    for (size_t i = 0; i < NPAIR_LAYOUTS; i++)
        if (pair_layouts[i].h == h)
            return (int)i;
    return -1;
}

static MPI_Aint extent_of(MPI_Datatype t)
{
    MPI_Aint lb, ext;
    MPI_Type_get_extent(t, &lb, &ext);
    return ext;
}

/* Calls f for every index vector of an array of sizes[] in memory order
 * (C: the last index fastest). */
static void each_index(int ndims, const int *sizes, int order, void (*f)(const int *idx, void *arg), void *arg)
{
    int idx[16] = {0};
    for (;;) {
        f(idx, arg);
        int k;
        for (k = 0; k < ndims; k++) {
            int d = order == MPI_ORDER_C ? ndims - 1 - k : k;
            if (++idx[d] < sizes[d])
                break;
            idx[d] = 0;
        }
        if (k == ndims)
            return;
    }
}

struct select_ctx {
    const int *ints;
    int darray, ndims, order, coords[16];
    MPI_Datatype old;
    MPI_Aint ext, shift;
    struct tmap *m;
};
static void typemap(MPI_Datatype t, MPI_Aint shift, struct tmap *m);

/* One element of the whole array: is it ours? */
static void select_index(const int *idx, void *arg)
{
    struct select_ctx *c = arg;
    const int *in = c->ints;
    int n = c->ndims;
    const int *sizes = c->darray ? in + 3 : in + 1;
    for (int d = 0; d < n; d++) {
        if (!c->darray) {
            int sub = in[1 + n + d], start = in[1 + 2 * n + d];
            if (idx[d] < start || idx[d] >= start + sub)
                return;
        } else {
            int g = sizes[d], dist = in[3 + n + d], darg = in[3 + 2 * n + d], p = in[3 + 3 * n + d];
            int owner = 0;
            if (dist == MPI_DISTRIBUTE_BLOCK) {
                int b = darg == MPI_DISTRIBUTE_DFLT_DARG ? (g + p - 1) / p : darg;
                owner = idx[d] / b;
            } else if (dist == MPI_DISTRIBUTE_CYCLIC) {
                int k = darg == MPI_DISTRIBUTE_DFLT_DARG ? 1 : darg;
                owner = (idx[d] / k) % p;
            }
            if (owner != c->coords[d])
                return;
        }
    }
    MPI_Aint lin = 0;
    for (int k = 0; k < n; k++) {
        int d = c->order == MPI_ORDER_C ? k : n - 1 - k; /* slowest first */
        lin = lin * sizes[d] + idx[d];
    }
    typemap(c->old, c->shift + lin * c->ext, c->m);
}

/* Appends the typemap of t, shifted, to m: straight from the definitions
 * of the constructors, with the arguments MPI_Type_get_contents returns. */
static void typemap(MPI_Datatype t, MPI_Aint shift, struct tmap *m)
{
    int ni, na, nd, comb;
    MPI_Type_get_envelope(t, &ni, &na, &nd, &comb);
    if (comb == MPI_COMBINER_NAMED) {
        int p = pair_layout(t);
        int size;
        MPI_Type_size(t, &size);
        if (p >= 0) {
            tm_push(m, shift, pair_layouts[p].vsize);
            tm_push(m, shift + (MPI_Aint)pair_layouts[p].at, pair_layouts[p].isize);
        } else if (size > 0) {
            tm_push(m, shift, (size_t)size);
        }
        return;
    }
    int *I = malloc(sizeof(int) * (size_t)(ni + 1));
    MPI_Aint *A = malloc(sizeof(MPI_Aint) * (size_t)(na + 1));
    MPI_Datatype *D = malloc(sizeof(MPI_Datatype) * (size_t)(nd + 1));
    MPI_Type_get_contents(t, ni, na, nd, I, A, D);
    MPI_Aint ext = extent_of(D[0]);
    switch (comb) {
    case MPI_COMBINER_DUP:
    case MPI_COMBINER_RESIZED:
        typemap(D[0], shift, m);
        break;
    case MPI_COMBINER_CONTIGUOUS:
        for (int i = 0; i < I[0]; i++)
            typemap(D[0], shift + i * ext, m);
        break;
    case MPI_COMBINER_VECTOR:
        for (int i = 0; i < I[0]; i++)
            for (int j = 0; j < I[1]; j++)
                typemap(D[0], shift + ((MPI_Aint)i * I[2] + j) * ext, m);
        break;
    case MPI_COMBINER_HVECTOR:
        for (int i = 0; i < I[0]; i++)
            for (int j = 0; j < I[1]; j++)
                typemap(D[0], shift + i * A[0] + j * ext, m);
        break;
    case MPI_COMBINER_INDEXED:
        for (int i = 0; i < I[0]; i++)
            for (int j = 0; j < I[1 + i]; j++)
                typemap(D[0], shift + ((MPI_Aint)I[1 + I[0] + i] + j) * ext, m);
        break;
    case MPI_COMBINER_HINDEXED:
        for (int i = 0; i < I[0]; i++)
            for (int j = 0; j < I[1 + i]; j++)
                typemap(D[0], shift + A[i] + j * ext, m);
        break;
    case MPI_COMBINER_INDEXED_BLOCK:
        for (int i = 0; i < I[0]; i++)
            for (int j = 0; j < I[1]; j++)
                typemap(D[0], shift + ((MPI_Aint)I[2 + i] + j) * ext, m);
        break;
    case MPI_COMBINER_HINDEXED_BLOCK:
        for (int i = 0; i < I[0]; i++)
            for (int j = 0; j < I[1]; j++)
                typemap(D[0], shift + A[i] + j * ext, m);
        break;
    case MPI_COMBINER_STRUCT:
        for (int i = 0; i < I[0]; i++) {
            MPI_Aint e = extent_of(D[i]);
            for (int j = 0; j < I[1 + i]; j++)
                typemap(D[i], shift + A[i] + j * e, m);
        }
        break;
    case MPI_COMBINER_SUBARRAY:
    case MPI_COMBINER_DARRAY: {
        struct select_ctx c = {.ints = I, .darray = comb == MPI_COMBINER_DARRAY, .old = D[0], .ext = ext,
                               .shift = shift, .m = m};
        c.ndims = c.darray ? I[2] : I[0];
        c.order = I[c.darray ? 3 + 4 * c.ndims : 1 + 3 * c.ndims];
        if (c.darray) { /* row-major process grid */
            int r = I[1];
            for (int d = c.ndims - 1; d >= 0; d--) {
                int p = I[3 + 3 * c.ndims + d];
                c.coords[d] = r % p;
                r /= p;
            }
        }
        each_index(c.ndims, c.darray ? I + 3 : I + 1, c.order, select_index, &c);
        break;
    }
    default:
        CHECK(0, "unknown combiner %d", comb);
    }
    for (int i = 0; i < nd; i++) {
        int a, b, c, comb2;
        MPI_Type_get_envelope(D[i], &a, &b, &c, &comb2);
        if (comb2 != MPI_COMBINER_NAMED)
            MPI_Type_free(&D[i]);
    }
    free(I);
    free(A);
    free(D);
}

/* Reference pack and unpack of count elements at buf. */
static void ref_pack(const struct tmap *m, MPI_Aint ext, const char *buf, int count, char *out)
{
    size_t pos = 0;
    for (int i = 0; i < count; i++)
        for (size_t k = 0; k < m->n; k++) {
            memcpy(out + pos, buf + i * ext + m->v[k].disp, m->v[k].len);
            pos += m->v[k].len;
        }
}

static void ref_unpack(const struct tmap *m, MPI_Aint ext, const char *in, char *buf, int count)
{
    size_t pos = 0;
    for (int i = 0; i < count; i++)
        for (size_t k = 0; k < m->n; k++) {
            memcpy(buf + i * ext + m->v[k].disp, in + pos, m->v[k].len);
            pos += m->v[k].len;
        }
}

static MPI_Count ref_elements(const struct tmap *m, size_t bytes)
{
    size_t per = 0;
    for (size_t k = 0; k < m->n; k++)
        per += m->v[k].len;
    if (per == 0)
        return 0;
    MPI_Count n = (MPI_Count)(bytes / per) * (MPI_Count)m->n;
    size_t rem = bytes % per;
    for (size_t k = 0; k < m->n && rem; k++) {
        if (rem < m->v[k].len)
            return MPI_UNDEFINED;
        rem -= m->v[k].len;
        n++;
    }
    return n;
}

/* A buffer holding count elements of a type: origin is where element 0
 * begins; everything touched is inside [base, base+len). */
struct tbuf {
    char *base, *origin;
    size_t len;
};

static struct tbuf tbuf_new(MPI_Datatype t, int count, int fill)
{
    MPI_Aint tlb, tex, lb, ext;
    MPI_Type_get_true_extent(t, &tlb, &tex);
    MPI_Type_get_extent(t, &lb, &ext);
    MPI_Aint reach = (MPI_Aint)(count > 0 ? count - 1 : 0) * ext;
    MPI_Aint lo = tlb + (reach < 0 ? reach : 0), hi = tlb + tex + (reach > 0 ? reach : 0);
    if (lo > 0)
        lo = 0;
    if (hi < lo)
        hi = lo;
    struct tbuf b;
    b.len = (size_t)(hi - lo) + 16;
    b.base = malloc(b.len);
    b.origin = b.base - lo + 8;
    for (size_t i = 0; i < b.len; i++)
        b.base[i] = fill < 0 ? (char)rnd() : (char)fill;
    return b;
}

/* ------------------------------------------------------------------ layouts worked out by hand */

static void expect_layout(const char *what, MPI_Datatype t, MPI_Count size, MPI_Aint lb, MPI_Aint extent,
                          MPI_Aint true_lb, MPI_Aint true_extent)
{
    MPI_Count s;
    MPI_Aint l, e, tl, te;
    MPI_Type_size_x(t, &s);
    MPI_Type_get_extent(t, &l, &e);
    MPI_Type_get_true_extent(t, &tl, &te);
    CHECK(s == size && l == lb && e == extent && tl == true_lb && te == true_extent,
          "%s: size %ld lb %ld extent %ld true lb %ld true extent %ld; expected %ld %ld %ld %ld %ld", what, s, l, e,
          tl, te, size, lb, extent, true_lb, true_extent);
    const struct mpi_dtype *d = dtype_get(t);
    CHECK(d && dtype_size(d) == (size_t)size && dtype_lb(d) == lb && dtype_extent(d) == extent &&
              dtype_true_lb(d) == true_lb && dtype_true_extent(d) == true_extent,
          "%s: the internal queries disagree with the MPI ones", what);
}

static void expect_envelope(const char *what, MPI_Datatype t, int combiner, int ni, const int *ints, int na,
                            const MPI_Aint *addrs, int nd, const MPI_Datatype *types)
{
    int gni, gna, gnd, gc;
    OK(MPI_Type_get_envelope(t, &gni, &gna, &gnd, &gc));
    CHECK(gc == combiner && gni == ni && gna == na && gnd == nd, "%s: envelope (%d %d %d comb %d), expected (%d %d %d comb %d)",
          what, gni, gna, gnd, gc, ni, na, nd, combiner);
    if (gc != combiner || gni != ni || gna != na || gnd != nd)
        return;
    int I[64];
    MPI_Aint A[64];
    MPI_Datatype D[64];
    OK(MPI_Type_get_contents(t, 64, 64, 64, I, A, D));
    CHECK(!ni || memcmp(I, ints, (size_t)ni * sizeof *I) == 0, "%s: integers of the contents differ", what);
    CHECK(!na || memcmp(A, addrs, (size_t)na * sizeof *A) == 0, "%s: addresses of the contents differ", what);
    CHECK(!nd || memcmp(D, types, (size_t)nd * sizeof *D) == 0, "%s: datatypes of the contents differ", what);
    for (int i = 0; i < nd; i++)
        if (!dtype_get(D[i])->predefined)
            MPI_Type_free(&D[i]); /* each returned derived type is one more reference */
}

static void test_predefined(void)
{
    static const struct {
        MPI_Datatype t;
        const char *name;
        int size;
        MPI_Aint extent, true_extent;
    } cases[] = {
        {MPI_CHAR, "MPI_CHAR", 1, 1, 1},
        {MPI_INT, "MPI_INT", 4, 4, 4},
        {MPI_LONG_LONG, "MPI_LONG_LONG_INT", 8, 8, 8},
        {MPI_LONG_DOUBLE, "MPI_LONG_DOUBLE", 16, 16, 16},
        {MPI_C_LONG_DOUBLE_COMPLEX, "MPI_C_LONG_DOUBLE_COMPLEX", 32, 32, 32},
        {MPI_PACKED, "MPI_PACKED", 1, 1, 1},
        {MPI_BYTE, "MPI_BYTE", 1, 1, 1},
        {MPI_AINT, "MPI_AINT", 8, 8, 8},
        {MPI_REAL16, "MPI_REAL16", 16, 16, 16},
        {MPI_COMPLEX32, "MPI_COMPLEX32", 32, 32, 32},
        {MPI_LB, "MPI_LB", 0, 0, 0},
        {MPI_UB, "MPI_UB", 0, 0, 0},
        {MPI_FLOAT_INT, "MPI_FLOAT_INT", 8, 8, 8},
        {MPI_DOUBLE_INT, "MPI_DOUBLE_INT", 12, 16, 12},
        {MPI_LONG_INT, "MPI_LONG_INT", 12, 16, 12},
        {MPI_SHORT_INT, "MPI_SHORT_INT", 6, 8, 8}, /* the int is at 4: the hole is inside */
        {MPI_LONG_DOUBLE_INT, "MPI_LONG_DOUBLE_INT", 20, 32, 20},
        {MPI_2INT, "MPI_2INT", 8, 8, 8},
        {MPI_2DOUBLE_PRECISION, "MPI_2DOUBLE_PRECISION", 16, 16, 16},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        expect_layout(cases[i].name, cases[i].t, cases[i].size, 0, cases[i].extent, 0, cases[i].true_extent);
        char name[MPI_MAX_OBJECT_NAME];
        int len = -1;
        OK(MPI_Type_get_name(cases[i].t, name, &len));
        CHECK(strcmp(name, cases[i].name) == 0 && len == (int)strlen(name), "name of %s is \"%s\" (%d)",
              cases[i].name, name, len);
        int ni, na, nd, comb;
        OK(MPI_Type_get_envelope(cases[i].t, &ni, &na, &nd, &comb));
        CHECK(comb == MPI_COMBINER_NAMED && ni == 0 && na == 0 && nd == 0, "%s is not named", cases[i].name);
        const struct mpi_dtype *d = dtype_get(cases[i].t);
        CHECK(d && dtype_is_committed(d), "%s is not committed", cases[i].name);
    }
    /* a size from the handle for every predefined type of the header */
    static const MPI_Datatype all[] = {
        MPI_CHAR, MPI_SIGNED_CHAR, MPI_UNSIGNED_CHAR, MPI_BYTE, MPI_WCHAR, MPI_SHORT, MPI_UNSIGNED_SHORT,
        MPI_INT, MPI_UNSIGNED, MPI_LONG, MPI_UNSIGNED_LONG, MPI_LONG_LONG_INT, MPI_UNSIGNED_LONG_LONG,
        MPI_FLOAT, MPI_DOUBLE, MPI_LONG_DOUBLE, MPI_PACKED, MPI_INT8_T, MPI_INT16_T, MPI_INT32_T,
        MPI_INT64_T, MPI_UINT8_T, MPI_UINT16_T, MPI_UINT32_T, MPI_UINT64_T, MPI_C_BOOL, MPI_C_FLOAT_COMPLEX,
        MPI_C_DOUBLE_COMPLEX, MPI_C_LONG_DOUBLE_COMPLEX, MPI_AINT, MPI_OFFSET, MPI_COUNT, MPI_CXX_BOOL,
        MPI_CXX_FLOAT_COMPLEX, MPI_CXX_DOUBLE_COMPLEX, MPI_CXX_LONG_DOUBLE_COMPLEX, MPI_2INT, MPI_CHARACTER,
        MPI_LOGICAL, MPI_INTEGER, MPI_REAL, MPI_DOUBLE_PRECISION, MPI_COMPLEX, MPI_DOUBLE_COMPLEX,
        MPI_2INTEGER, MPI_2REAL, MPI_2DOUBLE_PRECISION, MPI_INTEGER1, MPI_INTEGER2, MPI_INTEGER4,
        MPI_INTEGER8, MPI_REAL4, MPI_REAL8, MPI_REAL16, MPI_COMPLEX8, MPI_COMPLEX16, MPI_COMPLEX32, MPI_LB,
        MPI_UB,
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const struct mpi_dtype *d = dtype_get(all[i]);
        int size = -1;
        MPI_Type_size(all[i], &size);
        CHECK(d && size == (int)(((unsigned)all[i] >> 8) & 0xff) && dtype_extent(d) == size &&
                  dtype_is_contiguous(d),
              "predefined 0x%x: size %d", (unsigned)all[i], size);
    }
    /* not datatypes */
    CHECK(!dtype_get(MPI_DATATYPE_NULL) && !dtype_get(0x4c000412) && !dtype_get(0x4c000105) &&
              !dtype_get(0x8c000005) && !dtype_get(0x8c00000f) && !dtype_get(0x8c000010) && !dtype_get(MPI_INT | 0x80000000) &&
              !dtype_get(MPI_COMM_WORLD) && !dtype_get(MPI_SUM),
          "a handle that is no datatype is taken for one");
    CHECK(dtype_basic(dtype_get(MPI_DOUBLE_INT)) == MPI_DOUBLE_INT && dtype_basic(dtype_get(MPI_INT)) == MPI_INT,
          "predefined types are not their own basic type");
    CHECK(!dtype_is_contiguous(dtype_get(MPI_DOUBLE_INT)) && !dtype_is_contiguous(dtype_get(MPI_SHORT_INT)) &&
              dtype_is_contiguous(dtype_get(MPI_FLOAT_INT)),
          "contiguity of the pair types");
}

/* The handles of derived types never collide with the pair types'. */
static void test_handles(void)
{
    MPI_Datatype t[40];
    for (int i = 0; i < 40; i++) {
        OK(MPI_Type_contiguous(i + 1, MPI_INT, &t[i]));
        CHECK(HANDLE_KIND(t[i]) == HANDLE_DYNAMIC && HANDLE_TYPE(t[i]) == HT_DATATYPE &&
                  HANDLE_INDEX(t[i]) >= DTYPE_FIRST_INDEX,
              "derived type handle 0x%x", (unsigned)t[i]);
        for (int j = 0; j < i; j++)
            CHECK(t[i] != t[j], "two live types share handle 0x%x", (unsigned)t[i]);
    }
    for (int i = 0; i < 40; i += 2)
        OK(MPI_Type_free(&t[i]));
    for (int i = 0; i < 40; i += 2) {
        OK(MPI_Type_vector(2, 1, 2, MPI_INT, &t[i]));
        CHECK(HANDLE_INDEX(t[i]) >= DTYPE_FIRST_INDEX, "reused handle 0x%x", (unsigned)t[i]);
    }
    for (int i = 0; i < 40; i++) {
        MPI_Datatype h = t[i];
        OK(MPI_Type_free(&t[i]));
        CHECK(t[i] == MPI_DATATYPE_NULL && !dtype_get(h), "a freed type stays");
    }
}

static void test_layouts(void)
{
    MPI_Datatype t, u, v, w;
    int bl[4] = {1, 1, 1, 1};
    MPI_Aint d[4];
    MPI_Datatype ty[4];

    OK(MPI_Type_contiguous(5, MPI_INT, &t));
    expect_layout("contiguous(5, int)", t, 20, 0, 20, 0, 20);
    int ci[] = {5};
    expect_envelope("contiguous", t, MPI_COMBINER_CONTIGUOUS, 1, ci, 0, NULL, 1, (MPI_Datatype[]){MPI_INT});
    CHECK(!dtype_is_committed(dtype_get(t)), "a new type is committed");
    OK(MPI_Type_commit(&t));
    CHECK(dtype_is_committed(dtype_get(t)) && dtype_is_contiguous(dtype_get(t)) &&
              dtype_basic(dtype_get(t)) == MPI_INT,
          "contiguous(5, int) committed: contiguous, basic MPI_INT");
    OK(MPI_Type_free(&t));

    OK(MPI_Type_vector(3, 2, 4, MPI_DOUBLE, &t));
    expect_layout("vector(3, 2, 4, double)", t, 48, 0, 80, 0, 80);
    int vi[] = {3, 2, 4};
    expect_envelope("vector", t, MPI_COMBINER_VECTOR, 3, vi, 0, NULL, 1, (MPI_Datatype[]){MPI_DOUBLE});
    OK(MPI_Type_commit(&t));
    CHECK(!dtype_is_contiguous(dtype_get(t)) && dtype_basic(dtype_get(t)) == MPI_DOUBLE, "vector of doubles");
    OK(MPI_Type_free(&t));

    OK(MPI_Type_vector(3, 1, -2, MPI_INT, &t));
    expect_layout("vector(3, 1, -2, int)", t, 12, -16, 20, -16, 20);
    OK(MPI_Type_free(&t));

    OK(MPI_Type_hvector(2, 1, 3, MPI_INT, &t));
    expect_layout("hvector(2, 1, 3 bytes, int)", t, 8, 0, 7, 0, 7);
    int hi[] = {2, 1};
    MPI_Aint ha[] = {3};
    expect_envelope("MPI-1 hvector", t, MPI_COMBINER_HVECTOR, 2, hi, 1, ha, 1, (MPI_Datatype[]){MPI_INT});
    OK(MPI_Type_free(&t));

    int ibl[] = {2, 1, 3}, idis[] = {5, 0, 10};
    OK(MPI_Type_indexed(3, ibl, idis, MPI_INT, &t));
    expect_layout("indexed", t, 24, 0, 52, 0, 52);
    int ii[] = {3, 2, 1, 3, 5, 0, 10};
    expect_envelope("indexed", t, MPI_COMBINER_INDEXED, 7, ii, 0, NULL, 1, (MPI_Datatype[]){MPI_INT});
    OK(MPI_Type_free(&t));

    int hbl[] = {1, 1};
    MPI_Aint hdis[] = {-8, 8};
    OK(MPI_Type_create_hindexed(2, hbl, hdis, MPI_DOUBLE, &t));
    expect_layout("hindexed at -8 and 8", t, 16, -8, 24, -8, 24);
    int hii[] = {2, 1, 1};
    expect_envelope("hindexed", t, MPI_COMBINER_HINDEXED, 3, hii, 2, hdis, 1, (MPI_Datatype[]){MPI_DOUBLE});
    OK(MPI_Type_free(&t));

    int bdis[] = {4, 0, 8};
    OK(MPI_Type_create_indexed_block(3, 2, bdis, MPI_SHORT, &t));
    expect_layout("indexed_block", t, 12, 0, 20, 0, 20);
    int bi[] = {3, 2, 4, 0, 8};
    expect_envelope("indexed_block", t, MPI_COMBINER_INDEXED_BLOCK, 5, bi, 0, NULL, 1, (MPI_Datatype[]){MPI_SHORT});
    OK(MPI_Type_free(&t));

    MPI_Aint hbdis[] = {0, 100};
    OK(MPI_Type_create_hindexed_block(2, 1, hbdis, MPI_DOUBLE_INT, &t));
    expect_layout("hindexed_block of double_int", t, 24, 0, 116, 0, 112);
    int hbi[] = {2, 1};
    expect_envelope("hindexed_block", t, MPI_COMBINER_HINDEXED_BLOCK, 2, hbi, 2, hbdis, 1,
                    (MPI_Datatype[]){MPI_DOUBLE_INT});
    OK(MPI_Type_free(&t));

    /* structs: padded to the alignment of their most aligned member */
    struct {
        MPI_Datatype a, b;
        MPI_Aint db;
        MPI_Count size;
        MPI_Aint extent;
    } structs[] = {
        {MPI_CHAR, MPI_DOUBLE, 1, 9, 16},
        {MPI_DOUBLE, MPI_CHAR, 8, 9, 16},
        {MPI_CHAR, MPI_LONG_DOUBLE, 1, 17, 32},
        {MPI_INT, MPI_CHAR, 4, 5, 8},
        {MPI_CHAR, MPI_C_DOUBLE_COMPLEX, 1, 17, 24},
        {MPI_CHAR, MPI_DOUBLE_INT, 1, 13, 24},
        {MPI_CHAR, MPI_SHORT_INT, 1, 7, 12},
        {MPI_SHORT, MPI_CHAR, 2, 3, 4},
    };
    for (size_t i = 0; i < sizeof structs / sizeof structs[0]; i++) {
        ty[0] = structs[i].a, ty[1] = structs[i].b;
        d[0] = 0, d[1] = structs[i].db;
        OK(MPI_Type_create_struct(2, bl, d, ty, &t));
        char what[64];
        snprintf(what, sizeof what, "struct %zu", i);
        MPI_Aint te = structs[i].db + extent_of(structs[i].b);
        if (structs[i].b == MPI_DOUBLE_INT)
            te -= 4; /* true ub of a double_int is 12 */
        expect_layout(what, t, structs[i].size, 0, structs[i].extent, 0, structs[i].b == MPI_CHAR ? structs[i].db + 1 : te);
        OK(MPI_Type_free(&t));
    }
    ty[0] = MPI_DOUBLE, ty[1] = MPI_CHAR, d[0] = -8, d[1] = 0;
    OK(MPI_Type_create_struct(2, bl, d, ty, &t));
    expect_layout("struct at -8", t, 9, -8, 16, -8, 9);
    int si[] = {2, 1, 1};
    expect_envelope("struct", t, MPI_COMBINER_STRUCT, 3, si, 2, d, 2, ty);
    OK(MPI_Type_free(&t));

    /* MPI-1 markers: sticky bounds */
    ty[0] = MPI_LB, ty[1] = MPI_CHAR, ty[2] = MPI_DOUBLE, d[0] = -4, d[1] = 0, d[2] = 1;
    OK(MPI_Type_struct(3, bl, d, ty, &t));
    expect_layout("struct {LB@-4, char, double@1}", t, 9, -4, 16, 0, 9);
    int s3[] = {3, 1, 1, 1};
    expect_envelope("MPI-1 struct", t, MPI_COMBINER_STRUCT, 4, s3, 3, d, 3, ty);
    OK(MPI_Type_free(&t));
    ty[0] = MPI_UB, d[0] = 3;
    OK(MPI_Type_struct(3, bl, d, ty, &t));
    expect_layout("struct {UB@3, char, double@1}", t, 9, 0, 3, 0, 9);
    OK(MPI_Type_free(&t));
    ty[0] = MPI_LB, ty[1] = MPI_INT, ty[2] = MPI_UB, d[0] = -8, d[1] = 0, d[2] = 16;
    OK(MPI_Type_struct(3, bl, d, ty, &t));
    expect_layout("struct {LB@-8, int, UB@16}", t, 4, -8, 24, 0, 4);
    OK(MPI_Type_contiguous(2, t, &u));
    expect_layout("contiguous(2, {LB@-8, int, UB@16})", u, 8, -8, 48, 0, 28);
    OK(MPI_Type_free(&u));
    ty[0] = t, ty[1] = MPI_LB, d[0] = 0, d[1] = 4;
    OK(MPI_Type_struct(2, bl, d, ty, &u));
    expect_layout("the lowest LB marker wins", u, 4, -8, 24, 0, 4);
    OK(MPI_Type_free(&u));
    OK(MPI_Type_free(&t));

    /* resized: explicit bounds, which a struct does not pad */
    OK(MPI_Type_create_resized(MPI_INT, -4, 12, &t));
    expect_layout("resized(int, -4, 12)", t, 4, -4, 12, 0, 4);
    MPI_Aint ra[] = {-4, 12};
    expect_envelope("resized", t, MPI_COMBINER_RESIZED, 0, NULL, 2, ra, 1, (MPI_Datatype[]){MPI_INT});
    OK(MPI_Type_contiguous(3, t, &u));
    expect_layout("contiguous(3, resized)", u, 12, -4, 36, 0, 28);
    OK(MPI_Type_free(&u));
    OK(MPI_Type_free(&t));
    OK(MPI_Type_create_resized(MPI_DOUBLE, 0, 12, &t));
    ty[0] = MPI_CHAR, ty[1] = t, d[0] = 0, d[1] = 1;
    OK(MPI_Type_create_struct(2, bl, d, ty, &u));
    expect_layout("struct {char, resized(double, 0, 12)@1}", u, 9, 1, 12, 0, 9);
    OK(MPI_Type_free(&u));
    OK(MPI_Type_free(&t));

    /* subarrays, 3-D, both orders */
    int sizes[] = {4, 5, 6}, subsizes[] = {2, 3, 4}, starts[] = {1, 1, 2};
    OK(MPI_Type_create_subarray(3, sizes, subsizes, starts, MPI_ORDER_C, MPI_DOUBLE, &t));
    expect_layout("subarray C", t, 192, 0, 960, 304, 368);
    int sai[] = {3, 4, 5, 6, 2, 3, 4, 1, 1, 2, MPI_ORDER_C};
    expect_envelope("subarray", t, MPI_COMBINER_SUBARRAY, 11, sai, 0, NULL, 1, (MPI_Datatype[]){MPI_DOUBLE});
    OK(MPI_Type_free(&t));
    OK(MPI_Type_create_subarray(3, sizes, subsizes, starts, MPI_ORDER_FORTRAN, MPI_DOUBLE, &t));
    expect_layout("subarray Fortran", t, 192, 0, 960, 360, 560);
    OK(MPI_Type_free(&t));

    /* darray: rank 4 of a 2x3 grid is at (1, 1) */
    int gs[] = {10, 7}, dist[] = {MPI_DISTRIBUTE_BLOCK, MPI_DISTRIBUTE_CYCLIC}, dargs[] = {MPI_DISTRIBUTE_DFLT_DARG, 2},
        ps[] = {2, 3};
    OK(MPI_Type_create_darray(6, 4, 2, gs, dist, dargs, ps, MPI_ORDER_C, MPI_INT, &t));
    expect_layout("darray block x cyclic(2)", t, 40, 0, 280, 148, 120);
    int dai[] = {6, 4, 2, 10, 7, MPI_DISTRIBUTE_BLOCK, MPI_DISTRIBUTE_CYCLIC, MPI_DISTRIBUTE_DFLT_DARG, 2, 2, 3,
                 MPI_ORDER_C};
    expect_envelope("darray", t, MPI_COMBINER_DARRAY, 12, dai, 0, NULL, 1, (MPI_Datatype[]){MPI_INT});
    OK(MPI_Type_free(&t));

    /* dup: the same layout, committed like its original */
    OK(MPI_Type_vector(2, 1, 3, MPI_FLOAT, &t));
    OK(MPI_Type_dup(t, &u));
    expect_layout("dup of uncommitted vector", u, 8, 0, 16, 0, 16);
    CHECK(!dtype_is_committed(dtype_get(u)), "dup of an uncommitted type is committed");
    OK(MPI_Type_commit(&t));
    OK(MPI_Type_dup(t, &v));
    CHECK(dtype_is_committed(dtype_get(v)), "dup of a committed type is not committed");
    expect_envelope("dup", v, MPI_COMBINER_DUP, 0, NULL, 0, NULL, 1, &t);
    OK(MPI_Type_dup(MPI_DOUBLE_INT, &w));
    expect_layout("dup of MPI_DOUBLE_INT", w, 12, 0, 16, 0, 12);
    CHECK(dtype_is_committed(dtype_get(w)) && dtype_basic(dtype_get(w)) == MPI_DOUBLE_INT, "dup of a pair type");
    OK(MPI_Type_free(&w));
    OK(MPI_Type_free(&v));
    OK(MPI_Type_free(&u));
    OK(MPI_Type_free(&t));

    /* empty types */
    OK(MPI_Type_contiguous(0, MPI_INT, &t));
    expect_layout("contiguous(0, int)", t, 0, 0, 0, 0, 0);
    OK(MPI_Type_commit(&t));
    CHECK(dtype_basic(dtype_get(t)) == MPI_INT, "contiguous(0, int) is not made of ints");
    OK(MPI_Type_free(&t));
    OK(MPI_Type_create_struct(0, bl, d, ty, &t));
    expect_layout("struct of nothing", t, 0, 0, 0, 0, 0);
    OK(MPI_Type_free(&t));

    /* mixed basic types */
    ty[0] = MPI_INT, ty[1] = MPI_DOUBLE, d[0] = 0, d[1] = 8;
    OK(MPI_Type_create_struct(2, bl, d, ty, &t));
    CHECK(dtype_basic(dtype_get(t)) == MPI_DATATYPE_NULL, "struct {int, double} has one basic type");
    OK(MPI_Type_free(&t));
    ty[0] = MPI_DOUBLE, ty[1] = MPI_LB, ty[2] = MPI_DOUBLE, d[0] = 0, d[1] = -8, d[2] = 16;
    OK(MPI_Type_struct(3, bl, d, ty, &t));
    CHECK(dtype_basic(dtype_get(t)) == MPI_DOUBLE, "struct {double, LB, double} is not made of doubles");
    OK(MPI_Type_free(&t));

    /* names */
    OK(MPI_Type_contiguous(2, MPI_INT, &t));
    char name[MPI_MAX_OBJECT_NAME];
    int len;
    OK(MPI_Type_get_name(t, name, &len));
    CHECK(len == 0 && name[0] == '\0', "a new type has a name");
    OK(MPI_Type_set_name(t, "pair of ints"));
    OK(MPI_Type_get_name(t, name, &len));
    CHECK(strcmp(name, "pair of ints") == 0 && len == 12, "set_name/get_name: \"%s\"", name);
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    OK(MPI_Type_set_name(t, longname));
    OK(MPI_Type_get_name(t, name, &len));
    CHECK(len == MPI_MAX_OBJECT_NAME - 1, "a long name is kept to %d characters", len);
    OK(MPI_Type_free(&t));

    /* deprecated queries, match_size, addresses */
    MPI_Aint x = 0;
    ty[0] = MPI_LB, ty[1] = MPI_INT, ty[2] = MPI_UB, d[0] = -8, d[1] = 0, d[2] = 16;
    OK(MPI_Type_struct(3, bl, d, ty, &t));
    OK(MPI_Type_extent(t, &x));
    CHECK(x == 24, "MPI_Type_extent %ld", x);
    OK(MPI_Type_lb(t, &x));
    CHECK(x == -8, "MPI_Type_lb %ld", x);
    OK(MPI_Type_ub(t, &x));
    CHECK(x == 16, "MPI_Type_ub %ld", x);
    OK(MPI_Type_free(&t));
    MPI_Datatype m;
    OK(MPI_Type_match_size(MPI_TYPECLASS_REAL, 8, &m));
    CHECK(m == MPI_REAL8, "match_size real 8");
    OK(MPI_Type_match_size(MPI_TYPECLASS_INTEGER, 2, &m));
    CHECK(m == MPI_INTEGER2, "match_size integer 2");
    OK(MPI_Type_match_size(MPI_TYPECLASS_COMPLEX, 32, &m));
    CHECK(m == MPI_COMPLEX32, "match_size complex 32");
    FAILS(MPI_Type_match_size(MPI_TYPECLASS_REAL, 2, &m), MPI_ERR_ARG);
    FAILS(MPI_Type_match_size(7, 4, &m), MPI_ERR_ARG);
    double arr[2];
    MPI_Aint a0, a1;
    OK(MPI_Get_address(&arr[0], &a0));
    OK(MPI_Address(&arr[1], &a1));
    CHECK(a1 - a0 == 8 && a0 == (MPI_Aint)(uintptr_t)&arr[0], "addresses");
}

/* ------------------------------------------------------------------ pack and unpack against the reference */

static double pack_whole_ns, pack_pieces_ns;

static void check_type_data(const char *what, MPI_Datatype t)
{
    struct tmap m = {0};
    typemap(t, 0, &m);
    const struct mpi_dtype *d = dtype_get(t);
    MPI_Aint ext = extent_of(t);
    size_t size = dtype_size(d);
    size_t msize = 0;
    for (size_t k = 0; k < m.n; k++)
        msize += m.v[k].len;
    CHECK(msize == size, "%s: size %zu, its typemap has %zu bytes", what, size, msize);
    if (msize != size) {
        free(m.v);
        return;
    }
    if (m.n) { /* true bounds from the typemap */
        MPI_Aint lo = m.v[0].disp, hi = m.v[0].disp + (MPI_Aint)m.v[0].len;
        for (size_t k = 1; k < m.n; k++) {
            if (m.v[k].disp < lo)
                lo = m.v[k].disp;
            if (m.v[k].disp + (MPI_Aint)m.v[k].len > hi)
                hi = m.v[k].disp + (MPI_Aint)m.v[k].len;
        }
        CHECK(dtype_true_lb(d) == lo && dtype_true_extent(d) == hi - lo,
              "%s: true lb %ld extent %ld, the typemap spans %ld..%ld", what, dtype_true_lb(d), dtype_true_extent(d),
              lo, hi);
    }
    static const int counts[] = {1, 2, 3, 17};
    for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
        int count = counts[ci];
        size_t total = size * (size_t)count;
        struct tbuf src = tbuf_new(t, count, -1);
        char *want = malloc(total + 1), *got = malloc(total + 1);
        ref_pack(&m, ext, src.origin, count, want);

        memset(got, 0x5a, total + 1);
        dtype_pack(src.origin, count, d, 0, got, total);
        CHECK(memcmp(got, want, total) == 0 && got[total] == 0x5a, "%s x%d: whole pack differs", what, count);

        /* random pieces, in random order */
        for (int round = 0; round < 4; round++) {
            memset(got, 0x5a, total + 1);
            size_t cuts[64], ncuts = 0;
            size_t maxpiece = total / 3 + 1;
            for (size_t off = 0; off < total && ncuts < 63;) {
                cuts[ncuts++] = off;
                off += 1 + rnd_below(maxpiece);
            }
            cuts[ncuts] = total;
            size_t order[64]; /* the pieces, shuffled */
            for (size_t i = 0; i < ncuts; i++)
                order[i] = i;
            for (size_t i = ncuts; i > 1; i--) {
                size_t j = rnd_below(i), tmp = order[i - 1];
                order[i - 1] = order[j];
                order[j] = tmp;
            }
            for (size_t i = 0; i < ncuts; i++) {
                size_t p = order[i], off = cuts[p], len = (p + 1 < ncuts ? cuts[p + 1] : total) - off;
                dtype_pack(src.origin, count, d, off, got + off, len);
            }
            CHECK(memcmp(got, want, total) == 0 && got[total] == 0x5a, "%s x%d: pack in %zu pieces differs", what,
                  count, ncuts);

            /* unpack the same pieces: the same bytes as the reference's
             * unpack, nothing outside the typemap touched */
            struct tbuf a = tbuf_new(t, count, 0x33), b = tbuf_new(t, count, 0x33);
            ref_unpack(&m, ext, want, a.origin, count);
            for (size_t i = 0; i < ncuts; i++) {
                size_t p = order[i], off = cuts[p], len = (p + 1 < ncuts ? cuts[p + 1] : total) - off;
                dtype_unpack(want + off, off, len, b.origin, count, d);
            }
            CHECK(memcmp(a.base, b.base, a.len) == 0, "%s x%d: unpack in %zu pieces differs", what, count, ncuts);
            free(a.base);
            free(b.base);
        }

        /* MPI_Pack/MPI_Unpack at a position */
        int psize = -1, pos = 3;
        OK(MPI_Pack_size(count, t, MPI_COMM_WORLD, &psize));
        CHECK(psize == (int)total, "%s: MPI_Pack_size %d, expected %zu", what, psize, total);
        char *pbuf = malloc(total + 8);
        if (dtype_is_committed(d)) {
            OK(MPI_Pack(src.origin, count, t, pbuf, (int)total + 8, &pos, MPI_COMM_WORLD));
            CHECK(pos == 3 + (int)total && memcmp(pbuf + 3, want, total) == 0, "%s: MPI_Pack", what);
            struct tbuf a = tbuf_new(t, count, 0x44), b = tbuf_new(t, count, 0x44);
            ref_unpack(&m, ext, want, a.origin, count);
            pos = 3;
            OK(MPI_Unpack(pbuf, (int)total + 3, &pos, b.origin, count, t, MPI_COMM_WORLD));
            CHECK(pos == 3 + (int)total && memcmp(a.base, b.base, a.len) == 0, "%s: MPI_Unpack", what);
            free(a.base);
            free(b.base);
        }
        free(pbuf);

        /* elements in every prefix of the stream of one element, and beyond */
        for (size_t bytes = 0; bytes <= size + 1 && bytes <= total; bytes++) {
            MPI_Count e = dtype_elements(d, bytes), r = ref_elements(&m, bytes);
            CHECK(e == r, "%s: elements in %zu bytes: %ld, expected %ld", what, bytes, e, r);
        }
        MPI_Count e = dtype_elements(d, total), r = ref_elements(&m, total);
        CHECK(e == r, "%s: elements in %zu bytes: %ld, expected %ld", what, total, e, r);

        free(src.base);
        free(want);
        free(got);
    }
    free(m.v);
}

static void test_pack(void)
{
    MPI_Datatype t[40];
    const char *names[40];
    int n = 0;
#define ADD(name, call)                \
    do {                               \
        OK(call);                      \
        names[n] = name;               \
        OK(MPI_Type_commit(&t[n]));    \
        n++;                           \
    } while (0)
    int bl[4] = {1, 1, 1, 1};
    MPI_Aint d[4];
    MPI_Datatype ty[4];

    ADD("contiguous(7, double)", MPI_Type_contiguous(7, MPI_DOUBLE, &t[n]));
    ADD("vector(5, 1, 3, double)", MPI_Type_vector(5, 1, 3, MPI_DOUBLE, &t[n]));
    ADD("vector(4, 3, 5, int)", MPI_Type_vector(4, 3, 5, MPI_INT, &t[n]));
    ADD("vector(3, 2, -4, short)", MPI_Type_vector(3, 2, -4, MPI_SHORT, &t[n]));
    ADD("vector(3, 1, 0, int)", MPI_Type_vector(3, 1, 0, MPI_INT, &t[n]));
    ADD("hvector(3, 2, 7, char)", MPI_Type_create_hvector(3, 2, 7, MPI_CHAR, &t[n]));
    int ibl[] = {2, 0, 1, 3}, idis[] = {5, 1, 0, 10};
    ADD("indexed", MPI_Type_indexed(4, ibl, idis, MPI_INT, &t[n]));
    MPI_Aint hdis[] = {40, -16, 0, 8};
    ADD("hindexed", MPI_Type_create_hindexed(4, ibl, hdis, MPI_SHORT, &t[n]));
    int bdis[] = {6, 0, 3};
    ADD("indexed_block", MPI_Type_create_indexed_block(3, 2, bdis, MPI_FLOAT, &t[n]));
    MPI_Aint hbdis[] = {64, 0};
    ADD("hindexed_block of short_int", MPI_Type_create_hindexed_block(2, 2, hbdis, MPI_SHORT_INT, &t[n]));
    ty[0] = MPI_CHAR, ty[1] = MPI_DOUBLE, ty[2] = MPI_SHORT, d[0] = 0, d[1] = 8, d[2] = 20;
    int sbl[] = {3, 1, 2};
    ADD("struct with gaps", MPI_Type_create_struct(3, sbl, d, ty, &t[n]));
    int s_with_gaps = n - 1;
    ADD("vector of struct", MPI_Type_vector(3, 2, 3, t[s_with_gaps], &t[n]));
    ADD("contiguous of struct", MPI_Type_contiguous(5, t[s_with_gaps], &t[n]));
    ADD("resized(int, -4, 16)", MPI_Type_create_resized(MPI_INT, -4, 16, &t[n]));
    ADD("indexed of resized", MPI_Type_indexed(4, ibl, idis, t[n - 1], &t[n]));
    ty[0] = MPI_LB, ty[1] = MPI_INT, ty[2] = MPI_UB, ty[3] = MPI_DOUBLE, d[0] = -8, d[1] = 0, d[2] = 24, d[3] = 8;
    ADD("struct with LB/UB", MPI_Type_struct(4, bl, d, ty, &t[n]));
    ADD("contiguous of LB/UB struct", MPI_Type_contiguous(3, t[n - 1], &t[n]));
    int sizes[] = {4, 5, 6}, subsizes[] = {2, 3, 4}, starts[] = {1, 1, 2};
    ADD("subarray C", MPI_Type_create_subarray(3, sizes, subsizes, starts, MPI_ORDER_C, MPI_DOUBLE, &t[n]));
    ADD("subarray Fortran", MPI_Type_create_subarray(3, sizes, subsizes, starts, MPI_ORDER_FORTRAN, MPI_DOUBLE, &t[n]));
    int sz2[] = {5, 4}, sub2[] = {3, 2}, st2[] = {2, 1};
    ADD("subarray of struct", MPI_Type_create_subarray(2, sz2, sub2, st2, MPI_ORDER_C, t[s_with_gaps], &t[n]));
    int sub0[] = {0, 2};
    ADD("empty subarray", MPI_Type_create_subarray(2, sz2, sub0, st2, MPI_ORDER_C, MPI_INT, &t[n]));
    int gs[] = {10, 7}, dist[] = {MPI_DISTRIBUTE_BLOCK, MPI_DISTRIBUTE_CYCLIC},
        dargs[] = {MPI_DISTRIBUTE_DFLT_DARG, 2}, ps[] = {2, 3};
    ADD("darray block x cyclic(2), C", MPI_Type_create_darray(6, 4, 2, gs, dist, dargs, ps, MPI_ORDER_C, MPI_INT, &t[n]));
    int gs3[] = {7, 5, 9}, dist3[] = {MPI_DISTRIBUTE_CYCLIC, MPI_DISTRIBUTE_NONE, MPI_DISTRIBUTE_BLOCK},
        dargs3[] = {3, MPI_DISTRIBUTE_DFLT_DARG, 4}, ps3[] = {2, 1, 3};
    for (int r = 0; r < 6; r += 5)
        ADD("darray cyclic(3) x none x block(4), Fortran",
            MPI_Type_create_darray(6, r, 3, gs3, dist3, dargs3, ps3, MPI_ORDER_FORTRAN, MPI_DOUBLE, &t[n]));
    ADD("darray C of pairs", MPI_Type_create_darray(6, 3, 3, gs3, dist3, dargs3, ps3, MPI_ORDER_C, MPI_DOUBLE_INT, &t[n]));
    ADD("double_int x4", MPI_Type_contiguous(4, MPI_DOUBLE_INT, &t[n]));
    ADD("long_double_int", MPI_Type_dup(MPI_LONG_DOUBLE_INT, &t[n]));
    ty[0] = t[17], ty[1] = MPI_SHORT_INT, ty[2] = t[1], d[0] = 0, d[1] = 1000, d[2] = -200;
    ADD("struct of subarray, short_int, vector", MPI_Type_create_struct(3, sbl, d, ty, &t[n]));
    ADD("hvector of vector, negative stride", MPI_Type_create_hvector(3, 2, -100, t[2], &t[n]));
    ADD("empty", MPI_Type_contiguous(0, MPI_INT, &t[n]));
    ADD("MPI_INT", MPI_Type_dup(MPI_INT, &t[n]));
#undef ADD
    for (int i = 0; i < n; i++)
        check_type_data(names[i], t[i]);
    /* the predefined types' own data */
    static const MPI_Datatype pre[] = {MPI_INT, MPI_DOUBLE_INT, MPI_SHORT_INT, MPI_LONG_DOUBLE_INT, MPI_2INT,
                                       MPI_C_DOUBLE_COMPLEX, MPI_LB};
    for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
        char name[MPI_MAX_OBJECT_NAME];
        int len;
        MPI_Type_get_name(pre[i], name, &len);
        check_type_data(name, pre[i]);
    }
    for (int i = 0; i < n; i++)
        OK(MPI_Type_free(&t[i]));
}

/* Copies between types with one signature: 20 doubles each way. */
static void test_copy(void)
{
    MPI_Datatype t[5];
    int counts[5];
    OK(MPI_Type_vector(4, 1, 3, MPI_DOUBLE, &t[0]));
    counts[0] = 5;
    OK(MPI_Type_contiguous(10, MPI_DOUBLE, &t[1]));
    counts[1] = 2;
    int sizes[] = {6, 7}, subsizes[] = {4, 5}, starts[] = {1, 2};
    OK(MPI_Type_create_subarray(2, sizes, subsizes, starts, MPI_ORDER_C, MPI_DOUBLE, &t[2]));
    counts[2] = 1;
    t[3] = MPI_DOUBLE;
    counts[3] = 20;
    OK(MPI_Type_create_resized(MPI_DOUBLE, 0, 24, &t[4]));
    counts[4] = 20;
    for (int i = 0; i < 5; i++)
        OK(MPI_Type_commit(&t[i]));
    for (int s = 0; s < 5; s++)
        for (int r = 0; r < 5; r++) {
            struct tmap ms = {0}, mr = {0};
            typemap(t[s], 0, &ms);
            typemap(t[r], 0, &mr);
            struct tbuf src = tbuf_new(t[s], counts[s], -1);
            struct tbuf a = tbuf_new(t[r], counts[r], 0x11), b = tbuf_new(t[r], counts[r], 0x11);
            char stream[160];
            ref_pack(&ms, extent_of(t[s]), src.origin, counts[s], stream);
            ref_unpack(&mr, extent_of(t[r]), stream, a.origin, counts[r]);
            int rc = dtype_copy(src.origin, counts[s], dtype_get(t[s]), b.origin, counts[r], dtype_get(t[r]));
            CHECK(rc == MPI_SUCCESS && memcmp(a.base, b.base, a.len) == 0, "copy from type %d to type %d", s, r);
            free(src.base);
            free(a.base);
            free(b.base);
            free(ms.v);
            free(mr.v);
        }
    /* a receive too short: what fits is copied, and it says so */
    double src[20], dst[12];
    for (int i = 0; i < 20; i++)
        src[i] = i;
    memset(dst, 0, sizeof dst);
    int rc = dtype_copy(src, 20, dtype_get(MPI_DOUBLE), dst, 1, dtype_get(t[1]));
    CHECK(rc == MPI_ERR_TRUNCATE && dst[9] == 9 && dst[10] == 0, "a truncated copy");
    for (int i = 0; i < 5; i++)
        if (t[i] != MPI_DOUBLE)
            OK(MPI_Type_free(&t[i]));
}

/* ------------------------------------------------------------------ freeing in any order */

static void test_free_order(void)
{
    MPI_Datatype inner, mid, outer;
    OK(MPI_Type_vector(3, 1, 2, MPI_INT, &inner));
    OK(MPI_Type_contiguous(2, inner, &mid));
    int bl[2] = {1, 2};
    MPI_Aint d[2] = {0, 64};
    MPI_Datatype ty[2] = {mid, inner};
    OK(MPI_Type_create_struct(2, bl, d, ty, &outer));
    MPI_Datatype inner_h = inner, mid_h = mid;
    OK(MPI_Type_free(&inner));
    OK(MPI_Type_free(&mid));
    CHECK(inner == MPI_DATATYPE_NULL && mid == MPI_DATATYPE_NULL, "free does not reset the handle");
    OK(MPI_Type_commit(&outer));
    expect_layout("struct of freed types", outer, 48, 0, 104, 0, 104);
    check_type_data("struct of freed types", outer);
    /* get_contents hands out the inner types again, one reference each */
    MPI_Datatype got[2];
    int I[3];
    MPI_Aint A[2];
    OK(MPI_Type_get_contents(outer, 3, 2, 2, I, A, got));
    CHECK(got[0] == mid_h && got[1] == inner_h, "contents of the struct");
    OK(MPI_Type_free(&outer));
    CHECK(dtype_get(mid_h) && dtype_get(inner_h), "types the program holds were freed");
    int size;
    OK(MPI_Type_size(got[0], &size));
    CHECK(size == 24, "the contents' type has size %d", size);
    OK(MPI_Type_free(&got[0]));
    CHECK(!dtype_get(mid_h) && dtype_get(inner_h), "contiguous freed with its last reference, vector kept");
    OK(MPI_Type_free(&got[1]));
    CHECK(!dtype_get(inner_h), "the vector outlives all its references");

    /* an operation holding a type keeps it past MPI_Type_free */
    OK(MPI_Type_contiguous(4, MPI_INT, &inner));
    MPI_Datatype h = inner;
    dtype_ref(h);
    OK(MPI_Type_free(&inner));
    CHECK(dtype_get(h) && dtype_size(dtype_get(h)) == 16, "a type in use was freed");
    dtype_unref(h);
    CHECK(!dtype_get(h), "a type is kept after its last reference");
}

/* ------------------------------------------------------------------ statuses and counts */

static void test_status(void)
{
    MPI_Status s;
    memset(&s, 0, sizeof s);
    static const size_t sizes[] = {0, 1, 12, 0xffffffffu, 0x100000000ull, 0x123456789abull, ((size_t)1 << 62) + 5};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int c = 0; c < 2; c++) {
            status_set_cancelled(&s, c);
            status_set_bytes(&s, sizes[i]);
            CHECK(status_get_bytes(&s) == sizes[i] && status_is_cancelled(&s) == c, "status of %zu bytes, cancelled %d",
                  sizes[i], c);
            CHECK((uint32_t)s.crest_count_low == (uint32_t)sizes[i] &&
                      ((uint32_t)s.crest_count_high_and_cancelled >> 1) == (uint32_t)(sizes[i] >> 32) &&
                      ((uint32_t)s.crest_count_high_and_cancelled & 1u) == (uint32_t)c,
                  "MPICH's encoding of %zu bytes", sizes[i]);
            status_set_cancelled(&s, !c);
            CHECK(status_get_bytes(&s) == sizes[i], "setting the cancelled flag changed the count");
        }
    status_set_cancelled(&s, 0);

    MPI_Datatype st;
    int bl[2] = {1, 2};
    MPI_Aint d[2] = {0, 8};
    MPI_Datatype ty[2] = {MPI_INT, MPI_DOUBLE};
    OK(MPI_Type_create_struct(2, bl, d, ty, &st)); /* int, double, double: 20 bytes */
    static const struct {
        size_t bytes;
        int count_st, elems_st, count_di, elems_di;
    } cases[] = {
        {0, 0, 0, 0, 0},
        {4, MPI_UNDEFINED, 1, MPI_UNDEFINED, MPI_UNDEFINED},
        {8, MPI_UNDEFINED, MPI_UNDEFINED, MPI_UNDEFINED, 1},
        {12, MPI_UNDEFINED, 2, 1, 2},
        {20, 1, 3, MPI_UNDEFINED, 3},
        {24, MPI_UNDEFINED, 4, 2, 4},
        {60, 3, 9, 5, 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int c, e;
        MPI_Count ex;
        status_set_bytes(&s, cases[i].bytes);
        OK(MPI_Get_count(&s, st, &c));
        OK(MPI_Get_elements(&s, st, &e));
        OK(MPI_Get_elements_x(&s, st, &ex));
        CHECK(c == cases[i].count_st && e == cases[i].elems_st && ex == e,
              "%zu bytes of struct: count %d elements %d (expected %d, %d)", cases[i].bytes, c, e, cases[i].count_st,
              cases[i].elems_st);
        OK(MPI_Get_count(&s, MPI_DOUBLE_INT, &c));
        OK(MPI_Get_elements(&s, MPI_DOUBLE_INT, &e));
        CHECK(c == cases[i].count_di && e == cases[i].elems_di,
              "%zu bytes of double_int: count %d elements %d (expected %d, %d)", cases[i].bytes, c, e,
              cases[i].count_di, cases[i].elems_di);
    }
    int c;
    MPI_Datatype empty;
    OK(MPI_Type_contiguous(0, MPI_INT, &empty));
    status_set_bytes(&s, 0);
    OK(MPI_Get_count(&s, empty, &c));
    CHECK(c == 0, "count of an empty type: %d", c);
    OK(MPI_Type_free(&empty));
    /* counts beyond an int */
    status_set_bytes(&s, (size_t)INT_MAX * 4 + 4);
    OK(MPI_Get_count(&s, MPI_INT, &c));
    CHECK(c == MPI_UNDEFINED, "a count beyond INT_MAX: %d", c);
    OK(MPI_Get_count(&s, MPI_CHAR, &c));
    CHECK(c == MPI_UNDEFINED, "a count beyond INT_MAX: %d", c);
    MPI_Count ex;
    OK(MPI_Get_elements_x(&s, MPI_INT, &ex));
    CHECK(ex == (MPI_Count)INT_MAX + 1, "elements_x of 8 GiB of ints: %ld", ex);
    FAILS(MPI_Get_count(MPI_STATUS_IGNORE, MPI_INT, &c), MPI_ERR_ARG);
    FAILS(MPI_Get_elements(&s, MPI_DATATYPE_NULL, &c), MPI_ERR_TYPE);
    OK(MPI_Type_free(&st));
}

/* ------------------------------------------------------------------ reductions */

enum kind { K_SINT, K_UINT, K_FLOAT, K_COMPLEX, K_BOOL, K_LOGICAL, K_BYTE, K_PAIR, K_NONE };
enum { F_FLOAT, F_DOUBLE, F_LDOUBLE, F_QUAD };
enum { G_CINT = 1, G_FINT = 2, G_FLOAT = 4, G_COMPLEX = 8, G_LOGICAL = 16, G_BYTE = 32, G_PAIR = 64 };

static const struct tinfo {
    MPI_Datatype h;
    const char *name;
    enum kind kind;
    int sub; /* float: F_*, pair: index in pair_layouts */
    unsigned groups;
} types[] = {
    {MPI_CHAR, "MPI_CHAR", K_SINT, 0, G_CINT},
    {MPI_SIGNED_CHAR, "MPI_SIGNED_CHAR", K_SINT, 0, G_CINT},
    {MPI_UNSIGNED_CHAR, "MPI_UNSIGNED_CHAR", K_UINT, 0, G_CINT},
    {MPI_BYTE, "MPI_BYTE", K_BYTE, 0, G_BYTE},
    {MPI_WCHAR, "MPI_WCHAR", K_NONE, 0, 0},
    {MPI_SHORT, "MPI_SHORT", K_SINT, 0, G_CINT},
    {MPI_UNSIGNED_SHORT, "MPI_UNSIGNED_SHORT", K_UINT, 0, G_CINT},
    {MPI_INT, "MPI_INT", K_SINT, 0, G_CINT},
    {MPI_UNSIGNED, "MPI_UNSIGNED", K_UINT, 0, G_CINT},
    {MPI_LONG, "MPI_LONG", K_SINT, 0, G_CINT},
    {MPI_UNSIGNED_LONG, "MPI_UNSIGNED_LONG", K_UINT, 0, G_CINT},
    {MPI_LONG_LONG, "MPI_LONG_LONG", K_SINT, 0, G_CINT},
    {MPI_UNSIGNED_LONG_LONG, "MPI_UNSIGNED_LONG_LONG", K_UINT, 0, G_CINT},
    {MPI_FLOAT, "MPI_FLOAT", K_FLOAT, F_FLOAT, G_FLOAT},
    {MPI_DOUBLE, "MPI_DOUBLE", K_FLOAT, F_DOUBLE, G_FLOAT},
    {MPI_LONG_DOUBLE, "MPI_LONG_DOUBLE", K_FLOAT, F_LDOUBLE, G_FLOAT},
    {MPI_PACKED, "MPI_PACKED", K_NONE, 0, 0},
    {MPI_INT8_T, "MPI_INT8_T", K_SINT, 0, G_CINT},
    {MPI_INT16_T, "MPI_INT16_T", K_SINT, 0, G_CINT},
    {MPI_INT32_T, "MPI_INT32_T", K_SINT, 0, G_CINT},
    {MPI_INT64_T, "MPI_INT64_T", K_SINT, 0, G_CINT},
    {MPI_UINT8_T, "MPI_UINT8_T", K_UINT, 0, G_CINT},
    {MPI_UINT16_T, "MPI_UINT16_T", K_UINT, 0, G_CINT},
    {MPI_UINT32_T, "MPI_UINT32_T", K_UINT, 0, G_CINT},
    {MPI_UINT64_T, "MPI_UINT64_T", K_UINT, 0, G_CINT},
    {MPI_C_BOOL, "MPI_C_BOOL", K_BOOL, 0, G_LOGICAL},
    {MPI_C_FLOAT_COMPLEX, "MPI_C_FLOAT_COMPLEX", K_COMPLEX, F_FLOAT, G_COMPLEX},
    {MPI_C_DOUBLE_COMPLEX, "MPI_C_DOUBLE_COMPLEX", K_COMPLEX, F_DOUBLE, G_COMPLEX},
    {MPI_C_LONG_DOUBLE_COMPLEX, "MPI_C_LONG_DOUBLE_COMPLEX", K_COMPLEX, F_LDOUBLE, G_COMPLEX},
    {MPI_AINT, "MPI_AINT", K_SINT, 0, G_FINT},
    {MPI_OFFSET, "MPI_OFFSET", K_SINT, 0, G_FINT},
    {MPI_COUNT, "MPI_COUNT", K_SINT, 0, G_FINT},
    {MPI_CXX_BOOL, "MPI_CXX_BOOL", K_BOOL, 0, G_LOGICAL},
    {MPI_CXX_FLOAT_COMPLEX, "MPI_CXX_FLOAT_COMPLEX", K_COMPLEX, F_FLOAT, G_COMPLEX},
    {MPI_CXX_DOUBLE_COMPLEX, "MPI_CXX_DOUBLE_COMPLEX", K_COMPLEX, F_DOUBLE, G_COMPLEX},
    {MPI_CXX_LONG_DOUBLE_COMPLEX, "MPI_CXX_LONG_DOUBLE_COMPLEX", K_COMPLEX, F_LDOUBLE, G_COMPLEX},
    {MPI_CHARACTER, "MPI_CHARACTER", K_NONE, 0, 0},
    {MPI_LOGICAL, "MPI_LOGICAL", K_LOGICAL, 0, G_LOGICAL},
    {MPI_INTEGER, "MPI_INTEGER", K_SINT, 0, G_FINT},
    {MPI_REAL, "MPI_REAL", K_FLOAT, F_FLOAT, G_FLOAT},
    {MPI_DOUBLE_PRECISION, "MPI_DOUBLE_PRECISION", K_FLOAT, F_DOUBLE, G_FLOAT},
    {MPI_COMPLEX, "MPI_COMPLEX", K_COMPLEX, F_FLOAT, G_COMPLEX},
    {MPI_DOUBLE_COMPLEX, "MPI_DOUBLE_COMPLEX", K_COMPLEX, F_DOUBLE, G_COMPLEX},
    {MPI_INTEGER1, "MPI_INTEGER1", K_SINT, 0, G_FINT},
    {MPI_INTEGER2, "MPI_INTEGER2", K_SINT, 0, G_FINT},
    {MPI_INTEGER4, "MPI_INTEGER4", K_SINT, 0, G_FINT},
    {MPI_INTEGER8, "MPI_INTEGER8", K_SINT, 0, G_FINT},
    {MPI_REAL4, "MPI_REAL4", K_FLOAT, F_FLOAT, G_FLOAT},
    {MPI_REAL8, "MPI_REAL8", K_FLOAT, F_DOUBLE, G_FLOAT},
    {MPI_REAL16, "MPI_REAL16", K_FLOAT, F_QUAD, G_FLOAT},
    {MPI_COMPLEX8, "MPI_COMPLEX8", K_COMPLEX, F_FLOAT, G_COMPLEX},
    {MPI_COMPLEX16, "MPI_COMPLEX16", K_COMPLEX, F_DOUBLE, G_COMPLEX},
    {MPI_COMPLEX32, "MPI_COMPLEX32", K_COMPLEX, F_QUAD, G_COMPLEX},
    {MPI_FLOAT_INT, "MPI_FLOAT_INT", K_PAIR, 0, G_PAIR},
    {MPI_DOUBLE_INT, "MPI_DOUBLE_INT", K_PAIR, 1, G_PAIR},
    {MPI_LONG_INT, "MPI_LONG_INT", K_PAIR, 2, G_PAIR},
    {MPI_SHORT_INT, "MPI_SHORT_INT", K_PAIR, 3, G_PAIR},
    {MPI_LONG_DOUBLE_INT, "MPI_LONG_DOUBLE_INT", K_PAIR, 4, G_PAIR},
    {MPI_2INT, "MPI_2INT", K_PAIR, 5, G_PAIR},
    {MPI_2INTEGER, "MPI_2INTEGER", K_PAIR, 6, G_PAIR},
    {MPI_2REAL, "MPI_2REAL", K_PAIR, 7, G_PAIR},
    {MPI_2DOUBLE_PRECISION, "MPI_2DOUBLE_PRECISION", K_PAIR, 8, G_PAIR},
};
#define NTYPES (sizeof types / sizeof types[0])

static const struct {
    MPI_Op op;
    const char *name;
    unsigned groups; /* MPI-3.1 5.9.2 */
} ops[] = {
    {MPI_MAX, "MPI_MAX", G_CINT | G_FINT | G_FLOAT},
    {MPI_MIN, "MPI_MIN", G_CINT | G_FINT | G_FLOAT},
    {MPI_SUM, "MPI_SUM", G_CINT | G_FINT | G_FLOAT | G_COMPLEX},
    {MPI_PROD, "MPI_PROD", G_CINT | G_FINT | G_FLOAT | G_COMPLEX},
    {MPI_LAND, "MPI_LAND", G_CINT | G_LOGICAL},
    {MPI_BAND, "MPI_BAND", G_CINT | G_FINT | G_BYTE},
    {MPI_LOR, "MPI_LOR", G_CINT | G_LOGICAL},
    {MPI_BOR, "MPI_BOR", G_CINT | G_FINT | G_BYTE},
    {MPI_LXOR, "MPI_LXOR", G_CINT | G_LOGICAL},
    {MPI_BXOR, "MPI_BXOR", G_CINT | G_FINT | G_BYTE},
    {MPI_MINLOC, "MPI_MINLOC", G_PAIR},
    {MPI_MAXLOC, "MPI_MAXLOC", G_PAIR},
    {MPI_REPLACE, "MPI_REPLACE", 0x7f},
    {MPI_NO_OP, "MPI_NO_OP", 0x7f},
};
#define NOPS (sizeof ops / sizeof ops[0])

/* Integers of `size` bytes, as wide ones. */
static int64_t load_s(const unsigned char *p, size_t size)
{
    switch (size) {
    case 1: return (int8_t)p[0];
    case 2: { int16_t v; memcpy(&v, p, 2); return v; }
    case 4: { int32_t v; memcpy(&v, p, 4); return v; }
    default: { int64_t v; memcpy(&v, p, 8); return v; }
    }
}
static uint64_t load_u(const unsigned char *p, size_t size)
{
    uint64_t v = 0;
    memcpy(&v, p, size); /* little endian */
    return v;
}
static void store_u(unsigned char *p, size_t size, uint64_t v) { memcpy(p, &v, size); }

/* One element of the reference: b = a op b, by the definitions. */
static void ref_int(MPI_Op op, int is_signed, size_t size, const unsigned char *a, unsigned char *b)
{
    int64_t x = load_s(a, size), y = load_s(b, size);
    uint64_t ux = load_u(a, size), uy = load_u(b, size), r = uy;
    if (op == MPI_MAX)
        r = is_signed ? (uint64_t)(x > y ? x : y) : (ux > uy ? ux : uy);
    else if (op == MPI_MIN)
        r = is_signed ? (uint64_t)(x < y ? x : y) : (ux < uy ? ux : uy);
    else if (op == MPI_SUM)
        r = ux + uy;
    else if (op == MPI_PROD)
        r = ux * uy;
    else if (op == MPI_LAND)
        r = ux && uy;
    else if (op == MPI_LOR)
        r = ux || uy;
    else if (op == MPI_LXOR)
        r = !ux != !uy;
    else if (op == MPI_BAND)
        r = ux & uy;
    else if (op == MPI_BOR)
        r = ux | uy;
    else if (op == MPI_BXOR)
        r = ux ^ uy;
    store_u(b, size, r);
}

#define REF_FLOAT(T)                                                          \
    do {                                                                      \
        T x, y, r;                                                            \
        memcpy(&x, a, sizeof x);                                              \
        memcpy(&y, b, sizeof y);                                              \
        if (op == MPI_MAX)                                                    \
            r = x > y ? x : y;                                                \
        else if (op == MPI_MIN)                                               \
            r = x < y ? x : y;                                                \
        else if (op == MPI_SUM)                                               \
            r = x + y;                                                        \
        else                                                                  \
            r = x * y;                                                        \
        memcpy(b, &r, sizeof r);                                              \
    } while (0)

#define REF_COMPLEX(T)                                                        \
    do {                                                                      \
        T x[2], y[2], r[2];                                                   \
        memcpy(x, a, sizeof x);                                               \
        memcpy(y, b, sizeof y);                                               \
        if (op == MPI_SUM) {                                                  \
            r[0] = x[0] + y[0];                                               \
            r[1] = x[1] + y[1];                                               \
        } else {                                                              \
            r[0] = x[0] * y[0] - x[1] * y[1];                                 \
            r[1] = x[0] * y[1] + x[1] * y[0];                                 \
        }                                                                     \
        memcpy(b, r, sizeof r);                                               \
    } while (0)

#define REF_PAIR(V, I)                                                                      \
    do {                                                                                    \
        V av, bv;                                                                           \
        I ai, bi;                                                                           \
        memcpy(&av, a, sizeof av);                                                          \
        memcpy(&bv, b, sizeof bv);                                                          \
        memcpy(&ai, a + sizeof(V), sizeof ai);                                              \
        memcpy(&bi, b + sizeof(V), sizeof bi);                                              \
        int take = op == MPI_MINLOC ? av < bv : av > bv;                                    \
        if (take || (av == bv && ai < bi)) {                                                \
            if (take)                                                                       \
                memcpy(b, &av, sizeof av);                                                  \
            memcpy(b + sizeof(V), &ai, sizeof ai);                                          \
        }                                                                                   \
    } while (0)

static void ref_element(MPI_Op op, const struct tinfo *ti, size_t size, const unsigned char *a, unsigned char *b)
{
    if (op == MPI_NO_OP)
        return;
    if (op == MPI_REPLACE) {
        memcpy(b, a, size);
        return;
    }
    switch (ti->kind) {
    case K_SINT: ref_int(op, 1, size, a, b); break;
    case K_UINT:
    case K_BYTE: ref_int(op, 0, size, a, b); break;
    case K_BOOL:
    case K_LOGICAL: ref_int(op, 0, size, a, b); break;
    case K_FLOAT:
        if (ti->sub == F_FLOAT) REF_FLOAT(float);
        else if (ti->sub == F_DOUBLE) REF_FLOAT(double);
        else if (ti->sub == F_LDOUBLE) REF_FLOAT(long double);
        else REF_FLOAT(__float128);
        break;
    case K_COMPLEX:
        if (ti->sub == F_FLOAT) REF_COMPLEX(float);
        else if (ti->sub == F_DOUBLE) REF_COMPLEX(double);
        else if (ti->sub == F_LDOUBLE) REF_COMPLEX(long double);
        else REF_COMPLEX(__float128);
        break;
    case K_PAIR:
        switch (ti->sub) {
        case 0: REF_PAIR(float, int); break;
        case 1: REF_PAIR(double, int); break;
        case 2: REF_PAIR(long, int); break;
        case 3: REF_PAIR(short, int); break;
        case 4: REF_PAIR(long double, int); break;
        case 5: case 6: REF_PAIR(int, int); break;
        case 7: REF_PAIR(float, float); break;
        case 8: REF_PAIR(double, double); break;
        }
        break;
    case K_NONE: break;
    }
}

/* Random values that make every operation interesting: small integers
 * (ties for MINLOC/MAXLOC, exact floating sums), zeros for the logical
 * operations. */
static void fill_values(const struct tinfo *ti, size_t size, unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++, p += size) {
        int v = (int)rnd_below(7) - 3;
        switch (ti->kind) {
        case K_FLOAT:
            if (ti->sub == F_FLOAT) { float f = v * 0.75f; memcpy(p, &f, sizeof f); }
            else if (ti->sub == F_DOUBLE) { double f = v * 0.75; memcpy(p, &f, sizeof f); }
            else if (ti->sub == F_LDOUBLE) { memset(p, 0, 16); long double f = v * 0.75L; memcpy(p, &f, sizeof f); }
            else { __float128 f = v * 0.75; memcpy(p, &f, sizeof f); }
            break;
        case K_COMPLEX:
            for (int k = 0; k < 2; k++) {
                int w = (int)rnd_below(9) - 4;
                unsigned char *q = p + k * size / 2;
                if (ti->sub == F_FLOAT) { float f = w * 0.5f; memcpy(q, &f, sizeof f); }
                else if (ti->sub == F_DOUBLE) { double f = w * 0.5; memcpy(q, &f, sizeof f); }
                else if (ti->sub == F_LDOUBLE) { memset(q, 0, 16); long double f = w * 0.5L; memcpy(q, &f, sizeof f); }
                else { __float128 f = w * 0.5; memcpy(q, &f, sizeof f); }
            }
            break;
        case K_BOOL:
            p[0] = (unsigned char)(rnd() & 1);
            break;
        case K_LOGICAL: {
            int32_t l = rnd_below(3) == 0 ? 0 : (int32_t)rnd_below(5) + 1;
            memcpy(p, &l, 4);
            break;
        }
        case K_PAIR: {
            size_t vs = pair_layouts[ti->sub].vsize, is = pair_layouts[ti->sub].isize;
            int idx = (int)rnd_below(5);
            memset(p, 0, size);
            switch (ti->sub) {
            case 0: { float f = (float)v; memcpy(p, &f, vs); break; }
            case 1: { double f = v; memcpy(p, &f, vs); break; }
            case 2: { long f = v; memcpy(p, &f, vs); break; }
            case 3: { short f = (short)v; memcpy(p, &f, vs); break; }
            case 4: { long double f = v; memcpy(p, &f, vs); break; }
            case 5: case 6: memcpy(p, &v, vs); break;
            case 7: { float f = (float)v; memcpy(p, &f, vs); break; }
            case 8: { double f = v; memcpy(p, &f, vs); break; }
            }
            if (is == 4 && ti->sub != 7) memcpy(p + vs, &idx, 4);
            else if (ti->sub == 7) { float f = (float)idx; memcpy(p + vs, &f, 4); }
            else { double f = idx; memcpy(p + vs, &f, 8); }
            break;
        }
        default:
            for (size_t k = 0; k < size; k++)
                p[k] = (unsigned char)(rnd_below(4) == 0 ? 0 : rnd());
        }
    }
}

/* Results compare equal as values (long doubles: their 10 bytes). */
static int same_results(const struct tinfo *ti, size_t size, const unsigned char *x, const unsigned char *y, size_t n)
{
    for (size_t i = 0; i < n; i++, x += size, y += size) {
        if (ti->kind == K_FLOAT && ti->sub == F_LDOUBLE) {
            if (memcmp(x, y, 10))
                return 0;
        } else if (ti->kind == K_COMPLEX && ti->sub == F_LDOUBLE) {
            if (memcmp(x, y, 10) || memcmp(x + 16, y + 16, 10))
                return 0;
        } else if (ti->kind == K_PAIR && ti->sub == 4) {
            if (memcmp(x, y, 10) || memcmp(x + 16, y + 16, 4))
                return 0;
        } else if (memcmp(x, y, size)) {
            return 0;
        }
    }
    return 1;
}

static void test_ops_predefined(void)
{
    static const size_t lengths[] = {1, 37, 100};
    for (size_t ti = 0; ti < NTYPES; ti++) {
        const struct tinfo *t = &types[ti];
        size_t size = dtype_size(dtype_get(t->h));
        for (size_t oi = 0; oi < NOPS; oi++) {
            int allowed = (ops[oi].groups & t->groups) || ops[oi].op == MPI_REPLACE || ops[oi].op == MPI_NO_OP;
            for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
                size_t n = lengths[li];
                unsigned char *in = malloc(n * size), *io = malloc(n * size), *want = malloc(n * size);
                fill_values(t, size, in, n);
                fill_values(t, size, io, n);
                memcpy(want, io, n * size);
                int rc = op_apply(ops[oi].op, in, io, (int)n, t->h);
                if (!allowed) {
                    CHECK(rc == MPI_ERR_OP, "%s on %s: %d, expected MPI_ERR_OP", ops[oi].name, t->name, rc);
                    CHECK(memcmp(io, want, n * size) == 0, "%s on %s: failed but changed the data", ops[oi].name,
                          t->name);
                } else {
                    for (size_t i = 0; i < n; i++)
                        ref_element(ops[oi].op, t, size, in + i * size, want + i * size);
                    CHECK(rc == MPI_SUCCESS && same_results(t, size, io, want, n), "%s on %d of %s: rc %d, results differ",
                          ops[oi].name, (int)n, t->name, rc);
                }
                free(in);
                free(io);
                free(want);
            }
        }
    }

    /* ties: the lower index, whichever side it is on */
    struct { int v, i; } a[4] = {{5, 3}, {5, 1}, {2, 9}, {7, 0}}, b[4] = {{5, 1}, {5, 3}, {2, 9}, {1, 4}};
    OK(op_apply(MPI_MINLOC, a, b, 4, MPI_2INT));
    CHECK(b[0].v == 5 && b[0].i == 1 && b[1].v == 5 && b[1].i == 1 && b[2].i == 9 && b[3].v == 1 && b[3].i == 4,
          "MINLOC ties");
    unsigned char rec_a[12], rec_b[12]; /* packed double_int records */
    double dv = 3.5;
    int ia = 2, ib = 7;
    memcpy(rec_a, &dv, 8), memcpy(rec_a + 8, &ia, 4);
    memcpy(rec_b, &dv, 8), memcpy(rec_b + 8, &ib, 4);
    OK(op_apply(MPI_MAXLOC, rec_a, rec_b, 1, MPI_DOUBLE_INT));
    int got;
    memcpy(&got, rec_b + 8, 4);
    CHECK(got == 2, "MAXLOC tie on packed double_int: index %d", got);

    /* a type without data reduces to nothing, whatever the operation */
    MPI_Datatype t;
    int bl[2] = {1, 1};
    MPI_Aint d[2] = {0, 8};
    MPI_Datatype ty[2] = {MPI_LB, MPI_UB};
    OK(MPI_Type_struct(2, bl, d, ty, &t));
    CHECK(op_apply(MPI_SUM, NULL, NULL, 3, t) == MPI_SUCCESS, "SUM on a type without data");
    OK(MPI_Type_free(&t));
    CHECK(op_apply(MPI_OP_NULL, a, b, 1, MPI_INT) == MPI_ERR_OP && op_apply(MPI_SUM, a, b, 1, MPI_DATATYPE_NULL) == MPI_ERR_TYPE,
          "op_apply of invalid handles");
    CHECK(op_is_valid(MPI_SUM) && op_is_valid(MPI_NO_OP) && !op_is_valid(MPI_OP_NULL) && !op_is_valid(0x5800000f) &&
              op_is_commutative(MPI_MAXLOC),
          "op_is_valid / op_is_commutative of predefined operations");
}

static void test_ops_derived(void)
{
    MPI_Datatype vec, con, st, mixed;
    /* on packed buffers: a vector of 2x2 ints is 4 ints per element */
    OK(MPI_Type_vector(2, 2, 3, MPI_INT, &vec));
    OK(MPI_Type_commit(&vec));
    int in[12], io[12], want[12];
    for (int i = 0; i < 12; i++)
        in[i] = i, io[i] = 100 * i, want[i] = 101 * i;
    OK(op_apply(MPI_SUM, in, io, 3, vec));
    CHECK(memcmp(io, want, sizeof io) == 0, "SUM on 3 packed vectors of ints");
    CHECK(op_apply(MPI_BAND, in, io, 3, vec) == MPI_SUCCESS && op_apply(MPI_MINLOC, in, io, 3, vec) == MPI_ERR_OP,
          "operations on a vector of ints");

    /* MPI_Reduce_local on laid-out buffers: only the typemap is touched */
    int lin[2 * 6], lio[2 * 6];
    for (int i = 0; i < 12; i++)
        lin[i] = i + 1, lio[i] = -1000;
    for (int i = 0; i < 12; i++)
        if (i % 6 != 2 && i % 6 != 5 && i < 11)
            lio[i] = 10;
    /* elements at 0 and 5 ints: ints 0,1,3,4 and 5,6,8,9 */
    OK(MPI_Reduce_local(lin, lio, 2, vec, MPI_PROD));
    int expect_lio[12];
    for (int i = 0; i < 12; i++)
        expect_lio[i] = -1000;
    for (int i = 0; i < 12; i++)
        if (i % 6 != 2 && i % 6 != 5 && i < 11)
            expect_lio[i] = 10;
    static const int touched[] = {0, 1, 3, 4, 5, 6, 8, 9};
    for (int k = 0; k < 8; k++)
        expect_lio[touched[k]] = (touched[k] + 1) * expect_lio[touched[k]];
    CHECK(memcmp(lio, expect_lio, sizeof lio) == 0, "MPI_Reduce_local on a non-contiguous vector");

    OK(MPI_Type_contiguous(3, MPI_DOUBLE, &con));
    OK(MPI_Type_commit(&con));
    double din[6] = {1, 2, 3, 4, 5, 6}, dio[6] = {6, 5, 4, 3, 2, 1};
    OK(MPI_Reduce_local(din, dio, 2, con, MPI_MAX));
    CHECK(dio[0] == 6 && dio[2] == 4 && dio[3] == 4 && dio[5] == 6, "MAX on contiguous doubles");
    FAILS(MPI_Reduce_local(din, dio, 2, con, MPI_BAND), MPI_ERR_OP);

    int bl[2] = {1, 1};
    MPI_Aint d[2] = {0, 8};
    MPI_Datatype ty[2] = {MPI_INT, MPI_DOUBLE};
    OK(MPI_Type_create_struct(2, bl, d, ty, &mixed));
    OK(MPI_Type_commit(&mixed));
    CHECK(op_apply(MPI_SUM, din, dio, 1, mixed) == MPI_ERR_OP, "SUM on struct {int, double}");
    FAILS(MPI_Reduce_local(din, dio, 1, mixed, MPI_SUM), MPI_ERR_OP);
    CHECK(op_apply(MPI_REPLACE, din, dio, 1, mixed) == MPI_SUCCESS, "REPLACE on struct {int, double}");

    /* struct of pairs: reduces as its pairs */
    ty[0] = MPI_FLOAT_INT, ty[1] = MPI_FLOAT_INT;
    OK(MPI_Type_create_struct(2, bl, d, ty, &st));
    OK(MPI_Type_commit(&st));
    struct { float v; int i; } pa[2] = {{1, 5}, {2, 0}}, pb[2] = {{1, 3}, {9, 1}};
    OK(op_apply(MPI_MINLOC, pa, pb, 1, st));
    CHECK(pb[0].i == 3 && pb[1].v == 2 && pb[1].i == 0, "MINLOC on a struct of float_int pairs");
    CHECK(op_apply(MPI_SUM, pa, pb, 1, st) == MPI_ERR_OP, "SUM on pairs");

    OK(MPI_Type_free(&st));
    OK(MPI_Type_free(&mixed));
    OK(MPI_Type_free(&con));
    OK(MPI_Type_free(&vec));
}

/* A user function on a vector(2, 1, 2, int): two ints 8 bytes apart in
 * each 12-byte element. */
static int user_calls;
static MPI_Datatype user_type_seen;
static void user_sum_vec(void *in, void *inout, int *len, MPI_Datatype *type)
{
    user_calls++;
    user_type_seen = *type;
    MPI_Aint lb, ext;
    MPI_Type_get_extent(*type, &lb, &ext);
    for (int i = 0; i < *len; i++) {
        int *a = (int *)((char *)in + i * ext), *b = (int *)((char *)inout + i * ext);
        b[0] = a[0] + b[0];
        b[2] = a[2] + b[2];
    }
}
static void user_sub_int(void *in, void *inout, int *len, MPI_Datatype *type)
{
    int *a = in, *b = inout;
    user_calls++;
    user_type_seen = *type;
    for (int i = 0; i < *len; i++)
        b[i] = a[i] - b[i];
}

static void test_user_ops(void)
{
    MPI_Op op, op2;
    OK(MPI_Op_create(user_sub_int, 0, &op));
    CHECK(HANDLE_KIND(op) == HANDLE_DYNAMIC && HANDLE_TYPE(op) == HT_OP && op_is_valid(op), "user op handle 0x%x",
          (unsigned)op);
    int c = -1;
    OK(MPI_Op_commutative(op, &c));
    CHECK(c == 0 && !op_is_commutative(op), "a non-commutative op says it commutes");
    OK(MPI_Op_create(user_sum_vec, 1, &op2));
    OK(MPI_Op_commutative(op2, &c));
    CHECK(c == 1 && op2 != op, "commutative user op");

    int a[5] = {10, 20, 30, 40, 50}, b[5] = {1, 2, 3, 4, 5};
    user_calls = 0;
    OK(op_apply(op, a, b, 5, MPI_INT));
    CHECK(user_calls == 1 && user_type_seen == MPI_INT && b[0] == 9 && b[4] == 45, "user op on ints");
    OK(MPI_Reduce_local(a, b, 5, MPI_INT, op));
    CHECK(b[0] == 1 && b[4] == 5, "MPI_Reduce_local with a user op");

    /* a non-contiguous type: packed in op_apply, laid out for the function */
    MPI_Datatype vec;
    OK(MPI_Type_vector(2, 1, 2, MPI_INT, &vec));
    OK(MPI_Type_commit(&vec));
    int pin[6] = {1, 2, 3, 4, 5, 6}, pio[6] = {10, 20, 30, 40, 50, 60};
    user_calls = 0;
    OK(op_apply(op2, pin, pio, 3, vec));
    CHECK(user_calls == 1 && user_type_seen == vec, "user op on packed vectors: called %d times", user_calls);
    CHECK(pio[0] == 11 && pio[1] == 22 && pio[2] == 33 && pio[5] == 66, "user op on packed vectors: %d %d %d %d %d %d",
          pio[0], pio[1], pio[2], pio[3], pio[4], pio[5]);
    int lin[6] = {1, -1, 2, 3, -1, 4}, lio[6] = {10, 77, 20, 30, 77, 40};
    OK(MPI_Reduce_local(lin, lio, 2, vec, op2));
    CHECK(lio[0] == 11 && lio[1] == 77 && lio[2] == 22 && lio[3] == 33 && lio[4] == 77 && lio[5] == 44,
          "MPI_Reduce_local with a user op on vectors");

    OK(MPI_Op_free(&op));
    CHECK(op == MPI_OP_NULL, "MPI_Op_free does not reset the handle");
    MPI_Op freed = MAKE_HANDLE(HT_OP, HANDLE_INDEX(op2) == 0 ? 1 : 0);
    CHECK(!op_is_valid(freed) && op_apply(freed, a, b, 1, MPI_INT) == MPI_ERR_OP, "a freed op is still valid");
    OK(MPI_Op_free(&op2));
    MPI_Op sum = MPI_SUM;
    FAILS(MPI_Op_free(&sum), MPI_ERR_OP);
    FAILS(MPI_Op_free(&op2), MPI_ERR_OP);
    FAILS(MPI_Op_create(NULL, 1, &op), MPI_ERR_ARG);
    FAILS(MPI_Op_commutative(MPI_OP_NULL, &c), MPI_ERR_OP);
    FAILS(MPI_Reduce_local(a, b, 1, MPI_INT, MPI_OP_NULL), MPI_ERR_OP);
    FAILS(MPI_Reduce_local(a, b, -1, MPI_INT, MPI_SUM), MPI_ERR_COUNT);
    OK(MPI_Type_free(&vec));
}

/* ------------------------------------------------------------------ argument errors */

static void test_errors(void)
{
    MPI_Datatype t = MPI_DATATYPE_NULL, u;
    int one = 1, neg = -1, zero = 0;
    MPI_Aint z = 0;
    FAILS(MPI_Type_contiguous(-1, MPI_INT, &t), MPI_ERR_COUNT);
    FAILS(MPI_Type_contiguous(1, MPI_DATATYPE_NULL, &t), MPI_ERR_TYPE);
    FAILS(MPI_Type_contiguous(1, 0x8c000020, &t), MPI_ERR_TYPE);
    FAILS(MPI_Type_contiguous(1, MPI_INT, NULL), MPI_ERR_ARG);
    FAILS(MPI_Type_vector(1, -1, 1, MPI_INT, &t), MPI_ERR_ARG);
    FAILS(MPI_Type_indexed(1, &neg, &zero, MPI_INT, &t), MPI_ERR_ARG);
    FAILS(MPI_Type_indexed(1, NULL, &zero, MPI_INT, &t), MPI_ERR_ARG);
    FAILS(MPI_Type_create_hindexed(1, &one, NULL, MPI_INT, &t), MPI_ERR_ARG);
    MPI_Datatype bad[1] = {MPI_DATATYPE_NULL};
    FAILS(MPI_Type_create_struct(1, &one, &z, bad, &t), MPI_ERR_TYPE);
    int sizes[] = {4, 4}, subs[] = {2, 5}, starts[] = {0, 0};
    FAILS(MPI_Type_create_subarray(2, sizes, subs, starts, MPI_ORDER_C, MPI_INT, &t), MPI_ERR_ARG);
    subs[1] = 2, starts[1] = 3;
    FAILS(MPI_Type_create_subarray(2, sizes, subs, starts, MPI_ORDER_C, MPI_INT, &t), MPI_ERR_ARG);
    starts[1] = 0;
    FAILS(MPI_Type_create_subarray(2, sizes, subs, starts, 3, MPI_INT, &t), MPI_ERR_ARG);
    FAILS(MPI_Type_create_subarray(0, sizes, subs, starts, MPI_ORDER_C, MPI_INT, &t), MPI_ERR_ARG);
    int gs[] = {8}, dist[] = {MPI_DISTRIBUTE_BLOCK}, dargs[] = {2}, ps[] = {3};
    FAILS(MPI_Type_create_darray(3, 0, 1, gs, dist, dargs, ps, MPI_ORDER_C, MPI_INT, &t), MPI_ERR_ARG);
    dargs[0] = MPI_DISTRIBUTE_DFLT_DARG;
    FAILS(MPI_Type_create_darray(4, 0, 1, gs, dist, dargs, ps, MPI_ORDER_C, MPI_INT, &t), MPI_ERR_ARG);
    FAILS(MPI_Type_create_darray(3, 3, 1, gs, dist, dargs, ps, MPI_ORDER_C, MPI_INT, &t), MPI_ERR_RANK);
    dist[0] = MPI_DISTRIBUTE_NONE;
    FAILS(MPI_Type_create_darray(3, 0, 1, gs, dist, dargs, ps, MPI_ORDER_C, MPI_INT, &t), MPI_ERR_ARG);
    dist[0] = 7;
    FAILS(MPI_Type_create_darray(3, 0, 1, gs, dist, dargs, ps, MPI_ORDER_C, MPI_INT, &t), MPI_ERR_ARG);
    CHECK(t == MPI_DATATYPE_NULL, "a failed constructor set newtype");

    MPI_Datatype predefined = MPI_INT;
    FAILS(MPI_Type_free(&predefined), MPI_ERR_TYPE);
    MPI_Datatype pair = MPI_DOUBLE_INT;
    FAILS(MPI_Type_free(&pair), MPI_ERR_TYPE);
    FAILS(MPI_Type_commit(NULL), MPI_ERR_ARG);
    OK(MPI_Type_commit(&predefined));
    int ni, na, nd, comb, I[4];
    MPI_Aint A[4];
    MPI_Datatype D[4];
    FAILS(MPI_Type_get_contents(MPI_INT, 4, 4, 4, I, A, D), MPI_ERR_TYPE);
    OK(MPI_Type_vector(2, 1, 2, MPI_INT, &u));
    OK(MPI_Type_get_envelope(u, &ni, &na, &nd, &comb));
    FAILS(MPI_Type_get_contents(u, 2, 0, 1, I, A, D), MPI_ERR_ARG);
    int size;
    FAILS(MPI_Type_size(MPI_DATATYPE_NULL, &size), MPI_ERR_TYPE);
    FAILS(MPI_Type_size(u, NULL), MPI_ERR_ARG);

    /* packing */
    int buf[6] = {1, 2, 3, 4, 5, 6}, pos = 0;
    char out[16];
    FAILS(MPI_Pack(buf, 1, u, out, 16, &pos, MPI_COMM_WORLD), MPI_ERR_TYPE); /* not committed */
    OK(MPI_Type_commit(&u));
    FAILS(MPI_Pack(buf, 1, u, out, 16, &pos, MPI_COMM_NULL), MPI_ERR_COMM);
    FAILS(MPI_Pack(buf, 3, u, out, 16, &pos, MPI_COMM_WORLD), MPI_ERR_TRUNCATE);
    FAILS(MPI_Pack(buf, -1, u, out, 16, &pos, MPI_COMM_WORLD), MPI_ERR_COUNT);
    OK(MPI_Pack(buf, 2, u, out, 16, &pos, MPI_COMM_WORLD));
    CHECK(pos == 16, "position after MPI_Pack: %d", pos);
    pos = 8;
    FAILS(MPI_Unpack(out, 16, &pos, buf, 2, u, MPI_COMM_WORLD), MPI_ERR_TRUNCATE);
    FAILS(MPI_Pack_size(1, u, MPI_COMM_NULL, &size), MPI_ERR_COMM);
    OK(MPI_Type_free(&u));
    FAILS(MPI_Type_free(&u), MPI_ERR_TYPE);
    FAILS(MPI_Type_set_name(MPI_INT, NULL), MPI_ERR_ARG);
}

/* ------------------------------------------------------------------ huge types */

static void test_huge_types(void)
{
    MPI_Datatype big, bigger;
    OK(MPI_Type_contiguous(1 << 30, MPI_DOUBLE, &big)); /* 8 GiB */
    int size;
    MPI_Count sx;
    OK(MPI_Type_size(big, &size));
    OK(MPI_Type_size_x(big, &sx));
    CHECK(size == MPI_UNDEFINED && sx == (MPI_Count)8 << 30, "size of an 8 GiB type: %d, %ld", size, sx);
    FAILS(MPI_Pack_size(1, big, MPI_COMM_WORLD, &size), MPI_ERR_COUNT);
    FAILS(MPI_Type_contiguous(INT_MAX, big, &bigger), MPI_ERR_COUNT); /* 2^64 bytes */
    FAILS(MPI_Type_vector(INT_MAX, INT_MAX, INT_MAX, big, &bigger), MPI_ERR_COUNT);
    CHECK(dtype_elements(dtype_get(big), (size_t)5 << 32) == (MPI_Count)5 << 29, "elements of 20 GiB of doubles");
    OK(MPI_Type_commit(&big));
    CHECK(dtype_is_contiguous(dtype_get(big)), "contiguous(2^30, double) is not contiguous");

    /* pieces far into a sparse 9 GiB buffer: offsets beyond 32 bits */
    size_t span = (size_t)9 << 30;
    char *mem = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) {
        printf("note: no 9 GiB of address space, huge offsets not tested\n");
        OK(MPI_Type_free(&big));
        return;
    }
    MPI_Datatype strided, pair;
    OK(MPI_Type_create_resized(MPI_DOUBLE, 0, 4096, &strided)); /* one double per page */
    OK(MPI_Type_commit(&strided));
    int count = 1 << 21; /* 8 GiB of extent */
    size_t elem = (size_t)count - 3;
    double v[3] = {1.5, 2.5, 3.5}, outv[3];
    for (int i = 0; i < 3; i++)
        memcpy(mem + (elem + (size_t)i) * 4096, &v[i], 8);
    dtype_pack(mem, count, dtype_get(strided), elem * 8, outv, 24);
    CHECK(memcmp(outv, v, 24) == 0, "pack of the last elements of an 8 GiB strided type");
    double back[3] = {7, 8, 9};
    dtype_unpack(back, elem * 8 + 4, 20, mem, count, dtype_get(strided));
    double r0, r2;
    memcpy(&r0, mem + elem * 4096, 8);
    memcpy(&r2, mem + (elem + 2) * 4096, 8);
    CHECK(memcmp((char *)&r0 + 4, (char *)back, 4) == 0 && memcmp(&r2, (char *)back + 12, 8) == 0,
          "unpack of a piece at an odd offset far into an 8 GiB type");

    /* two doubles per element, 16 bytes apart, one element per page */
    int bl[2] = {1, 1};
    MPI_Aint d[2] = {0, 16};
    MPI_Datatype ty[2] = {MPI_DOUBLE, MPI_DOUBLE}, tmp;
    OK(MPI_Type_create_struct(2, bl, d, ty, &tmp));
    OK(MPI_Type_create_resized(tmp, 0, 4096, &pair));
    OK(MPI_Type_free(&tmp));
    OK(MPI_Type_commit(&pair));
    memcpy(mem + elem * 4096 + 16, &v[1], 8);
    memcpy(mem + (elem + 1) * 4096, &v[2], 8);
    dtype_pack(mem, count, dtype_get(pair), elem * 16 + 8, outv, 16);
    CHECK(outv[0] == 2.5 && outv[1] == 3.5, "pack of a two-block type far into 8 GiB");

    /* a contiguous type and a stream beyond 4 GiB */
    memcpy(mem + ((size_t)5 << 30), v, 24);
    dtype_pack(mem, 1, dtype_get(big), (size_t)5 << 30, outv, 24);
    CHECK(memcmp(outv, v, 24) == 0, "pack at 5 GiB of a contiguous type");

    munmap(mem, span);
    OK(MPI_Type_free(&pair));
    OK(MPI_Type_free(&strided));
    OK(MPI_Type_free(&big));
}

/* ------------------------------------------------------------------ speed, for the record */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* A column of a 1000x1000 array of doubles, 1000 times over: whole, and in
 * 4 KiB pieces (as a rendezvous sends it).  The pieces must cost about
 * what the whole does: each piece finds its place by division. */
static void test_speed(void)
{
    MPI_Datatype col;
    OK(MPI_Type_vector(1000, 1, 1000, MPI_DOUBLE, &col));
    MPI_Datatype colr;
    OK(MPI_Type_create_resized(col, 0, 8, &colr));
    OK(MPI_Type_commit(&colr));
    size_t n = 1000 * 1000;
    double *a = malloc(n * sizeof *a), *packed = malloc(n * sizeof *a), *packed2 = malloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = (double)i;
    const struct mpi_dtype *t = dtype_get(colr);
    size_t total = n * 8;
    double t0 = now_ns();
    for (int r = 0; r < 5; r++)
        dtype_pack(a, 1000, t, 0, packed, total);
    double t1 = now_ns();
    for (int r = 0; r < 5; r++)
        for (size_t off = 0; off < total; off += 4096)
            dtype_pack(a, 1000, t, off, (char *)packed2 + off, total - off < 4096 ? total - off : 4096);
    double t2 = now_ns();
    CHECK(memcmp(packed, packed2, total) == 0 && packed[1] == 1000.0 && packed[1000] == 1.0, "transposing pack");
    pack_whole_ns = (t1 - t0) / 5, pack_pieces_ns = (t2 - t1) / 5;
    CHECK(pack_pieces_ns < 20 * pack_whole_ns + 2e6, "packing in pieces takes %.1f ms, whole %.1f ms",
          pack_pieces_ns / 1e6, pack_whole_ns / 1e6);
    free(a);
    free(packed);
    free(packed2);
    OK(MPI_Type_free(&colr));
    OK(MPI_Type_free(&col));
}

int main(void)
{
    test_predefined();
    test_handles();
    test_layouts();
    test_pack();
    test_copy();
    test_free_order();
    test_status();
    test_ops_predefined();
    test_ops_derived();
    test_user_ops();
    test_errors();
    test_huge_types();
    test_speed();
    if (failures) {
        printf("%d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("datatypes and reductions: all %d checks passed (8 MB column transpose: %.1f ms whole, %.1f ms in 4 KiB "
           "pieces)\n",
           checks, pack_whole_ns / 1e6, pack_pieces_ns / 1e6);
    return 0;
}
