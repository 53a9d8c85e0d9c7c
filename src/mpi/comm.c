/* comm.c — communicators: the table (MPI_COMM_WORLD and MPI_COMM_SELF are
 * built in), context ids agreed among the members, and the MPI functions
 * that make, compare and free communicators. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_impl.h"

/* Context ids: a communicator with id k uses context 2k for
 * point-to-point traffic and 2k+1 for collectives.  0 is the world, 1 is
 * self; the others are agreed on: the lowest id free at every member. */
#define MAX_CONTEXT_IDS 4096
#define MASK_WORDS (MAX_CONTEXT_IDS / 64)
#define COMM_MGMT_TAG 1 /* on the collective context; collectives use tags >= COLL_TAG_BASE */

/* Owned by the library's active thread. */
static uint64_t free_ids[MASK_WORDS];
static struct mpi_comm builtin_comms[2];
static struct mpi_comm **comms;
static int ncomms, capcomms;

struct mpi_comm *comm_get(MPI_Comm h)
{
    if (h == MPI_COMM_WORLD || h == MPI_COMM_SELF)
        return builtin_comms[h & 1].in_use ? &builtin_comms[h & 1] : NULL;
    if (HANDLE_KIND(h) != HANDLE_DYNAMIC || HANDLE_TYPE(h) != HT_COMM)
        return NULL;
    unsigned i = HANDLE_INDEX(h);
    if (i >= (unsigned)ncomms || !comms[i]->in_use)
        return NULL;
    return comms[i];
}

static void fill(struct mpi_comm *c, MPI_Group group, uint32_t context, MPI_Errhandler eh)
{
    struct mpi_group *g = group_get(group);
    memset(c, 0, sizeof *c);
    c->in_use = 1;
    c->context = context;
    c->group = group;
    c->remote = MPI_GROUP_NULL;
    c->size = g->size;
    c->world = g->world;
    c->rank = group_rank_of_world(g, mpi_state.world_rank);
    c->errhandler = eh;
}

/* Called by MPI_Init once the world is known. */
void comm_init_builtin(void)
{
    for (int w = 0; w < MASK_WORDS; w++)
        free_ids[w] = ~0ull;
    free_ids[0] &= ~3ull; /* ids 0 and 1 */
    int *all = malloc((size_t)mpi_state.world_size * sizeof *all);
    for (int i = 0; i < mpi_state.world_size; i++)
        all[i] = i;
    fill(&builtin_comms[0], group_new(mpi_state.world_size, all), 0, MPI_ERRORS_ARE_FATAL);
    builtin_comms[0].handle = MPI_COMM_WORLD;
    strcpy(builtin_comms[0].name, "MPI_COMM_WORLD");
    fill(&builtin_comms[1], group_new(1, &mpi_state.world_rank), 2, MPI_ERRORS_ARE_FATAL);
    builtin_comms[1].handle = MPI_COMM_SELF;
    strcpy(builtin_comms[1].name, "MPI_COMM_SELF");
    free(all);
}

MPI_Comm comm_create_from_group(MPI_Group group, uint32_t context, MPI_Errhandler eh)
{
    int index = -1;
    for (int i = 0; i < ncomms; i++)
        if (!comms[i]->in_use) {
            index = i;
            break;
        }
    if (index < 0) {
        if (ncomms == capcomms) {
            int cap = capcomms ? capcomms * 2 : 32;
            struct mpi_comm **p = realloc(comms, (size_t)cap * sizeof *p);
            if (!p)
                return MPI_COMM_NULL;
            comms = p;
            capcomms = cap;
        }
        comms[ncomms] = calloc(1, sizeof **comms);
        if (!comms[ncomms])
            return MPI_COMM_NULL;
        index = ncomms++;
    }
    fill(comms[index], group, context, eh);
    comms[index]->handle = MAKE_HANDLE(HT_COMM, index);
    return comms[index]->handle;
}

/* Every member contributes len bytes; all get every member's, in rank
 * order.  Through rank 0: context agreement and splits are rare, small
 * and must not depend on the collectives' algorithms. */
