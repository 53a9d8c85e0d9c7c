/* mpi_topo.c — process topologies and neighbourhood collectives, at any
 * number of ranks: every answer of the library is compared with one this
 * program computes itself (row-major grids, wrapping by hand, neighbour
 * lists built from the edges given).  Error classes are checked under
 * MPI_ERRORS_RETURN.  With argument "cycle", the channels are drained,
 * closed and reconnected (what a checkpoint that continues does) between
 * the parts and while topologies made at the start are alive, which must
 * still answer and carry neighbourhood collectives afterwards.  Fails
 * loudly: the first failures are printed, then the job ends with
 * MPI_Abort(1).  Prints "topo ok (N ranks)" on rank 0. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank, size, failures;

#define CHECK(cond, ...)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            if (failures++ < 5) {                                                     \
                fprintf(stderr, "rank %d: FAILED %s:%d: ", rank, __FILE__, __LINE__); \
                fprintf(stderr, __VA_ARGS__);                                         \
                fprintf(stderr, "\n");                                                \
            }                                                                         \
        }                                                                             \
    } while (0)

/* ------------------------------------------------------------ independent grid arithmetic */

static void my_coords(int nd, const int *dims, int r, int *coords)
{
    int stride = 1;
    for (int d = 0; d < nd; d++)
        stride *= dims[d];
    for (int d = 0; d < nd; d++) {
        stride /= dims[d];
        coords[d] = r / stride;
        r %= stride;
    }
}

/* -1 when off a non-periodic edge */
static int my_rank(int nd, const int *dims, const int *periods, const int *coords)
{
    int r = 0;
    for (int d = 0; d < nd; d++) {
        int x = coords[d];
        if (x < 0 || x >= dims[d]) {
            if (!periods[d])
                return -1;
            x = ((x % dims[d]) + dims[d]) % dims[d];
        }
        r = r * dims[d] + x;
    }
    return r;
}

static int my_shift(int nd, const int *dims, const int *periods, int r, int dim, int disp)
{
    int c[8];
    my_coords(nd, dims, r, c);
    c[dim] += disp;
    int q = my_rank(nd, dims, periods, c);
    return q < 0 ? MPI_PROC_NULL : q;
}

/* ------------------------------------------------------------ Dims_create */

static void test_dims_create(void)
{
    static const struct {
        int nnodes, ndims, in[4], out[4], err;
    } table[] = {
        { 6, 2, { 0, 0 }, { 3, 2 }, MPI_SUCCESS },
        { 7, 2, { 0, 0 }, { 7, 1 }, MPI_SUCCESS },
        { 6, 3, { 0, 3, 0 }, { 2, 3, 1 }, MPI_SUCCESS },
        { 7, 3, { 0, 3, 0 }, { 0 }, MPI_ERR_DIMS },
        { 1, 3, { 0, 0, 0 }, { 1, 1, 1 }, MPI_SUCCESS },
        { 12, 2, { 0, 0 }, { 4, 3 }, MPI_SUCCESS },
        { 16, 3, { 0, 0, 0 }, { 4, 2, 2 }, MPI_SUCCESS },
        { 24, 3, { 0, 0, 0 }, { 4, 3, 2 }, MPI_SUCCESS },
        { 72, 2, { 0, 0 }, { 9, 8 }, MPI_SUCCESS },
        { 72, 3, { 0, 0, 0 }, { 6, 4, 3 }, MPI_SUCCESS },
        { 64, 3, { 0, 0, 0 }, { 4, 4, 4 }, MPI_SUCCESS },
        { 30, 3, { 0, 0, 0 }, { 5, 3, 2 }, MPI_SUCCESS },
        { 32, 3, { 0, 0, 0 }, { 4, 4, 2 }, MPI_SUCCESS },
        { 36, 2, { 0, 0 }, { 6, 6 }, MPI_SUCCESS },
        { 100, 3, { 0, 0, 0 }, { 5, 5, 4 }, MPI_SUCCESS },
        { 60, 3, { 0, 0, 0 }, { 5, 4, 3 }, MPI_SUCCESS },
        { 48, 4, { 0, 0, 0, 0 }, { 4, 3, 2, 2 }, MPI_SUCCESS },
        { 4, 4, { 0, 0, 0, 0 }, { 2, 2, 1, 1 }, MPI_SUCCESS },
        { 1000, 3, { 0, 0, 0 }, { 10, 10, 10 }, MPI_SUCCESS },
        { 997, 3, { 0, 0, 0 }, { 997, 1, 1 }, MPI_SUCCESS },
        { 210, 4, { 0, 0, 0, 0 }, { 7, 5, 3, 2 }, MPI_SUCCESS },
        { 144, 4, { 0, 0, 0, 0 }, { 4, 4, 3, 3 }, MPI_SUCCESS },
        /* 10 6 6 is as spread out (4) as 9 8 5; the largest as small as possible decides */
        { 360, 3, { 0, 0, 0 }, { 9, 8, 5 }, MPI_SUCCESS },
        { 8, 3, { 2, 0, 0 }, { 2, 2, 2 }, MPI_SUCCESS },
        { 12, 3, { 0, 0, 2 }, { 3, 2, 2 }, MPI_SUCCESS },
        { 24, 3, { 0, 4, 0 }, { 3, 4, 2 }, MPI_SUCCESS },
        { 10, 2, { 5, 2 }, { 5, 2 }, MPI_SUCCESS },
        { 5, 2, { 5, 2 }, { 0 }, MPI_ERR_DIMS },
        { 9, 2, { 2, 0 }, { 0 }, MPI_ERR_DIMS },
        { 6, 1, { 0 }, { 6 }, MPI_SUCCESS },
        { 1, 0, { 0 }, { 0 }, MPI_SUCCESS },
        { 6, 0, { 0 }, { 0 }, MPI_ERR_DIMS },
        { 6, 2, { -1, 0 }, { 0 }, MPI_ERR_DIMS },
        { 0, 2, { 0, 0 }, { 0 }, MPI_ERR_ARG },
        { 6, -1, { 0 }, { 0 }, MPI_ERR_DIMS },
    };
    for (size_t k = 0; k < sizeof table / sizeof table[0]; k++) {
        int dims[4];
        memcpy(dims, table[k].in, sizeof dims);
        int rc = MPI_Dims_create(table[k].nnodes, table[k].ndims, dims);
        int cls = -1;
        MPI_Error_class(rc, &cls);
        CHECK(cls == table[k].err, "Dims_create(%d, %d) case %zu returned class %d, want %d", table[k].nnodes,
              table[k].ndims, k, cls, table[k].err);
        if (rc == MPI_SUCCESS && table[k].err == MPI_SUCCESS)
            for (int d = 0; d < table[k].ndims; d++)
                CHECK(dims[d] == table[k].out[d], "Dims_create(%d, %d) case %zu: dims[%d] = %d, want %d",
                      table[k].nnodes, table[k].ndims, k, d, dims[d], table[k].out[d]);
    }
    /* the world's own shapes: product right, non-increasing */
    for (int nd = 1; nd <= 4; nd++) {
        int dims[4] = { 0, 0, 0, 0 }, prod = 1;
        MPI_Dims_create(size, nd, dims);
        for (int d = 0; d < nd; d++) {
            prod *= dims[d];
            CHECK(d == 0 || dims[d] <= dims[d - 1], "Dims_create(%d, %d) not non-increasing", size, nd);
        }
        CHECK(prod == size, "Dims_create(%d, %d): product %d", size, nd, prod);
    }
}

