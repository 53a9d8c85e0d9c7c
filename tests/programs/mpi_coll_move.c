/* mpi_coll_move.c — MPI test of the collectives that move data: Bcast,
 * Gather(v), Scatter(v), Allgather(v), Alltoall(v,w), for pairs of send and
 * receive datatypes of the same signature (contiguous or not, with a lower
 * bound), counts from 0 to beyond every algorithm threshold, several roots,
 * with and without MPI_IN_PLACE, on MPI_COMM_WORLD, on halves of it and on
 * a communicator whose ranks run backwards.  Every value received is
 * checked, and so are the bytes nobody may write.  Each rank prints its
 * failures; rank 0 prints a summary; the exit status is 1 on any failure.
 *
 * usage: mpi_coll_move [MAXCOUNT]   (values per block, default 20000) */
#include "mpi_coll_common.h"

static unsigned seed_next = 1;
static int maxcount = 20000;

struct pair {
    int s, r; /* send and receive types (same signature for the same number of values) */
};
static const struct pair pairs[] = {
    {T_INT, T_INT}, {T_DBL, T_VEC}, {T_VEC, T_DBL}, {T_IGAP, T_SHIFT}, {T_SHIFT, T_IGAP}, {T_VEC, T_VEC},
};
#define NPAIRS ((int)(sizeof pairs / sizeof pairs[0]))

/* counts of values (even: VEC holds 2) */
static const int counts[] = {0, 2, 10, 300, 2600, 20000};
#define NCOUNTS ((int)(sizeof counts / sizeof counts[0]))

static void bcast(MPI_Comm comm, const struct ttype *t, int c, int root)
{
    int r;
    MPI_Comm_rank(comm, &r);
    unsigned seed = seed_next++;
    size_t bytes;
    char *buf = tbuf(t, (size_t)c / t->nb, &bytes), *mask = calloc(bytes, 1);
    if (r == root)
        for (int k = 0; k < c; k++)
            tset(t, buf, k, seed, root, 0, k);
    EXPECT_OK(MPI_Bcast(buf, c / t->nb, t->dt, root, comm));
    for (int k = 0; k < c; k++)
        if (!tis(t, buf, k, seed, root, 0, k)) {
            failed("value %d differs", k);
            break;
        }
    tmark(t, mask, buf, 0, c);
    tguard(buf, mask, bytes, "bcast buffer");
    free(buf);
    free(mask);
}

/* gatherv's and scatterv's counts: uneven, some zero; displacements in
 * reverse rank order with a gap of one element. */
static void vlayout(int n, int c, unsigned seed, int nb, int *cnt, int *displs)
{
    int off = 0;
    for (int i = 0; i < n; i++) {
        cnt[i] = i % 3 == 1 ? 0 : (int)(mix64(seed + (unsigned)i) % (unsigned)(c / 2 + 1)) * 2;
        cnt[i] /= nb; /* elements */
    }
    for (int i = n - 1; i >= 0; i--) {
        displs[i] = off;
        off += cnt[i] + 1;
    }
}

