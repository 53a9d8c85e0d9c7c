/* mpi_coll_reduce.c — MPI test of the reductions: Reduce, Allreduce,
 * Reduce_scatter_block, Reduce_scatter, Scan, Exscan, with built-in
 * operations on basic types, on value-index pairs (MINLOC/MAXLOC), on
 * derived types (not contiguous, with a lower bound), with user operations
 * (a non-commutative 2x2 matrix product, a commutative sum on a vector
 * type), counts from 0 to beyond the algorithm thresholds, every root or a
 * sample, with and without MPI_IN_PLACE, on MPI_COMM_WORLD, on halves of it
 * and on a communicator whose ranks run backwards (rank order matters for
 * the matrix product).  Results are compared with a serial reduction in
 * rank order.  Reductions of random doubles must give the same bits three
 * times over and, for Allreduce, on every rank.
 *
 * usage: mpi_coll_reduce [MAXCOUNT]   (elements, default 20000) */
#include "mpi_coll_common.h"

static unsigned seed_next = 1;
static int maxcount = 20000;
/* Off when the test runs on MPICH, to check the test itself: built-in
 * operations on derived types (MPI-4; crest has them, MPICH 4.0 refuses
 * them), and MPI_Reduce with MPI_IN_PLACE (which crashes MPICH 4.0 at some
 * roots). */
static int on_mpich;

enum kind { K_INT, K_DBL, K_DI, K_2I, K_MAT };

/* One element: nb basic values at off[] (K_DI: the double at off[0], the
 * index at off[1]; K_2I: value at off[0], index at off[1]). */
struct rtype {
    const char *name;
    MPI_Datatype dt;
    enum kind kind;
    int nb;
    MPI_Aint extent, shift, off[4];
};

static struct rtype rt_int, rt_dbl, rt_vec, rt_igap, rt_shift, rt_di, rt_2i, rt_mat;

static MPI_Op op_matmul, op_vecsum;

/* inout = in x inout for 2x2 matrices of unsigned ints */
static void matmul(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    unsigned *a = in, *b = inout;
    if (*dt != rt_mat.dt)
        failed("the matrix product got another datatype");
    for (int e = 0; e < *len; e++, a += 4, b += 4) {
        unsigned c0 = a[0] * b[0] + a[1] * b[2], c1 = a[0] * b[1] + a[1] * b[3];
        unsigned c2 = a[2] * b[0] + a[3] * b[2], c3 = a[2] * b[1] + a[3] * b[3];
        b[0] = c0;
        b[1] = c1;
        b[2] = c2;
        b[3] = c3;
    }
}

/* a sum on the vector type, laid out as the type says */
static void vecsum(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    double *a = in, *b = inout;
    if (*dt != rt_vec.dt)
        failed("the vector sum got another datatype");
    for (int e = 0; e < *len; e++) {
        b[3 * e] += a[3 * e];
        b[3 * e + 2] += a[3 * e + 2];
    }
}

static void make_rtypes(void)
{
    make_types();
    rt_int = (struct rtype){"MPI_INT", MPI_INT, K_INT, 1, 4, 0, {0}};
    rt_dbl = (struct rtype){"MPI_DOUBLE", MPI_DOUBLE, K_DBL, 1, 8, 0, {0}};
    rt_vec = (struct rtype){tt[T_VEC].name, tt[T_VEC].dt, K_DBL, 2, 24, 0, {0, 16}};
    rt_igap = (struct rtype){tt[T_IGAP].name, tt[T_IGAP].dt, K_INT, 1, 8, 0, {0}};
    rt_shift = (struct rtype){tt[T_SHIFT].name, tt[T_SHIFT].dt, K_INT, 1, 4, 4, {0}};
    rt_di = (struct rtype){"MPI_DOUBLE_INT", MPI_DOUBLE_INT, K_DI, 1, 16, 0, {0, 8}};
    rt_2i = (struct rtype){"MPI_2INT", MPI_2INT, K_2I, 1, 8, 0, {0, 4}};
    MPI_Datatype m;
    MPI_Type_contiguous(4, MPI_INT, &m);
    MPI_Type_commit(&m);
    rt_mat = (struct rtype){"contiguous(4,INT)", m, K_MAT, 4, 16, 0, {0, 4, 8, 12}};
    MPI_Op_create(matmul, 0, &op_matmul);
    MPI_Op_create(vecsum, 1, &op_vecsum);
}

