/* api_topo.c — the MPI functions of process topologies: Cartesian grids,
 * graphs and distributed graphs, MPI_Topo_test and MPI_Dims_create.
 *
 * A topology is one more property of an ordinary intracommunicator (its
 * `topo` field, see topo.h): point-to-point and collectives work on it as
 * on any other.  reorder is accepted and ignored: a process keeps its rank
 * of comm_old (which MPI allows).  Error classes where MPI names none
 * follow MPICH: MPI_ERR_ARG for a grid or graph larger than the
 * communicator, MPI_ERR_DIMS for a bad number of dimensions, dimension
 * size or shift direction, MPI_ERR_RANK for a rank outside the
 * communicator or graph, MPI_ERR_TOPOLOGY for a communicator without the
 * topology the call needs. */
#include <stdlib.h>
#include <string.h>

#include "coll.h"
#include "topo.h"

static int get_comm(MPI_Comm comm, const char *fn, struct mpi_comm **out)
{
    struct mpi_comm *c = comm_get(comm);
    *out = c;
    if (!c) {
        if (comm == MPI_COMM_NULL)
            return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, fn, "the communicator is MPI_COMM_NULL");
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, fn, "0x%x is not a communicator (freed, or never one)",
                         (unsigned)comm);
    }
    return MPI_SUCCESS;
}

/* A communicator a topology can be made from. */
static int get_intra(MPI_Comm comm, const char *fn, struct mpi_comm **out)
{
    int rc = get_comm(comm, fn, out);
    if (rc == MPI_SUCCESS && (*out)->remote != MPI_GROUP_NULL)
        return mpi_error(comm, MPI_ERR_COMM, fn, "topologies cannot be made on an intercommunicator");
    return rc;
}

static const char *kind_name(int kind)
{
    return kind == MPI_CART ? "a Cartesian" : kind == MPI_GRAPH ? "a graph" : "a distributed graph";
}

/* The communicator and its topology, which must be of that kind. */
static int get_topo(MPI_Comm comm, const char *fn, int kind, struct mpi_comm **c, struct topo **t)
{
    int rc = get_comm(comm, fn, c);
    if (rc)
        return rc;
    *t = topo_of(*c);
    if (!*t)
        return mpi_error(comm, MPI_ERR_TOPOLOGY, fn, "the communicator has no topology (it needs %s one)",
                         kind_name(kind));
    if ((*t)->kind != kind)
        return mpi_error(comm, MPI_ERR_TOPOLOGY, fn, "the communicator has %s topology, not %s one",
                         kind_name((*t)->kind), kind_name(kind));
    return MPI_SUCCESS;
}

static int null_arg(MPI_Comm comm, const char *fn, const void *p, const char *what)
{
    if (!p)
        return mpi_error(comm, MPI_ERR_ARG, fn, "%s is NULL", what);
    return MPI_SUCCESS;
}

/* ndims and dims of Cart_create and Cart_map; *nodes = the grid's size. */
static int check_grid(MPI_Comm comm, const char *fn, const struct mpi_comm *c, int ndims, const int *dims,
                      const int *periods, int *nodes)
{
    if (ndims < 0)
        return mpi_error(comm, MPI_ERR_DIMS, fn, "ndims is negative (%d)", ndims);
    if (ndims > 0 && (!dims || !periods))
        return mpi_error(comm, MPI_ERR_ARG, fn, "%s is NULL", dims ? "periods" : "dims");
    long long n = 1;
    for (int i = 0; i < ndims; i++) {
        if (dims[i] <= 0)
            return mpi_error(comm, MPI_ERR_DIMS, fn, "dims[%d] is %d: every dimension needs at least one process", i,
                             dims[i]);
        n *= dims[i];
        if (n > c->size)
            return mpi_error(comm, MPI_ERR_ARG, fn,
                             "the grid has more processes than the communicator (%d): its first %d dimensions alone "
                             "make %lld", c->size, i + 1, n);
    }
    *nodes = (int)n;
    return MPI_SUCCESS;
}

/* The new communicator of a topology call: the first n processes of c in
 * c's order (n = c->size: all of them) with a fresh context, given t (the
 * caller's reference; NULL in processes outside the first n, and where
 * making it ran out of memory).  Collective over c. */