/* ------------------------------------------------------------ Cartesian */

/* Everything about one grid; grid of `nodes` <= size processes. */
static void check_cart(int nd, const int *dims, const int *periods)
{
    int nodes = 1;
    for (int d = 0; d < nd; d++)
        nodes *= dims[d];
    MPI_Comm cart;
    int rc = MPI_Cart_create(MPI_COMM_WORLD, nd, dims, periods, 1, &cart);
    CHECK(rc == MPI_SUCCESS, "Cart_create nd=%d returned %d", nd, rc);
    int newrank;
    MPI_Cart_map(MPI_COMM_WORLD, nd, dims, periods, &newrank);
    CHECK(newrank == (rank < nodes ? rank : MPI_UNDEFINED), "Cart_map gave %d", newrank);
    if (rank >= nodes) {
        CHECK(cart == MPI_COMM_NULL, "rank outside the grid got a communicator");
        return;
    }
    CHECK(cart != MPI_COMM_NULL, "rank inside the grid got MPI_COMM_NULL");
    int st, n, r;
    MPI_Topo_test(cart, &st);
    CHECK(st == MPI_CART, "Topo_test gave %d, want MPI_CART", st);
    MPI_Comm_size(cart, &n);
    MPI_Comm_rank(cart, &r);
    CHECK(n == nodes && r == rank, "grid size %d rank %d, want %d %d", n, r, nodes, rank);
    int ndg = -1;
    MPI_Cartdim_get(cart, &ndg);
    CHECK(ndg == nd, "Cartdim_get %d want %d", ndg, nd);
    int gd[8], gp[8], gc[8], want[8];
    MPI_Cart_get(cart, 8, gd, gp, gc);
    my_coords(nd, dims, rank, want);
    for (int d = 0; d < nd; d++)
        CHECK(gd[d] == dims[d] && !!gp[d] == !!periods[d] && gc[d] == want[d],
              "Cart_get dim %d: %d %d %d want %d %d %d", d, gd[d], gp[d], gc[d], dims[d], periods[d], want[d]);
    for (int q = 0; q < nodes; q++) {
        int c[8], w[8], back = -1;
        MPI_Cart_coords(cart, q, 8, c);
        my_coords(nd, dims, q, w);
        for (int d = 0; d < nd; d++)
            CHECK(c[d] == w[d], "Cart_coords(%d)[%d] = %d want %d", q, d, c[d], w[d]);
        MPI_Cart_rank(cart, c, &back);
        CHECK(back == q, "Cart_rank(coords of %d) = %d", q, back);
        /* periodic dimensions wrap, both ways and several turns */
        for (int d = 0; d < nd; d++)
            if (periods[d]) {
                int cc[8];
                memcpy(cc, c, sizeof cc);
                cc[d] += 3 * dims[d];
                MPI_Cart_rank(cart, cc, &back);
                CHECK(back == q, "Cart_rank wrap + in dim %d: %d want %d", d, back, q);
                cc[d] = c[d] - 2 * dims[d];
                MPI_Cart_rank(cart, cc, &back);
                CHECK(back == q, "Cart_rank wrap - in dim %d: %d want %d", d, back, q);
            }
    }
    static const int disps[] = { 1, -1, 2, -3, 0, 5 };
    for (int d = 0; d < nd; d++)
        for (size_t k = 0; k < sizeof disps / sizeof disps[0]; k++) {
            int src = -5, dst = -5;
            MPI_Cart_shift(cart, d, disps[k], &src, &dst);
            int ws = my_shift(nd, dims, periods, rank, d, -disps[k]), wd = my_shift(nd, dims, periods, rank, d, disps[k]);
            CHECK(src == ws && dst == wd, "Cart_shift(dim %d, %d) = %d %d want %d %d", d, disps[k], src, dst, ws, wd);
        }
    /* an ordinary communicator otherwise: a shift along dimension 0 and an allreduce */
    if (nd > 0) {
        int src, dst, got = -1;
        MPI_Cart_shift(cart, 0, 1, &src, &dst);
        MPI_Sendrecv(&rank, 1, MPI_INT, dst, 5, &got, 1, MPI_INT, src, 5, cart, MPI_STATUS_IGNORE);
        CHECK(got == (src == MPI_PROC_NULL ? -1 : src), "sendrecv on the grid got %d from %d", got, src);
    }
    int sum = 0;
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, cart);
    CHECK(sum == nodes * (nodes - 1) / 2, "allreduce on the grid: %d", sum);
    /* dup keeps the topology; split does not */
    MPI_Comm dup, split;
    MPI_Comm_dup(cart, &dup);
    MPI_Topo_test(dup, &st);
    CHECK(st == MPI_CART, "dup of a grid: Topo_test %d", st);
    MPI_Cart_get(dup, 8, gd, gp, gc);
    for (int d = 0; d < nd; d++)
        CHECK(gd[d] == dims[d] && gc[d] == want[d], "dup's Cart_get differs in dim %d", d);
    MPI_Comm_split(cart, 0, rank, &split);
    MPI_Topo_test(split, &st);
    CHECK(st == MPI_UNDEFINED, "split of a grid has topology %d", st);
    MPI_Comm_free(&split);
    MPI_Comm_free(&cart);
    MPI_Cartdim_get(dup, &ndg); /* the dup's copy outlives the original */
    CHECK(ndg == nd, "dup after freeing the original: Cartdim_get %d", ndg);
    MPI_Comm_free(&dup);
}