static int exchange(struct mpi_comm *c, const void *mine, size_t len, void *all)
{
    uint32_t ctx = c->context + 1;
    if (c->rank == 0) {
        memcpy(all, mine, len);
        for (int r = 1; r < c->size; r++) {
            int rc = p2p_recv((char *)all + (size_t)r * len, (int)len, MPI_BYTE, r, COMM_MGMT_TAG, c, ctx,
                              MPI_STATUS_IGNORE);
            if (rc)
                return rc;
        }
        for (int r = 1; r < c->size; r++) {
            int rc = p2p_send(all, (int)(len * (size_t)c->size), MPI_BYTE, r, COMM_MGMT_TAG, c, ctx);
            if (rc)
                return rc;
        }
        return MPI_SUCCESS;
    }
    int rc = p2p_send(mine, (int)len, MPI_BYTE, 0, COMM_MGMT_TAG, c, ctx);
    if (rc)
        return rc;
    return p2p_recv(all, (int)(len * (size_t)c->size), MPI_BYTE, 0, COMM_MGMT_TAG, c, ctx, MPI_STATUS_IGNORE);
}

int comm_alloc_context(struct mpi_comm *parent, uint32_t *context)
{
    uint64_t *all = malloc((size_t)parent->size * sizeof free_ids);
    if (!all)
        return MPI_ERR_NO_MEM;
    int rc = exchange(parent, free_ids, sizeof free_ids, all);
    if (rc) {
        free(all);
        return rc;
    }
    uint64_t common[MASK_WORDS];
    memcpy(common, all, sizeof common);
    for (int r = 1; r < parent->size; r++)
        for (int w = 0; w < MASK_WORDS; w++)
            common[w] &= all[(size_t)r * MASK_WORDS + w];
    free(all);
    for (int w = 0; w < MASK_WORDS; w++)
        if (common[w]) {
            int bit = __builtin_ctzll(common[w]);
            free_ids[w] &= ~(1ull << bit);
            *context = 2u * (uint32_t)(w * 64 + bit);
            return MPI_SUCCESS;
        }
    return MPI_ERR_OTHER; /* all 4096 in use */
}

int comm_free_mask(struct mpi_comm *c, uint64_t mask[CONTEXT_MASK_WORDS])
{
    _Static_assert(CONTEXT_MASK_WORDS == MASK_WORDS, "one mask size");
    uint64_t *all = malloc((size_t)c->size * sizeof free_ids);
    if (!all)
        return MPI_ERR_NO_MEM;
    int rc = exchange(c, free_ids, sizeof free_ids, all);
    if (!rc) {
        memcpy(mask, all, sizeof free_ids);
        for (int r = 1; r < c->size; r++)
            for (int w = 0; w < MASK_WORDS; w++)
                mask[w] &= all[(size_t)r * MASK_WORDS + w];
    }
    free(all);
    return rc;
}

int comm_claim_contexts(const uint64_t mask[CONTEXT_MASK_WORDS], int n, uint32_t *contexts)
{
    int got = 0;
    for (int w = 0; w < MASK_WORDS && got < n; w++)
        for (uint64_t m = mask[w]; m && got < n; m &= m - 1) {
            int bit = __builtin_ctzll(m);
            free_ids[w] &= ~(1ull << bit);
            contexts[got++] = 2u * (uint32_t)(w * 64 + bit);
        }
    if (got == n)
        return MPI_SUCCESS;
    while (got > 0)
        comm_release_context(contexts[--got]);
    return MPI_ERR_OTHER; /* all in use */
}

void comm_release_context(uint32_t context)
{
    uint32_t id = context / 2;
    if (id >= 2 && id < MAX_CONTEXT_IDS)
        free_ids[id / 64] |= 1ull << (id % 64);
}

/* ------------------------------------------------------------- MPI functions */

#define GET_COMM(func, h, c)                                                                               \
    struct mpi_comm *c = comm_get(h);                                                                      \
    if (!c)                                                                                                \
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, func, "0x%x is not a valid communicator", (unsigned)(h))