static int topo_comm(MPI_Comm comm, const char *fn, struct mpi_comm *c, int n, struct topo *t, MPI_Comm *out)
{
    *out = MPI_COMM_NULL;
    uint32_t ctx;
    int rc = comm_alloc_context(c, &ctx); /* every process takes part, even one that failed */
    if (rc) {
        topo_unref(t);
        return mpi_error(comm, rc, fn, "cannot agree on a context id");
    }
    if (c->rank >= n || !t) {
        comm_release_context(ctx);
        return c->rank >= n ? MPI_SUCCESS : mpi_error(comm, MPI_ERR_NO_MEM, fn, "out of memory");
    }
    MPI_Group g = group_new(n, c->world);
    if (g != MPI_GROUP_NULL)
        *out = comm_create_from_group(g, ctx, c->errhandler);
    if (*out == MPI_COMM_NULL) {
        topo_unref(t);
        return mpi_error(comm, MPI_ERR_NO_MEM, fn, "out of memory");
    }
    topo_attach(comm_get(*out), t);
    return MPI_SUCCESS;
}

/* ------------------------------------------------------------------ Cartesian */

int PMPI_Cart_create(MPI_Comm comm_old, int ndims, const int dims[], const int periods[], int reorder,
                     MPI_Comm *comm_cart)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Cart_create");
    const char *fn = "MPI_Cart_create";
    struct mpi_comm *c;
    int rc = get_intra(comm_old, fn, &c), nodes;
    if (!rc)
        rc = null_arg(comm_old, fn, comm_cart, "comm_cart");
    if (!rc)
        rc = check_grid(comm_old, fn, c, ndims, dims, periods, &nodes);
    if (rc)
        return rc;
    struct topo *t = c->rank < nodes ? topo_new_cart(ndims, dims, periods) : NULL;
    return topo_comm(comm_old, fn, c, nodes, t, comm_cart);
}
MPI_WEAK(MPI_Cart_create);

int PMPI_Cart_map(MPI_Comm comm, int ndims, const int dims[], const int periods[], int *newrank)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Cart_map");
    const char *fn = "MPI_Cart_map";
    struct mpi_comm *c;
    int rc = get_intra(comm, fn, &c), nodes;
    if (!rc)
        rc = null_arg(comm, fn, newrank, "newrank");
    if (!rc)
        rc = check_grid(comm, fn, c, ndims, dims, periods, &nodes);
    if (rc)
        return rc;
    *newrank = c->rank < nodes ? c->rank : MPI_UNDEFINED;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Cart_map);

int PMPI_Cartdim_get(MPI_Comm comm, int *ndims)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Cartdim_get");
    struct mpi_comm *c;
    struct topo *t;
    int rc = get_topo(comm, "MPI_Cartdim_get", MPI_CART, &c, &t);
    if (!rc)
        rc = null_arg(comm, "MPI_Cartdim_get", ndims, "ndims");
    if (rc)
        return rc;
    *ndims = t->ndims;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Cartdim_get);

int PMPI_Cart_get(MPI_Comm comm, int maxdims, int dims[], int periods[], int coords[])
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Cart_get");
    const char *fn = "MPI_Cart_get";
    struct mpi_comm *c;
    struct topo *t;
    int rc = get_topo(comm, fn, MPI_CART, &c, &t);
    if (rc)
        return rc;
    if (maxdims < t->ndims)
        return mpi_error(comm, MPI_ERR_ARG, fn, "maxdims %d is less than the grid's %d dimensions", maxdims, t->ndims);
    if (t->ndims > 0 && (!dims || !periods || !coords))
        return mpi_error(comm, MPI_ERR_ARG, fn, "%s is NULL", !dims ? "dims" : !periods ? "periods" : "coords");
    for (int d = 0; d < t->ndims; d++) {
        dims[d] = t->dims[d];
        periods[d] = t->periods[d];
    }
    if (t->ndims > 0)
        topo_cart_coords(t, c->rank, coords);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Cart_get);