static void test_cart(void)
{
    int periods_all[3] = { 1, 1, 1 }, periods_none[3] = { 0, 0, 0 }, periods_mixed[3] = { 1, 0, 1 };
    for (int nd = 1; nd <= 3; nd++) {
        int dims[3] = { 0, 0, 0 };
        MPI_Dims_create(size, nd, dims);
        check_cart(nd, dims, periods_all);
        check_cart(nd, dims, periods_none);
        check_cart(nd, dims, periods_mixed);
    }
    /* grids smaller than the world, dimensions of size 1 and 2 */
    int d1[1] = { size > 1 ? size - 1 : 1 };
    check_cart(1, d1, periods_all);
    int d2[2] = { size, 1 };
    check_cart(2, d2, periods_all);
    int d3[3] = { 1, size, 1 };
    check_cart(3, d3, periods_mixed);
    if (size >= 4) {
        int d4[2] = { 2, size / 2 };
        check_cart(2, d4, periods_none);
    }
    check_cart(0, NULL, NULL);
}

static void check_sub(int nd, const int *dims, const int *periods, const int *remain)
{
    MPI_Comm cart, sub;
    MPI_Cart_create(MPI_COMM_WORLD, nd, dims, periods, 0, &cart);
    if (cart == MPI_COMM_NULL)
        return;
    MPI_Cart_sub(cart, remain, &sub);
    int mine[8], subdims[8], subper[8], subnd = 0, want_size = 1, want_rank = 0;
    my_coords(nd, dims, rank, mine);
    for (int d = 0; d < nd; d++)
        if (remain[d]) {
            subdims[subnd] = dims[d];
            subper[subnd++] = periods[d];
            want_size *= dims[d];
            want_rank = want_rank * dims[d] + mine[d];
        }
    int n, r, st, gnd;
    MPI_Comm_size(sub, &n);
    MPI_Comm_rank(sub, &r);
    CHECK(n == want_size && r == want_rank, "Cart_sub: size %d rank %d want %d %d", n, r, want_size, want_rank);
    MPI_Topo_test(sub, &st);
    MPI_Cartdim_get(sub, &gnd);
    CHECK(st == MPI_CART && gnd == subnd, "Cart_sub: topology %d with %d dims, want %d", st, gnd, subnd);
    int gd[8], gp[8], gc[8];
    MPI_Cart_get(sub, 8, gd, gp, gc);
    for (int d = 0, k = 0; d < nd; d++)
        if (remain[d]) {
            CHECK(gd[k] == subdims[k] && !!gp[k] == !!subper[k] && gc[k] == mine[d], "Cart_sub: dim %d differs", k);
            k++;
        }
    /* every member shares my coordinates in the dimensions dropped */
    int *all = malloc((size_t)n * sizeof *all);
    MPI_Allgather(&rank, 1, MPI_INT, all, 1, MPI_INT, sub);
    for (int i = 0; i < n; i++) {
        int c[8];
        my_coords(nd, dims, all[i], c);
        for (int d = 0; d < nd; d++)
            CHECK(remain[d] || c[d] == mine[d], "Cart_sub: member %d (world %d) is in another subgrid", i, all[i]);
        CHECK(i == 0 || all[i] > all[i - 1], "Cart_sub: members out of order");
    }
    free(all);
    MPI_Comm_free(&sub);
    MPI_Comm_free(&cart);
}

static void test_cart_sub(void)
{
    int periods[3] = { 1, 0, 1 };
    int dims3[3] = { 0, 0, 0 };
    MPI_Dims_create(size, 3, dims3);
    for (int mask = 0; mask < 8; mask++) {
        int remain[3] = { mask & 1, (mask >> 1) & 1, (mask >> 2) & 1 };
        check_sub(3, dims3, periods, remain);
    }
    int dims2[2] = { 0, 0 };
    MPI_Dims_create(size, 2, dims2);
    for (int mask = 0; mask < 4; mask++) {
        int remain[2] = { mask & 1, (mask >> 1) & 1 };
        check_sub(2, dims2, periods, remain);
    }
    if (size >= 2) { /* a grid smaller than the world */
        int dims[2] = { 1, size - 1 }, remain[2] = { 0, 1 };
        check_sub(2, dims, periods, remain);
    }
}

/* ------------------------------------------------------------ graphs */

/* A ring plus spokes from node 0 to everyone (duplicates at small sizes). */
static int build_graph(int n, int *index, int *edges)
{
    int e = 0;
    for (int i = 0; i < n; i++) {
        if (n > 1) {
            edges[e++] = (i + 1) % n;
            edges[e++] = (i + n - 1) % n;
        }
        if (i == 0)
            for (int j = 1; j < n; j++)
                edges[e++] = j;
        else
            edges[e++] = 0;
        index[i] = e;
    }
    return e;
}

