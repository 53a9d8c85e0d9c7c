/* mpi_inter.c — intercommunicators, at 2 or more ranks: MPI_COMM_WORLD is
 * split into two groups of unequal sizes (and into three), intercommunicators
 * are built between them (also between groups made by different splits),
 * and on each: sizes, remote group, point-to-point with ANY_SOURCE and
 * ANY_TAG, every blocking collective with roots on both sides (checked
 * against values computed from world ranks), merge both ways, dup,
 * compare, split and create on the intercommunicator, free; then the error
 * classes.  Argument: rounds (default 1); each round prints one line on
 * rank 0, so a run checkpointed in the middle prints what an uninterrupted
 * one prints.  Ends with "inter ok (N ranks)"; a failed check prints what
 * was wrong and the job ends with exit code 1. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int wrank, wsize, round_no;

#define CHECK(cond, ...)                                                                 \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "rank %d: FAILED %s:%d: ", wrank, __FILE__, __LINE__);       \
            fprintf(stderr, __VA_ARGS__);                                                \
            fprintf(stderr, "\n");                                                       \
            MPI_Abort(MPI_COMM_WORLD, 1);                                                \
        }                                                                                \
    } while (0)
#define OK(call) CHECK((call) == MPI_SUCCESS, "%s failed", #call)

/* An intercommunicator and what the test knows independently about it. */
struct side {
    MPI_Comm ic;
    int lsize, rsize, lrank;
    int lworld[64], rworld[64]; /* world ranks by local / remote rank, from the colors */
    int first;                  /* this group holds the lowest world rank of both */
};

static int val(int w, int j) { return w * 100 + j + round_no; }