int PMPI_Comm_rank(MPI_Comm comm, int *rank)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_rank");
    GET_COMM("MPI_Comm_rank", comm, c);
    *rank = c->rank;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_rank);

int PMPI_Comm_size(MPI_Comm comm, int *size)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_size");
    GET_COMM("MPI_Comm_size", comm, c);
    *size = c->size;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_size);

int PMPI_Comm_group(MPI_Comm comm, MPI_Group *group)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_group");
    GET_COMM("MPI_Comm_group", comm, c);
    group_ref(c->group);
    *group = c->group;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_group);

int PMPI_Comm_test_inter(MPI_Comm comm, int *flag)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_test_inter");
    GET_COMM("MPI_Comm_test_inter", comm, c);
    *flag = c->remote != MPI_GROUP_NULL;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_test_inter);

int PMPI_Comm_dup(MPI_Comm comm, MPI_Comm *newcomm)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_dup");
    GET_COMM("MPI_Comm_dup", comm, c);
    if (c->remote != MPI_GROUP_NULL) {
        int irc = intercomm_dup(c, newcomm);
        if (irc)
            return mpi_error(comm, irc, "MPI_Comm_dup", "the intercommunicator's groups cannot agree on a context id");
        if ((irc = attr_comm_dup(comm, *newcomm)) != MPI_SUCCESS) {
            PMPI_Comm_free(newcomm);
            return mpi_error(comm, irc, "MPI_Comm_dup", "an attribute's copy callback failed");
        }
        return MPI_SUCCESS;
    }
    uint32_t ctx;
    int rc = comm_alloc_context(c, &ctx);
    if (rc)
        return mpi_error(comm, rc, "MPI_Comm_dup", "cannot agree on a context id");
    group_ref(c->group);
    *newcomm = comm_create_from_group(c->group, ctx, c->errhandler);
    if (*newcomm == MPI_COMM_NULL)
        return mpi_error(comm, MPI_ERR_NO_MEM, "MPI_Comm_dup", "out of memory");
    topo_comm_dup(c, comm_get(*newcomm));
    if ((rc = attr_comm_dup(comm, *newcomm)) != MPI_SUCCESS) {
        PMPI_Comm_free(newcomm);
        return mpi_error(comm, rc, "MPI_Comm_dup", "an attribute's copy callback failed");
    }
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_dup);

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

int PMPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm *newcomm)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_split");
    GET_COMM("MPI_Comm_split", comm, c);
    if (color < 0 && color != MPI_UNDEFINED)
        return mpi_error(comm, MPI_ERR_ARG, "MPI_Comm_split", "color %d is negative (and not MPI_UNDEFINED)", color);
    if (c->remote != MPI_GROUP_NULL) {
        int irc = intercomm_split(c, color, key, newcomm);
        return irc ? mpi_error(comm, irc, "MPI_Comm_split", "the exchange between the groups failed") : MPI_SUCCESS;
    }
    struct split_entry mine = { color, key, c->rank };
    struct split_entry *all = malloc((size_t)c->size * sizeof *all);
    int *world = malloc((size_t)c->size * sizeof *world);
    if (!all || !world) {
        free(all);
        free(world);
        return mpi_error(comm, MPI_ERR_NO_MEM, "MPI_Comm_split", "out of memory");
    }
    int rc = exchange(c, &mine, sizeof mine, all);
    uint32_t ctx = 0;
    if (!rc)
        rc = comm_alloc_context(c, &ctx);
    if (rc) {
        free(all);
        free(world);
        return mpi_error(comm, rc, "MPI_Comm_split", "the exchange among the members failed");
    }
    *newcomm = MPI_COMM_NULL;
    if (color != MPI_UNDEFINED) {
        int n = 0;
        for (int r = 0; r < c->size; r++)
            if (all[r].color == color)
                all[n++] = all[r];
        qsort(all, (size_t)n, sizeof *all, by_key);
        for (int i = 0; i < n; i++)
            world[i] = c->world[all[i].rank];
        MPI_Group g = group_new(n, world);
        *newcomm = comm_create_from_group(g, ctx, c->errhandler);
    } else {
        comm_release_context(ctx);
    }
    free(all);
    free(world);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_split);