int PMPI_Cart_rank(MPI_Comm comm, const int coords[], int *rank)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Cart_rank");
    const char *fn = "MPI_Cart_rank";
    struct mpi_comm *c;
    struct topo *t;
    int rc = get_topo(comm, fn, MPI_CART, &c, &t);
    if (!rc)
        rc = null_arg(comm, fn, rank, "rank");
    if (!rc && t->ndims > 0)
        rc = null_arg(comm, fn, coords, "coords");
    if (rc)
        return rc;
    int r = topo_cart_rank(t, coords);
    if (r < 0) {
        int d = 0;
        while (t->periods[d] || (coords[d] >= 0 && coords[d] < t->dims[d]))
            d++;
        return mpi_error(comm, MPI_ERR_ARG, fn, "coords[%d] = %d is outside the non-periodic dimension 0..%d", d,
                         coords[d], t->dims[d] - 1);
    }
    *rank = r;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Cart_rank);

int PMPI_Cart_coords(MPI_Comm comm, int rank, int maxdims, int coords[])
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Cart_coords");
    const char *fn = "MPI_Cart_coords";
    struct mpi_comm *c;
    struct topo *t;
    int rc = get_topo(comm, fn, MPI_CART, &c, &t);
    if (rc)
        return rc;
    if (rank < 0 || rank >= c->size)
        return mpi_error(comm, MPI_ERR_RANK, fn, "rank %d is not in the communicator (size %d)", rank, c->size);
    if (maxdims < t->ndims)
        return mpi_error(comm, MPI_ERR_ARG, fn, "maxdims %d is less than the grid's %d dimensions", maxdims, t->ndims);
    if (t->ndims > 0 && !coords)
        return mpi_error(comm, MPI_ERR_ARG, fn, "coords is NULL");
    topo_cart_coords(t, rank, coords);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Cart_coords);

int PMPI_Cart_shift(MPI_Comm comm, int direction, int disp, int *rank_source, int *rank_dest)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Cart_shift");
    const char *fn = "MPI_Cart_shift";
    struct mpi_comm *c;
    struct topo *t;
    int rc = get_topo(comm, fn, MPI_CART, &c, &t);
    if (rc)
        return rc;
    if (direction < 0 || direction >= t->ndims)
        return mpi_error(comm, MPI_ERR_DIMS, fn, "direction %d is not a dimension of the grid (0..%d)", direction,
                         t->ndims - 1);
    if (!rank_source || !rank_dest)
        return mpi_error(comm, MPI_ERR_ARG, fn, "%s is NULL", rank_source ? "rank_dest" : "rank_source");
    topo_cart_shift(t, c->rank, direction, disp, rank_source, rank_dest);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Cart_shift);

/* Each process goes with the processes that share its coordinates in the
 * dimensions dropped; they know the grid, so each computes its own
 * subgrid's members, and the subgrids (disjoint) share one context id. */
int PMPI_Cart_sub(MPI_Comm comm, const int remain_dims[], MPI_Comm *newcomm)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Cart_sub");
    const char *fn = "MPI_Cart_sub";
    struct mpi_comm *c;
    struct topo *t;
    int rc = get_topo(comm, fn, MPI_CART, &c, &t);
    if (!rc)
        rc = null_arg(comm, fn, newcomm, "newcomm");
    if (!rc && t->ndims > 0)
        rc = null_arg(comm, fn, remain_dims, "remain_dims");
    if (rc)
        return rc;
    int nd = t->ndims, subnd = 0;
    int *mine = malloc((2 * (size_t)nd + 2) * sizeof *mine), *other = mine ? mine + nd + 1 : NULL;
    int *world = malloc((size_t)c->size * sizeof *world);
    int *dims = malloc(((size_t)nd + 1) * sizeof *dims), *periods = malloc(((size_t)nd + 1) * sizeof *periods);
    if (!mine || !world || !dims || !periods) {
        free(mine);
        free(world);
        free(dims);
        free(periods);
        return mpi_error(comm, MPI_ERR_NO_MEM, fn, "out of memory");
    }
    for (int d = 0; d < nd; d++)
        if (remain_dims[d]) {
            dims[subnd] = t->dims[d];
            periods[subnd++] = t->periods[d];
        }
    topo_cart_coords(t, c->rank, mine);
    int n = 0;
    for (int r = 0; r < c->size; r++) {
        topo_cart_coords(t, r, other);
        int same = 1;
        for (int d = 0; d < nd && same; d++)
            same = remain_dims[d] || other[d] == mine[d];
        if (same)
            world[n++] = c->world[r];
    }
    uint32_t ctx;
    rc = comm_alloc_context(c, &ctx);
    struct topo *sub = rc ? NULL : topo_new_cart(subnd, dims, periods);
    MPI_Group g = sub ? group_new(n, world) : MPI_GROUP_NULL;
    *newcomm = g != MPI_GROUP_NULL ? comm_create_from_group(g, ctx, c->errhandler) : MPI_COMM_NULL;
    free(mine);
    free(world);
    free(dims);
    free(periods);
    if (rc)
        return mpi_error(comm, rc, fn, "cannot agree on a context id");
    if (*newcomm == MPI_COMM_NULL) {
        topo_unref(sub);
        return mpi_error(comm, MPI_ERR_NO_MEM, fn, "out of memory");
    }
    topo_attach(comm_get(*newcomm), sub);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Cart_sub);