/* World ranks of color c under color(r), ordered by key(r) then rank. */
static int members(int (*color)(int), int (*key)(int), int c, int *out)
{
    int n = 0;
    for (int r = 0; r < wsize; r++)
        if (color(r) == c)
            out[n++] = r;
    for (int i = 1; i < n; i++) /* insertion sort by (key, rank) */
        for (int j = i; j > 0 && (key(out[j - 1]) > key(out[j]) ||
                                  (key(out[j - 1]) == key(out[j]) && out[j - 1] > out[j])); j--) {
            int t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

static void describe(struct side *s, const int *lw, int ln, const int *rw, int rn)
{
    s->lsize = ln;
    s->rsize = rn;
    memcpy(s->lworld, lw, (size_t)ln * sizeof *lw);
    memcpy(s->rworld, rw, (size_t)rn * sizeof *rw);
    s->lrank = -1;
    for (int i = 0; i < ln; i++)
        if (lw[i] == wrank)
            s->lrank = i;
    int lmin = lw[0], rmin = rw[0];
    for (int i = 0; i < ln; i++)
        lmin = lw[i] < lmin ? lw[i] : lmin;
    for (int i = 0; i < rn; i++)
        rmin = rw[i] < rmin ? rw[i] : rmin;
    s->first = lmin < rmin;
}

/* ------------------------------------------------------------------ checks on one intercommunicator */

static void check_shape(struct side *s)
{
    int flag, n;
    OK(MPI_Comm_test_inter(s->ic, &flag));
    CHECK(flag, "MPI_Comm_test_inter says not an intercommunicator");
    OK(MPI_Comm_size(s->ic, &n));
    CHECK(n == s->lsize, "size %d, want %d", n, s->lsize);
    OK(MPI_Comm_rank(s->ic, &n));
    CHECK(n == s->lrank, "rank %d, want %d", n, s->lrank);
    OK(MPI_Comm_remote_size(s->ic, &n));
    CHECK(n == s->rsize, "remote size %d, want %d", n, s->rsize);
    MPI_Group wg, rg, lg;
    MPI_Comm_group(MPI_COMM_WORLD, &wg);
    OK(MPI_Comm_remote_group(s->ic, &rg));
    OK(MPI_Comm_group(s->ic, &lg));
    int ranks[64], out[64];
    for (int i = 0; i < 64; i++)
        ranks[i] = i;
    OK(MPI_Group_translate_ranks(rg, s->rsize, ranks, wg, out));
    for (int i = 0; i < s->rsize; i++)
        CHECK(out[i] == s->rworld[i], "remote rank %d is world %d, want %d", i, out[i], s->rworld[i]);
    OK(MPI_Group_translate_ranks(lg, s->lsize, ranks, wg, out));
    for (int i = 0; i < s->lsize; i++)
        CHECK(out[i] == s->lworld[i], "local rank %d is world %d, want %d", i, out[i], s->lworld[i]);
    MPI_Group_free(&rg);
    MPI_Group_free(&lg);
    MPI_Group_free(&wg);
}

/* Every local process sends to every remote one; receives with ANY_SOURCE
 * and ANY_TAG tell who sent by status. */
static void check_p2p(struct side *s)
{
    int msg[2] = { wrank, s->lrank }, got[2];
    MPI_Request req[64];
    /* Specific source and tag first (an ANY_TAG receive below would take it). */
    if (s->lsize == s->rsize) {
        int to = s->lrank, from = s->lrank, x;
        OK(MPI_Sendrecv(&wrank, 1, MPI_INT, to, 7, &x, 1, MPI_INT, from, 7, s->ic, MPI_STATUS_IGNORE));
        CHECK(x == s->rworld[from], "sendrecv got %d, want %d", x, s->rworld[from]);
    }
    for (int j = 0; j < s->rsize; j++)
        OK(MPI_Isend(msg, 2, MPI_INT, j, 100 + s->lrank, s->ic, &req[j]));
    int seen[64] = { 0 };
    for (int k = 0; k < s->rsize; k++) {
        MPI_Status st;
        if (k % 2) {
            OK(MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, s->ic, &st));
            OK(MPI_Recv(got, 2, MPI_INT, st.MPI_SOURCE, st.MPI_TAG, s->ic, &st));
        } else {
            OK(MPI_Recv(got, 2, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, s->ic, &st));
        }
        int src = st.MPI_SOURCE;
        CHECK(src >= 0 && src < s->rsize, "MPI_SOURCE %d is not a remote rank (remote size %d)", src, s->rsize);
        CHECK(got[1] == src && st.MPI_TAG == 100 + src && got[0] == s->rworld[src] && !seen[src],
              "from remote %d tag %d: payload (world %d, rank %d), want world %d", src, st.MPI_TAG, got[0], got[1],
              s->rworld[src]);
        seen[src] = 1;
    }
    OK(MPI_Waitall(s->rsize, req, MPI_STATUSES_IGNORE));
}

static int root_arg(struct side *s, int rootside_first, int root)
{
    if (s->first == rootside_first)
        return s->lrank == root ? MPI_ROOT : MPI_PROC_NULL;
    return root;
}

/* One rooted round: the root is rank `root` of the group that holds the
 * lowest world rank (rsf = 1) or of the other one (rsf = 0). */
static void check_rooted_one(struct side *s, int rsf, int root)
{
    int L = s->lsize, R = s->rsize;
    {
        int arg = root_arg(s, rsf, root);
        int am_root = arg == MPI_ROOT, sending_side = s->first == rsf;
        int rootw = sending_side ? s->lworld[root] : s->rworld[root];
        /* Bcast */
        int b[5];
        for (int j = 0; j < 5; j++)
            b[j] = am_root ? val(rootw, j) * 3 : -1;
        OK(MPI_Bcast(b, 5, MPI_INT, arg, s->ic));
        for (int j = 0; j < 5 && !sending_side; j++)
            CHECK(b[j] == val(rootw, j) * 3, "bcast from root %d: [%d] = %d, want %d", root, j, b[j], val(rootw, j) * 3);
        for (int j = 0; j < 5 && sending_side && !am_root; j++)
            CHECK(b[j] == -1, "bcast touched the buffer of an MPI_PROC_NULL process");
        /* Reduce, sum and max */
        int in[4], outs[4] = { -1, -1, -1, -1 }, outm[4];
        for (int j = 0; j < 4; j++)
            in[j] = val(wrank, j);
        OK(MPI_Reduce(in, outs, 4, MPI_INT, MPI_SUM, arg, s->ic));
        OK(MPI_Reduce(in, outm, 4, MPI_INT, MPI_MAX, arg, s->ic));
        if (am_root)
            for (int j = 0; j < 4; j++) {
                int sum = 0, max = -1;
                for (int i = 0; i < R; i++) {
                    sum += val(s->rworld[i], j);
                    max = val(s->rworld[i], j) > max ? val(s->rworld[i], j) : max;
                }
                CHECK(outs[j] == sum && outm[j] == max, "reduce [%d]: sum %d max %d, want %d %d", j, outs[j], outm[j],
                      sum, max);
            }
        else if (sending_side)
            CHECK(outs[0] == -1, "reduce wrote at an MPI_PROC_NULL process");
        /* Gather, Gatherv */
        int *g = malloc(sizeof(int) * (size_t)(R * (R + 2) + 8));
        if (am_root) {
            for (int i = 0; i < R * (R + 2) + 8; i++)
                g[i] = -7;
            OK(MPI_Gather(NULL, 0, MPI_INT, g, 2, MPI_INT, arg, s->ic));
            for (int i = 0; i < R; i++)
                for (int j = 0; j < 2; j++)
                    CHECK(g[i * 2 + j] == val(s->rworld[i], j), "gather [%d][%d] = %d", i, j, g[i * 2 + j]);
            int rc[64], dis[64];
            for (int i = 0; i < R; i++)
                rc[i] = i + 1, dis[i] = (R - 1 - i) * (R + 1);
            OK(MPI_Gatherv(NULL, 0, MPI_INT, g, rc, dis, MPI_INT, arg, s->ic));
            for (int i = 0; i < R; i++)
                for (int j = 0; j <= i; j++)
                    CHECK(g[dis[i] + j] == val(s->rworld[i], j + 10), "gatherv [%d][%d] = %d", i, j, g[dis[i] + j]);
        } else if (sending_side) {
            OK(MPI_Gather(NULL, 0, MPI_INT, NULL, 0, MPI_INT, arg, s->ic));
            OK(MPI_Gatherv(NULL, 0, MPI_INT, NULL, NULL, NULL, MPI_INT, arg, s->ic));
        } else {
            int mine[64];
            for (int j = 0; j <= s->lrank; j++)
                mine[j] = val(wrank, j + 10);
            OK(MPI_Gather(in, 2, MPI_INT, NULL, 0, MPI_INT, arg, s->ic));
            OK(MPI_Gatherv(mine, s->lrank + 1, MPI_INT, NULL, NULL, NULL, MPI_INT, arg, s->ic));
        }
        /* Scatter, Scatterv */
        if (am_root) {
            for (int i = 0; i < R * 3; i++)
                g[i] = val(wrank, i);
            OK(MPI_Scatter(g, 3, MPI_INT, NULL, 0, MPI_INT, arg, s->ic));
            int sc[64], dis[64];
            for (int i = 0; i < R; i++) {
                sc[i] = i + 1, dis[i] = i * (R + 1);
                for (int j = 0; j <= i; j++)
                    g[dis[i] + j] = val(wrank, 50 + i * 7 + j);
            }
            OK(MPI_Scatterv(g, sc, dis, MPI_INT, NULL, 0, MPI_INT, arg, s->ic));
        } else if (sending_side) {
            OK(MPI_Scatter(NULL, 0, MPI_INT, NULL, 0, MPI_INT, arg, s->ic));
            OK(MPI_Scatterv(NULL, NULL, NULL, MPI_INT, NULL, 0, MPI_INT, arg, s->ic));
        } else {
            int r3[3], rv[64];
            OK(MPI_Scatter(NULL, 0, MPI_INT, r3, 3, MPI_INT, arg, s->ic));
            for (int j = 0; j < 3; j++)
                CHECK(r3[j] == val(rootw, s->lrank * 3 + j), "scatter [%d] = %d", j, r3[j]);
            OK(MPI_Scatterv(NULL, NULL, NULL, MPI_INT, rv, s->lrank + 1, MPI_INT, arg, s->ic));
            for (int j = 0; j <= s->lrank; j++)
                CHECK(rv[j] == val(rootw, 50 + s->lrank * 7 + j), "scatterv [%d] = %d", j, rv[j]);
        }
        free(g);
        (void)L;
    }
}

/* Roots 0 and the last rank of the group, on each side. */
static void check_rooted(struct side *s)
{
    for (int rsf = 0; rsf < 2; rsf++) {
        int n = s->first == rsf ? s->lsize : s->rsize;
        check_rooted_one(s, rsf, 0);
        if (n > 1)
            check_rooted_one(s, rsf, n - 1);
    }
}

static void check_all(struct side *s)
{
    int L = s->lsize, R = s->rsize, me = s->lrank;
    OK(MPI_Barrier(s->ic));
    /* Allreduce */
    double din[3], dout[3];
    for (int j = 0; j < 3; j++)
        din[j] = val(wrank, j) / 7.0;
    OK(MPI_Allreduce(din, dout, 3, MPI_DOUBLE, MPI_SUM, s->ic));
    for (int j = 0; j < 3; j++) {
        double want = 0;
        for (int i = 0; i < R; i++)
            want += val(s->rworld[i], j) / 7.0;
        CHECK(dout[j] > want - 1e-9 && dout[j] < want + 1e-9, "allreduce [%d] = %g, want %g", j, dout[j], want);
    }
    /* Allgather, Allgatherv */
    int in[2] = { val(wrank, 0), val(wrank, 1) };
    int *g = malloc(sizeof(int) * (size_t)(3 * R * (R + L + 4) + 16));
    OK(MPI_Allgather(in, 2, MPI_INT, g, 2, MPI_INT, s->ic));
    for (int i = 0; i < R; i++)
        CHECK(g[2 * i] == val(s->rworld[i], 0) && g[2 * i + 1] == val(s->rworld[i], 1), "allgather block %d", i);
    int rc[64], dis[64], mine[3];
    for (int i = 0, d = 0; i < R; i++)
        rc[R - 1 - i] = (R - 1 - i) % 3 + 1, dis[R - 1 - i] = d, d += rc[R - 1 - i];
    for (int j = 0; j < me % 3 + 1; j++)
        mine[j] = val(wrank, 20 + j);
    OK(MPI_Allgatherv(mine, me % 3 + 1, MPI_INT, g, rc, dis, MPI_INT, s->ic));
    for (int i = 0; i < R; i++)
        for (int j = 0; j < rc[i]; j++)
            CHECK(g[dis[i] + j] == val(s->rworld[i], 20 + j), "allgatherv block %d [%d] = %d", i, j, g[dis[i] + j]);
    /* Alltoall: block for remote j is {w*1000 + j*10 + t} */
    int *sb = malloc(sizeof(int) * (size_t)(4 * R + 8)), *rb = malloc(sizeof(int) * (size_t)(4 * R + 8));
    for (int j = 0; j < R; j++)
        for (int t = 0; t < 2; t++)
            sb[j * 2 + t] = wrank * 1000 + j * 10 + t + round_no;
    OK(MPI_Alltoall(sb, 2, MPI_INT, rb, 2, MPI_INT, s->ic));
    for (int i = 0; i < R; i++)
        for (int t = 0; t < 2; t++)
            CHECK(rb[i * 2 + t] == s->rworld[i] * 1000 + me * 10 + t + round_no, "alltoall from %d [%d] = %d", i, t,
                  rb[i * 2 + t]);
    /* Alltoallv: count(sender s, receiver r) = (s + 2r) % 3 + 1 */
    int sc[64], sd[64], rcv[64], rd[64];
    for (int j = 0, d = 0; j < R; j++) {
        sc[j] = (me + 2 * j) % 3 + 1, sd[j] = d, d += sc[j];
        for (int t = 0; t < sc[j]; t++)
            sb[sd[j] + t] = wrank * 1000 + j * 10 + t;
    }
    for (int i = 0, d = 0; i < R; i++)
        rcv[i] = (i + 2 * me) % 3 + 1, rd[i] = d, d += rcv[i] + 1;
    OK(MPI_Alltoallv(sb, sc, sd, MPI_INT, rb, rcv, rd, MPI_INT, s->ic));
    for (int i = 0; i < R; i++)
        for (int t = 0; t < rcv[i]; t++)
            CHECK(rb[rd[i] + t] == s->rworld[i] * 1000 + me * 10 + t, "alltoallv from %d [%d] = %d", i, t, rb[rd[i] + t]);
    /* Alltoallw: 2 ints sent, one pair type received, byte displacements */
    MPI_Datatype pair, st[64], rt[64];
    MPI_Type_contiguous(2, MPI_INT, &pair);
    MPI_Type_commit(&pair);
    for (int j = 0; j < R; j++) {
        sc[j] = 2, sd[j] = (int)sizeof(int) * 2 * (R - 1 - j), st[j] = MPI_INT;
        rcv[j] = 1, rd[j] = (int)sizeof(int) * 2 * j, rt[j] = pair;
        sb[2 * (R - 1 - j)] = wrank * 7 + j, sb[2 * (R - 1 - j) + 1] = -j;
    }
    OK(MPI_Alltoallw(sb, sc, sd, st, rb, rcv, rd, rt, s->ic));
    for (int i = 0; i < R; i++)
        CHECK(rb[2 * i] == s->rworld[i] * 7 + me && rb[2 * i + 1] == -me, "alltoallw from %d: %d %d", i, rb[2 * i],
              rb[2 * i + 1]);
    MPI_Type_free(&pair);
    /* Reduce_scatter: the local counts add up to L*R + 1 on both sides */
    int n = L * R + 1, *v = malloc(sizeof(int) * (size_t)n), *res = malloc(sizeof(int) * (size_t)(n + 1));
    for (int k = 0; k < n; k++)
        v[k] = val(wrank, k);
    for (int i = 0, d = 0; i < L; i++)
        rc[i] = R + (i == 0), dis[i] = d, d += rc[i];
    OK(MPI_Reduce_scatter(v, res, rc, MPI_INT, MPI_SUM, s->ic));
    for (int t = 0; t < rc[me]; t++) {
        int want = 0;
        for (int i = 0; i < R; i++)
            want += val(s->rworld[i], dis[me] + t);
        CHECK(res[t] == want, "reduce_scatter [%d] = %d, want %d", t, res[t], want);
    }
    /* Reduce_scatter_block: recvcount 2R here, 2L there: 2LR elements */
    int *v2 = malloc(sizeof(int) * (size_t)(2 * L * R));
    for (int k = 0; k < 2 * L * R; k++)
        v2[k] = val(wrank, k) % 7 + 1;
    OK(MPI_Reduce_scatter_block(v2, res, 2 * R, MPI_INT, MPI_PROD, s->ic));
    for (int t = 0; t < 2 * R; t++) {
        int want = 1;
        for (int i = 0; i < R; i++)
            want *= val(s->rworld[i], me * 2 * R + t) % 7 + 1;
        CHECK(res[t] == want, "reduce_scatter_block [%d] = %d, want %d", t, res[t], want);
    }
    free(v);
    free(v2);
    free(res);
    free(sb);
    free(rb);
    free(g);
}

static void check_merge(struct side *s)
{
    int L = s->lsize, R = s->rsize;
    for (int how = 0; how < 3; how++) {
        /* how 0: the first side low; 1: the first side high; 2: both the same */
        int high = how == 2 ? 1 : (how == 0 ? !s->first : s->first);
        MPI_Comm m;
        OK(MPI_Intercomm_merge(s->ic, high, &m));
        int flag, size, rank;
        MPI_Comm_test_inter(m, &flag);
        MPI_Comm_size(m, &size);
        MPI_Comm_rank(m, &rank);
        CHECK(!flag && size == L + R, "merged: inter %d size %d, want intra of %d", flag, size, L + R);
        int low_first = how == 2 ? -1 : !high; /* this side comes first */
        if (low_first >= 0)
            CHECK(rank == (low_first ? s->lrank : R + s->lrank), "merge(high=%d): rank %d, local rank %d", high,
                  rank, s->lrank);
        /* every process's world rank, by merged rank */
        int all[128];
        OK(MPI_Allgather(&wrank, 1, MPI_INT, all, 1, MPI_INT, m));
        int off = all[0] == s->lworld[0] ? 0 : R; /* where the local group starts */
        for (int i = 0; i < L; i++)
            CHECK(all[off + i] == s->lworld[i], "merged rank %d is world %d, want %d", off + i, all[off + i],
                  s->lworld[i]);
        for (int i = 0; i < R; i++)
            CHECK(all[(off ? 0 : L) + i] == s->rworld[i], "merged: remote group out of order");
        int sum;
        OK(MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, m));
        CHECK(sum == size * (size - 1) / 2, "merged: ranks sum to %d", sum);
        OK(MPI_Comm_free(&m));
    }
}