/* v: 0 gather, 1 gatherv (uneven), 2 allgather, 3 allgatherv (uneven) */
static void gather(MPI_Comm comm, const struct pair *p, int c, int root, int in_place, int v)
{
    int r, n;
    MPI_Comm_rank(comm, &r);
    MPI_Comm_size(comm, &n);
    const struct ttype *st = &tt[p->s], *rt = &tt[p->r];
    unsigned seed = seed_next++;
    int *rc = malloc(sizeof(int) * n), *displs = malloc(sizeof(int) * n);
    int uneven = v == 1 || v == 3, all = v >= 2;
    if (uneven) {
        if (st->nb != rt->nb) /* uneven counts need one shape on both sides */
            rt = st;
        vlayout(n, c, seed, rt->nb, rc, displs);
    } else {
        for (int i = 0; i < n; i++) {
            rc[i] = c / rt->nb;
            displs[i] = i * rc[i];
        }
    }
    int mine = rc[r] * rt->nb; /* values */
    size_t sbytes, rbytes, total = 0;
    for (int i = 0; i < n; i++)
        if ((size_t)(displs[i] + rc[i]) > total)
            total = (size_t)(displs[i] + rc[i]);
    char *sbuf = tbuf(st, (size_t)mine / st->nb, &sbytes);
    char *rbuf = tbuf(rt, total, &rbytes), *mask = calloc(rbytes, 1);
    for (int k = 0; k < mine; k++)
        tset(st, sbuf, k, seed, r, 0, k);
    int here = all || r == root; /* receives */
    int ip = in_place && here;
    if (ip)
        for (int k = 0; k < mine; k++)
            tset(rt, rbuf, (size_t)displs[r] * rt->nb + k, seed, r, 0, k);
    const void *s = ip ? MPI_IN_PLACE : sbuf;
    int scount = mine / st->nb;
    switch (v) {
    case 0:
        EXPECT_OK(MPI_Gather(s, scount, st->dt, here ? rbuf : NULL, rc[0], rt->dt, root, comm));
        break;
    case 1:
        EXPECT_OK(MPI_Gatherv(s, scount, st->dt, here ? rbuf : NULL, rc, displs, rt->dt, root, comm));
        break;
    case 2:
        EXPECT_OK(MPI_Allgather(s, scount, st->dt, rbuf, rc[0], rt->dt, comm));
        break;
    default:
        EXPECT_OK(MPI_Allgatherv(s, scount, st->dt, rbuf, rc, displs, rt->dt, comm));
    }
    if (here) {
        for (int i = 0; i < n; i++) {
            size_t k0 = (size_t)displs[i] * rt->nb;
            for (int k = 0; k < rc[i] * rt->nb; k++)
                if (!tis(rt, rbuf, k0 + k, seed, i, 0, k)) {
                    failed("value %d of rank %d's block differs", k, i);
                    i = n;
                    break;
                }
            tmark(rt, mask, rbuf, k0, k0 + (size_t)rc[i] * rt->nb);
        }
    }
    tguard(rbuf, mask, rbytes, "receive buffer");
    free(sbuf);
    free(rbuf);
    free(mask);
    free(rc);
    free(displs);
}

/* v: 0 scatter, 1 scatterv (uneven) */
static void scatter(MPI_Comm comm, const struct pair *p, int c, int root, int in_place, int v)
{
    int r, n;
    MPI_Comm_rank(comm, &r);
    MPI_Comm_size(comm, &n);
    const struct ttype *st = &tt[p->s], *rt = &tt[p->r];
    unsigned seed = seed_next++;
    int *sc = malloc(sizeof(int) * n), *displs = malloc(sizeof(int) * n);
    if (v) {
        if (st->nb != rt->nb)
            rt = st;
        vlayout(n, c, seed, st->nb, sc, displs);
    } else {
        for (int i = 0; i < n; i++) {
            sc[i] = c / st->nb;
            displs[i] = i * sc[i];
        }
    }
    size_t total = 0, sbytes, rbytes;
    for (int i = 0; i < n; i++)
        if ((size_t)(displs[i] + sc[i]) > total)
            total = (size_t)(displs[i] + sc[i]);
    char *sbuf = tbuf(st, total, &sbytes);
    int mine = sc[r] * st->nb;
    char *rbuf = tbuf(rt, (size_t)mine / rt->nb, &rbytes), *mask = calloc(rbytes, 1);
    if (r == root)
        for (int i = 0; i < n; i++)
            for (int k = 0; k < sc[i] * st->nb; k++)
                tset(st, sbuf, (size_t)displs[i] * st->nb + k, seed, root, i, k);
    int ip = in_place && r == root;
    void *rb = ip ? MPI_IN_PLACE : rbuf;
    if (v == 0)
        EXPECT_OK(MPI_Scatter(r == root ? sbuf : NULL, sc[0], st->dt, rb, mine / rt->nb, rt->dt, root, comm));
    else
        EXPECT_OK(MPI_Scatterv(r == root ? sbuf : NULL, sc, displs, st->dt, rb, mine / rt->nb, rt->dt, root, comm));
    if (!ip) {
        for (int k = 0; k < mine; k++)
            if (!tis(rt, rbuf, k, seed, root, r, k)) {
                failed("value %d differs", k);
                break;
            }
        tmark(rt, mask, rbuf, 0, mine);
    }
    tguard(rbuf, mask, rbytes, "receive buffer");
    free(sbuf);
    free(rbuf);
    free(mask);
    free(sc);
    free(displs);
}