int PMPI_Dims_create(int nnodes, int ndims, int dims[])
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Dims_create");
    const char *fn = "MPI_Dims_create";
    if (ndims < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_DIMS, fn, "ndims is negative (%d)", ndims);
    if (nnodes < 1)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "nnodes is %d: it must be at least 1", nnodes);
    if (ndims > 0 && !dims)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "dims is NULL");
    for (int i = 0; i < ndims; i++)
        if (dims[i] < 0)
            return mpi_error(MPI_COMM_NULL, MPI_ERR_DIMS, fn, "dims[%d] is negative (%d)", i, dims[i]);
    int rc = topo_dims_create(nnodes, ndims, dims);
    if (rc == MPI_ERR_DIMS)
        return mpi_error(MPI_COMM_NULL, rc, fn,
                         "the non-zero entries of dims do not multiply to a divisor of nnodes (%d)", nnodes);
    if (rc)
        return mpi_error(MPI_COMM_NULL, rc, fn, "out of memory");
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Dims_create);

/* ------------------------------------------------------------------ graphs */

static int check_graph(MPI_Comm comm, const char *fn, const struct mpi_comm *c, int nnodes, const int *index,
                       const int *edges)
{
    if (nnodes < 0)
        return mpi_error(comm, MPI_ERR_ARG, fn, "nnodes is negative (%d)", nnodes);
    if (nnodes > c->size)
        return mpi_error(comm, MPI_ERR_ARG, fn, "the graph has more nodes (%d) than the communicator has processes (%d)",
                         nnodes, c->size);
    if (nnodes == 0)
        return MPI_SUCCESS;
    if (!index)
        return mpi_error(comm, MPI_ERR_ARG, fn, "index is NULL");
    for (int i = 0; i < nnodes; i++)
        if (index[i] < (i ? index[i - 1] : 0))
            return mpi_error(comm, MPI_ERR_ARG, fn, "index[%d] = %d is less than the one before it (%d)", i, index[i],
                             i ? index[i - 1] : 0);
    if (index[nnodes - 1] > 0 && !edges)
        return mpi_error(comm, MPI_ERR_ARG, fn, "edges is NULL");
    for (int i = 0; i < index[nnodes - 1]; i++)
        if (edges[i] < 0 || edges[i] >= nnodes)
            return mpi_error(comm, MPI_ERR_RANK, fn, "edges[%d] = %d is not a node of the graph (0..%d)", i, edges[i],
                             nnodes - 1);
    return MPI_SUCCESS;
}

int PMPI_Graph_create(MPI_Comm comm_old, int nnodes, const int index[], const int edges[], int reorder,
                      MPI_Comm *comm_graph)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Graph_create");
    const char *fn = "MPI_Graph_create";
    struct mpi_comm *c;
    int rc = get_intra(comm_old, fn, &c);
    if (!rc)
        rc = null_arg(comm_old, fn, comm_graph, "comm_graph");
    if (!rc)
        rc = check_graph(comm_old, fn, c, nnodes, index, edges);
    if (rc)
        return rc;
    if (nnodes == 0) { /* the same everywhere: no process is in the graph */
        *comm_graph = MPI_COMM_NULL;
        return MPI_SUCCESS;
    }
    struct topo *t = c->rank < nnodes ? topo_new_graph(nnodes, index, edges) : NULL;
    return topo_comm(comm_old, fn, c, nnodes, t, comm_graph);
}
MPI_WEAK(MPI_Graph_create);