/* ------------------------------------------------------------------ values */

/* Rank a's element e, as up to 4 numbers; ranges chosen per operation so
 * that results are exact and interesting. */
struct elem {
    double d[4];
    int i[4];
};

static void gen(const struct rtype *t, MPI_Op op, unsigned seed, int a, size_t e, struct elem *x)
{
    for (int b = 0; b < t->nb || (b < 2 && (t->kind == K_DI || t->kind == K_2I)); b++) {
        uint64_t k = key(seed, a, b, e);
        if (op == MPI_PROD) {
            static const double dv[] = {0.5, 1, 2, -1, 1};
            x->d[b] = dv[k % 5];
            x->i[b] = (int)(k % 3) - 1;
        } else if (op == MPI_LAND || op == MPI_LOR || op == MPI_LXOR) {
            x->i[b] = (int)(k % 3); /* 0 false, 1 and 2 true */
        } else if (t->kind == K_MAT) {
            x->i[b] = (int)(k % 4);
        } else {
            x->d[b] = ((double)(k % 4001) - 2000.0) * 0.25;
            x->i[b] = (int)(k % 2001) - 1000;
        }
    }
    if (t->kind == K_DI || t->kind == K_2I) { /* few distinct values: ties between ranks */
        x->d[0] = (double)(key(seed, a, 0, e) % 5);
        x->i[0] = (int)(key(seed, a, 0, e) % 5);
        x->i[1] = a * 3 + 1;
    }
}

static void put(const struct rtype *t, char *buf, size_t e, const struct elem *x)
{
    char *p = buf + t->shift + (MPI_Aint)e * t->extent;
    switch (t->kind) {
    case K_INT:
    case K_MAT:
        for (int b = 0; b < t->nb; b++)
            memcpy(p + t->off[b], &x->i[b], 4);
        break;
    case K_DBL:
        for (int b = 0; b < t->nb; b++)
            memcpy(p + t->off[b], &x->d[b], 8);
        break;
    case K_DI:
        memcpy(p, &x->d[0], 8);
        memcpy(p + 8, &x->i[1], 4);
        break;
    case K_2I:
        memcpy(p, &x->i[0], 4);
        memcpy(p + 4, &x->i[1], 4);
        break;
    }
}

static void get(const struct rtype *t, const char *buf, size_t e, struct elem *x)
{
    const char *p = buf + t->shift + (MPI_Aint)e * t->extent;
    memset(x, 0, sizeof *x);
    switch (t->kind) {
    case K_INT:
    case K_MAT:
        for (int b = 0; b < t->nb; b++)
            memcpy(&x->i[b], p + t->off[b], 4);
        break;
    case K_DBL:
        for (int b = 0; b < t->nb; b++)
            memcpy(&x->d[b], p + t->off[b], 8);
        break;
    case K_DI:
        memcpy(&x->d[0], p, 8);
        memcpy(&x->i[1], p + 8, 4);
        break;
    case K_2I:
        memcpy(&x->i[0], p, 4);
        memcpy(&x->i[1], p + 4, 4);
        break;
    }
}

/* acc = acc op x (acc holds the ranks before x's) */
static void ref_op(const struct rtype *t, MPI_Op op, struct elem *acc, const struct elem *x)
{
    if (t->kind == K_MAT) {
        unsigned a[4], b[4];
        for (int k = 0; k < 4; k++) {
            a[k] = (unsigned)acc->i[k];
            b[k] = (unsigned)x->i[k];
        }
        acc->i[0] = (int)(a[0] * b[0] + a[1] * b[2]);
        acc->i[1] = (int)(a[0] * b[1] + a[1] * b[3]);
        acc->i[2] = (int)(a[2] * b[0] + a[3] * b[2]);
        acc->i[3] = (int)(a[2] * b[1] + a[3] * b[3]);
        return;
    }
    if (t->kind == K_DI || t->kind == K_2I) {
        double va = t->kind == K_DI ? acc->d[0] : acc->i[0], vb = t->kind == K_DI ? x->d[0] : x->i[0];
        int better = op == MPI_MINLOC ? vb < va : vb > va;
        if (better || (va == vb && x->i[1] < acc->i[1])) {
            acc->d[0] = x->d[0];
            acc->i[0] = x->i[0];
            acc->i[1] = x->i[1];
        }
        return;
    }
    for (int b = 0; b < t->nb; b++) {
        if (t->kind == K_DBL) {
            double p = acc->d[b], q = x->d[b];
            acc->d[b] = op == MPI_MAX ? (p > q ? p : q) : op == MPI_MIN ? (p < q ? p : q) : op == MPI_PROD ? p * q : p + q;
        } else {
            int p = acc->i[b], q = x->i[b];
            acc->i[b] = op == MPI_MAX    ? (p > q ? p : q)
                        : op == MPI_MIN  ? (p < q ? p : q)
                        : op == MPI_PROD ? p * q
                        : op == MPI_BAND ? (p & q)
                        : op == MPI_BOR  ? (p | q)
                        : op == MPI_BXOR ? (p ^ q)
                        : op == MPI_LAND ? (p && q)
                        : op == MPI_LOR  ? (p || q)
                        : op == MPI_LXOR ? (!p != !q)
                                         : p + q;
        }
    }
}