static void check_dup_split_create(struct side *s)
{
    MPI_Comm d;
    int res;
    OK(MPI_Comm_dup(s->ic, &d));
    OK(MPI_Comm_compare(s->ic, d, &res));
    CHECK(res == MPI_CONGRUENT, "compare(ic, dup) = %d", res);
    OK(MPI_Comm_compare(s->ic, s->ic, &res));
    CHECK(res == MPI_IDENT, "compare(ic, ic) = %d", res);
    OK(MPI_Comm_compare(s->ic, MPI_COMM_WORLD, &res));
    CHECK(res == MPI_UNEQUAL, "compare(ic, world) = %d", res);
    struct side t = *s;
    t.ic = d;
    check_shape(&t);
    check_p2p(&t);
    OK(MPI_Barrier(d));
    OK(MPI_Comm_free(&d));
    CHECK(d == MPI_COMM_NULL, "free left the handle");

    /* split: color = local rank % 2, key = -local rank */
    MPI_Comm sp;
    OK(MPI_Comm_split(s->ic, s->lrank % 2, -s->lrank, &sp));
    int lw[64], rw[64], ln = 0, rn = 0;
    for (int i = s->lsize - 1; i >= 0; i--)
        if (i % 2 == s->lrank % 2)
            lw[ln++] = s->lworld[i];
    for (int i = s->rsize - 1; i >= 0; i--)
        if (i % 2 == s->lrank % 2)
            rw[rn++] = s->rworld[i];
    if (rn == 0) {
        CHECK(sp == MPI_COMM_NULL, "split: no remote process of color %d, yet a communicator", s->lrank % 2);
    } else {
        CHECK(sp != MPI_COMM_NULL, "split: MPI_COMM_NULL");
        describe(&t, lw, ln, rw, rn);
        t.ic = sp;
        check_shape(&t);
        check_p2p(&t);
        int x = wrank, y;
        OK(MPI_Allreduce(&x, &y, 1, MPI_INT, MPI_MAX, sp));
        int want = -1;
        for (int i = 0; i < rn; i++)
            want = rw[i] > want ? rw[i] : want;
        CHECK(y == want, "allreduce on the split intercommunicator: %d, want %d", y, want);
        OK(MPI_Comm_free(&sp));
    }
    MPI_Comm un;
    OK(MPI_Comm_split(s->ic, MPI_UNDEFINED, 0, &un));
    CHECK(un == MPI_COMM_NULL, "split with MPI_UNDEFINED everywhere gave a communicator");

    /* create: the even local ranks */
    MPI_Group lg, sub;
    MPI_Comm_group(s->ic, &lg);
    int ev[64], ne = 0;
    for (int i = 0; i < s->lsize; i += 2)
        ev[ne++] = i;
    MPI_Group_incl(lg, ne, ev, &sub);
    MPI_Comm cr;
    OK(MPI_Comm_create(s->ic, sub, &cr));
    if (s->lrank % 2) {
        CHECK(cr == MPI_COMM_NULL, "create: not in the group, yet a communicator");
    } else {
        CHECK(cr != MPI_COMM_NULL, "create: MPI_COMM_NULL");
        ln = rn = 0;
        for (int i = 0; i < s->lsize; i += 2)
            lw[ln++] = s->lworld[i];
        for (int i = 0; i < s->rsize; i += 2)
            rw[rn++] = s->rworld[i];
        describe(&t, lw, ln, rw, rn);
        t.ic = cr;
        check_shape(&t);
        check_p2p(&t);
        OK(MPI_Comm_free(&cr));
    }
    MPI_Group_free(&sub);
    MPI_Group_free(&lg);
}

