/* comm_extra.c — MPI_Comm_split_type (the ranks of one host together) and
 * MPI_Comm_create_group (collective over the group's members only). */
#include <limits.h>

#include "mpi_impl.h"

#define GET_COMM(fn, h, c)                                                                                    \
    MPI_CHECK_INIT(fn);                                                                                       \
    struct mpi_comm *c = comm_get(h);                                                                         \
    if (!c)                                                                                                   \
    return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, fn, "0x%x is not a valid communicator", (unsigned)(h))

int PMPI_Comm_split_type(MPI_Comm comm, int split_type, int key, MPI_Info info, MPI_Comm *newcomm)
{
    MPI_SECTION();
    const char *fn = "MPI_Comm_split_type";
    GET_COMM(fn, comm, c);
    (void)c;
    if (split_type != MPI_COMM_TYPE_SHARED && split_type != MPI_UNDEFINED)
        return mpi_error(comm, MPI_ERR_ARG, fn, "split_type %d is neither MPI_COMM_TYPE_SHARED nor MPI_UNDEFINED",
                         split_type);
    if (!newcomm)
        return mpi_error(comm, MPI_ERR_ARG, fn, "newcomm is a null pointer");
    /* The host of this rank as the transports see it now: the runtime's
     * host index, or after a restart anywhere the lowest world rank on the
     * same host (init.c); the same number at every rank of one host. */
    int color = MPI_UNDEFINED;
    if (split_type == MPI_COMM_TYPE_SHARED)
        color = mpi_state.node >= 0 ? mpi_state.node : INT_MAX;
    return PMPI_Comm_split(comm, color, key, newcomm);
}
MPI_WEAK(MPI_Comm_split_type);

int PMPI_Comm_create_group(MPI_Comm comm, MPI_Group group, int tag, MPI_Comm *newcomm)
{
    MPI_SECTION();
    const char *fn = "MPI_Comm_create_group";
    GET_COMM(fn, comm, c);
    if (c->remote != MPI_GROUP_NULL)
        return mpi_error(comm, MPI_ERR_COMM, fn, "the communicator is an intercommunicator");
    struct mpi_group *g = group_get(group);
    if (!g)
        return mpi_error(comm, MPI_ERR_GROUP, fn, "0x%x is not a valid group", (unsigned)group);
    if (tag < 0)
        return mpi_error(comm, MPI_ERR_TAG, fn, "tag %d is negative", tag);
    if (!newcomm)
        return mpi_error(comm, MPI_ERR_ARG, fn, "newcomm is a null pointer");
    struct mpi_group *parent = group_get(c->group);
    for (int i = 0; i < g->size; i++)
        if (group_rank_of_world(parent, g->world[i]) == MPI_UNDEFINED)
            return mpi_error(comm, MPI_ERR_GROUP, fn,
                             "the group has a process (world rank %d) that is not in the communicator", g->world[i]);
    int me = group_rank_of_world(g, mpi_state.world_rank);
    *newcomm = MPI_COMM_NULL;
    if (me == MPI_UNDEFINED)
        return MPI_SUCCESS; /* not a member: nothing to take part in */
    /* The context id is agreed among the group's members alone, on the
     * parent's collective context (messages between given ranks only, so
     * members of other groups creating at the same time do not mix in).
     * One thread at a time is in the library: the tag, which tells
     * concurrent calls of several threads apart, needs no further use. */
    struct mpi_comm sub = *c;
    sub.group = group;
    sub.rank = me;
    sub.size = g->size;
    sub.world = g->world;
    uint32_t ctx;
    int rc = comm_alloc_context(&sub, &ctx);
    if (rc)
        return mpi_error(comm, rc, fn, "cannot agree on a context id among the group's members");
    MPI_Group copy = group_new(g->size, g->world);
    *newcomm = comm_create_from_group(copy, ctx, c->errhandler);
    if (*newcomm == MPI_COMM_NULL)
        return mpi_error(comm, MPI_ERR_NO_MEM, fn, "out of memory");
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_create_group);
