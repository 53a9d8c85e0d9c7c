/* topo.c — the table of process topologies, the arithmetic of Cartesian
 * grids and graphs, and MPI_Dims_create's factorization.  The MPI
 * functions are in api_topo.c. */
#include <stdlib.h>
#include <string.h>

#include "topo.h"

/* The library's variables behind MPI_UNWEIGHTED and MPI_WEIGHTS_EMPTY:
 * only their addresses mean something. */
static int unweighted_mark, weights_empty_mark;
int *const MPI_UNWEIGHTED = &unweighted_mark;
int *const MPI_WEIGHTS_EMPTY = &weights_empty_mark;

/* Every topology made, by slot; owned by the library's active thread. */
static struct topo **table;
static int ntable, captable;

static struct topo *slot_new(void)
{
    for (int i = 0; i < ntable; i++)
        if (table[i]->refs == 0)
            return table[i];
    if (ntable == captable) {
        int cap = captable ? captable * 2 : 16;
        struct topo **p = realloc(table, (size_t)cap * sizeof *p);
        if (!p)
            return NULL;
        table = p;
        captable = cap;
    }
    struct topo *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    table[ntable++] = t;
    return t;
}

/* One block for all of t's arrays: n ints, returned zeroed. */
static int *arrays(struct topo *t, size_t n)
{
    memset(t, 0, sizeof *t);
    int *a = calloc(n ? n : 1, sizeof *a);
    if (a)
        t->refs = 1;
    return a;
}

static void copy_or_zero(int *dst, const int *src, int n)
{
    for (int i = 0; i < n; i++)
        dst[i] = src ? src[i] : 0;
}

struct topo *topo_new_cart(int ndims, const int *dims, const int *periods)
{
    struct topo *t = slot_new();
    int *a = t ? arrays(t, 2 * (size_t)ndims) : NULL;
    if (!a)
        return NULL;
    t->kind = MPI_CART;
    t->ndims = ndims;
    t->dims = a;
    t->periods = a + ndims;
    copy_or_zero(t->dims, dims, ndims);
    for (int i = 0; i < ndims; i++)
        t->periods[i] = periods && periods[i] ? 1 : 0;
    return t;
}

struct topo *topo_new_graph(int nnodes, const int *index, const int *edges)
{
    int nedges = nnodes > 0 ? index[nnodes - 1] : 0;
    struct topo *t = slot_new();
    int *a = t ? arrays(t, (size_t)nnodes + (size_t)nedges) : NULL;
    if (!a)
        return NULL;
    t->kind = MPI_GRAPH;
    t->nnodes = nnodes;
    t->nedges = nedges;
    t->index = a;
    t->edges = a + nnodes;
    copy_or_zero(t->index, index, nnodes);
    copy_or_zero(t->edges, edges, nedges);
    return t;
}

struct topo *topo_new_dist_graph(int indegree, const int *sources, const int *sourceweights, int outdegree,
                                 const int *destinations, const int *destweights, int weighted)
{
    struct topo *t = slot_new();
    int *a = t ? arrays(t, 2 * ((size_t)indegree + (size_t)outdegree)) : NULL;
    if (!a)
        return NULL;
    t->kind = MPI_DIST_GRAPH;
    t->indegree = indegree;
    t->outdegree = outdegree;
    t->weighted = weighted;
    t->sources = a;
    t->sourceweights = a + indegree;
    t->destinations = a + 2 * indegree;
    t->destweights = a + 2 * indegree + outdegree;
    copy_or_zero(t->sources, sources, indegree);
    copy_or_zero(t->sourceweights, weighted ? sourceweights : NULL, indegree);
    copy_or_zero(t->destinations, destinations, outdegree);
    copy_or_zero(t->destweights, weighted ? destweights : NULL, outdegree);
    return t;
}

/* The first array of each kind is the start of the one block. */
void topo_unref(struct topo *t)
{
    if (!t || --t->refs > 0)
        return;
    free(t->kind == MPI_CART ? t->dims : t->kind == MPI_GRAPH ? t->index : t->sources);
    memset(t, 0, sizeof *t);
}

