/* mpi_nbc.c — nonblocking collectives checked against the blocking ones.
 *
 *   mpi_nbc             every nonblocking collective (ints, doubles, a
 *                       non-commutative user operation, a strided datatype,
 *                       MPI_IN_PLACE, 0 counts) against its blocking form;
 *                       several outstanding at once on several
 *                       communicators, completed by Waitall, Testany,
 *                       Waitsome in scrambled orders; progress inside other
 *                       calls (blocking eager sends included);
 *                       Request_free, Request_get_status,
 *                       Comm_idup; error classes.  Prints "nbc ok (N ranks)".
 *   mpi_nbc ckpt ROUNDS rounds of several outstanding collectives overlapped
 *                       with point-to-point and computation; rank 0 prints
 *                       one checksum line per round (the output of an
 *                       uninterrupted run, for checkpoint tests).
 * Any failure: one line "FAIL ..." and exit status 1. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int rank, size;
#define COLL_LIKE_TAG 0x10100 /* what the library's collective tags look like */

#define FAIL(...)                                                                                          \
    do {                                                                                                   \
        printf("FAIL rank %d line %d: ", rank, __LINE__);                                                  \
        printf(__VA_ARGS__);                                                                               \
        printf("\n");                                                                                      \
        fflush(stdout);                                                                                    \
        MPI_Abort(MPI_COMM_WORLD, 1);                                                                      \
    } while (0)
#define OK(call)                                                                                           \
    do {                                                                                                   \
        int rc_ = (call);                                                                                  \
        if (rc_ != MPI_SUCCESS)                                                                            \
            FAIL("%s returned %d", #call, rc_);                                                            \
    } while (0)
#define SAME(a, b, bytes, what)                                                                            \
    do {                                                                                                   \
        if (memcmp((a), (b), (bytes)) != 0)                                                                \
            FAIL("%s: differs from the blocking collective", what);                                       \
    } while (0)

static int val(int r, int i, int seed) { return (int)(((unsigned)(r * 7919 + i * 104729 + seed * 31337)) % 2001u) - 1000; }

/* 2x2 matrices of unsigned (mod 2^32): associative, not commutative. */
static void matmul(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    unsigned *a = in, *b = inout;
    (void)dt;
    for (int k = 0; k < *len; k++, a += 4, b += 4) {
        unsigned c[4] = {a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2],
                         a[2] * b[1] + a[3] * b[3]};
        memcpy(b, c, sizeof c);
    }
}

static MPI_Op op_mat;
static MPI_Datatype t_mat, t_strided; /* 4 unsigned; every other int of 3 */

/* ------------------------------------------------------------------ reductions */