static void check_one(struct side *s)
{
    check_shape(s);
    check_p2p(s);
    check_rooted(s);
    check_all(s);
    check_merge(s);
    check_dup_split_create(s);
}

/* ------------------------------------------------------------------ the splits */

static int two(int r) { return r % 3 == 1; }      /* 1, 4, 7: the smaller group */
static int three(int r) { return r % 3; }
static int neg(int r) { return -r; }
static int same(int r) { return 0; }

/* Two groups of one split; intercommunicator between them. */
static void two_groups(void)
{
    MPI_Comm half;
    OK(MPI_Comm_split(MPI_COMM_WORLD, two(wrank), two(wrank) ? neg(wrank) : wrank, &half));
    struct side s;
    int lw[64], rw[64];
    int ln = members(two, two(wrank) ? neg : same, two(wrank), lw);
    int rn = members(two, two(wrank) ? same : neg, !two(wrank), rw);
    describe(&s, lw, ln, rw, rn);
    /* leaders: local rank 0 of each half; their world ranks in the peer */
    OK(MPI_Intercomm_create(half, 0, MPI_COMM_WORLD, rw[0], 11, &s.ic));
    check_one(&s);
    OK(MPI_Comm_free(&s.ic));
    OK(MPI_Comm_free(&half));
}

