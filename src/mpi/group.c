/* group.c — process groups: the group table and the MPI group functions.
 * A group is a list of world ranks; MPI_GROUP_EMPTY is built in. */
#include <stdlib.h>
#include <string.h>

#include "mpi_impl.h"

/* Slots never move; the table belongs to the library's active thread. */
static struct mpi_group **groups;
static int ngroups, capgroups;
static struct mpi_group empty_group = { 1, 0, NULL };

struct mpi_group *group_get(MPI_Group h)
{
    if (h == MPI_GROUP_EMPTY)
        return &empty_group;
    if (HANDLE_KIND(h) != HANDLE_DYNAMIC || HANDLE_TYPE(h) != HT_GROUP)
        return NULL;
    unsigned i = HANDLE_INDEX(h);
    if (i >= (unsigned)ngroups || groups[i]->refs <= 0)
        return NULL;
    return groups[i];
}

MPI_Group group_new(int size, const int *world)
{
    if (size == 0)
        return MPI_GROUP_EMPTY;
    int index = -1;
    for (int i = 0; i < ngroups; i++)
        if (groups[i]->refs <= 0) {
            index = i;
            break;
        }
    if (index < 0) {
        if (ngroups == capgroups) {
            int cap = capgroups ? capgroups * 2 : 64;
            struct mpi_group **p = realloc(groups, (size_t)cap * sizeof *p);
            if (!p)
                return MPI_GROUP_NULL;
            groups = p;
            capgroups = cap;
        }
        groups[ngroups] = calloc(1, sizeof **groups);
        if (!groups[ngroups])
            return MPI_GROUP_NULL;
        index = ngroups++;
    }
    struct mpi_group *g = groups[index];
    g->world = malloc((size_t)size * sizeof *g->world);
    if (!g->world)
        return MPI_GROUP_NULL;
    memcpy(g->world, world, (size_t)size * sizeof *g->world);
    g->size = size;
    g->refs = 1;
    return MAKE_HANDLE(HT_GROUP, index);
}

void group_ref(MPI_Group h)
{
    struct mpi_group *g = group_get(h);
    if (g && g != &empty_group)
        g->refs++;
}

void group_unref(MPI_Group h)
{
    struct mpi_group *g = group_get(h);
    if (!g || g == &empty_group)
        return;
    if (--g->refs == 0) {
        free(g->world);
        g->world = NULL;
        g->size = 0;
    }
}

int group_rank_of_world(const struct mpi_group *g, int world_rank)
{
    for (int i = 0; i < g->size; i++)
        if (g->world[i] == world_rank)
            return i;
    return MPI_UNDEFINED;
}

/* ------------------------------------------------------------- MPI functions */

static int bad_group(const char *func, MPI_Group h)
{
    return mpi_error(MPI_COMM_NULL, MPI_ERR_GROUP, func, "0x%x is not a valid group", (unsigned)h);
}

int PMPI_Group_size(MPI_Group group, int *size)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Group_size");
    struct mpi_group *g = group_get(group);
    if (!g)
        return bad_group("MPI_Group_size", group);
    *size = g->size;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Group_size);

int PMPI_Group_rank(MPI_Group group, int *rank)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Group_rank");
    struct mpi_group *g = group_get(group);
    if (!g)
        return bad_group("MPI_Group_rank", group);
    *rank = group_rank_of_world(g, mpi_state.world_rank);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Group_rank);

int PMPI_Group_free(MPI_Group *group)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Group_free");
    if (!group || !group_get(*group))
        return bad_group("MPI_Group_free", group ? *group : MPI_GROUP_NULL);
    if (*group != MPI_GROUP_EMPTY)
        group_unref(*group);
    *group = MPI_GROUP_NULL;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Group_free);