int PMPI_Comm_create(MPI_Comm comm, MPI_Group group, MPI_Comm *newcomm)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_create");
    GET_COMM("MPI_Comm_create", comm, c);
    struct mpi_group *g = group_get(group);
    if (!g)
        return mpi_error(comm, MPI_ERR_GROUP, "MPI_Comm_create", "0x%x is not a valid group", (unsigned)group);
    for (int i = 0; i < g->size; i++)
        if (group_rank_of_world(group_get(c->group), g->world[i]) == MPI_UNDEFINED)
            return mpi_error(comm, MPI_ERR_GROUP, "MPI_Comm_create",
                             "the group has a process (world rank %d) that is not in the communicator", g->world[i]);
    if (c->remote != MPI_GROUP_NULL) {
        int irc = intercomm_create_sub(c, group, newcomm);
        return irc ? mpi_error(comm, irc, "MPI_Comm_create", "the exchange between the groups failed") : MPI_SUCCESS;
    }
    uint32_t ctx;
    int rc = comm_alloc_context(c, &ctx);
    if (rc)
        return mpi_error(comm, rc, "MPI_Comm_create", "cannot agree on a context id");
    if (group_rank_of_world(g, mpi_state.world_rank) == MPI_UNDEFINED) {
        comm_release_context(ctx);
        *newcomm = MPI_COMM_NULL;
        return MPI_SUCCESS;
    }
    MPI_Group copy = group_new(g->size, g->world);
    *newcomm = comm_create_from_group(copy, ctx, c->errhandler);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_create);

int PMPI_Comm_free(MPI_Comm *comm)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_free");
    if (!comm)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, "MPI_Comm_free", "the argument is NULL");
    if (*comm == MPI_COMM_WORLD || *comm == MPI_COMM_SELF)
        return mpi_error(*comm, MPI_ERR_COMM, "MPI_Comm_free", "%s cannot be freed",
                         *comm == MPI_COMM_WORLD ? "MPI_COMM_WORLD" : "MPI_COMM_SELF");
    GET_COMM("MPI_Comm_free", *comm, c);
    int rc = attr_comm_free(*comm);
    if (rc != MPI_SUCCESS)
        return mpi_error(*comm, rc, "MPI_Comm_free", "an attribute's delete callback failed");
    comm_release_context(c->context);
    topo_comm_free(c);
    group_unref(c->group);
    if (c->remote != MPI_GROUP_NULL) {
        group_unref(c->remote);
        intercomm_release(c);
    }
    c->in_use = 0;
    *comm = MPI_COMM_NULL;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_free);

int PMPI_Comm_compare(MPI_Comm comm1, MPI_Comm comm2, int *result)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_compare");
    GET_COMM("MPI_Comm_compare", comm1, a);
    GET_COMM("MPI_Comm_compare", comm2, b);
    if (a == b) {
        *result = MPI_IDENT;
        return MPI_SUCCESS;
    }
    if (a->remote != MPI_GROUP_NULL || b->remote != MPI_GROUP_NULL) {
        *result = intercomm_compare(a, b);
        return MPI_SUCCESS;
    }
    int g;
    PMPI_Group_compare(a->group, b->group, &g);
    *result = g == MPI_IDENT ? MPI_CONGRUENT : g;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_compare);

int PMPI_Comm_set_name(MPI_Comm comm, const char *name)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_set_name");
    GET_COMM("MPI_Comm_set_name", comm, c);
    if (!name)
        return mpi_error(comm, MPI_ERR_ARG, "MPI_Comm_set_name", "the name is NULL");
    snprintf(c->name, sizeof c->name, "%s", name);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_set_name);

int PMPI_Comm_get_name(MPI_Comm comm, char *name, int *len)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_get_name");
    GET_COMM("MPI_Comm_get_name", comm, c);
    *len = snprintf(name, MPI_MAX_OBJECT_NAME, "%s", c->name);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_get_name);