/* Groups made by two different splits, with different context ids in use:
 * the smaller group gets its communicator from one split, the rest from
 * another, after holding a dup; non-zero local leaders. */
static void different_splits(void)
{
    MPI_Comm a, b, hold = MPI_COMM_NULL;
    OK(MPI_Comm_split(MPI_COMM_WORLD, two(wrank) ? 0 : MPI_UNDEFINED, 0, &a));
    if (!two(wrank))
        OK(MPI_Comm_dup(MPI_COMM_SELF, &hold));
    OK(MPI_Comm_split(MPI_COMM_WORLD, two(wrank) ? MPI_UNDEFINED : 0, neg(wrank), &b));
    MPI_Comm local = two(wrank) ? a : b;
    struct side s;
    int lw[64], rw[64];
    int ln = members(two, two(wrank) ? same : neg, two(wrank), lw);
    int rn = members(two, two(wrank) ? neg : same, !two(wrank), rw);
    describe(&s, lw, ln, rw, rn);
    int lead = ln - 1; /* the last local rank leads; the peer is the other's last */
    OK(MPI_Intercomm_create(local, lead, MPI_COMM_WORLD, rw[rn - 1], 12, &s.ic));
    check_shape(&s);
    check_p2p(&s);
    check_all(&s);
    check_merge(&s);
    OK(MPI_Comm_free(&s.ic));
    OK(MPI_Comm_free(&local));
    if (hold != MPI_COMM_NULL)
        OK(MPI_Comm_free(&hold));
}