static void test_graph(int nnodes)
{
    int *index = malloc((size_t)nnodes * sizeof *index), *edges = malloc(4 * (size_t)nnodes * sizeof *edges);
    int nedges = build_graph(nnodes, index, edges);
    MPI_Comm g;
    MPI_Graph_create(MPI_COMM_WORLD, nnodes, index, edges, 1, &g);
    int newrank;
    MPI_Graph_map(MPI_COMM_WORLD, nnodes, index, edges, &newrank);
    CHECK(newrank == (rank < nnodes ? rank : MPI_UNDEFINED), "Graph_map gave %d", newrank);
    if (rank >= nnodes) {
        CHECK(g == MPI_COMM_NULL, "rank outside the graph got a communicator");
        free(index);
        free(edges);
        return;
    }
    int st, nn, ne;
    MPI_Topo_test(g, &st);
    CHECK(st == MPI_GRAPH, "graph: Topo_test %d", st);
    MPI_Graphdims_get(g, &nn, &ne);
    CHECK(nn == nnodes && ne == nedges, "Graphdims_get %d %d want %d %d", nn, ne, nnodes, nedges);
    int *gi = malloc((size_t)nnodes * sizeof *gi), *ge = malloc((size_t)nedges * sizeof *ge + 1);
    MPI_Graph_get(g, nnodes, nedges, gi, ge);
    CHECK(!memcmp(gi, index, (size_t)nnodes * sizeof *gi) && !memcmp(ge, edges, (size_t)nedges * sizeof *ge),
          "Graph_get differs from what was given");
    for (int q = 0; q < nnodes; q++) {
        int cnt = -1, first = q ? index[q - 1] : 0, nb[64];
        MPI_Graph_neighbors_count(g, q, &cnt);
        CHECK(cnt == index[q] - first, "Graph_neighbors_count(%d) = %d", q, cnt);
        if (cnt > 64)
            continue;
        MPI_Graph_neighbors(g, q, 64, nb);
        for (int i = 0; i < cnt; i++)
            CHECK(nb[i] == edges[first + i], "Graph_neighbors(%d)[%d] = %d want %d", q, i, nb[i], edges[first + i]);
    }
    /* neighbour allgather and alltoall: block i from / to neighbour i */
    int first = rank ? index[rank - 1] : 0, cnt = index[rank] - first;
    int *rb = malloc(2 * (size_t)cnt * sizeof *rb + 1), *sb = malloc(2 * (size_t)cnt * sizeof *sb + 1);
    int mine[2] = { rank, 1000 + rank };
    MPI_Neighbor_allgather(mine, 2, MPI_INT, rb, 2, MPI_INT, g);
    for (int i = 0; i < cnt; i++)
        CHECK(rb[2 * i] == edges[first + i] && rb[2 * i + 1] == 1000 + edges[first + i],
              "graph Neighbor_allgather block %d = %d from neighbour %d", i, rb[2 * i], edges[first + i]);
    for (int i = 0; i < cnt; i++)
        sb[i] = rank * 1000 + edges[first + i];
    MPI_Neighbor_alltoall(sb, 1, MPI_INT, rb, 1, MPI_INT, g);
    for (int i = 0; i < cnt; i++)
        CHECK(rb[i] == edges[first + i] * 1000 + rank, "graph Neighbor_alltoall block %d = %d", i, rb[i]);
    free(rb);
    free(sb);
    free(gi);
    free(ge);
    MPI_Comm dup;
    MPI_Comm_dup(g, &dup);
    MPI_Graphdims_get(dup, &nn, &ne);
    CHECK(nn == nnodes && ne == nedges, "dup of a graph: Graphdims_get %d %d", nn, ne);
    MPI_Comm_free(&dup);
    MPI_Comm_free(&g);
    free(index);
    free(edges);
}

/* ------------------------------------------------------------ distributed graphs */

static int weight(int s, int d) { return 100 * s + d + 1; }

static int cmp_pair(const void *a, const void *b)
{
    const int *x = a, *y = b;
    return x[0] != y[0] ? x[0] - y[0] : x[1] - y[1];
}

/* dist graph neighbours in any order: compare sorted (peer, weight) pairs */
static void same_pairs(const char *what, int n, const int *peers, const int *w, int wn, int *want)
{
    CHECK(n == wn, "%s: %d neighbours, want %d", what, n, wn);
    if (n != wn)
        return;
    int *got = malloc(2 * (size_t)n * sizeof *got + 1);
    for (int i = 0; i < n; i++) {
        got[2 * i] = peers[i];
        got[2 * i + 1] = w ? w[i] : 0;
    }
    qsort(got, (size_t)n, 2 * sizeof *got, cmp_pair);
    qsort(want, (size_t)n, 2 * sizeof *want, cmp_pair);
    CHECK(!memcmp(got, want, 2 * (size_t)n * sizeof *got), "%s: neighbours or weights differ", what);
    free(got);
}

/* Checks the neighbour lists against the edge list (s, d) of the whole
 * graph, then moves data on it. */