static void test_reductions(MPI_Comm comm, int n)
{
    int r, p;
    MPI_Comm_rank(comm, &r);
    MPI_Comm_size(comm, &p);
    size_t ni = (size_t)(n + 1) * (p + 2); /* ints: up to 2n (strided) and n + 2p (reduce_scatter) */
    int *in = malloc(ni * sizeof *in), *a = calloc(ni, sizeof *a), *b = calloc(ni, sizeof *b);
    double *din = malloc((size_t)(n + 1) * sizeof *din), *da = calloc(n + 1, sizeof *da), *db = calloc(n + 1, sizeof *db);
    size_t nm = (size_t)(n + 1) * p; /* matrices: reduce_scatter takes up to n + 2p */
    unsigned *min = malloc(nm * 4 * sizeof *min), *ma = calloc(nm * 4, sizeof *ma), *mb = calloc(nm * 4, sizeof *mb);
    for (size_t i = 0; i < ni; i++)
        in[i] = val(r, (int)i, n);
    for (int i = 0; i < n; i++)
        din[i] = 1.0 / (3.0 + r + i * 0.37);
    for (size_t i = 0; i < 4 * nm; i++)
        min[i] = (unsigned)val(r, (int)i, 7) * 2654435761u + 1;
    MPI_Request q;
    int root = p > 1 ? 1 : 0;

    OK(MPI_Allreduce(in, a, n, MPI_INT, MPI_SUM, comm));
    OK(MPI_Iallreduce(in, b, n, MPI_INT, MPI_SUM, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, n * sizeof *a, "Iallreduce int sum");
    OK(MPI_Allreduce(din, da, n, MPI_DOUBLE, MPI_SUM, comm));
    OK(MPI_Iallreduce(din, db, n, MPI_DOUBLE, MPI_SUM, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    if (n * sizeof(double) < 2048) /* the blocking one changes algorithm beyond */
        SAME(da, db, n * sizeof *da, "Iallreduce double sum (bitwise)");
    OK(MPI_Allreduce(min, ma, n, t_mat, op_mat, comm));
    OK(MPI_Iallreduce(min, mb, n, t_mat, op_mat, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(ma, mb, n * 16, "Iallreduce non-commutative");
    memcpy(b, in, n * sizeof *b);
    OK(MPI_Iallreduce(MPI_IN_PLACE, b, n, MPI_INT, MPI_SUM, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, n * sizeof *a, "Iallreduce in place");

    memset(a, 0, n * sizeof *a);
    memset(b, 0, n * sizeof *b);
    OK(MPI_Reduce(in, a, n, MPI_INT, MPI_MAX, root, comm));
    OK(MPI_Ireduce(in, b, n, MPI_INT, MPI_MAX, root, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, n * sizeof *a, "Ireduce max");
    memset(ma, 0, n * 16);
    memset(mb, 0, n * 16);
    OK(MPI_Reduce(min, ma, n, t_mat, op_mat, root, comm));
    OK(MPI_Ireduce(min, mb, n, t_mat, op_mat, root, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(ma, mb, n * 16, "Ireduce non-commutative");
    if (r == root)
        memcpy(b, in, n * sizeof *b);
    OK(MPI_Ireduce(r == root ? MPI_IN_PLACE : in, b, n, MPI_INT, MPI_MAX, root, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    if (r == root)
        SAME(a, b, n * sizeof *a, "Ireduce in place");

    OK(MPI_Scan(min, ma, n, t_mat, op_mat, comm));
    OK(MPI_Iscan(min, mb, n, t_mat, op_mat, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(ma, mb, n * 16, "Iscan non-commutative");
    OK(MPI_Scan(din, da, n, MPI_DOUBLE, MPI_SUM, comm));
    memcpy(db, din, n * sizeof *db);
    OK(MPI_Iscan(MPI_IN_PLACE, db, n, MPI_DOUBLE, MPI_SUM, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(da, db, n * sizeof *da, "Iscan in place, double (bitwise)");
    OK(MPI_Exscan(in, a, n, MPI_INT, MPI_SUM, comm));
    OK(MPI_Iexscan(in, b, n, MPI_INT, MPI_SUM, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    if (r > 0)
        SAME(a, b, n * sizeof *a, "Iexscan");
    OK(MPI_Exscan(min, ma, n, t_mat, op_mat, comm));
    OK(MPI_Iexscan(min, mb, n, t_mat, op_mat, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    if (r > 0)
        SAME(ma, mb, n * 16, "Iexscan non-commutative");

    /* reduce_scatter: rank i gets i+n%3 elements */
    int *counts = malloc(p * sizeof *counts), tot = 0;
    for (int i = 0; i < p; i++)
        tot += counts[i] = (i + n) % 3 + (n > 0 ? n / p : 0);
    (void)tot;
    OK(MPI_Reduce_scatter(in, a, counts, MPI_INT, MPI_SUM, comm));
    OK(MPI_Ireduce_scatter(in, b, counts, MPI_INT, MPI_SUM, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, counts[r] * sizeof *a, "Ireduce_scatter");
    OK(MPI_Reduce_scatter(min, ma, counts, t_mat, op_mat, comm));
    OK(MPI_Ireduce_scatter(min, mb, counts, t_mat, op_mat, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(ma, mb, counts[r] * 16, "Ireduce_scatter non-commutative");
    int k = n / p + 1;
    OK(MPI_Reduce_scatter_block(in, a, k, MPI_INT, MPI_SUM, comm));
    int *ip = malloc((size_t)k * p * sizeof *ip);
    memcpy(ip, in, (size_t)k * p * sizeof *ip);
    OK(MPI_Ireduce_scatter_block(MPI_IN_PLACE, ip, k, MPI_INT, MPI_SUM, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, ip, k * sizeof *a, "Ireduce_scatter_block in place");

    /* a strided datatype: every other int of 3 */
    int *s2 = calloc((size_t)(n + 1) * 2 * 3, sizeof *s2), *s3 = calloc((size_t)(n + 1) * 2 * 3, sizeof *s3);
    OK(MPI_Allreduce(in, a, 2 * n, MPI_INT, MPI_SUM, comm));
    for (int i = 0; i < 2 * n; i++)
        s2[3 * (i / 2) + 2 * (i % 2)] = in[i];
    OK(MPI_Iallreduce(MPI_IN_PLACE, s2, n, t_strided, MPI_SUM, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    for (int i = 0; i < 2 * n; i++)
        if (s2[3 * (i / 2) + 2 * (i % 2)] != a[i] || s2[3 * (i / 2) + 1] != 0)
            FAIL("Iallreduce strided: element %d", i);
    (void)s3;
    free(s2);
    free(s3);
    free(ip);
    free(counts);
    free(in), free(a), free(b), free(din), free(da), free(db), free(min), free(ma), free(mb);
}

/* ------------------------------------------------------------------ moving data */

static void test_moves(MPI_Comm comm, int n)
{
    int r, p;
    MPI_Comm_rank(comm, &r);
    MPI_Comm_size(comm, &p);
    size_t all = (size_t)(n + 1) * p * p + 16;
    int *in = malloc(all * sizeof *in), *a = calloc(all, sizeof *a), *b = calloc(all, sizeof *b);
    for (size_t i = 0; i < all; i++)
        in[i] = val(r, (int)i, n + 3);
    MPI_Request q;
    int root = p - 1;

    memcpy(a, in, n * sizeof *a);
    memcpy(b, in, n * sizeof *b);
    OK(MPI_Bcast(a, n, MPI_INT, root, comm));
    OK(MPI_Ibcast(b, n, MPI_INT, root, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, n * sizeof *a, "Ibcast");

    OK(MPI_Gather(in, n, MPI_INT, a, n, MPI_INT, root, comm));
    OK(MPI_Igather(in, n, MPI_INT, b, n, MPI_INT, root, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    if (r == root)
        SAME(a, b, (size_t)n * p * sizeof *a, "Igather");
    if (r == root)
        memcpy(b + (size_t)root * n, in, n * sizeof *b);
    OK(MPI_Igather(r == root ? MPI_IN_PLACE : in, n, MPI_INT, b, n, MPI_INT, root, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    if (r == root)
        SAME(a, b, (size_t)n * p * sizeof *a, "Igather in place");

    int *cnt = malloc(p * sizeof *cnt), *dsp = malloc(p * sizeof *dsp), off = 0;
    for (int i = 0; i < p; i++) {
        cnt[i] = (i * 5 + n) % (n + 1);
        dsp[i] = off + 1;
        off += cnt[i] + 2;
    }
    memset(a, 0, all * sizeof *a);
    memset(b, 0, all * sizeof *b);
    OK(MPI_Gatherv(in, cnt[r], MPI_INT, a, cnt, dsp, MPI_INT, 0, comm));
    OK(MPI_Igatherv(in, cnt[r], MPI_INT, b, cnt, dsp, MPI_INT, 0, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    if (r == 0)
        SAME(a, b, (size_t)off * sizeof *a, "Igatherv");

    OK(MPI_Scatter(in, n, MPI_INT, a, n, MPI_INT, root, comm));
    OK(MPI_Iscatter(in, n, MPI_INT, b, n, MPI_INT, root, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, n * sizeof *a, "Iscatter");
    OK(MPI_Iscatter(in, n, MPI_INT, r == root ? MPI_IN_PLACE : b, n, MPI_INT, root, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    if (r != root)
        SAME(a, b, n * sizeof *a, "Iscatter with root in place");
    OK(MPI_Scatterv(in, cnt, dsp, MPI_INT, a, cnt[r], MPI_INT, 0, comm));
    OK(MPI_Iscatterv(in, cnt, dsp, MPI_INT, b, cnt[r], MPI_INT, 0, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, cnt[r] * sizeof *a, "Iscatterv");

    memset(a, 0, all * sizeof *a);
    memset(b, 0, all * sizeof *b);
    OK(MPI_Allgather(in, n, MPI_INT, a, n, MPI_INT, comm));
    OK(MPI_Iallgather(in, n, MPI_INT, b, n, MPI_INT, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, (size_t)n * p * sizeof *a, "Iallgather");
    memset(b, 0, all * sizeof *b);
    memcpy(b + (size_t)r * n, in, n * sizeof *b);
    OK(MPI_Iallgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, b, n, MPI_INT, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, (size_t)n * p * sizeof *a, "Iallgather in place");
    memset(a, 0, all * sizeof *a);
    memset(b, 0, all * sizeof *b);
    OK(MPI_Allgatherv(in, cnt[r], MPI_INT, a, cnt, dsp, MPI_INT, comm));
    OK(MPI_Iallgatherv(in, cnt[r], MPI_INT, b, cnt, dsp, MPI_INT, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, (size_t)off * sizeof *a, "Iallgatherv");
    memset(b, 0, all * sizeof *b);
    memcpy(b + dsp[r], in, cnt[r] * sizeof *b);
    OK(MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, b, cnt, dsp, MPI_INT, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, (size_t)off * sizeof *a, "Iallgatherv in place");

    OK(MPI_Alltoall(in, n, MPI_INT, a, n, MPI_INT, comm));
    OK(MPI_Ialltoall(in, n, MPI_INT, b, n, MPI_INT, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, (size_t)n * p * sizeof *a, "Ialltoall");
    memcpy(b, in, (size_t)n * p * sizeof *b);
    OK(MPI_Ialltoall(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, b, n, MPI_INT, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, (size_t)n * p * sizeof *a, "Ialltoall in place");

    /* v: rank i sends (i + j + n) % (n+1) to j */
    int *sc = malloc(p * sizeof *sc), *sd = malloc(p * sizeof *sd), *rc = malloc(p * sizeof *rc),
        *rd = malloc(p * sizeof *rd), so = 0, ro = 0;
    int *sdb = malloc(p * sizeof *sdb), *rdb = malloc(p * sizeof *rdb);
    MPI_Datatype *ty = malloc(p * sizeof *ty);
    for (int j = 0; j < p; j++) {
        sc[j] = (r + j + n) % (n + 1);
        rc[j] = (j + r + n) % (n + 1);
        sd[j] = so;
        rd[j] = ro + 1;
        so += sc[j];
        ro += rc[j] + 1;
        sdb[j] = sd[j] * (int)sizeof(int);
        rdb[j] = rd[j] * (int)sizeof(int);
        ty[j] = MPI_INT;
    }
    memset(a, 0, all * sizeof *a);
    memset(b, 0, all * sizeof *b);
    OK(MPI_Alltoallv(in, sc, sd, MPI_INT, a, rc, rd, MPI_INT, comm));
    OK(MPI_Ialltoallv(in, sc, sd, MPI_INT, b, rc, rd, MPI_INT, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, (size_t)(ro + 1) * sizeof *a, "Ialltoallv");
    memset(b, 0, all * sizeof *b);
    OK(MPI_Ialltoallw(in, sc, sdb, ty, b, rc, rdb, ty, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, (size_t)(ro + 1) * sizeof *a, "Ialltoallw");
    /* in place needs symmetric counts: rc == sc here (r + j symmetric) */
    memset(a, 0, all * sizeof *a);
    memset(b, 0, all * sizeof *b);
    for (int j = 0; j < p; j++)
        memcpy(b + rd[j], in + sd[j], rc[j] * sizeof *b);
    memcpy(a, b, all * sizeof *a);
    OK(MPI_Alltoallv(MPI_IN_PLACE, NULL, NULL, MPI_DATATYPE_NULL, a, rc, rd, MPI_INT, comm));
    OK(MPI_Ialltoallv(MPI_IN_PLACE, NULL, NULL, MPI_DATATYPE_NULL, b, rc, rd, MPI_INT, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, (size_t)(ro + 1) * sizeof *a, "Ialltoallv in place");
    OK(MPI_Alltoallw(MPI_IN_PLACE, NULL, NULL, NULL, a, rc, rdb, ty, comm));
    OK(MPI_Ialltoallw(MPI_IN_PLACE, NULL, NULL, NULL, b, rc, rdb, ty, comm, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    SAME(a, b, (size_t)(ro + 1) * sizeof *a, "Ialltoallw in place");

    free(sc), free(sd), free(rc), free(rd), free(sdb), free(rdb), free(ty), free(cnt), free(dsp);
    free(in), free(a), free(b);
}

/* ------------------------------------------------------------------ many at once */

/* Starts 6 collectives on each communicator given (ranks in the same
 * order), then completes them in an order depending on the rank. */
static void test_outstanding(MPI_Comm *comms, int ncomm, int how)
{
    enum { K = 6, N = 300 };
    int nreq = K * ncomm;
    MPI_Request *q = malloc(nreq * sizeof *q);
    int (*buf)[8][N] = calloc(ncomm, sizeof *buf);
    int *ref = malloc(N * sizeof *ref);
    for (int c = 0; c < ncomm; c++) {
        int r, p;
        MPI_Comm_rank(comms[c], &r);
        MPI_Comm_size(comms[c], &p);
        for (int i = 0; i < N; i++)
            buf[c][0][i] = val(r, i, c), buf[c][1][i] = val(r, i, c + 1), buf[c][3][i] = r == 0 ? i * (c + 2) : -1,
            buf[c][6][i] = val(r, i, c + 1);
        OK(MPI_Iallreduce(buf[c][0], buf[c][2], N, MPI_INT, MPI_SUM, comms[c], &q[K * c]));
        OK(MPI_Ibcast(buf[c][3], N, MPI_INT, 0, comms[c], &q[K * c + 1]));
        OK(MPI_Ibarrier(comms[c], &q[K * c + 2]));
        OK(MPI_Iscan(buf[c][1], buf[c][4], N, MPI_INT, MPI_SUM, comms[c], &q[K * c + 3]));
        OK(MPI_Ireduce(buf[c][1], buf[c][5], N, MPI_INT, MPI_MIN, p - 1, comms[c], &q[K * c + 4]));
        OK(MPI_Iallreduce(MPI_IN_PLACE, buf[c][6], N / p, MPI_INT, MPI_MAX, comms[c], &q[K * c + 5]));
    }
    /* blocking collectives and point-to-point on the same communicators
     * while those are outstanding */
    for (int c = 0; c < ncomm; c++) {
        int one = 1, sum = 0, r, p;
        MPI_Comm_rank(comms[c], &r);
        MPI_Comm_size(comms[c], &p);
        OK(MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, comms[c]));
        if (sum != p)
            FAIL("blocking Allreduce among outstanding ones: %d", sum);
        int got = -1;
        OK(MPI_Sendrecv(&r, 1, MPI_INT, (r + 1) % p, COLL_LIKE_TAG, &got, 1, MPI_INT, (r - 1 + p) % p, COLL_LIKE_TAG,
                        comms[c], MPI_STATUS_IGNORE));
        if (got != (r - 1 + p) % p)
            FAIL("Sendrecv among outstanding collectives got %d", got);
    }
    /* scramble: rotate by rank */
    int done = 0;
    if (how == 0) {
        for (int k = 0; k < nreq; k++) {
            int i = (k + rank) % nreq;
            OK(MPI_Wait(&q[i], MPI_STATUS_IGNORE));
        }
    } else if (how == 1) {
        while (done < nreq) {
            int idx, flag;
            OK(MPI_Testany(nreq, q, &idx, &flag, MPI_STATUS_IGNORE));
            if (flag && idx != MPI_UNDEFINED)
                done++;
        }
        int idx, flag;
        OK(MPI_Testany(nreq, q, &idx, &flag, MPI_STATUS_IGNORE));
        if (!flag || idx != MPI_UNDEFINED)
            FAIL("Testany on all-null requests: flag %d index %d", flag, idx);
    } else if (how == 2) {
        int *idx = malloc(nreq * sizeof *idx), out;
        while (done < nreq) {
            OK(MPI_Waitsome(nreq, q, &out, idx, MPI_STATUSES_IGNORE));
            if (out == MPI_UNDEFINED)
                FAIL("Waitsome: MPI_UNDEFINED with %d of %d done", done, nreq);
            done += out;
        }
        free(idx);
    } else {
        OK(MPI_Waitall(nreq, q, MPI_STATUSES_IGNORE));
    }
    for (int i = 0; i < nreq; i++)
        if (q[i] != MPI_REQUEST_NULL)
            FAIL("request %d not set to MPI_REQUEST_NULL", i);
    for (int c = 0; c < ncomm; c++) {
        int r, p;
        MPI_Comm_rank(comms[c], &r);
        MPI_Comm_size(comms[c], &p);
        int in[N];
        for (int i = 0; i < N; i++)
            in[i] = val(r, i, c);
        OK(MPI_Allreduce(in, ref, N, MPI_INT, MPI_SUM, comms[c]));
        SAME(ref, buf[c][2], sizeof in, "outstanding Iallreduce");
        for (int i = 0; i < N; i++)
            if (buf[c][3][i] != i * (c + 2))
                FAIL("outstanding Ibcast: element %d", i);
        for (int i = 0; i < N; i++)
            in[i] = val(r, i, c + 1);
        OK(MPI_Scan(in, ref, N, MPI_INT, MPI_SUM, comms[c]));
        SAME(ref, buf[c][4], sizeof in, "outstanding Iscan");
        OK(MPI_Reduce(in, ref, N, MPI_INT, MPI_MIN, p - 1, comms[c]));
        if (r == p - 1)
            SAME(ref, buf[c][5], sizeof in, "outstanding Ireduce");
        OK(MPI_Allreduce(MPI_IN_PLACE, in, N / p, MPI_INT, MPI_MAX, comms[c]));
        SAME(in, buf[c][6], (N / p) * sizeof *in, "outstanding Iallreduce in place");
    }
    free(q);
    free(buf);
    free(ref);
}

/* Point-to-point on the same communicator while collectives are
 * outstanding, with tags that a careless implementation would confuse;
 * and rank 0 blocked in a receive while the others need it to advance an
 * allreduce (recursive doubling needs every rank's later rounds). */
static void test_overlap(void)
{
    enum { N = 64 };
    int a[N], b[N], ref[N], token = 0;
    for (int i = 0; i < N; i++)
        a[i] = val(rank, i, 99);
    MPI_Request q[3];
    OK(MPI_Iallreduce(a, b, N, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &q[0]));
    OK(MPI_Ibarrier(MPI_COMM_WORLD, &q[1]));
    int right = (rank + 1) % size, left = (rank - 1 + size) % size, got[2];
    for (int tag = 0; tag < 3; tag++) {
        int msg[2] = {rank, tag};
        OK(MPI_Sendrecv(msg, 2, MPI_INT, right, 0x10100 + tag, got, 2, MPI_INT, left, 0x10100 + tag, MPI_COMM_WORLD,
                        MPI_STATUS_IGNORE));
        if (got[0] != left || got[1] != tag)
            FAIL("point-to-point beside collectives got %d/%d", got[0], got[1]);
    }
    if (rank == 0) {
        for (int s = 1; s < size; s++) {
            OK(MPI_Recv(&token, 1, MPI_INT, s, 5, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            if (token != s)
                FAIL("token %d from %d", token, s);
        }
        OK(MPI_Waitall(2, q, MPI_STATUSES_IGNORE));
    } else {
        OK(MPI_Waitall(2, q, MPI_STATUSES_IGNORE));
        token = rank;
        OK(MPI_Send(&token, 1, MPI_INT, 0, 5, MPI_COMM_WORLD));
    }
    OK(MPI_Allreduce(a, ref, N, MPI_INT, MPI_SUM, MPI_COMM_WORLD));
    SAME(ref, b, sizeof b, "Iallreduce overlapped with point-to-point");

    /* Request_get_status polls to completion; Request_free on a running one */
    OK(MPI_Ibcast(a, N, MPI_INT, 0, MPI_COMM_WORLD, &q[0]));
    int flag = 0;
    while (!flag)
        OK(MPI_Request_get_status(q[0], &flag, MPI_STATUS_IGNORE));
    MPI_Status st;
    OK(MPI_Test(&q[0], &flag, &st));
    if (!flag || q[0] != MPI_REQUEST_NULL)
        FAIL("Test after Request_get_status said complete: flag %d", flag);
    OK(MPI_Ibarrier(MPI_COMM_WORLD, &q[0]));
    OK(MPI_Request_free(&q[0]));
    if (q[0] != MPI_REQUEST_NULL)
        FAIL("Request_free left the handle");
    OK(MPI_Barrier(MPI_COMM_WORLD));
}

/* Progress inside blocking eager sends: rank 0 only sends (each send is
 * over at once) while the others need its later allreduce rounds
 * (recursive doubling from 4 ranks on) to finish theirs. */
static void test_progress_in_send(void)
{
    int x = rank + 1, y = 0, flag = 0, it;
    MPI_Request q;
    OK(MPI_Iallreduce(&x, &y, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &q));
    if (rank == 0) {
        for (int i = 0; i < 400; i++) {
            OK(MPI_Send(&i, 1, MPI_INT, 1, 77, MPI_COMM_WORLD));
            usleep(1000);
        }
        OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    } else {
        for (it = 0; it < 300 && !flag; it++) {
            OK(MPI_Test(&q, &flag, MPI_STATUS_IGNORE));
            usleep(1000);
        }
        if (!flag)
            FAIL("Iallreduce did not finish while rank 0 was in blocking sends");
        for (int i = 0; rank == 1 && i < 400; i++)
            OK(MPI_Recv(&x, 1, MPI_INT, 0, 77, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
    }
    if (y != size * (size + 1) / 2)
        FAIL("Iallreduce beside blocking sends: %d", y);
}

static void test_idup(void)
{
    MPI_Comm d;
    MPI_Request q;
    OK(MPI_Comm_idup(MPI_COMM_WORLD, &d, &q));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    int x = rank + 1, s = 0, res;
    OK(MPI_Iallreduce(&x, &s, 1, MPI_INT, MPI_SUM, d, &q));
    OK(MPI_Comm_compare(d, MPI_COMM_WORLD, &res));
    OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    if (s != size * (size + 1) / 2 || res != MPI_CONGRUENT)
        FAIL("Comm_idup: sum %d, compare %d", s, res);
    OK(MPI_Comm_free(&d));
}

static void expect_class(int rc, int want, const char *what)
{
    int cls = -1;
    if (rc == MPI_SUCCESS)
        FAIL("%s succeeded, want error class %d", what, want);
    MPI_Error_class(rc, &cls);
    if (cls != want)
        FAIL("%s: error class %d, want %d", what, cls, want);
}

static void test_errors(void)
{
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Request q;
    int x[4] = {0}, y[4];
    expect_class(MPI_Ibarrier(MPI_COMM_NULL, &q), MPI_ERR_COMM, "Ibarrier on MPI_COMM_NULL");
    expect_class(MPI_Ibcast(x, 1, MPI_INT, size, MPI_COMM_WORLD, &q), MPI_ERR_ROOT, "Ibcast root = size");
    expect_class(MPI_Ibcast(x, -1, MPI_INT, 0, MPI_COMM_WORLD, &q), MPI_ERR_COUNT, "Ibcast count -1");
    expect_class(MPI_Ibcast(MPI_IN_PLACE, 1, MPI_INT, 0, MPI_COMM_WORLD, &q), MPI_ERR_BUFFER, "Ibcast in place");
    expect_class(MPI_Iallreduce(x, y, 1, MPI_DATATYPE_NULL, MPI_SUM, MPI_COMM_WORLD, &q), MPI_ERR_TYPE,
                 "Iallreduce MPI_DATATYPE_NULL");
    expect_class(MPI_Iallreduce(x, y, 1, MPI_INT, MPI_OP_NULL, MPI_COMM_WORLD, &q), MPI_ERR_OP, "Iallreduce MPI_OP_NULL");
    expect_class(MPI_Iallreduce(x, y, 1, MPI_DOUBLE_INT, MPI_SUM, MPI_COMM_WORLD, &q), MPI_ERR_OP,
                 "Iallreduce SUM on a pair type");
    expect_class(MPI_Iallreduce(x, x, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &q), MPI_ERR_BUFFER, "Iallreduce aliased");
    expect_class(MPI_Ireduce(x, y, 1, MPI_INT, MPI_SUM, -1, MPI_COMM_WORLD, &q), MPI_ERR_ROOT, "Ireduce root -1");
    expect_class(MPI_Igather(x, 1, MPI_INT, y, 1, MPI_INT, 0, MPI_COMM_WORLD, NULL), MPI_ERR_ARG, "Igather NULL request");
    expect_class(MPI_Iscatter(x, 1, MPI_INT, y, -2, MPI_INT, 0, MPI_COMM_WORLD, &q), MPI_ERR_COUNT,
                 "Iscatter recvcount -2");
    if (size > 1 && rank == 1)
        expect_class(MPI_Igather(MPI_IN_PLACE, 1, MPI_INT, y, 1, MPI_INT, 0, MPI_COMM_WORLD, &q), MPI_ERR_BUFFER,
                     "Igather in place off the root");
    int neg[64];
    for (int i = 0; i < 64; i++)
        neg[i] = i == 0 ? -1 : 1;
    expect_class(MPI_Ireduce_scatter(x, y, neg, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &q), MPI_ERR_COUNT,
                 "Ireduce_scatter negative count");
    expect_class(MPI_Ialltoallv(x, neg, neg, MPI_INT, y, neg, neg, MPI_INT, MPI_COMM_WORLD, &q), MPI_ERR_COUNT,
                 "Ialltoallv negative count");
    expect_class(MPI_Iscan(x, y, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD + 12345, &q), MPI_ERR_COMM, "Iscan bad comm");
    expect_class(MPI_Comm_idup(MPI_COMM_NULL, &q, &q), MPI_ERR_COMM, "Comm_idup MPI_COMM_NULL");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
}

/* 0 counts complete and touch nothing. */
static void test_zero(void)
{
    int x = 42, y = 7;
    int zeros[64] = {0};
    MPI_Request q[10];
    OK(MPI_Ibcast(&x, 0, MPI_INT, 0, MPI_COMM_WORLD, &q[0]));
    OK(MPI_Iallreduce(&x, &y, 0, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &q[1]));
    OK(MPI_Ireduce(&x, &y, 0, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD, &q[2]));
    OK(MPI_Iscan(&x, &y, 0, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &q[3]));
    OK(MPI_Iexscan(&x, &y, 0, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &q[4]));
    OK(MPI_Iallgather(&x, 0, MPI_INT, &y, 0, MPI_INT, MPI_COMM_WORLD, &q[5]));
    OK(MPI_Ialltoall(&x, 0, MPI_INT, &y, 0, MPI_INT, MPI_COMM_WORLD, &q[6]));
    OK(MPI_Ireduce_scatter(&x, &y, zeros, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &q[7]));
    OK(MPI_Igather(&x, 0, MPI_INT, &y, 0, MPI_INT, 0, MPI_COMM_WORLD, &q[8]));
    OK(MPI_Iscatter(&x, 0, MPI_INT, &y, 0, MPI_INT, 0, MPI_COMM_WORLD, &q[9]));
    OK(MPI_Waitall(10, q, MPI_STATUSES_IGNORE));
    if (x != 42 || y != 7)
        FAIL("0-count collectives changed the buffers (%d %d)", x, y);
}

/* ------------------------------------------------------------------ checkpoint mode */

static double spin(double secs)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double x = 0;
    do {
        for (int i = 0; i < 20000; i++)
            x += 1e-9 * i;
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) + 1e-9 * (t.tv_nsec - t0.tv_nsec) < secs);
    return x;
}

static int ckpt_mode(int rounds)
{
    enum { N = 4096 };
    MPI_Comm half;
    OK(MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half));
    int *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *c = malloc(N * size * sizeof *c),
        *d = malloc(N * size * sizeof *d), *e = malloc(N * sizeof *e);
    double *f = malloc(N * sizeof *f), *g = malloc(N * sizeof *g);
    for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < N; i++) {
            a[i] = val(rank, i, round);
            f[i] = 1.0 / (1.0 + rank + i + round);
        }
        for (int i = 0; i < N * size; i++)
            c[i] = val(rank, i, round + 1);
        MPI_Request q[6];
        OK(MPI_Iallreduce(a, b, N, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &q[0]));
        OK(MPI_Ialltoall(c, N, MPI_INT, d, N, MPI_INT, MPI_COMM_WORLD, &q[1]));
        OK(MPI_Iallreduce(f, g, N / 16, MPI_DOUBLE, MPI_SUM, half, &q[2]));
        OK(MPI_Iscan(a, e, N, MPI_INT, MPI_MAX, half, &q[3]));
        /* ranks arrive skewed: computation, then point-to-point */
        spin(0.02 * (rank % 3));
        int right = (rank + 1) % size, left = (rank - 1 + size) % size, got;
        OK(MPI_Isend(&round, 1, MPI_INT, right, 3, MPI_COMM_WORLD, &q[4]));
        OK(MPI_Irecv(&got, 1, MPI_INT, left, 3, MPI_COMM_WORLD, &q[5]));
        int flag = 0;
        MPI_Status sts[6];
        for (int t = 0; t < 20 && !flag; t++) {
            OK(MPI_Testall(6, q, &flag, sts));
            spin(0.005);
        }
        if (!flag)
            OK(MPI_Waitall(6, q, MPI_STATUSES_IGNORE));
        if (got != round)
            FAIL("ring token %d in round %d", got, round);
        uint64_t h = 1469598103934665603ull;
        for (int i = 0; i < N; i++)
            h = (h ^ (uint32_t)b[i] ^ ((uint64_t)(uint32_t)e[i] << 32)) * 1099511628211ull;
        for (int i = 0; i < N * size; i++)
            h = (h ^ (uint32_t)d[i]) * 1099511628211ull;
        for (int i = 0; i < N / 16; i++) {
            uint64_t bits;
            memcpy(&bits, &g[i], sizeof bits);
            h = (h ^ bits) * 1099511628211ull;
        }
        uint64_t *all = malloc(size * sizeof *all);
        OK(MPI_Gather(&h, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD));
        if (rank == 0) {
            uint64_t x = 0;
            for (int i = 0; i < size; i++)
                x = x * 31 + all[i];
            printf("round %d %016llx\n", round, (unsigned long long)x);
            fflush(stdout);
        }
        free(all);
    }
    MPI_Comm_free(&half);
    free(a), free(b), free(c), free(d), free(e), free(f), free(g);
    return 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    OK(MPI_Type_contiguous(4, MPI_UNSIGNED, &t_mat));
    OK(MPI_Type_commit(&t_mat));
    OK(MPI_Type_vector(2, 1, 2, MPI_INT, &t_strided)); /* ints 0 and 2 */
    MPI_Datatype tmp = t_strided;
    OK(MPI_Type_create_resized(tmp, 0, 3 * sizeof(int), &t_strided));
    OK(MPI_Type_free(&tmp));
    OK(MPI_Type_commit(&t_strided));
    OK(MPI_Op_create(matmul, 0, &op_mat));
    if (argc > 2 && strcmp(argv[1], "ckpt") == 0) {
        ckpt_mode(atoi(argv[2]));
        MPI_Finalize();
        return 0;
    }
    static const int sizes[] = {0, 1, 7, 100, 1000};
    for (unsigned k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        test_reductions(MPI_COMM_WORLD, sizes[k]);
        test_moves(MPI_COMM_WORLD, sizes[k]);
    }
    MPI_Comm odd, dup;
    OK(MPI_Comm_split(MPI_COMM_WORLD, rank % 2, size - rank, &odd));
    OK(MPI_Comm_dup(MPI_COMM_WORLD, &dup));
    test_reductions(odd, 33);
    test_moves(odd, 5);
    MPI_Comm comms[3] = {MPI_COMM_WORLD, dup, odd};
    for (int how = 0; how < 4; how++) {
        test_outstanding(comms, 1, how);
        test_outstanding(comms, 3, how);
    }
    test_overlap();
    if (size >= 4)
        test_progress_in_send();
    test_idup();
    test_zero();
    test_errors();
    OK(MPI_Comm_free(&odd));
    OK(MPI_Comm_free(&dup));
    OK(MPI_Op_free(&op_mat));
    OK(MPI_Barrier(MPI_COMM_WORLD));
    if (rank == 0)
        printf("nbc ok (%d ranks)\n", size);
    MPI_Finalize();
    return 0;
}