static int same(const struct rtype *t, const struct elem *a, const struct elem *b)
{
    switch (t->kind) {
    case K_DBL:
        return memcmp(a->d, b->d, sizeof(double) * (size_t)t->nb) == 0;
    case K_DI:
        return a->d[0] == b->d[0] && a->i[1] == b->i[1];
    case K_2I:
        return a->i[0] == b->i[0] && a->i[1] == b->i[1];
    default:
        return memcmp(a->i, b->i, sizeof(int) * (size_t)t->nb) == 0;
    }
}

/* The reduction of element e over ranks [0, hi) in rank order. */
static void reference(const struct rtype *t, MPI_Op op, unsigned seed, int hi, size_t e, struct elem *out)
{
    gen(t, op, seed, 0, e, out);
    for (int a = 1; a < hi; a++) {
        struct elem x;
        gen(t, op, seed, a, e, &x);
        ref_op(t, op == op_vecsum ? MPI_SUM : op, out, &x);
    }
}

/* ------------------------------------------------------------------ one call */

enum { V_REDUCE, V_ALLREDUCE, V_SCAN, V_EXSCAN, V_RSB, V_RS, V_COUNT };
static const char *vname[] = {"MPI_Reduce", "MPI_Allreduce", "MPI_Scan", "MPI_Exscan", "MPI_Reduce_scatter_block",
                              "MPI_Reduce_scatter"};

static void one(MPI_Comm comm, const struct rtype *t, MPI_Op op, int count, int v, int root, int in_place)
{
    int r, n;
    MPI_Comm_rank(comm, &r);
    MPI_Comm_size(comm, &n);
    unsigned seed = seed_next++;
    int *rcounts = malloc(sizeof(int) * n), total = count;
    if (v == V_RSB) {
        for (int i = 0; i < n; i++)
            rcounts[i] = count;
        total = count * n;
    } else if (v == V_RS) {
        total = 0;
        for (int i = 0; i < n; i++) {
            rcounts[i] = i % 4 == 1 ? 0 : (int)(mix64(seed + (unsigned)i) % (unsigned)(count + 1));
            total += rcounts[i];
        }
    }
    size_t sbytes, rbytes;
    struct ttype shape = {t->name, t->dt, 1, 0, t->extent, t->shift, {0, 0}};
    char *sbuf = tbuf(&shape, (size_t)total, &sbytes), *rbuf = tbuf(&shape, (size_t)total, &rbytes);
    char *mask = calloc(rbytes, 1);
    struct elem x;
    for (int e = 0; e < total; e++) {
        gen(t, op, seed, r, (size_t)e, &x);
        put(t, sbuf, (size_t)e, &x);
    }
    int receives = v != V_REDUCE || r == root;
    int ip = in_place && receives;
    if (ip)
        memcpy(rbuf, sbuf, rbytes);
    const void *s = ip ? MPI_IN_PLACE : sbuf;
    void *rb = receives ? rbuf : NULL;
    switch (v) {
    case V_REDUCE:
        EXPECT_OK(MPI_Reduce(s, rb, count, t->dt, op, root, comm));
        break;
    case V_ALLREDUCE:
        EXPECT_OK(MPI_Allreduce(s, rb, count, t->dt, op, comm));
        break;
    case V_SCAN:
        EXPECT_OK(MPI_Scan(s, rb, count, t->dt, op, comm));
        break;
    case V_EXSCAN:
        EXPECT_OK(MPI_Exscan(s, rb, count, t->dt, op, comm));
        break;
    case V_RSB:
        EXPECT_OK(MPI_Reduce_scatter_block(s, rb, count, t->dt, op, comm));
        break;
    default:
        EXPECT_OK(MPI_Reduce_scatter(s, rb, rcounts, t->dt, op, comm));
    }
    /* which elements hold what */
    int first = 0, len = count, hi = n;
    if (v == V_RSB || v == V_RS) {
        for (int i = 0; i < r; i++)
            first += rcounts[i];
        len = rcounts[r];
    }
    if (v == V_SCAN)
        hi = r + 1;
    if (v == V_EXSCAN)
        hi = r;
    if (!receives || (v == V_EXSCAN && r == 0))
        len = 0; /* nothing defined; not written unless in place (then unchanged) */
    for (int e = 0; e < len; e++) {
        struct elem want, got;
        reference(t, op, seed, hi, (size_t)(first + e), &want);
        get(t, rbuf, (size_t)e, &got);
        if (!same(t, &want, &got)) {
            failed("element %d differs", e);
            break;
        }
    }
    if (ip) { /* the rest of an in-place buffer may hold anything afterwards */
        memset(mask, 1, rbytes - 64);
    } else {
        for (int e = 0; e < len; e++) {
            char *p = rbuf + t->shift + (MPI_Aint)e * t->extent;
            for (int b = 0; b < (t->kind == K_DI || t->kind == K_2I ? 2 : t->nb); b++)
                memset(mask + (p + t->off[b] - rbuf), 1, t->kind == K_DBL || (t->kind == K_DI && b == 0) ? 8 : 4);
        }
    }
    tguard(rbuf, mask, rbytes, "receive buffer");
    free(sbuf);
    free(rbuf);
    free(mask);
    free(rcounts);
}

