/* intercomm.c — intercommunicators: MPI_Intercomm_create and _merge, the
 * remote group, and what dup, split, create, compare and free do on them.
 *
 * An intercommunicator is a struct mpi_comm with a remote group: its
 * point-to-point ranks name remote processes (comm_peer_world), its rank
 * and size are the local group's.  It carries a hidden intracommunicator
 * over the local group (local_comm), on which the local halves of its
 * collectives and of the functions below run.  Each group's leader is its
 * local rank 0 (Intercomm_create: the local_leader); leaders talk on the
 * intercommunicator's collective context with tags below COLL_TAG_BASE.
 *
 * Context ids must be free at every process of both groups: each group
 * ANDs its free masks, the leaders AND the two, and every process claims
 * the same lowest ids of the result: one for the intercommunicator, one
 * for its hidden local communicator. */
#include <stdlib.h>
#include <string.h>

#include "coll.h"

#define INTER_MGMT_TAG 2

/* The mask, the leader's flags: what leaders swap before any new communicator. */
struct agree {
    uint64_t mask[CONTEXT_MASK_WORDS];
    int size;  /* group size (Intercomm_create), a subgroup size (Comm_create) */
    int high;  /* Intercomm_merge */
    int wlead; /* world rank of the leader: Intercomm_merge's tie break */
};

static MPI_Comm make_inter(MPI_Group local, MPI_Group remote, const uint32_t ctx[2], MPI_Errhandler eh)
{
    MPI_Comm l = comm_create_from_group(local, ctx[1], eh);
    if (l == MPI_COMM_NULL)
        return MPI_COMM_NULL;
    group_ref(local);
    MPI_Comm h = comm_create_from_group(local, ctx[0], eh);
    if (h == MPI_COMM_NULL)
        return MPI_COMM_NULL;
    struct mpi_comm *c = comm_get(h);
    c->remote = remote;
    c->local_comm = l;
    return h;
}

/* Leaders swap len bytes (on c's collective context); the local group gets
 * the remote side's. */
static int swap_bcast(struct mpi_comm *c, const void *mine, void *theirs, size_t len)
{
    struct mpi_comm *l = comm_get(c->local_comm);
    int rc = MPI_SUCCESS;
    if (l->rank == 0)
        rc = p2p_sendrecv(mine, (int)len, MPI_BYTE, 0, INTER_MGMT_TAG, theirs, (int)len, MPI_BYTE, 0,
                          INTER_MGMT_TAG, c, c->context + 1, MPI_STATUS_IGNORE);
    if (!rc)
        rc = coll_bcast(theirs, (int)len, MPI_BYTE, 0, l);
    return rc;
}

/* The agreement over an existing intercommunicator; *remote gets the
 * remote leader's struct (mask already combined into out->mask). */
static int agree_over(struct mpi_comm *c, struct agree *mine, struct agree *remote)
{
    int rc = comm_free_mask(comm_get(c->local_comm), mine->mask);
    if (!rc)
        rc = swap_bcast(c, mine, remote, sizeof *mine);
    if (!rc)
        for (int w = 0; w < CONTEXT_MASK_WORDS; w++)
            mine->mask[w] &= remote->mask[w];
    return rc;
}

static void release2(const uint32_t ctx[2])
{
    comm_release_context(ctx[0]);
    comm_release_context(ctx[1]);
}

int intercomm_dup(struct mpi_comm *c, MPI_Comm *newcomm)
{
    struct agree mine = { .size = c->size }, remote;
    uint32_t ctx[2];
    int rc = agree_over(c, &mine, &remote);
    if (!rc)
        rc = comm_claim_contexts(mine.mask, 2, ctx);
    if (rc)
        return rc;
    group_ref(c->group);
    group_ref(c->remote);
    *newcomm = make_inter(c->group, c->remote, ctx, c->errhandler);
    return *newcomm == MPI_COMM_NULL ? MPI_ERR_NO_MEM : MPI_SUCCESS;
}

struct split_entry {
    int color, key, rank;
};

static int by_key(const void *a, const void *b)
{
    const struct split_entry *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->rank - y->rank;
}