/* Three groups (rank % 3), an intercommunicator between each pair, built
 * in an order with no cycle: (0,1), (1,2), (0,2). */
static void three_groups(void)
{
    MPI_Comm g;
    int c = three(wrank);
    OK(MPI_Comm_split(MPI_COMM_WORLD, c, wrank, &g));
    static const int pairs[3][2] = { { 0, 1 }, { 1, 2 }, { 0, 2 } };
    struct side s[3];
    int have[3] = { 0, 0, 0 };
    for (int p = 0; p < 3; p++) {
        int a = pairs[p][0], b = pairs[p][1];
        if (c != a && c != b)
            continue;
        int other = c == a ? b : a, lw[64], rw[64];
        int ln = members(three, same, c, lw), rn = members(three, same, other, rw);
        describe(&s[p], lw, ln, rw, rn);
        OK(MPI_Intercomm_create(g, 0, MPI_COMM_WORLD, rw[0], 20 + p, &s[p].ic));
        have[p] = 1;
    }
    for (int p = 0; p < 3; p++)
        if (have[p]) {
            check_shape(&s[p]);
            check_p2p(&s[p]);
            check_all(&s[p]);
        }
    for (int p = 0; p < 3; p++)
        if (have[p])
            OK(MPI_Comm_free(&s[p].ic));
    OK(MPI_Comm_free(&g));
}