static void check_dist(MPI_Comm g, int nedges, const int *es, const int *ed, int weighted)
{
    int st, indeg, outdeg, w;
    MPI_Topo_test(g, &st);
    CHECK(st == MPI_DIST_GRAPH, "dist graph: Topo_test %d", st);
    MPI_Dist_graph_neighbors_count(g, &indeg, &outdeg, &w);
    CHECK(!!w == weighted, "dist graph: weighted %d want %d", w, weighted);
    int *win = malloc(2 * (size_t)nedges * sizeof *win + 1), *wout = malloc(2 * (size_t)nedges * sizeof *wout + 1);
    int nin = 0, nout = 0;
    for (int e = 0; e < nedges; e++) {
        if (ed[e] == rank) {
            win[2 * nin] = es[e];
            win[2 * nin++ + 1] = weighted ? weight(es[e], ed[e]) : 0;
        }
        if (es[e] == rank) {
            wout[2 * nout] = ed[e];
            wout[2 * nout++ + 1] = weighted ? weight(es[e], ed[e]) : 0;
        }
    }
    int *src = malloc((size_t)indeg * sizeof *src + 1), *sw = malloc((size_t)indeg * sizeof *sw + 1);
    int *dst = malloc((size_t)outdeg * sizeof *dst + 1), *dw = malloc((size_t)outdeg * sizeof *dw + 1);
    MPI_Dist_graph_neighbors(g, indeg, src, weighted ? sw : MPI_UNWEIGHTED, outdeg, dst,
                             weighted ? dw : MPI_UNWEIGHTED);
    same_pairs("in-neighbours", indeg, src, weighted ? sw : NULL, nin, win);
    same_pairs("out-neighbours", outdeg, dst, weighted ? dw : NULL, nout, wout);
    /* data: to out-neighbour k goes s*1000+d; from in-neighbour j comes src[j]*1000+rank */
    int *sb = malloc((size_t)outdeg * sizeof *sb + 1), *rb = malloc(2 * (size_t)indeg * sizeof *rb + 1);
    for (int k = 0; k < outdeg; k++)
        sb[k] = rank * 1000 + dst[k];
    for (int j = 0; j < indeg; j++)
        rb[j] = -1;
    MPI_Neighbor_alltoall(sb, 1, MPI_INT, rb, 1, MPI_INT, g);
    for (int j = 0; j < indeg; j++)
        CHECK(rb[j] == src[j] * 1000 + rank, "dist Neighbor_alltoall block %d = %d want %d", j, rb[j],
              src[j] * 1000 + rank);
    int mine[2] = { rank, -rank };
    MPI_Neighbor_allgather(mine, 2, MPI_INT, rb, 2, MPI_INT, g);
    for (int j = 0; j < indeg; j++)
        CHECK(rb[2 * j] == src[j] && rb[2 * j + 1] == -src[j], "dist Neighbor_allgather block %d = %d want %d", j,
              rb[2 * j], src[j]);
    free(sb);
    free(rb);
    free(src);
    free(sw);
    free(dst);
    free(dw);
    free(win);
    free(wout);
}

static void test_dist_graph(void)
{
    int n = size;
    /* the whole graph: s -> s+1, s -> s+3, and everyone -> 0 */
    int nedges = 3 * n, *es = malloc((size_t)nedges * sizeof *es), *ed = malloc((size_t)nedges * sizeof *ed);
    for (int s = 0; s < n; s++) {
        es[3 * s] = es[3 * s + 1] = es[3 * s + 2] = s;
        ed[3 * s] = (s + 1) % n;
        ed[3 * s + 1] = (s + 3) % n;
        ed[3 * s + 2] = 0;
    }
    for (int weighted = 0; weighted < 2; weighted++) {
        /* adjacent: each process gives its own in and out edges */
        int src[64], sw[64], dst[64], dw[64], ni = 0, no = 0;
        for (int e = 0; e < nedges && ni < 64 && no < 64; e++) {
            if (ed[e] == rank) {
                sw[ni] = weight(es[e], ed[e]);
                src[ni++] = es[e];
            }
            if (es[e] == rank) {
                dw[no] = weight(es[e], ed[e]);
                dst[no++] = ed[e];
            }
        }
        MPI_Comm g;
        MPI_Dist_graph_create_adjacent(MPI_COMM_WORLD, ni, src, weighted ? sw : MPI_UNWEIGHTED, no, dst,
                                       weighted ? dw : MPI_UNWEIGHTED, MPI_INFO_NULL, 1, &g);
        check_dist(g, nedges, es, ed, weighted);
        MPI_Comm_free(&g);

        /* general: process r names the edges of source (r+1)%n, and rank 0
         * also names every edge into 0 (so a process may give none) */
        int s = (rank + 1) % n;
        int srcs[70], degs[70], dsts[140], ws[140], k = 0, e = 0;
        srcs[k] = s;
        degs[k++] = 2;
        dsts[e] = (s + 1) % n;
        ws[e] = weight(s, dsts[e]);
        e++;
        dsts[e] = (s + 3) % n;
        ws[e] = weight(s, dsts[e]);
        e++;
        if (rank == 0 && n <= 64)
            for (int q = 0; q < n; q++) {
                srcs[k] = q;
                degs[k++] = 1;
                dsts[e] = 0;
                ws[e++] = weight(q, 0);
            }
        MPI_Dist_graph_create(MPI_COMM_WORLD, k, srcs, degs, dsts, weighted ? ws : MPI_UNWEIGHTED, MPI_INFO_NULL, 0,
                              &g);
        check_dist(g, nedges, es, ed, weighted);
        MPI_Comm dup;
        MPI_Comm_dup(g, &dup);
        check_dist(dup, nedges, es, ed, weighted);
        MPI_Comm_free(&dup);
        MPI_Comm_free(&g);
    }
    /* nobody but rank 0 gives edges; the others say MPI_WEIGHTS_EMPTY */
    MPI_Comm g;
    int one_s = 0, one_deg = 1, one_d = 1 % size, one_w = 9;
    if (rank == 0)
        MPI_Dist_graph_create(MPI_COMM_WORLD, 1, &one_s, &one_deg, &one_d, &one_w, MPI_INFO_NULL, 0, &g);
    else
        MPI_Dist_graph_create(MPI_COMM_WORLD, 0, NULL, NULL, NULL, MPI_WEIGHTS_EMPTY, MPI_INFO_NULL, 0, &g);
    int indeg, outdeg, w, peer = -1, pw = -1;
    MPI_Dist_graph_neighbors_count(g, &indeg, &outdeg, &w);
    CHECK(indeg == (rank == one_d) && outdeg == (rank == 0) && w, "one-edge graph: in %d out %d weighted %d", indeg,
          outdeg, w);
    if (indeg == 1) {
        MPI_Dist_graph_neighbors(g, 1, &peer, &pw, 0, NULL, NULL);
        CHECK(peer == 0 && pw == 9, "one-edge graph: source %d weight %d", peer, pw);
    }
    MPI_Comm_free(&g);
    free(es);
    free(ed);
}

/* ------------------------------------------------------------ neighbourhood collectives on grids */