/* World ranks of the entries of one color, ordered by key then rank. */
static int pick(struct split_entry *e, int n, int color, const int *world, int *out)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (e[i].color == color)
            e[k++] = e[i];
    qsort(e, (size_t)k, sizeof *e, by_key);
    for (int i = 0; i < k; i++)
        out[i] = world[e[i].rank];
    return k;
}

/* MPI-2: each group splits by color; processes of one color in both groups
 * form a new intercommunicator (none if either side has nobody). */
int intercomm_split(struct mpi_comm *c, int color, int key, MPI_Comm *newcomm)
{
    struct mpi_comm *l = comm_get(c->local_comm);
    struct mpi_group *rg = group_get(c->remote);
    int n = l->size, rn = rg->size;
    struct split_entry me = { color, key, l->rank };
    struct split_entry *all = malloc(((size_t)n + (size_t)rn) * sizeof *all);
    int *lw = malloc(((size_t)n + (size_t)rn) * sizeof *lw);
    if (!all || !lw) {
        free(all);
        free(lw);
        return MPI_ERR_NO_MEM;
    }
    struct split_entry *rall = all + n;
    int rc = coll_allgather(&me, (int)sizeof me, MPI_BYTE, all, (int)sizeof me, MPI_BYTE, l);
    if (!rc && l->rank == 0)
        rc = p2p_sendrecv(all, n * (int)sizeof *all, MPI_BYTE, 0, INTER_MGMT_TAG, rall, rn * (int)sizeof *all,
                          MPI_BYTE, 0, INTER_MGMT_TAG, c, c->context + 1, MPI_STATUS_IGNORE);
    if (!rc)
        rc = coll_bcast(rall, rn * (int)sizeof *all, MPI_BYTE, 0, l);
    struct agree mine = { .size = n }, remote;
    uint32_t ctx[2];
    if (!rc)
        rc = agree_over(c, &mine, &remote);
    if (!rc)
        rc = comm_claim_contexts(mine.mask, 2, ctx);
    *newcomm = MPI_COMM_NULL;
    if (!rc) {
        int k = color == MPI_UNDEFINED ? 0 : pick(all, n, color, l->world, lw);
        int rk = color == MPI_UNDEFINED ? 0 : pick(rall, rn, color, rg->world, lw + k);
        if (k && rk) {
            *newcomm = make_inter(group_new(k, lw), group_new(rk, lw + k), ctx, c->errhandler);
            if (*newcomm == MPI_COMM_NULL)
                rc = MPI_ERR_NO_MEM;
        } else {
            release2(ctx);
        }
    }
    free(all);
    free(lw);
    return rc;
}

/* MPI-2: group is a subgroup of the local group; its members get an
 * intercommunicator with the subgroup the remote side chose (none if that
 * is empty). */
int intercomm_create_sub(struct mpi_comm *c, MPI_Group group, MPI_Comm *newcomm)
{
    struct mpi_comm *l = comm_get(c->local_comm);
    struct mpi_group *g = group_get(group);
    struct agree mine = { .size = g->size }, remote;
    uint32_t ctx[2];
    int rc = agree_over(c, &mine, &remote);
    if (rc)
        return rc;
    int *rw = malloc(((size_t)remote.size + 1) * sizeof *rw);
    if (!rw)
        return MPI_ERR_NO_MEM;
    if (l->rank == 0)
        rc = p2p_sendrecv(g->world, g->size, MPI_INT, 0, INTER_MGMT_TAG, rw, remote.size, MPI_INT, 0,
                          INTER_MGMT_TAG, c, c->context + 1, MPI_STATUS_IGNORE);
    if (!rc)
        rc = coll_bcast(rw, remote.size, MPI_INT, 0, l);
    if (!rc)
        rc = comm_claim_contexts(mine.mask, 2, ctx);
    *newcomm = MPI_COMM_NULL;
    if (!rc) {
        if (remote.size > 0 && group_rank_of_world(g, mpi_state.world_rank) != MPI_UNDEFINED) {
            *newcomm = make_inter(group_new(g->size, g->world), group_new(remote.size, rw), ctx, c->errhandler);
            if (*newcomm == MPI_COMM_NULL)
                rc = MPI_ERR_NO_MEM;
        } else {
            release2(ctx);
        }
    }
    free(rw);
    return rc;
}