void topo_attach(struct mpi_comm *c, struct topo *t)
{
    if (c->topo)
        topo_unref(c->topo);
    c->topo = t;
}

void topo_comm_dup(const struct mpi_comm *from, struct mpi_comm *to)
{
    struct topo *t = topo_of(from);
    if (!t || !to)
        return;
    t->refs++;
    topo_attach(to, t);
}

void topo_comm_free(struct mpi_comm *c)
{
    if (c->topo)
        topo_unref(c->topo);
    c->topo = NULL;
}

/* ------------------------------------------------------------------ Cartesian grids
 * Ranks are numbered row-major: the last dimension varies fastest. */

void topo_cart_coords(const struct topo *t, int rank, int *coords)
{
    for (int d = t->ndims - 1; d >= 0; d--) {
        coords[d] = rank % t->dims[d];
        rank /= t->dims[d];
    }
}

int topo_cart_rank(const struct topo *t, const int *coords)
{
    int rank = 0;
    for (int d = 0; d < t->ndims; d++) {
        int x = coords[d], n = t->dims[d];
        if (x < 0 || x >= n) {
            if (!t->periods[d])
                return -1;
            x %= n;
            if (x < 0)
                x += n;
        }
        rank = rank * n + x;
    }
    return rank;
}

void topo_cart_shift(const struct topo *t, int rank, int dim, int disp, int *source, int *dest)
{
    int stack[16];
    int *coords = t->ndims <= 16 ? stack : malloc((size_t)t->ndims * sizeof *coords);
    if (!coords) {
        *source = *dest = MPI_PROC_NULL;
        return;
    }
    topo_cart_coords(t, rank, coords);
    int here = coords[dim];
    /* disp may be as large as an int: step in 64 bits */
    long long n = t->dims[dim], to = (long long)here + disp, from = (long long)here - disp;
    int r[2];
    long long where[2] = { from, to };
    for (int i = 0; i < 2; i++) {
        long long x = where[i];
        if (x < 0 || x >= n) {
            if (!t->periods[dim]) {
                r[i] = MPI_PROC_NULL;
                continue;
            }
            x %= n;
            if (x < 0)
                x += n;
        }
        coords[dim] = (int)x;
        r[i] = topo_cart_rank(t, coords);
    }
    *source = r[0];
    *dest = r[1];
    if (coords != stack)
        free(coords);
}

void topo_graph_neighbors(const struct topo *t, int rank, int *first, int *n)
{
    *first = rank == 0 ? 0 : t->index[rank - 1];
    *n = t->index[rank] - *first;
}

/* ------------------------------------------------------------------ neighbourhoods */

int topo_neighbors(const struct topo *t, int rank, struct topo_nbrs *nb)
{
    int nin, nout;
    const int *in = NULL, *out = NULL;
    int first = 0;
    switch (t->kind) {
    case MPI_CART:
        nin = nout = 2 * t->ndims;
        break;
    case MPI_GRAPH:
        topo_graph_neighbors(t, rank, &first, &nin);
        nout = nin;
        in = out = t->edges + first;
        break;
    default:
        nin = t->indegree;
        nout = t->outdegree;
        in = t->sources;
        out = t->destinations;
        break;
    }
    int *a = malloc(2 * ((size_t)nin + (size_t)nout) * sizeof *a + 1);
    if (!a)
        return MPI_ERR_NO_MEM;
    nb->nin = nin;
    nb->nout = nout;
    nb->in = a;
    nb->intag = a + nin;
    nb->out = a + 2 * nin;
    nb->outtag = a + 2 * nin + nout;
    if (t->kind == MPI_CART) {
        /* slot 2d: the -1 neighbour, 2d+1: the +1 neighbour.  Tag 2d:
         * travelling towards -1, 2d+1: towards +1.  What comes from the -1
         * neighbour was sent by it towards +1. */
        for (int d = 0; d < t->ndims; d++) {
            int lo, hi;
            topo_cart_shift(t, rank, d, 1, &lo, &hi);
            nb->in[2 * d] = nb->out[2 * d] = lo;
            nb->in[2 * d + 1] = nb->out[2 * d + 1] = hi;
            nb->intag[2 * d] = 2 * d + 1;
            nb->intag[2 * d + 1] = 2 * d;
            nb->outtag[2 * d] = 2 * d;
            nb->outtag[2 * d + 1] = 2 * d + 1;
        }
        return MPI_SUCCESS;
    }
    /* Graphs: several edges between two processes are matched in order
     * (messages with one tag do not overtake each other). */
    for (int i = 0; i < nin; i++) {
        nb->in[i] = in[i];
        nb->intag[i] = 0;
    }
    for (int i = 0; i < nout; i++) {
        nb->out[i] = out[i];
        nb->outtag[i] = 0;
    }
    return MPI_SUCCESS;
}