int PMPI_Graph_map(MPI_Comm comm, int nnodes, const int index[], const int edges[], int *newrank)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Graph_map");
    const char *fn = "MPI_Graph_map";
    struct mpi_comm *c;
    int rc = get_intra(comm, fn, &c);
    if (!rc)
        rc = null_arg(comm, fn, newrank, "newrank");
    if (!rc)
        rc = check_graph(comm, fn, c, nnodes, index, edges);
    if (rc)
        return rc;
    *newrank = c->rank < nnodes ? c->rank : MPI_UNDEFINED;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Graph_map);

int PMPI_Graphdims_get(MPI_Comm comm, int *nnodes, int *nedges)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Graphdims_get");
    struct mpi_comm *c;
    struct topo *t;
    int rc = get_topo(comm, "MPI_Graphdims_get", MPI_GRAPH, &c, &t);
    if (rc)
        return rc;
    if (!nnodes || !nedges)
        return mpi_error(comm, MPI_ERR_ARG, "MPI_Graphdims_get", "%s is NULL", nnodes ? "nedges" : "nnodes");
    *nnodes = t->nnodes;
    *nedges = t->nedges;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Graphdims_get);

/* Arrays shorter than the graph's get what fits (MPI gives their lengths
 * so that nothing is written past them). */
int PMPI_Graph_get(MPI_Comm comm, int maxindex, int maxedges, int index[], int edges[])
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Graph_get");
    const char *fn = "MPI_Graph_get";
    struct mpi_comm *c;
    struct topo *t;
    int rc = get_topo(comm, fn, MPI_GRAPH, &c, &t);
    if (rc)
        return rc;
    if (maxindex < 0 || maxedges < 0)
        return mpi_error(comm, MPI_ERR_ARG, fn, "%s is negative", maxindex < 0 ? "maxindex" : "maxedges");
    int ni = maxindex < t->nnodes ? maxindex : t->nnodes, ne = maxedges < t->nedges ? maxedges : t->nedges;
    if ((ni > 0 && !index) || (ne > 0 && !edges))
        return mpi_error(comm, MPI_ERR_ARG, fn, "%s is NULL", ni > 0 && !index ? "index" : "edges");
    if (ni > 0)
        memcpy(index, t->index, (size_t)ni * sizeof *index);
    if (ne > 0)
        memcpy(edges, t->edges, (size_t)ne * sizeof *edges);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Graph_get);

int PMPI_Graph_neighbors_count(MPI_Comm comm, int rank, int *nneighbors)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Graph_neighbors_count");
    const char *fn = "MPI_Graph_neighbors_count";
    struct mpi_comm *c;
    struct topo *t;
    int rc = get_topo(comm, fn, MPI_GRAPH, &c, &t);
    if (rc)
        return rc;
    if (rank < 0 || rank >= t->nnodes)
        return mpi_error(comm, MPI_ERR_RANK, fn, "rank %d is not a node of the graph (0..%d)", rank, t->nnodes - 1);
    if (!nneighbors)
        return mpi_error(comm, MPI_ERR_ARG, fn, "nneighbors is NULL");
    int first;
    topo_graph_neighbors(t, rank, &first, nneighbors);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Graph_neighbors_count);

int PMPI_Graph_neighbors(MPI_Comm comm, int rank, int maxneighbors, int neighbors[])
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Graph_neighbors");
    const char *fn = "MPI_Graph_neighbors";
    struct mpi_comm *c;
    struct topo *t;
    int rc = get_topo(comm, fn, MPI_GRAPH, &c, &t);
    if (rc)
        return rc;
    if (rank < 0 || rank >= t->nnodes)
        return mpi_error(comm, MPI_ERR_RANK, fn, "rank %d is not a node of the graph (0..%d)", rank, t->nnodes - 1);
    if (maxneighbors < 0)
        return mpi_error(comm, MPI_ERR_ARG, fn, "maxneighbors is negative (%d)", maxneighbors);
    int first, n;
    topo_graph_neighbors(t, rank, &first, &n);
    if (n > maxneighbors)
        n = maxneighbors;
    if (n > 0 && !neighbors)
        return mpi_error(comm, MPI_ERR_ARG, fn, "neighbors is NULL");
    if (n > 0)
        memcpy(neighbors, t->edges + first, (size_t)n * sizeof *neighbors);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Graph_neighbors);

