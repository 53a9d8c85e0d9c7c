/* topo.h — process topologies: the table of topologies (topo.c) that a
 * communicator's `topo` field points into, the balanced factorization of
 * MPI_Dims_create, and the neighbour lists the neighbourhood collectives
 * (neighbor_coll.c) walk.
 *
 * A topology is immutable once made and shared by reference: MPI_Comm_dup
 * takes one more reference, MPI_Comm_free drops one.  Everything lives in
 * the heap, so a checkpoint's image holds it as it is. */
#ifndef CREST_MPI_TOPO_H
#define CREST_MPI_TOPO_H

#include "mpi_impl.h"

struct topo {
    int refs;          /* 0: slot free */
    int kind;          /* MPI_CART, MPI_GRAPH or MPI_DIST_GRAPH */
    /* MPI_CART: ndims entries each (ndims may be 0: one process) */
    int ndims;
    int *dims, *periods;
    /* MPI_GRAPH: index[nnodes], edges[nedges] as MPI_Graph_create took them */
    int nnodes, nedges;
    int *index, *edges;
    /* MPI_DIST_GRAPH: this process's own edges */
    int indegree, outdegree, weighted;
    int *sources, *sourceweights, *destinations, *destweights;
};

/* The topology of c, or NULL when it has none. */
static inline struct topo *topo_of(const struct mpi_comm *c) { return (struct topo *)c->topo; }

/* New entries (refs 1), copying the arrays given; NULL when out of memory.
 * weights may be NULL (unweighted: weighted = 0). */
struct topo *topo_new_cart(int ndims, const int *dims, const int *periods);
struct topo *topo_new_graph(int nnodes, const int *index, const int *edges);
struct topo *topo_new_dist_graph(int indegree, const int *sources, const int *sourceweights, int outdegree,
                                 const int *destinations, const int *destweights, int weighted);
/* Drops a reference (t may be NULL); the last one frees the entry. */
void topo_unref(struct topo *t);
/* Gives c the topology t (c takes the caller's reference). */
void topo_attach(struct mpi_comm *c, struct topo *t);

/* MPI_CART: coordinates of rank (coords has ndims entries) and back.
 * topo_cart_rank returns -1 when a coordinate is outside a non-periodic
 * dimension. */
void topo_cart_coords(const struct topo *t, int rank, int *coords);
int topo_cart_rank(const struct topo *t, const int *coords);
/* MPI_Cart_shift: source and destination of a shift by disp along dim
 * (MPI_PROC_NULL off the edge of a non-periodic dimension). */
void topo_cart_shift(const struct topo *t, int rank, int dim, int disp, int *source, int *dest);

/* MPI_GRAPH: the neighbours of rank: *n of them from edges + *first. */
void topo_graph_neighbors(const struct topo *t, int rank, int *first, int *n);

/* The neighbourhood of rank `rank` as the neighbourhood collectives see it:
 * receive block i comes from in[i] (with tag intag[i]), send block i goes
 * to out[i] (with outtag[i]); MPI_PROC_NULL entries keep their slot and
 * carry nothing.  Tags are offsets the caller adds to its own base: on a
 * Cartesian topology they say the dimension and the direction of travel,
 * so that a process that is both the -1 and the +1 neighbour (periodic
 * dimensions of size 1 or 2) still gets each block in the right slot. */
struct topo_nbrs {
    int nin, nout;
    int *in, *intag, *out, *outtag;  /* one allocation, free with topo_nbrs_free */
};
int topo_neighbors(const struct topo *t, int rank, struct topo_nbrs *nb); /* MPI_SUCCESS or MPI_ERR_NO_MEM */
void topo_nbrs_free(struct topo_nbrs *nb);

/* MPI_Dims_create's balanced factorization: fills the zero entries of
 * dims (ndims entries) so that their product times the product of the
 * non-zero ones is nnodes.  Among all such choices, the free entries taken
 * in non-increasing order are the lexicographically smallest: the largest
 * as small as possible, then the next, and so on.  Returns MPI_SUCCESS,
 * or MPI_ERR_DIMS when the non-zero entries do not divide nnodes. */
int topo_dims_create(int nnodes, int ndims, int *dims);

#endif