struct rcase {
    const struct rtype *t;
    MPI_Op op;
    const char *opname;
};

static void suite(MPI_Comm comm, const char *name, unsigned id)
{
    int r, n;
    MPI_Comm_rank(comm, &r);
    MPI_Comm_size(comm, &n);
    seed_next = id << 20;
    const struct rcase cases[] = {
        {&rt_int, MPI_SUM, "MPI_SUM"},     {&rt_dbl, MPI_SUM, "MPI_SUM"},      {&rt_int, MPI_MAX, "MPI_MAX"},
        {&rt_dbl, MPI_MIN, "MPI_MIN"},     {&rt_dbl, MPI_PROD, "MPI_PROD"},    {&rt_int, MPI_BXOR, "MPI_BXOR"},
        {&rt_int, MPI_LXOR, "MPI_LXOR"},   {&rt_int, MPI_LAND, "MPI_LAND"},    {&rt_vec, MPI_SUM, "MPI_SUM"},
        {&rt_igap, MPI_MAX, "MPI_MAX"},    {&rt_shift, MPI_SUM, "MPI_SUM"},    {&rt_di, MPI_MINLOC, "MPI_MINLOC"},
        {&rt_di, MPI_MAXLOC, "MPI_MAXLOC"}, {&rt_2i, MPI_MAXLOC, "MPI_MAXLOC"}, {&rt_mat, op_matmul, "matrix product"},
        {&rt_vec, op_vecsum, "user sum"},
    };
    static const int counts[] = {0, 1, 3, 100, 1000, 20000};
    for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            const struct rcase *rc = &cases[k];
            int count = counts[ci];
            if (rc->t->extent >= 16) /* 16 to 24 bytes an element */
                count /= 2;
            if (count > maxcount)
                continue;
            if (on_mpich && rc->t->dt != MPI_INT && rc->t->dt != MPI_DOUBLE &&
                rc->op != op_matmul && rc->op != op_vecsum && rc->t != &rt_di && rc->t != &rt_2i)
                continue;
            for (int v = 0; v < V_COUNT; v++) {
                int c = v >= V_RSB ? count / n + (count > 0) : count;
                int roots[3] = {0, n - 1, n / 2}, nroots = v == V_REDUCE ? (n < 3 ? n : 3) : 1;
                for (int ri = 0; ri < nroots; ri++)
                    for (int ip = 0; ip < 2 - (on_mpich && v == V_REDUCE); ip++) {
                        snprintf(where, sizeof where, "%s: %s of %d %s, %s%s%s", name, vname[v], c, rc->t->name,
                                 rc->opname, v == V_REDUCE ? (ri == 0 ? ", root 0" : ", another root") : "",
                                 ip ? ", MPI_IN_PLACE" : "");
                        one(comm, rc->t, rc->op, c, v, roots[ri], ip);
                    }
            }
        }
    }
}