/* ------------------------------------------------------------------ errors */

static void expect(int rc, int cls, const char *what)
{
    int c = -1;
    if (rc != MPI_SUCCESS)
        MPI_Error_class(rc, &c);
    CHECK(rc != MPI_SUCCESS && c == cls, "%s: error class %d, want %d", what, c, cls);
}

static void errors(void)
{
    MPI_Comm half, ic;
    OK(MPI_Comm_split(MPI_COMM_WORLD, two(wrank), wrank, &half));
    int rw[64];
    members(two, same, !two(wrank), rw);
    expect(MPI_Intercomm_create(half, 99, MPI_COMM_WORLD, rw[0], 5, &ic), MPI_ERR_RANK, "local_leader out of range");
    expect(MPI_Intercomm_create(MPI_COMM_NULL, 0, MPI_COMM_WORLD, rw[0], 5, &ic), MPI_ERR_COMM, "local_comm NULL");
    OK(MPI_Intercomm_create(half, 0, MPI_COMM_WORLD, rw[0], 5, &ic));
    int x = 1, y, rs;
    MPI_Comm_remote_size(ic, &rs);
    expect(MPI_Scan(&x, &y, 1, MPI_INT, MPI_SUM, ic), MPI_ERR_COMM, "MPI_Scan on an intercommunicator");
    expect(MPI_Exscan(&x, &y, 1, MPI_INT, MPI_SUM, ic), MPI_ERR_COMM, "MPI_Exscan on an intercommunicator");
    expect(MPI_Send(&x, 1, MPI_INT, rs, 0, ic), MPI_ERR_RANK, "send to the remote size");
    expect(MPI_Recv(&x, 1, MPI_INT, rs + 3, 0, ic, MPI_STATUS_IGNORE), MPI_ERR_RANK, "receive from beyond");
    expect(MPI_Bcast(&x, 1, MPI_INT, rs, ic), MPI_ERR_ROOT, "bcast root = remote size");
    expect(MPI_Reduce(&x, &y, 1, MPI_INT, MPI_SUM, -5, ic), MPI_ERR_ROOT, "reduce root -5");
    expect(MPI_Gather(&x, 1, MPI_INT, &y, 1, MPI_INT, rs + 1, ic), MPI_ERR_ROOT, "gather root beyond");
    expect(MPI_Intercomm_merge(half, 0, &ic), MPI_ERR_COMM, "merge of an intracommunicator");
    expect(MPI_Comm_remote_size(MPI_COMM_WORLD, &y), MPI_ERR_COMM, "remote size of the world");
    MPI_Group gr;
    expect(MPI_Comm_remote_group(half, &gr), MPI_ERR_COMM, "remote group of an intracommunicator");
    expect(MPI_Intercomm_create(ic, 0, MPI_COMM_WORLD, rw[0], 5, &half), MPI_ERR_COMM, "local_comm inter");
    OK(MPI_Comm_free(&ic));
    OK(MPI_Comm_free(&half));
}