/* ------------------------------------------------------------------ distributed graphs */

/* A list of ranks of c, with its weights: weights may be MPI_UNWEIGHTED,
 * or MPI_WEIGHTS_EMPTY / NULL when the list is empty. */
static int check_ranks(MPI_Comm comm, const char *fn, const struct mpi_comm *c, int n, const int *ranks,
                       const int *weights, const char *what, const char *wwhat)
{
    if (n < 0)
        return mpi_error(comm, MPI_ERR_ARG, fn, "the number of %s is negative (%d)", what, n);
    if (n == 0)
        return MPI_SUCCESS;
    if (!ranks)
        return mpi_error(comm, MPI_ERR_ARG, fn, "%s is NULL", what);
    for (int i = 0; i < n; i++)
        if (ranks[i] < 0 || ranks[i] >= c->size)
            return mpi_error(comm, MPI_ERR_RANK, fn, "%s[%d] = %d is not a rank of the communicator (size %d)", what, i,
                             ranks[i], c->size);
    if (!weights || weights == MPI_WEIGHTS_EMPTY)
        return mpi_error(comm, MPI_ERR_ARG, fn, "%s is %s but there are %d edges: give weights or MPI_UNWEIGHTED",
                         wwhat, weights ? "MPI_WEIGHTS_EMPTY" : "NULL", n);
    if (weights != MPI_UNWEIGHTED)
        for (int i = 0; i < n; i++)
            if (weights[i] < 0)
                return mpi_error(comm, MPI_ERR_ARG, fn, "%s[%d] is negative (%d)", wwhat, i, weights[i]);
    return MPI_SUCCESS;
}

/* The distributed graph's communicator: all of c, reorder ignored. */
static int dist_comm(MPI_Comm comm, const char *fn, struct mpi_comm *c, struct topo *t, MPI_Comm *out)
{
    return topo_comm(comm, fn, c, c->size, t, out);
}

int PMPI_Dist_graph_create_adjacent(MPI_Comm comm_old, int indegree, const int sources[], const int sourceweights[],
                                    int outdegree, const int destinations[], const int destweights[], MPI_Info info,
                                    int reorder, MPI_Comm *comm_dist_graph)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Dist_graph_create_adjacent");
    const char *fn = "MPI_Dist_graph_create_adjacent";
    struct mpi_comm *c;
    int rc = get_intra(comm_old, fn, &c);
    if (!rc)
        rc = null_arg(comm_old, fn, comm_dist_graph, "comm_dist_graph");
    if (!rc)
        rc = check_ranks(comm_old, fn, c, indegree, sources, sourceweights, "sources", "sourceweights");
    if (!rc)
        rc = check_ranks(comm_old, fn, c, outdegree, destinations, destweights, "destinations", "destweights");
    if (rc)
        return rc;
    int weighted = sourceweights != MPI_UNWEIGHTED && destweights != MPI_UNWEIGHTED;
    struct topo *t =
        topo_new_dist_graph(indegree, sources, sourceweights, outdegree, destinations, destweights, weighted);
    return dist_comm(comm_old, fn, c, t, comm_dist_graph);
}
MPI_WEAK(MPI_Dist_graph_create_adjacent);

/* An edge as it travels to one of its ends: which end the receiver is, the
 * other end, the weight. */
enum { EDGE_OUT, EDGE_IN };
struct edge_msg {
    int kind, peer, weight;
};

/* Any process may name any edge: each edge is sent to both of its ends
 * (an alltoall of counts, then an alltoallv of edges), and each process
 * keeps what it received in the order of the senders' ranks, then of their
 * lists. */