/* Values in the block a -> b of alltoallv/w: symmetric, some zero, even. */
static int vcount(unsigned seed, int a, int b, int c)
{
    int lo = a < b ? a : b, hi = a < b ? b : a;
    if ((lo + hi) % 4 == 3)
        return 0;
    return (int)(mix64(seed * 131u + (unsigned)lo * 977u + (unsigned)hi) % (unsigned)(c / 2 + 1)) * 2;
}

/* v: 0 alltoall, 1 alltoallv, 2 alltoallw (the pair's types in one
 * direction for even a+b, the other way for odd) */
static void alltoall(MPI_Comm comm, const struct pair *p, int c, int in_place, int v)
{
    int r, n;
    MPI_Comm_rank(comm, &r);
    MPI_Comm_size(comm, &n);
    unsigned seed = seed_next++;
    int *sc = malloc(sizeof(int) * n), *rc = malloc(sizeof(int) * n);
    int *sd = malloc(sizeof(int) * n), *rd = malloc(sizeof(int) * n);
    MPI_Datatype *sdt = malloc(sizeof(MPI_Datatype) * n), *rdt = malloc(sizeof(MPI_Datatype) * n);
    const struct ttype **sty = malloc(sizeof(void *) * n), **rty = malloc(sizeof(void *) * n);
    const struct ttype *st = &tt[p->s], *rt = &tt[p->r];
    if (v == 1 && st->nb != rt->nb)
        rt = st;
    if (in_place && v != 2) /* the receive layout describes the blocks sent */
        st = rt;
    /* byte offsets of each block, send and receive side; blocks reversed with gaps */
    size_t soff = 0, roff = 0;
    for (int j = n - 1; j >= 0; j--) {
        int vs = v == 0 ? c : vcount(seed, r, j, c), vr = v == 0 ? c : vcount(seed, j, r, c);
        sty[j] = st;
        rty[j] = rt;
        if (v == 2 && (r + j) % 2 && !in_place) {
            sty[j] = rt;
            rty[j] = st;
        }
        if (v == 2 && in_place)
            sty[j] = rty[j];
        sc[j] = vs / sty[j]->nb;
        rc[j] = vr / rty[j]->nb;
        sdt[j] = sty[j]->dt;
        rdt[j] = rty[j]->dt;
        if (v == 0) {
            sd[j] = j * sc[j];
            rd[j] = j * rc[j];
        } else if (v == 1) {
            sd[j] = (int)soff;
            rd[j] = (int)roff;
            soff += (size_t)sc[j] + 1;
            roff += (size_t)rc[j] + 1;
        } else {
            sd[j] = (int)soff;
            rd[j] = (int)roff;
            soff += (size_t)(sc[j] + 1) * 24 + 8;
            roff += (size_t)(rc[j] + 1) * 24 + 8;
        }
    }
    /* the arrays, as elements of st / rt, or bytes for alltoallw */
    size_t se = v == 0 ? (size_t)n * sc[0] : v == 1 ? soff : soff / 4 + 1;
    size_t re = v == 0 ? (size_t)n * rc[0] : v == 1 ? roff : roff / 4 + 1;
    size_t sbytes, rbytes;
    char *sbuf = tbuf(v == 2 ? &tt[T_INT] : st, se, &sbytes);
    char *rbuf = tbuf(v == 2 ? &tt[T_INT] : rt, re, &rbytes), *mask = calloc(rbytes, 1);
    /* where block j starts: an element index of the array, or a byte offset */
#define SBLK(j) (v == 2 ? sbuf + sd[j] : sbuf + (MPI_Aint)sd[j] * st->extent)
#define RBLK(j) (v == 2 ? rbuf + rd[j] : rbuf + (MPI_Aint)rd[j] * rt->extent)
    for (int j = 0; j < n; j++) {
        int vals = sc[j] * sty[j]->nb;
        for (int k = 0; k < vals; k++) {
            if (in_place)
                tset(rty[j], RBLK(j), k, seed, r, j, k);
            else
                tset(sty[j], SBLK(j), k, seed, r, j, k);
        }
    }
    const void *s = in_place ? MPI_IN_PLACE : sbuf;
    if (v == 0)
        EXPECT_OK(MPI_Alltoall(s, sc[0], st->dt, rbuf, rc[0], rt->dt, comm));
    else if (v == 1)
        EXPECT_OK(MPI_Alltoallv(s, sc, sd, st->dt, rbuf, rc, rd, rt->dt, comm));
    else
        EXPECT_OK(MPI_Alltoallw(s, sc, sd, sdt, rbuf, rc, rd, rdt, comm));
    for (int j = 0; j < n; j++) {
        int vals = rc[j] * rty[j]->nb;
        for (int k = 0; k < vals; k++)
            if (!tis(rty[j], RBLK(j), k, seed, j, r, k)) {
                failed("value %d of the block from %d differs", k, j);
                j = n;
                break;
            }
    }
    for (int j = 0; j < n; j++) { /* the data's bytes, relative to rbuf */
        const struct ttype *t = rty[j];
        size_t w = t->is_double ? 8 : 4;
        for (int k = 0; k < rc[j] * t->nb; k++)
            memset(mask + (tval(t, RBLK(j), k) - rbuf), 1, w);
    }
    tguard(rbuf, mask, rbytes, "receive buffer");
#undef SBLK
#undef RBLK
    free(sbuf);
    free(rbuf);
    free(mask);
    free(sc);
    free(rc);
    free(sd);
    free(rd);
    free(sdt);
    free(rdt);
    free(sty);
    free(rty);
}