static void test_cart_neighbors(int nd, const int *dims, const int *periods)
{
    MPI_Comm cart;
    MPI_Cart_create(MPI_COMM_WORLD, nd, dims, periods, 0, &cart);
    if (cart == MPI_COMM_NULL)
        return;
    int nb = 2 * nd, lo[8], hi[8];
    for (int d = 0; d < nd; d++) {
        lo[d] = my_shift(nd, dims, periods, rank, d, -1);
        hi[d] = my_shift(nd, dims, periods, rank, d, 1);
    }
    /* expected sender of block i, and which of its send blocks it is */
#define PEER(i) ((i) % 2 ? hi[(i) / 2] : lo[(i) / 2])
#define THEIR(i) ((i) % 2 ? (i) - 1 : (i) + 1)
    const int sentinel = -77;
    int rb[64], sb[64];
    /* allgather: two ints each */
    for (int i = 0; i < 2 * nb; i++)
        rb[i] = sentinel;
    int mine[2] = { rank, rank * 3 + 1 };
    MPI_Neighbor_allgather(mine, 2, MPI_INT, rb, 2, MPI_INT, cart);
    for (int i = 0; i < nb; i++) {
        int p = PEER(i);
        if (p == MPI_PROC_NULL)
            CHECK(rb[2 * i] == sentinel && rb[2 * i + 1] == sentinel, "allgather wrote the MPI_PROC_NULL block %d", i);
        else
            CHECK(rb[2 * i] == p && rb[2 * i + 1] == p * 3 + 1, "allgather block %d = %d want %d", i, rb[2 * i], p);
    }
    /* alltoall: block i carries (me, i) */
    for (int i = 0; i < nb; i++) {
        sb[i] = rank * 100 + i;
        rb[i] = sentinel;
    }
    MPI_Neighbor_alltoall(sb, 1, MPI_INT, rb, 1, MPI_INT, cart);
    for (int i = 0; i < nb; i++) {
        int p = PEER(i), want = p == MPI_PROC_NULL ? sentinel : p * 100 + THEIR(i);
        CHECK(rb[i] == want, "alltoall block %d = %d want %d (nd %d)", i, rb[i], want, nd);
    }
    /* allgatherv: process p sends 1 + p%3 ints; blocks placed with gaps */
    int sc = 1 + rank % 3, rcounts[8], displs[8], pos = 0;
    int sv[3] = { rank, rank + 1, rank + 2 };
    for (int i = 0; i < nb; i++) {
        int p = PEER(i);
        rcounts[i] = p == MPI_PROC_NULL ? 0 : 1 + p % 3;
        displs[i] = pos;
        pos += 4;
    }
    for (int i = 0; i < 64; i++)
        rb[i] = sentinel;
    MPI_Neighbor_allgatherv(sv, sc, MPI_INT, rb, rcounts, displs, MPI_INT, cart);
    for (int i = 0; i < nb; i++) {
        int p = PEER(i);
        for (int j = 0; j < 4; j++) {
            int want = p != MPI_PROC_NULL && j < rcounts[i] ? p + j : sentinel;
            CHECK(rb[displs[i] + j] == want, "allgatherv block %d [%d] = %d want %d", i, j, rb[displs[i] + j], want);
        }
    }
    /* alltoallv: block i to out-neighbour i has 1 + (me + i) % 3 ints, in reverse slot order in the buffer */
    int scounts[8], sdispls[8], rdispls[8];
    pos = 0;
    for (int i = nb - 1; i >= 0; i--) {
        scounts[i] = 1 + (rank + i) % 3;
        sdispls[i] = pos;
        for (int j = 0; j < scounts[i]; j++)
            sb[pos + j] = rank * 100 + i * 10 + j;
        pos += scounts[i];
    }
    for (int i = 0; i < nb; i++) {
        int p = PEER(i);
        rcounts[i] = p == MPI_PROC_NULL ? 0 : 1 + (p + THEIR(i)) % 3;
        rdispls[i] = 3 * i;
    }
    for (int i = 0; i < 64; i++)
        rb[i] = sentinel;
    MPI_Neighbor_alltoallv(sb, scounts, sdispls, MPI_INT, rb, rcounts, rdispls, MPI_INT, cart);
    for (int i = 0; i < nb; i++) {
        int p = PEER(i);
        for (int j = 0; j < 3; j++) {
            int want = p != MPI_PROC_NULL && j < rcounts[i] ? p * 100 + THEIR(i) * 10 + j : sentinel;
            CHECK(rb[3 * i + j] == want, "alltoallv block %d [%d] = %d want %d", i, j, rb[3 * i + j], want);
        }
    }
    /* alltoallw: towards -1 two ints as MPI_INT; towards +1 a strided
     * vector of two ints; byte displacements */
    MPI_Datatype vec;
    MPI_Type_vector(2, 1, 2, MPI_INT, &vec);
    MPI_Type_commit(&vec);
    int wsc[8], wrc[8];
    MPI_Aint wsd[8], wrd[8];
    MPI_Datatype wst[8], wrt[8];
    for (int i = 0; i < nb; i++) {
        /* block i occupies sb[4i .. 4i+3]: ints at 4i, 4i+1 (contiguous) or 4i, 4i+2 (vector) */
        sb[4 * i] = rank * 100 + i;
        sb[4 * i + 1] = i % 2 ? -1 : rank * 100 + i + 50;
        sb[4 * i + 2] = i % 2 ? rank * 100 + i + 50 : -1;
        sb[4 * i + 3] = -1;
        wsc[i] = i % 2 ? 1 : 2;
        wst[i] = i % 2 ? vec : MPI_INT;
        wsd[i] = (MPI_Aint)(4 * i * sizeof(int));
        wrc[i] = 2;
        wrt[i] = MPI_INT;
        wrd[i] = (MPI_Aint)(2 * (nb - 1 - i) * sizeof(int)); /* reversed */
    }
    for (int i = 0; i < 64; i++)
        rb[i] = sentinel;
    MPI_Neighbor_alltoallw(sb, wsc, wsd, wst, rb, wrc, wrd, wrt, cart);
    for (int i = 0; i < nb; i++) {
        int p = PEER(i), at = 2 * (nb - 1 - i);
        int w0 = p == MPI_PROC_NULL ? sentinel : p * 100 + THEIR(i);
        int w1 = p == MPI_PROC_NULL ? sentinel : p * 100 + THEIR(i) + 50;
        CHECK(rb[at] == w0 && rb[at + 1] == w1, "alltoallw block %d = %d %d want %d %d", i, rb[at], rb[at + 1], w0, w1);
    }
    MPI_Type_free(&vec);
    MPI_Comm_free(&cart);
#undef PEER
#undef THEIR
}