int PMPI_Dist_graph_create(MPI_Comm comm_old, int n, const int sources[], const int degrees[],
                           const int destinations[], const int weights[], MPI_Info info, int reorder,
                           MPI_Comm *comm_dist_graph)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Dist_graph_create");
    const char *fn = "MPI_Dist_graph_create";
    struct mpi_comm *c;
    int rc = get_intra(comm_old, fn, &c);
    if (!rc)
        rc = null_arg(comm_old, fn, comm_dist_graph, "comm_dist_graph");
    if (rc)
        return rc;
    if (n < 0)
        return mpi_error(comm_old, MPI_ERR_ARG, fn, "n is negative (%d)", n);
    if (n > 0 && (!sources || !degrees))
        return mpi_error(comm_old, MPI_ERR_ARG, fn, "%s is NULL", sources ? "degrees" : "sources");
    long long nedges = 0;
    for (int i = 0; i < n; i++) {
        if (sources[i] < 0 || sources[i] >= c->size)
            return mpi_error(comm_old, MPI_ERR_RANK, fn, "sources[%d] = %d is not a rank of the communicator (size %d)",
                             i, sources[i], c->size);
        if (degrees[i] < 0)
            return mpi_error(comm_old, MPI_ERR_ARG, fn, "degrees[%d] is negative (%d)", i, degrees[i]);
        nedges += degrees[i];
    }
    if (nedges > (1 << 26))
        return mpi_error(comm_old, MPI_ERR_ARG, fn, "%lld edges from one process are more than this library takes",
                         nedges);
    rc = check_ranks(comm_old, fn, c, (int)nedges, destinations, weights, "destinations", "weights");
    if (rc)
        return rc;
    int weighted_here = weights != MPI_UNWEIGHTED;

    int size = c->size;
    int *scount = calloc(2 * (size_t)size, sizeof *scount), *rcount = calloc(2 * (size_t)size, sizeof *rcount);
    int *sdispl = calloc((size_t)size + 1, sizeof *sdispl), *rdispl = calloc((size_t)size + 1, sizeof *rdispl);
    int *sc = calloc((size_t)size, sizeof *sc), *rcnt = calloc((size_t)size, sizeof *rcnt);
    struct edge_msg *out = calloc(2 * (size_t)nedges + 1, sizeof *out), *in = NULL;
    struct topo *t = NULL;
    int *lists = NULL;
    if (!scount || !rcount || !sdispl || !rdispl || !sc || !rcnt || !out) {
        rc = MPI_ERR_NO_MEM;
        goto done;
    }
    /* pairs (number of ints, weighted) to every process */
    for (int i = 0, e = 0; i < n; i++)
        for (int j = 0; j < degrees[i]; j++, e++) {
            scount[2 * sources[i]] += 3;
            scount[2 * destinations[e]] += 3;
        }
    for (int r = 0; r < size; r++)
        scount[2 * r + 1] = weighted_here;
    rc = coll_alltoall(scount, 2, MPI_INT, rcount, 2, MPI_INT, c);
    if (rc)
        goto done;
    int weighted = 1;
    for (int r = 0; r < size; r++) {
        sc[r] = scount[2 * r];
        rcnt[r] = rcount[2 * r];
        sdispl[r + 1] = sdispl[r] + sc[r];
        rdispl[r + 1] = rdispl[r] + rcnt[r];
        weighted &= rcount[2 * r + 1] != 0;
    }
    in = calloc((size_t)rdispl[size] / 3 + 1, sizeof *in);
    if (!in) {
        rc = MPI_ERR_NO_MEM; /* the others go on: they will hang or fail, as with any lost process */
        goto done;
    }
    int *fill = calloc((size_t)size, sizeof *fill);
    if (!fill) {
        rc = MPI_ERR_NO_MEM;
        goto done;
    }
    for (int i = 0, e = 0; i < n; i++)
        for (int j = 0; j < degrees[i]; j++, e++) {
            int s = sources[i], d = destinations[e], w = weighted_here ? weights[e] : 0;
            out[(sdispl[s] / 3) + fill[s]++] = (struct edge_msg){ EDGE_OUT, d, w };
            out[(sdispl[d] / 3) + fill[d]++] = (struct edge_msg){ EDGE_IN, s, w };
        }
    free(fill);
    rc = coll_alltoallv(out, sc, sdispl, MPI_INT, in, rcnt, rdispl, MPI_INT, c);
    if (rc)
        goto done;
    int nrecv = rdispl[size] / 3, indeg = 0, outdeg = 0;
    for (int i = 0; i < nrecv; i++) {
        if (in[i].kind == EDGE_IN)
            indeg++;
        else
            outdeg++;
    }
    lists = malloc(2 * ((size_t)nrecv + 1) * sizeof *lists);
    if (!lists) {
        rc = MPI_ERR_NO_MEM;
        goto done;
    }
    int *src = lists, *srcw = lists + indeg, *dst = lists + 2 * indeg, *dstw = dst + outdeg;
    for (int i = 0, a = 0, b = 0; i < nrecv; i++) {
        if (in[i].kind == EDGE_IN) {
            src[a] = in[i].peer;
            srcw[a++] = in[i].weight;
        } else {
            dst[b] = in[i].peer;
            dstw[b++] = in[i].weight;
        }
    }
    t = topo_new_dist_graph(indeg, src, srcw, outdeg, dst, dstw, weighted);