/* ------------------------------------------------------------------ determinism */

static void random_doubles(double *p, int count, unsigned seed, int r)
{
    for (int i = 0; i < count; i++) {
        uint64_t k = key(seed, r, 9, (size_t)i);
        double mant = (double)(k >> 11) / 9007199254740992.0 - 0.5;
        int e = (int)((k >> 3) % 60) - 30;
        p[i] = mant * (e >= 0 ? (double)(1ull << e) : 1.0 / (double)(1ull << -e));
    }
}

/* Three runs of each reduction of random doubles give the same bits; all
 * ranks of an Allreduce get the same bits (sent to rank 0 and compared). */
static void determinism(void)
{
    int r = world_rank, n = world_size;
    static const int counts[] = {7, 1000, 50000};
    for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
        int count = counts[ci];
        if (count > maxcount * 3)
            continue;
        for (int v = 0; v < V_RS; v++) {
            if (v == V_EXSCAN)
                continue;
            int c = v == V_RSB ? count / n + 1 : count, total = v == V_RSB ? c * n : c;
            double *in = malloc(sizeof(double) * (size_t)total), *out = malloc(sizeof(double) * (size_t)total);
            double *first = malloc(sizeof(double) * (size_t)total);
            random_doubles(in, total, 77u + (unsigned)ci, r);
            snprintf(where, sizeof where, "determinism: %s of %d random doubles", vname[v], c);
            for (int run = 0; run < 3; run++) {
                memset(out, 0, sizeof(double) * (size_t)total);
                if (v == V_REDUCE)
                    EXPECT_OK(MPI_Reduce(in, out, c, MPI_DOUBLE, MPI_SUM, n - 1, MPI_COMM_WORLD));
                else if (v == V_ALLREDUCE)
                    EXPECT_OK(MPI_Allreduce(in, out, c, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
                else if (v == V_SCAN)
                    EXPECT_OK(MPI_Scan(in, out, c, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
                else
                    EXPECT_OK(MPI_Reduce_scatter_block(in, out, c, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
                if (run == 0)
                    memcpy(first, out, sizeof(double) * (size_t)c);
                else if (memcmp(first, out, sizeof(double) * (size_t)c) != 0)
                    failed("run %d gave other bits than run 1", run + 1);
            }
            if (v == V_ALLREDUCE) {
                if (r != 0) {
                    MPI_Send(out, c, MPI_DOUBLE, 0, 99, MPI_COMM_WORLD);
                } else {
                    double *other = malloc(sizeof(double) * (size_t)c);
                    for (int k = 1; k < n; k++) {
                        MPI_Recv(other, c, MPI_DOUBLE, k, 99, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                        if (memcmp(other, out, sizeof(double) * (size_t)c) != 0)
                            failed("rank %d's result has other bits than rank 0's", k);
                    }
                    free(other);
                }
            }
            free(in);
            free(out);
            free(first);
        }
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    if (argc > 1)
        maxcount = atoi(argv[1]);
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len;
    MPI_Get_library_version(version, &len);
    on_mpich = strncmp(version, "MPICH", 5) == 0;
    make_rtypes();

    suite(MPI_COMM_WORLD, "world", 1);
    MPI_Comm half, back;
    MPI_Comm_split(MPI_COMM_WORLD, world_rank % 2, world_rank, &half);
    suite(half, "half", 2);
    MPI_Comm_split(MPI_COMM_WORLD, 0, world_size - world_rank, &back);
    suite(back, "reversed", 3);
    MPI_Comm_free(&half);
    MPI_Comm_free(&back);
    determinism();

    MPI_Op_free(&op_matmul);
    MPI_Op_free(&op_vecsum);
    MPI_Type_free(&rt_mat.dt);
    free_types();
    if (world_rank == 0)
        printf("mpi_coll_reduce: %d calls checked on rank 0, %d ranks, %s\n", checks, world_size,
               failures ? "FAILURES" : "all correct");
    MPI_Finalize();
    return failures ? 1 : 0;
}