/* A long-lived intercommunicator with traffic every round. */
static struct side keep;

static void keep_traffic(void)
{
    check_p2p(&keep);
    check_all(&keep);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &wrank);
    MPI_Comm_size(MPI_COMM_WORLD, &wsize);
    CHECK(wsize >= 2 && wsize <= 64, "run at 2 to 64 ranks");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rounds = argc > 1 ? atoi(argv[1]) : 1;

    MPI_Comm kl;
    OK(MPI_Comm_split(MPI_COMM_WORLD, wrank % 2, wrank, &kl));
    {
        int lw[64], rw[64], ln = 0, rn = 0;
        for (int r = 0; r < wsize; r++)
            if (r % 2 == wrank % 2)
                lw[ln++] = r;
            else
                rw[rn++] = r;
        describe(&keep, lw, ln, rw, rn);
        OK(MPI_Intercomm_create(kl, 0, MPI_COMM_WORLD, rw[0], 30, &keep.ic));
    }
    for (round_no = 0; round_no < rounds; round_no++) {
        keep_traffic();
        two_groups();
        keep_traffic();
        different_splits();
        if (wsize >= 3)
            three_groups();
        errors();
        if (wrank == 0) {
            printf("round %d ok\n", round_no);
            fflush(stdout);
        }
    }
    OK(MPI_Comm_free(&keep.ic));
    OK(MPI_Comm_free(&kl));
    MPI_Finalize();
    if (wrank == 0)
        printf("inter ok (%d ranks)\n", wsize);
    return 0;
}