int intercomm_compare(struct mpi_comm *a, struct mpi_comm *b)
{
    if ((a->remote == MPI_GROUP_NULL) != (b->remote == MPI_GROUP_NULL))
        return MPI_UNEQUAL;
    int gl, gr;
    PMPI_Group_compare(a->group, b->group, &gl);
    PMPI_Group_compare(a->remote, b->remote, &gr);
    if (gl == MPI_IDENT && gr == MPI_IDENT)
        return MPI_CONGRUENT;
    if (gl != MPI_UNEQUAL && gr != MPI_UNEQUAL)
        return MPI_SIMILAR;
    return MPI_UNEQUAL;
}

void intercomm_release(struct mpi_comm *c)
{
    struct mpi_comm *l = comm_get(c->local_comm);
    if (!l)
        return;
    comm_release_context(l->context);
    group_unref(l->group);
    l->in_use = 0;
    c->local_comm = MPI_COMM_NULL;
}

/* ------------------------------------------------------------- MPI functions */

static struct mpi_comm *get_inter(MPI_Comm comm, const char *fn, int *rc)
{
    struct mpi_comm *c = comm_get(comm);
    if (!c)
        *rc = mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, fn, "0x%x is not a valid communicator", (unsigned)comm);
    else if (c->remote == MPI_GROUP_NULL)
        *rc = mpi_error(comm, MPI_ERR_COMM, fn, "the communicator is not an intercommunicator");
    else
        return c;
    return NULL;
}

int PMPI_Comm_remote_size(MPI_Comm comm, int *size)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_remote_size");
    int rc;
    struct mpi_comm *c = get_inter(comm, "MPI_Comm_remote_size", &rc);
    if (!c)
        return rc;
    if (!size)
        return mpi_error(comm, MPI_ERR_ARG, "MPI_Comm_remote_size", "size is NULL");
    *size = comm_peer_size(c);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_remote_size);

int PMPI_Comm_remote_group(MPI_Comm comm, MPI_Group *group)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_remote_group");
    int rc;
    struct mpi_comm *c = get_inter(comm, "MPI_Comm_remote_group", &rc);
    if (!c)
        return rc;
    if (!group)
        return mpi_error(comm, MPI_ERR_ARG, "MPI_Comm_remote_group", "group is NULL");
    group_ref(c->remote);
    *group = c->remote;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_remote_group);