int PMPI_Group_translate_ranks(MPI_Group group1, int n, const int ranks1[], MPI_Group group2, int ranks2[])
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Group_translate_ranks");
    struct mpi_group *a = group_get(group1), *b = group_get(group2);
    if (!a)
        return bad_group("MPI_Group_translate_ranks", group1);
    if (!b)
        return bad_group("MPI_Group_translate_ranks", group2);
    if (n < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, "MPI_Group_translate_ranks", "n is %d", n);
    for (int i = 0; i < n; i++) {
        if (ranks1[i] == MPI_PROC_NULL) {
            ranks2[i] = MPI_PROC_NULL;
            continue;
        }
        if (ranks1[i] < 0 || ranks1[i] >= a->size)
            return mpi_error(MPI_COMM_NULL, MPI_ERR_RANK, "MPI_Group_translate_ranks",
                             "ranks1[%d] = %d is not in group1 (size %d)", i, ranks1[i], a->size);
        ranks2[i] = group_rank_of_world(b, a->world[ranks1[i]]);
    }
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Group_translate_ranks);

int PMPI_Group_compare(MPI_Group group1, MPI_Group group2, int *result)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Group_compare");
    struct mpi_group *a = group_get(group1), *b = group_get(group2);
    if (!a)
        return bad_group("MPI_Group_compare", group1);
    if (!b)
        return bad_group("MPI_Group_compare", group2);
    if (a->size != b->size) {
        *result = MPI_UNEQUAL;
        return MPI_SUCCESS;
    }
    int same_order = 1;
    for (int i = 0; i < a->size; i++)
        if (a->world[i] != b->world[i])
            same_order = 0;
    if (same_order) {
        *result = MPI_IDENT;
        return MPI_SUCCESS;
    }
    for (int i = 0; i < a->size; i++)
        if (group_rank_of_world(b, a->world[i]) == MPI_UNDEFINED) {
            *result = MPI_UNEQUAL;
            return MPI_SUCCESS;
        }
    *result = MPI_SIMILAR;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Group_compare);

static int check_ranks(const char *func, const struct mpi_group *g, int n, const int ranks[])
{
    if (n < 0 || n > g->size)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, func, "n is %d (group size %d)", n, g->size);
    for (int i = 0; i < n; i++) {
        if (ranks[i] < 0 || ranks[i] >= g->size)
            return mpi_error(MPI_COMM_NULL, MPI_ERR_RANK, func, "ranks[%d] = %d is not in the group (size %d)", i,
                             ranks[i], g->size);
        for (int j = 0; j < i; j++)
            if (ranks[j] == ranks[i])
                return mpi_error(MPI_COMM_NULL, MPI_ERR_RANK, func, "rank %d is given twice", ranks[i]);
    }
    return MPI_SUCCESS;
}

int PMPI_Group_incl(MPI_Group group, int n, const int ranks[], MPI_Group *newgroup)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Group_incl");
    struct mpi_group *g = group_get(group);
    if (!g)
        return bad_group("MPI_Group_incl", group);
    int rc = check_ranks("MPI_Group_incl", g, n, ranks);
    if (rc)
        return rc;
    int *w = malloc((size_t)(n ? n : 1) * sizeof *w);
    if (!w)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, "MPI_Group_incl", "out of memory");
    for (int i = 0; i < n; i++)
        w[i] = g->world[ranks[i]];
    *newgroup = group_new(n, w);
    free(w);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Group_incl);

int PMPI_Group_excl(MPI_Group group, int n, const int ranks[], MPI_Group *newgroup)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Group_excl");
    struct mpi_group *g = group_get(group);
    if (!g)
        return bad_group("MPI_Group_excl", group);
    int rc = check_ranks("MPI_Group_excl", g, n, ranks);
    if (rc)
        return rc;
    int *w = malloc((size_t)(g->size ? g->size : 1) * sizeof *w);
    if (!w)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, "MPI_Group_excl", "out of memory");
    int k = 0;
    for (int i = 0; i < g->size; i++) {
        int out = 0;
        for (int j = 0; j < n; j++)
            if (ranks[j] == i)
                out = 1;
        if (!out)
            w[k++] = g->world[i];
    }
    *newgroup = group_new(k, w);
    free(w);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Group_excl);