void topo_nbrs_free(struct topo_nbrs *nb)
{
    free(nb->in);
    nb->in = NULL;
}

/* ------------------------------------------------------------------ MPI_Dims_create */

/* 1 when f^k >= m (without overflow). */
static int pow_reaches(long long f, int k, long long m)
{
    long long p = 1;
    for (int i = 0; i < k; i++) {
        p *= f;
        if (p >= m)
            return 1;
    }
    return p >= m;
}

/* The divisors of the number being split, ascending (every number the
 * search meets divides it). */
struct divisors {
    int n;
    int *d;
};

/* 1 when m is a product of k factors each <= cap. */
static int feasible(const struct divisors *dv, int m, int k, int cap)
{
    if (m == 1)
        return 1;
    if (k == 0 || !pow_reaches(cap, k, m))
        return 0;
    for (int i = dv->n - 1; i >= 0; i--) {
        int f = dv->d[i];
        if (f > cap || f > m || m % f)
            continue;
        if (f == 1 || !pow_reaches(f, k, m))
            break; /* smaller factors cannot make m with k of them either */
        if (feasible(dv, m / f, k - 1, f))
            return 1;
    }
    return 0;
}

int topo_dims_create(int nnodes, int ndims, int *dims)
{
    long long fixed = 1;
    int nfree = 0;
    for (int i = 0; i < ndims; i++) {
        if (dims[i] > 0)
            fixed *= dims[i];
        else
            nfree++;
        if (fixed > nnodes)
            return MPI_ERR_DIMS;
    }
    if (nnodes % fixed)
        return MPI_ERR_DIMS;
    int m = (int)(nnodes / fixed);
    if (nfree == 0)
        return m == 1 ? MPI_SUCCESS : MPI_ERR_DIMS;
    struct divisors dv = { 0, NULL };
    int small = 0;
    for (long long f = 1; f * f <= m; f++)
        if (m % f == 0)
            small++;
    dv.d = malloc(2 * (size_t)small * sizeof *dv.d);
    if (!dv.d)
        return MPI_ERR_NO_MEM;
    for (long long f = 1; f * f <= m; f++)
        if (m % f == 0)
            dv.d[dv.n++] = (int)f;
    for (int i = small - 1; i >= 0; i--)
        if ((long long)dv.d[i] * dv.d[i] != m)
            dv.d[dv.n++] = m / dv.d[i];
    /* Choose the free entries from the largest down: each time the
     * smallest factor that still lets the rest be made of factors no
     * larger. */
    int rest = m, cap = m;
    for (int i = 0, k = nfree; i < ndims; i++) {
        if (dims[i] > 0)
            continue;
        int pick = 1;
        for (int j = 0; j < dv.n; j++) {
            int f = dv.d[j];
            if (f > cap || rest % f || !pow_reaches(f, k, rest))
                continue;
            if (feasible(&dv, rest / f, k - 1, f)) {
                pick = f;
                break;
            }
        }
        dims[i] = pick;
        rest /= pick;
        cap = pick;
        k--;
    }
    free(dv.d);
    return MPI_SUCCESS;
}
