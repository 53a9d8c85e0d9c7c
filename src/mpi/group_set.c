/* group_set.c — the group constructors beyond incl/excl: ranges, union,
 * intersection, difference (MPI 3.1, 6.3.2). */
#include <stdlib.h>

#include "mpi_impl.h"

static int bad_group(const char *fn, MPI_Group h)
{
    return mpi_error(MPI_COMM_NULL, MPI_ERR_GROUP, fn, "0x%x is not a valid group", (unsigned)h);
}

/* The ranks the n triplets (first, last, stride) name, in order, into
 * *out (malloc'd, *count of them), each checked to be in the group and
 * named once. */
static int expand_ranges(const char *fn, const struct mpi_group *g, int n, int ranges[][3], int **out, int *count)
{
    if (n < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "n is %d", n);
    if (n > 0 && !ranges)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "ranges is a null pointer");
    char *seen = calloc((size_t)g->size + 1, 1);
    int *r = malloc(((size_t)g->size + 1) * sizeof *r);
    if (!seen || !r) {
        free(seen);
        free(r);
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory");
    }
    int k = 0, rc = MPI_SUCCESS;
    for (int i = 0; i < n && !rc; i++) {
        int first = ranges[i][0], last = ranges[i][1], stride = ranges[i][2];
        if (stride == 0) {
            rc = mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "ranges[%d] has stride 0", i);
            break;
        }
        if (first < 0 || first >= g->size || last < 0 || last >= g->size) {
            rc = mpi_error(MPI_COMM_NULL, MPI_ERR_RANK, fn, "ranges[%d] = (%d, %d, %d) leaves the group (size %d)", i,
                           first, last, stride, g->size);
            break;
        }
        if ((stride > 0 && first > last) || (stride < 0 && first < last))
            continue; /* an empty range */
        for (long long x = first; stride > 0 ? x <= last : x >= last; x += stride) {
            if (seen[x]) {
                rc = mpi_error(MPI_COMM_NULL, MPI_ERR_RANK, fn, "rank %lld is named twice in the ranges", x);
                break;
            }
            seen[x] = 1;
            r[k++] = (int)x;
        }
    }
    free(seen);
    if (rc) {
        free(r);
        return rc;
    }
    *out = r;
    *count = k;
    return MPI_SUCCESS;
}

int PMPI_Group_range_incl(MPI_Group group, int n, int ranges[][3], MPI_Group *newgroup)
{
    MPI_SECTION();
    const char *fn = "MPI_Group_range_incl";
    MPI_CHECK_INIT(fn);
    struct mpi_group *g = group_get(group);
    if (!g)
        return bad_group(fn, group);
    int *r, k;
    int rc = expand_ranges(fn, g, n, ranges, &r, &k);
    if (rc)
        return rc;
    for (int i = 0; i < k; i++)
        r[i] = g->world[r[i]];
    *newgroup = group_new(k, r);
    free(r);
    return *newgroup == MPI_GROUP_NULL ? mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory") : MPI_SUCCESS;
}
MPI_WEAK(MPI_Group_range_incl);

int PMPI_Group_range_excl(MPI_Group group, int n, int ranges[][3], MPI_Group *newgroup)
{
    MPI_SECTION();
    const char *fn = "MPI_Group_range_excl";
    MPI_CHECK_INIT(fn);
    struct mpi_group *g = group_get(group);
    if (!g)
        return bad_group(fn, group);
    int *r, k;
    int rc = expand_ranges(fn, g, n, ranges, &r, &k);
    if (rc)
        return rc;
    char *out = calloc((size_t)g->size + 1, 1);
    int *w = malloc(((size_t)g->size + 1) * sizeof *w);
    if (!out || !w) {
        free(out);
        free(w);
        free(r);
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory");
    }
    for (int i = 0; i < k; i++)
        out[r[i]] = 1;
    int m = 0;
    for (int i = 0; i < g->size; i++)
        if (!out[i])
            w[m++] = g->world[i];
    *newgroup = group_new(m, w);
    free(out);
    free(w);
    free(r);
    return *newgroup == MPI_GROUP_NULL ? mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory") : MPI_SUCCESS;
}
MPI_WEAK(MPI_Group_range_excl);

enum setop { UNION, INTERSECTION, DIFFERENCE };

/* The standard's orders: union is group1 then the members of group2 not
 * in group1; intersection and difference keep group1's order. */
static int setop(const char *fn, enum setop op, MPI_Group group1, MPI_Group group2, MPI_Group *newgroup)
{
    MPI_CHECK_INIT(fn);
    struct mpi_group *a = group_get(group1), *b = group_get(group2);
    if (!a)
        return bad_group(fn, group1);
    if (!b)
        return bad_group(fn, group2);
    if (!newgroup)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "newgroup is a null pointer");
    int *w = malloc(((size_t)a->size + (size_t)b->size + 1) * sizeof *w);
    if (!w)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory");
    int k = 0;
    for (int i = 0; i < a->size; i++) {
        int in_b = group_rank_of_world(b, a->world[i]) != MPI_UNDEFINED;
        if (op == UNION || (op == INTERSECTION && in_b) || (op == DIFFERENCE && !in_b))
            w[k++] = a->world[i];
    }
    if (op == UNION)
        for (int i = 0; i < b->size; i++)
            if (group_rank_of_world(a, b->world[i]) == MPI_UNDEFINED)
                w[k++] = b->world[i];
    *newgroup = group_new(k, w);
    free(w);
    return *newgroup == MPI_GROUP_NULL ? mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory") : MPI_SUCCESS;
}

int PMPI_Group_union(MPI_Group group1, MPI_Group group2, MPI_Group *newgroup)
{
    MPI_SECTION();
    return setop("MPI_Group_union", UNION, group1, group2, newgroup);
}
MPI_WEAK(MPI_Group_union);

int PMPI_Group_intersection(MPI_Group group1, MPI_Group group2, MPI_Group *newgroup)
{
    MPI_SECTION();
    return setop("MPI_Group_intersection", INTERSECTION, group1, group2, newgroup);
}
MPI_WEAK(MPI_Group_intersection);

int PMPI_Group_difference(MPI_Group group1, MPI_Group group2, MPI_Group *newgroup)
{
    MPI_SECTION();
    return setop("MPI_Group_difference", DIFFERENCE, group1, group2, newgroup);
}
MPI_WEAK(MPI_Group_difference);