done:
    free(scount);
    free(rcount);
    free(sdispl);
    free(rdispl);
    free(sc);
    free(rcnt);
    free(out);
    free(in);
    free(lists);
    if (rc)
        return mpi_error(comm_old, rc, fn, "redistributing the edges among the processes failed");
    return dist_comm(comm_old, fn, c, t, comm_dist_graph);
}
MPI_WEAK(MPI_Dist_graph_create);

int PMPI_Dist_graph_neighbors_count(MPI_Comm comm, int *indegree, int *outdegree, int *weighted)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Dist_graph_neighbors_count");
    const char *fn = "MPI_Dist_graph_neighbors_count";
    struct mpi_comm *c;
    struct topo *t;
    int rc = get_topo(comm, fn, MPI_DIST_GRAPH, &c, &t);
    if (rc)
        return rc;
    if (!indegree || !outdegree || !weighted)
        return mpi_error(comm, MPI_ERR_ARG, fn, "an output argument is NULL");
    *indegree = t->indegree;
    *outdegree = t->outdegree;
    *weighted = t->weighted;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Dist_graph_neighbors_count);

int PMPI_Dist_graph_neighbors(MPI_Comm comm, int maxindegree, int sources[], int sourceweights[], int maxoutdegree,
                              int destinations[], int destweights[])
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Dist_graph_neighbors");
    const char *fn = "MPI_Dist_graph_neighbors";
    struct mpi_comm *c;
    struct topo *t;
    int rc = get_topo(comm, fn, MPI_DIST_GRAPH, &c, &t);
    if (rc)
        return rc;
    if (maxindegree < 0 || maxoutdegree < 0)
        return mpi_error(comm, MPI_ERR_ARG, fn, "%s is negative", maxindegree < 0 ? "maxindegree" : "maxoutdegree");
    int ni = maxindegree < t->indegree ? maxindegree : t->indegree;
    int no = maxoutdegree < t->outdegree ? maxoutdegree : t->outdegree;
    if ((ni > 0 && !sources) || (no > 0 && !destinations))
        return mpi_error(comm, MPI_ERR_ARG, fn, "%s is NULL", ni > 0 && !sources ? "sources" : "destinations");
    for (int i = 0; i < ni; i++)
        sources[i] = t->sources[i];
    for (int i = 0; i < no; i++)
        destinations[i] = t->destinations[i];
    /* weights only for a weighted graph, into arrays that are arrays */
    if (t->weighted && sourceweights && sourceweights != MPI_UNWEIGHTED && sourceweights != MPI_WEIGHTS_EMPTY)
        for (int i = 0; i < ni; i++)
            sourceweights[i] = t->sourceweights[i];
    if (t->weighted && destweights && destweights != MPI_UNWEIGHTED && destweights != MPI_WEIGHTS_EMPTY)
        for (int i = 0; i < no; i++)
            destweights[i] = t->destweights[i];
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Dist_graph_neighbors);

int PMPI_Topo_test(MPI_Comm comm, int *status)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Topo_test");
    struct mpi_comm *c;
    int rc = get_comm(comm, "MPI_Topo_test", &c);
    if (!rc)
        rc = null_arg(comm, "MPI_Topo_test", status, "status");
    if (rc)
        return rc;
    *status = topo_of(c) ? topo_of(c)->kind : MPI_UNDEFINED;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Topo_test);