int PMPI_Intercomm_create(MPI_Comm local_comm, int local_leader, MPI_Comm peer_comm, int remote_leader, int tag,
                          MPI_Comm *newintercomm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Intercomm_create";
    MPI_CHECK_INIT(fn);
    struct mpi_comm *l = comm_get(local_comm);
    if (!l)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, fn, "local_comm 0x%x is not a valid communicator",
                         (unsigned)local_comm);
    if (l->remote != MPI_GROUP_NULL)
        return mpi_error(local_comm, MPI_ERR_COMM, fn, "local_comm must be an intracommunicator");
    if (local_leader < 0 || local_leader >= l->size)
        return mpi_error(local_comm, MPI_ERR_RANK, fn, "local_leader %d is not a rank of local_comm (size %d)",
                         local_leader, l->size);
    if (tag < 0)
        return mpi_error(local_comm, MPI_ERR_TAG, fn, "tag %d is negative", tag);
    if (!newintercomm)
        return mpi_error(local_comm, MPI_ERR_ARG, fn, "newintercomm is NULL");
    struct mpi_comm *p = NULL;
    if (l->rank == local_leader) {
        p = comm_get(peer_comm);
        if (!p)
            return mpi_error(local_comm, MPI_ERR_COMM, fn, "peer_comm 0x%x is not a valid communicator",
                             (unsigned)peer_comm);
        if (remote_leader < 0 || remote_leader >= comm_peer_size(p))
            return mpi_error(local_comm, MPI_ERR_RANK, fn, "remote_leader %d is not a rank of peer_comm (size %d)",
                             remote_leader, comm_peer_size(p));
        if (comm_peer_world(p, remote_leader) == mpi_state.world_rank)
            return mpi_error(local_comm, MPI_ERR_RANK, fn, "remote_leader %d is this process itself", remote_leader);
    }
    /* The leaders swap their groups' masks and sizes, then member lists, on
     * peer_comm with the tag given (as the standard has it); each leader
     * passes the remote side's on to its group. */
    struct agree mine = { .size = l->size }, remote;
    int rc = comm_free_mask(l, mine.mask);
    int *rw = NULL;
    if (!rc && l->rank == local_leader)
        rc = p2p_sendrecv(&mine, (int)sizeof mine, MPI_BYTE, remote_leader, tag, &remote, (int)sizeof remote,
                          MPI_BYTE, remote_leader, tag, p, p->context, MPI_STATUS_IGNORE);
    if (!rc)
        rc = coll_bcast(&remote, (int)sizeof remote, MPI_BYTE, local_leader, l);
    if (!rc && !(rw = malloc((size_t)remote.size * sizeof *rw)))
        rc = MPI_ERR_NO_MEM;
    if (!rc && l->rank == local_leader)
        rc = p2p_sendrecv(l->world, l->size, MPI_INT, remote_leader, tag, rw, remote.size, MPI_INT, remote_leader,
                          tag, p, p->context, MPI_STATUS_IGNORE);
    if (!rc)
        rc = coll_bcast(rw, remote.size, MPI_INT, local_leader, l);
    uint32_t ctx[2];
    if (!rc) {
        for (int w = 0; w < CONTEXT_MASK_WORDS; w++)
            mine.mask[w] &= remote.mask[w];
        rc = comm_claim_contexts(mine.mask, 2, ctx);
    }
    if (rc) {
        free(rw);
        return mpi_error(local_comm, rc, fn, "the exchange between the leaders failed");
    }
    /* The local group keeps local_comm's order; from now on each side's
     * leader is its rank 0, whoever local_leader was. */
    group_ref(l->group);
    *newintercomm = make_inter(l->group, group_new(remote.size, rw), ctx, l->errhandler);
    free(rw);
    if (*newintercomm == MPI_COMM_NULL)
        return mpi_error(local_comm, MPI_ERR_NO_MEM, fn, "out of memory");
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Intercomm_create);

int PMPI_Intercomm_merge(MPI_Comm intercomm, int high, MPI_Comm *newintracomm)
{
    MPI_SECTION();
    static const char fn[] = "MPI_Intercomm_merge";
    MPI_CHECK_INIT(fn);
    int rc;
    struct mpi_comm *c = get_inter(intercomm, fn, &rc);
    if (!c)
        return rc;
    if (!newintracomm)
        return mpi_error(intercomm, MPI_ERR_ARG, fn, "newintracomm is NULL");
    struct mpi_comm *l = comm_get(c->local_comm);
    struct agree mine = { .size = c->size, .high = !!high, .wlead = c->world[0] }, remote;
    /* The local leader's high stands for its group. */
    rc = coll_bcast(&mine.high, 1, MPI_INT, 0, l);
    if (!rc)
        rc = agree_over(c, &mine, &remote);
    uint32_t ctx;
    if (!rc)
        rc = comm_claim_contexts(mine.mask, 1, &ctx);
    if (rc)
        return mpi_error(intercomm, rc, fn, "the exchange between the groups failed");
    /* The group that said high = false comes first; if both said the same,
     * the group whose leader has the lower world rank. */
    int local_first = mine.high != remote.high ? !mine.high : mine.wlead < remote.wlead;
    struct mpi_group *rg = group_get(c->remote);
    int n = c->size + rg->size;
    int *w = malloc((size_t)n * sizeof *w);
    if (!w) {
        comm_release_context(ctx);
        return mpi_error(intercomm, MPI_ERR_NO_MEM, fn, "out of memory");
    }
    memcpy(w + (local_first ? 0 : rg->size), c->world, (size_t)c->size * sizeof *w);
    memcpy(w + (local_first ? c->size : 0), rg->world, (size_t)rg->size * sizeof *w);
    *newintracomm = comm_create_from_group(group_new(n, w), ctx, c->errhandler);
    free(w);
    if (*newintracomm == MPI_COMM_NULL)
        return mpi_error(intercomm, MPI_ERR_NO_MEM, fn, "out of memory");
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Intercomm_merge);