static void suite(MPI_Comm comm, const char *name, unsigned id)
{
    int r, n;
    seed_next = id << 20; /* the same sequence on every member, whatever other suites did */
    MPI_Comm_rank(comm, &r);
    MPI_Comm_size(comm, &n);
    for (int ci = 0; ci < NCOUNTS; ci++) {
        int c = counts[ci];
        if (c > maxcount)
            continue;
        for (int pi = 0; pi < NPAIRS; pi++) {
            const struct pair *p = &pairs[pi];
            int roots[3] = {0, n - 1, n / 2}, nroots = n < 3 ? n : 3;
            for (int ri = 0; ri < nroots; ri++) {
                int root = roots[ri];
                snprintf(where, sizeof where, "%s: MPI_Bcast of %d values of %s, root %d", name, c,
                         tt[p->s].name, root);
                bcast(comm, &tt[p->s], c, root);
                for (int ip = 0; ip < 2; ip++) {
                    static const char *gn[] = {"MPI_Gather", "MPI_Gatherv", "MPI_Allgather", "MPI_Allgatherv"};
                    for (int v = 0; v < 4; v++) {
                        if (v >= 2 && ri > 0)
                            continue;
                        snprintf(where, sizeof where, "%s: %s of %d values, %s -> %s, root %d%s", name, gn[v], c,
                                 tt[p->s].name, tt[p->r].name, root, ip ? ", MPI_IN_PLACE" : "");
                        gather(comm, p, c, root, ip, v);
                    }
                    for (int v = 0; v < 2; v++) {
                        snprintf(where, sizeof where, "%s: %s of %d values, %s -> %s, root %d%s", name,
                                 v ? "MPI_Scatterv" : "MPI_Scatter", c, tt[p->s].name, tt[p->r].name, root,
                                 ip ? ", MPI_IN_PLACE" : "");
                        scatter(comm, p, c, root, ip, v);
                    }
                    if (ri > 0)
                        continue;
                    static const char *an[] = {"MPI_Alltoall", "MPI_Alltoallv", "MPI_Alltoallw"};
                    for (int v = 0; v < 3; v++) {
                        if (v > 0 && c > 2600)
                            continue;
                        snprintf(where, sizeof where, "%s: %s of %d values a block, %s -> %s%s", name, an[v], c,
                                 tt[p->s].name, tt[p->r].name, ip ? ", MPI_IN_PLACE" : "");
                        alltoall(comm, p, c, ip, v);
                    }
                }
            }
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
    make_types();

    suite(MPI_COMM_WORLD, "world", 1);
    MPI_Comm half, back;
    MPI_Comm_split(MPI_COMM_WORLD, world_rank % 2, world_rank, &half);
    suite(half, "half", 2);
    MPI_Comm_split(MPI_COMM_WORLD, 0, world_size - world_rank, &back);
    suite(back, "reversed", 3);
    MPI_Comm_free(&half);
    MPI_Comm_free(&back);

    free_types();
    if (world_rank == 0)
        printf("mpi_coll_move: %d calls checked on rank 0, %d ranks, %s\n", checks, world_size,
               failures ? "FAILURES" : "all correct");
    MPI_Finalize();
    return failures ? 1 : 0;
}