static void test_neighbors(void)
{
    int per1[1] = { 1 }, non1[1] = { 0 };
    int d1[1] = { size };
    test_cart_neighbors(1, d1, per1);
    test_cart_neighbors(1, d1, non1);
    int d2[2] = { 0, 0 }, per2[2] = { 0, 1 }, non2[2] = { 0, 0 };
    MPI_Dims_create(size, 2, d2);
    test_cart_neighbors(2, d2, per2);
    test_cart_neighbors(2, d2, non2);
    int d3[3] = { 0, 0, 0 }, per3[3] = { 1, 0, 1 };
    MPI_Dims_create(size, 3, d3);
    test_cart_neighbors(3, d3, per3);
    int d3b[3] = { size, 1, 1 }, per3b[3] = { 1, 1, 1 }; /* dims of size 1: self on both sides */
    test_cart_neighbors(3, d3b, per3b);
    if (size >= 2) {
        int d4[2] = { 2, size / 2 }, per4[2] = { 1, 1 }; /* size 2: the same process on both sides */
        test_cart_neighbors(2, d4, per4);
    }
}

/* ------------------------------------------------------------ errors */

static int cls(int rc)
{
    int c = -1;
    MPI_Error_class(rc, &c);
    return c;
}

#define EXPECT(call, want)                                                                  \
    do {                                                                                    \
        int c_ = cls(call);                                                                 \
        CHECK(c_ == (want), "%s returned class %d, want %s (%d)", #call, c_, #want, want);  \
    } while (0)

static void test_errors(void)
{
    int nd, st, r, src, dst, x[4] = { 0 }, y[4] = { 0 };
    MPI_Comm out;
    /* no topology */
    EXPECT(MPI_Cartdim_get(MPI_COMM_WORLD, &nd), MPI_ERR_TOPOLOGY);
    EXPECT(MPI_Cart_shift(MPI_COMM_WORLD, 0, 1, &src, &dst), MPI_ERR_TOPOLOGY);
    EXPECT(MPI_Graphdims_get(MPI_COMM_WORLD, &nd, &r), MPI_ERR_TOPOLOGY);
    EXPECT(MPI_Dist_graph_neighbors_count(MPI_COMM_WORLD, &nd, &r, &st), MPI_ERR_TOPOLOGY);
    EXPECT(MPI_Neighbor_allgather(x, 1, MPI_INT, y, 1, MPI_INT, MPI_COMM_WORLD), MPI_ERR_TOPOLOGY);
    EXPECT(MPI_Cart_sub(MPI_COMM_WORLD, x, &out), MPI_ERR_TOPOLOGY);
    MPI_Topo_test(MPI_COMM_WORLD, &st);
    CHECK(st == MPI_UNDEFINED, "Topo_test on the world: %d", st);
    EXPECT(MPI_Topo_test(MPI_COMM_NULL, &st), MPI_ERR_COMM);
    EXPECT(MPI_Cart_create(MPI_COMM_NULL, 1, &size, x, 0, &out), MPI_ERR_COMM);
    /* bad grids */
    int zero[1] = { 0 }, big[1] = { size + 1 }, p1[1] = { 0 };
    EXPECT(MPI_Cart_create(MPI_COMM_WORLD, 1, zero, p1, 0, &out), MPI_ERR_DIMS);
    EXPECT(MPI_Cart_create(MPI_COMM_WORLD, -1, zero, p1, 0, &out), MPI_ERR_DIMS);
    EXPECT(MPI_Cart_create(MPI_COMM_WORLD, 1, big, p1, 0, &out), MPI_ERR_ARG);
    EXPECT(MPI_Cart_map(MPI_COMM_WORLD, 1, big, p1, &r), MPI_ERR_ARG);
    /* on a grid */
    MPI_Comm cart;
    int dims[1] = { size }, per[1] = { 0 };
    MPI_Cart_create(MPI_COMM_WORLD, 1, dims, per, 0, &cart);
    EXPECT(MPI_Cart_coords(cart, size, 1, x), MPI_ERR_RANK);
    EXPECT(MPI_Cart_coords(cart, -1, 1, x), MPI_ERR_RANK);
    EXPECT(MPI_Cart_coords(cart, 0, 0, x), MPI_ERR_ARG);
    int far[1] = { size };
    EXPECT(MPI_Cart_rank(cart, far, &r), MPI_ERR_ARG);
    far[0] = -1;
    EXPECT(MPI_Cart_rank(cart, far, &r), MPI_ERR_ARG);
    EXPECT(MPI_Cart_shift(cart, 1, 1, &src, &dst), MPI_ERR_DIMS);
    EXPECT(MPI_Cart_shift(cart, -1, 1, &src, &dst), MPI_ERR_DIMS);
    EXPECT(MPI_Cart_get(cart, 0, x, y, x), MPI_ERR_ARG);
    EXPECT(MPI_Graph_neighbors_count(cart, 0, &r), MPI_ERR_TOPOLOGY);
    EXPECT(MPI_Dist_graph_neighbors(cart, 0, x, x, 0, y, y), MPI_ERR_TOPOLOGY);
    EXPECT(MPI_Neighbor_allgather(x, -1, MPI_INT, y, 1, MPI_INT, cart), MPI_ERR_COUNT);
    EXPECT(MPI_Neighbor_alltoall(MPI_IN_PLACE, 1, MPI_INT, y, 1, MPI_INT, cart), MPI_ERR_BUFFER);
    EXPECT(MPI_Neighbor_alltoall(x, 1, MPI_DATATYPE_NULL, y, 1, MPI_INT, cart), MPI_ERR_TYPE);
    MPI_Comm_free(&cart);
    /* bad graphs */
    int idx[2] = { 1, 2 }, edg[2] = { 1, 5 }, badidx[2] = { 2, 1 };
    if (size >= 2) {
        EXPECT(MPI_Graph_create(MPI_COMM_WORLD, 2, idx, edg, 0, &out), MPI_ERR_RANK);
        EXPECT(MPI_Graph_create(MPI_COMM_WORLD, 2, badidx, edg, 0, &out), MPI_ERR_ARG);
    }
    EXPECT(MPI_Graph_create(MPI_COMM_WORLD, size + 1, idx, edg, 0, &out), MPI_ERR_ARG);
    EXPECT(MPI_Graph_create(MPI_COMM_WORLD, -1, idx, edg, 0, &out), MPI_ERR_ARG);
    int self_idx[1] = { 1 }, self_edge[1] = { 0 };
    MPI_Comm g;
    MPI_Graph_create(MPI_COMM_WORLD, 1, self_idx, self_edge, 0, &g);
    if (g != MPI_COMM_NULL) {
        EXPECT(MPI_Graph_neighbors(g, 1, 4, x), MPI_ERR_RANK);
        EXPECT(MPI_Graph_neighbors_count(g, -1, &r), MPI_ERR_RANK);
        EXPECT(MPI_Cart_coords(g, 0, 1, x), MPI_ERR_TOPOLOGY);
        MPI_Comm_free(&g);
    }
    /* bad distributed graphs */
    int bad_src[1] = { size }, one[1] = { 1 }, neg[1] = { -1 };
    EXPECT(MPI_Dist_graph_create_adjacent(MPI_COMM_WORLD, 1, bad_src, MPI_UNWEIGHTED, 0, NULL, MPI_UNWEIGHTED,
                                          MPI_INFO_NULL, 0, &out), MPI_ERR_RANK);
    EXPECT(MPI_Dist_graph_create_adjacent(MPI_COMM_WORLD, -1, NULL, MPI_UNWEIGHTED, 0, NULL, MPI_UNWEIGHTED,
                                          MPI_INFO_NULL, 0, &out), MPI_ERR_ARG);
    EXPECT(MPI_Dist_graph_create(MPI_COMM_WORLD, 1, self_edge, neg, one, MPI_UNWEIGHTED, MPI_INFO_NULL, 0, &out),
           MPI_ERR_ARG);
    EXPECT(MPI_Dist_graph_create(MPI_COMM_WORLD, 1, bad_src, one, one, MPI_UNWEIGHTED, MPI_INFO_NULL, 0, &out),
           MPI_ERR_RANK);
    EXPECT(MPI_Dims_create(6, 2, (int[]){ 4, 0 }), MPI_ERR_DIMS);
}

/* topologies made and freed many times: the tables reuse their slots */
static void test_churn(void)
{
    for (int i = 0; i < 40; i++) {
        MPI_Comm c, d;
        int dims[2] = { 0, 0 }, per[2] = { i & 1, 0 };
        MPI_Dims_create(size, 2, dims);
        MPI_Cart_create(MPI_COMM_WORLD, 2, dims, per, 0, &c);
        MPI_Comm_dup(c, &d);
        MPI_Comm_free(&c);
        int st, p[2], g[2], co[2];
        MPI_Topo_test(d, &st);
        MPI_Cart_get(d, 2, g, p, co);
        CHECK(st == MPI_CART && g[0] == dims[0] && g[1] == dims[1] && !!p[0] == (i & 1), "churn %d: dup lost its grid", i);
        MPI_Comm_free(&d);
    }
}

/* crest's own entry point (src/mpi/quiesce.c); weak, so that the program
 * also links with another MPI */
int MPIX_Crest_channel_cycle(void) __attribute__((weak));
static int cycling;

static void cycle(void)
{
    if (cycling && (!MPIX_Crest_channel_cycle || MPIX_Crest_channel_cycle() != MPI_SUCCESS)) {
        fprintf(stderr, "rank %d: the channel cycle failed\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
}

/* A periodic ring made before the cycles and used after them. */
static void check_kept_ring(MPI_Comm ring)
{
    int st, src, dst, got[2] = { -1, -1 }, mine = rank;
    MPI_Topo_test(ring, &st);
    MPI_Cart_shift(ring, 0, 1, &src, &dst);
    CHECK(st == MPI_CART && src == (rank + size - 1) % size && dst == (rank + 1) % size,
          "kept ring: topology %d shift %d %d", st, src, dst);
    MPI_Neighbor_allgather(&mine, 1, MPI_INT, got, 1, MPI_INT, ring);
    CHECK(got[0] == src && got[1] == dst, "kept ring: neighbour allgather %d %d", got[0], got[1]);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    cycling = argc > 1 && !strcmp(argv[1], "cycle");
    MPI_Comm ring;
    int per = 1;
    MPI_Cart_create(MPI_COMM_WORLD, 1, &size, &per, 0, &ring);
    cycle();
    test_dims_create();
    test_cart();
    cycle();
    test_cart_sub();
    test_graph(size);
    if (size > 1)
        test_graph(size - 1);
    cycle();
    test_dist_graph();
    cycle();
    test_neighbors();
    cycle();
    check_kept_ring(ring);
    MPI_Comm_free(&ring);
    test_errors();
    test_churn();
    int total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (total) {
        if (rank == 0)
            fprintf(stderr, "topo FAILED: %d checks failed (%d ranks)\n", total, size);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (rank == 0)
        printf("topo ok (%d ranks)\n", size);
    MPI_Finalize();
    return 0;
}
