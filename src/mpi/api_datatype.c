/* api_datatype.c — the MPI functions of datatypes: constructors, commit
 * and free, queries, names, addresses, MPI_Pack/Unpack and the counts of
 * a status.  Arguments are checked here; datatype.c and dtype_pack.c do
 * the work. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtype.h"
#include "status.h"

/* The type behind h for function fn, or an error reported for the
 * argument called what. */
static int get_type(MPI_Datatype h, const char *fn, const char *what, struct mpi_dtype **out)
{
    *out = dtype_lookup(h);
    if (*out)
        return MPI_SUCCESS;
    if (h == MPI_DATATYPE_NULL)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_TYPE, fn, "%s is MPI_DATATYPE_NULL", what);
    return mpi_error(MPI_COMM_NULL, MPI_ERR_TYPE, fn, "%s (0x%x) is not a datatype, or was freed", what,
                     (unsigned)h);
}

static int null_arg(const char *fn, const char *what)
{
    return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "%s is a null pointer", what);
}

/* Makes the type and reports what can go wrong there. */
static int create(const char *fn, int combiner, const int *ints, const MPI_Aint *addrs, const MPI_Datatype *types,
                  MPI_Datatype *newtype)
{
    int rc = dtype_create(combiner, ints, addrs, types, newtype);
    if (rc == MPI_ERR_COUNT)
        return mpi_error(MPI_COMM_NULL, rc, fn, "the new datatype would span more bytes than an MPI_Aint holds");
    if (rc != MPI_SUCCESS)
        return mpi_error(MPI_COMM_NULL, rc, fn, "out of memory for the new datatype");
    return MPI_SUCCESS;
}

/* Checks the arguments every constructor of one old type has. */
static int check_common(const char *fn, int count, MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    struct mpi_dtype *t = NULL;
    MPI_CHECK_INIT(fn);
    if (count < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COUNT, fn, "count is negative (%d)", count);
    if (!newtype)
        return null_arg(fn, "newtype");
    return get_type(oldtype, fn, "oldtype", &t);
}

static int check_blocklengths(const char *fn, int count, const int blocklengths[])
{
    if (count > 0 && !blocklengths)
        return null_arg(fn, "array_of_blocklengths");
    for (int i = 0; i < count; i++)
        if (blocklengths[i] < 0)
            return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "array_of_blocklengths[%d] is negative (%d)", i,
                             blocklengths[i]);
    return MPI_SUCCESS;
}

/* Integer arguments of the indexed constructors: count, then arrays. */
static int *pack_ints(int count, int head, const int *a, const int *b)
{
    int *v = malloc(((size_t)count * 2 + 2) * sizeof *v);
    if (!v)
        return NULL;
    v[0] = count;
    int n = 1;
    if (head >= 0)
        v[n++] = head;
    for (int i = 0; a && i < count; i++)
        v[n++] = a[i];
    for (int i = 0; b && i < count; i++)
        v[n++] = b[i];
    return v;
}

/* ------------------------------------------------------------------ constructors */

int PMPI_Type_contiguous(int count, MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    MPI_SECTION();
    const char *fn = "MPI_Type_contiguous";
    int rc = check_common(fn, count, oldtype, newtype);
    if (rc != MPI_SUCCESS)
        return rc;
    return create(fn, MPI_COMBINER_CONTIGUOUS, &count, NULL, &oldtype, newtype);
}
MPI_WEAK(MPI_Type_contiguous);

int PMPI_Type_vector(int count, int blocklength, int stride, MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    MPI_SECTION();
    const char *fn = "MPI_Type_vector";
    int rc = check_common(fn, count, oldtype, newtype);
    if (rc != MPI_SUCCESS)
        return rc;
    if (blocklength < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "blocklength is negative (%d)", blocklength);
    int ints[3] = {count, blocklength, stride};
    return create(fn, MPI_COMBINER_VECTOR, ints, NULL, &oldtype, newtype);
}
MPI_WEAK(MPI_Type_vector);

static int hvector(const char *fn, int count, int blocklength, MPI_Aint stride, MPI_Datatype oldtype,
                   MPI_Datatype *newtype)
{
    int rc = check_common(fn, count, oldtype, newtype);
    if (rc != MPI_SUCCESS)
        return rc;
    if (blocklength < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "blocklength is negative (%d)", blocklength);
    int ints[2] = {count, blocklength};
    return create(fn, MPI_COMBINER_HVECTOR, ints, &stride, &oldtype, newtype);
}

int PMPI_Type_create_hvector(int count, int blocklength, MPI_Aint stride, MPI_Datatype oldtype,
                             MPI_Datatype *newtype)
{
    MPI_SECTION();
    return hvector("MPI_Type_create_hvector", count, blocklength, stride, oldtype, newtype);
}
MPI_WEAK(MPI_Type_create_hvector);

int PMPI_Type_hvector(int count, int blocklength, MPI_Aint stride, MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    MPI_SECTION();
    return hvector("MPI_Type_hvector", count, blocklength, stride, oldtype, newtype);
}
MPI_WEAK(MPI_Type_hvector);

int PMPI_Type_indexed(int count, const int blocklengths[], const int displs[], MPI_Datatype oldtype,
                      MPI_Datatype *newtype)
{
    MPI_SECTION();
    const char *fn = "MPI_Type_indexed";
    int rc = check_common(fn, count, oldtype, newtype);
    if (rc == MPI_SUCCESS)
        rc = check_blocklengths(fn, count, blocklengths);
    if (rc != MPI_SUCCESS)
        return rc;
    if (count > 0 && !displs)
        return null_arg(fn, "array_of_displacements");
    int *ints = pack_ints(count, -1, blocklengths, displs);
    if (!ints)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory for %d blocks", count);
    rc = create(fn, MPI_COMBINER_INDEXED, ints, NULL, &oldtype, newtype);
    free(ints);
    return rc;
}
MPI_WEAK(MPI_Type_indexed);

static int hindexed(const char *fn, int count, const int blocklengths[], const MPI_Aint displs[],
                    MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    int rc = check_common(fn, count, oldtype, newtype);
    if (rc == MPI_SUCCESS)
        rc = check_blocklengths(fn, count, blocklengths);
    if (rc != MPI_SUCCESS)
        return rc;
    if (count > 0 && !displs)
        return null_arg(fn, "array_of_displacements");
    int *ints = pack_ints(count, -1, blocklengths, NULL);
    if (!ints)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory for %d blocks", count);
    rc = create(fn, MPI_COMBINER_HINDEXED, ints, displs, &oldtype, newtype);
    free(ints);
    return rc;
}

int PMPI_Type_create_hindexed(int count, const int blocklengths[], const MPI_Aint displs[], MPI_Datatype oldtype,
                              MPI_Datatype *newtype)
{
    MPI_SECTION();
    return hindexed("MPI_Type_create_hindexed", count, blocklengths, displs, oldtype, newtype);
}
MPI_WEAK(MPI_Type_create_hindexed);

int PMPI_Type_hindexed(int count, int blocklengths[], MPI_Aint displs[], MPI_Datatype oldtype,
                       MPI_Datatype *newtype)
{
    MPI_SECTION();
    return hindexed("MPI_Type_hindexed", count, blocklengths, displs, oldtype, newtype);
}
MPI_WEAK(MPI_Type_hindexed);

int PMPI_Type_create_indexed_block(int count, int blocklength, const int displs[], MPI_Datatype oldtype,
                                   MPI_Datatype *newtype)
{
    MPI_SECTION();
    const char *fn = "MPI_Type_create_indexed_block";
    int rc = check_common(fn, count, oldtype, newtype);
    if (rc != MPI_SUCCESS)
        return rc;
    if (blocklength < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "blocklength is negative (%d)", blocklength);
    if (count > 0 && !displs)
        return null_arg(fn, "array_of_displacements");
    int *ints = pack_ints(count, blocklength, displs, NULL);
    if (!ints)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory for %d blocks", count);
    rc = create(fn, MPI_COMBINER_INDEXED_BLOCK, ints, NULL, &oldtype, newtype);
    free(ints);
    return rc;
}
MPI_WEAK(MPI_Type_create_indexed_block);

int PMPI_Type_create_hindexed_block(int count, int blocklength, const MPI_Aint displs[], MPI_Datatype oldtype,
                                    MPI_Datatype *newtype)
{
    MPI_SECTION();
    const char *fn = "MPI_Type_create_hindexed_block";
    int rc = check_common(fn, count, oldtype, newtype);
    if (rc != MPI_SUCCESS)
        return rc;
    if (blocklength < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "blocklength is negative (%d)", blocklength);
    if (count > 0 && !displs)
        return null_arg(fn, "array_of_displacements");
    int ints[2] = {count, blocklength};
    return create(fn, MPI_COMBINER_HINDEXED_BLOCK, ints, displs, &oldtype, newtype);
}
MPI_WEAK(MPI_Type_create_hindexed_block);

static int type_struct(const char *fn, int count, const int blocklengths[], const MPI_Aint displs[],
                       const MPI_Datatype types[], MPI_Datatype *newtype)
{
    MPI_CHECK_INIT(fn);
    if (count < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COUNT, fn, "count is negative (%d)", count);
    if (!newtype)
        return null_arg(fn, "newtype");
    int rc = check_blocklengths(fn, count, blocklengths);
    if (rc != MPI_SUCCESS)
        return rc;
    if (count > 0 && !displs)
        return null_arg(fn, "array_of_displacements");
    if (count > 0 && !types)
        return null_arg(fn, "array_of_types");
    for (int i = 0; i < count; i++) {
        struct mpi_dtype *t;
        char what[48];
        snprintf(what, sizeof what, "array_of_types[%d]", i);
        if ((rc = get_type(types[i], fn, what, &t)) != MPI_SUCCESS)
            return rc;
    }
    int *ints = pack_ints(count, -1, blocklengths, NULL);
    if (!ints)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory for %d blocks", count);
    rc = create(fn, MPI_COMBINER_STRUCT, ints, displs, types, newtype);
    free(ints);
    return rc;
}

int PMPI_Type_create_struct(int count, const int blocklengths[], const MPI_Aint displs[],
                            const MPI_Datatype types[], MPI_Datatype *newtype)
{
    MPI_SECTION();
    return type_struct("MPI_Type_create_struct", count, blocklengths, displs, types, newtype);
}
MPI_WEAK(MPI_Type_create_struct);

int PMPI_Type_struct(int count, int blocklengths[], MPI_Aint displs[], MPI_Datatype types[],
                     MPI_Datatype *newtype)
{
    MPI_SECTION();
    return type_struct("MPI_Type_struct", count, blocklengths, displs, types, newtype);
}
MPI_WEAK(MPI_Type_struct);

static int check_order(const char *fn, int order)
{
    if (order != MPI_ORDER_C && order != MPI_ORDER_FORTRAN)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "order is %d, neither MPI_ORDER_C nor MPI_ORDER_FORTRAN",
                         order);
    return MPI_SUCCESS;
}

int PMPI_Type_create_subarray(int ndims, const int sizes[], const int subsizes[], const int starts[], int order,
                              MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    MPI_SECTION();
    const char *fn = "MPI_Type_create_subarray";
    int rc = check_common(fn, 0, oldtype, newtype);
    if (rc != MPI_SUCCESS)
        return rc;
    if (ndims <= 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "ndims is %d, not positive", ndims);
    if (!sizes || !subsizes || !starts)
        return null_arg(fn, !sizes ? "array_of_sizes" : !subsizes ? "array_of_subsizes" : "array_of_starts");
    if ((rc = check_order(fn, order)) != MPI_SUCCESS)
        return rc;
    for (int i = 0; i < ndims; i++) {
        if (sizes[i] <= 0)
            return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "array_of_sizes[%d] is %d, not positive", i, sizes[i]);
        if (subsizes[i] < 0 || subsizes[i] > sizes[i])
            return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "array_of_subsizes[%d] is %d, not in 0..%d", i,
                             subsizes[i], sizes[i]);
        if (starts[i] < 0 || starts[i] > sizes[i] - subsizes[i])
            return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn,
                             "array_of_starts[%d] is %d: the subarray (%d from there) leaves the array (%d)", i,
                             starts[i], subsizes[i], sizes[i]);
    }
    int *ints = malloc(((size_t)ndims * 3 + 2) * sizeof *ints);
    if (!ints)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory for %d dimensions", ndims);
    ints[0] = ndims;
    memcpy(ints + 1, sizes, (size_t)ndims * sizeof *ints);
    memcpy(ints + 1 + ndims, subsizes, (size_t)ndims * sizeof *ints);
    memcpy(ints + 1 + 2 * ndims, starts, (size_t)ndims * sizeof *ints);
    ints[1 + 3 * ndims] = order;
    rc = create(fn, MPI_COMBINER_SUBARRAY, ints, NULL, &oldtype, newtype);
    free(ints);
    return rc;
}
MPI_WEAK(MPI_Type_create_subarray);

int PMPI_Type_create_darray(int size, int rank, int ndims, const int gsizes[], const int distribs[],
                            const int dargs[], const int psizes[], int order, MPI_Datatype oldtype,
                            MPI_Datatype *newtype)
{
    MPI_SECTION();
    const char *fn = "MPI_Type_create_darray";
    int rc = check_common(fn, 0, oldtype, newtype);
    if (rc != MPI_SUCCESS)
        return rc;
    if (size <= 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "size is %d, not positive", size);
    if (rank < 0 || rank >= size)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_RANK, fn, "rank %d is not in 0..%d", rank, size - 1);
    if (ndims <= 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "ndims is %d, not positive", ndims);
    if (!gsizes || !distribs || !dargs || !psizes)
        return null_arg(fn, !gsizes ? "array_of_gsizes" : !distribs ? "array_of_distribs"
                            : !dargs ? "array_of_dargs" : "array_of_psizes");
    if ((rc = check_order(fn, order)) != MPI_SUCCESS)
        return rc;
    long procs = 1;
    for (int i = 0; i < ndims; i++) {
        if (gsizes[i] <= 0)
            return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "array_of_gsizes[%d] is %d, not positive", i,
                             gsizes[i]);
        if (psizes[i] <= 0)
            return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "array_of_psizes[%d] is %d, not positive", i,
                             psizes[i]);
        if (dargs[i] != MPI_DISTRIBUTE_DFLT_DARG && dargs[i] <= 0)
            return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn,
                             "array_of_dargs[%d] is %d, neither positive nor MPI_DISTRIBUTE_DFLT_DARG", i, dargs[i]);
        switch (distribs[i]) {
        case MPI_DISTRIBUTE_NONE:
            if (psizes[i] != 1)
                return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn,
                                 "dimension %d is not distributed (MPI_DISTRIBUTE_NONE) but array_of_psizes[%d] "
                                 "is %d, not 1", i, i, psizes[i]);
            break;
        case MPI_DISTRIBUTE_BLOCK:
            if (dargs[i] != MPI_DISTRIBUTE_DFLT_DARG && (long)dargs[i] * psizes[i] < gsizes[i])
                return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn,
                                 "dimension %d: %d blocks of %d cannot hold its %d elements", i, psizes[i],
                                 dargs[i], gsizes[i]);
            break;
        case MPI_DISTRIBUTE_CYCLIC:
            break;
        default:
            return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn,
                             "array_of_distribs[%d] is %d, not MPI_DISTRIBUTE_BLOCK, _CYCLIC or _NONE", i,
                             distribs[i]);
        }
        procs *= psizes[i];
        if (procs > size)
            break;
    }
    if (procs != size)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "the process grid (array_of_psizes) does not have %d processes",
                         size);
    int *ints = malloc(((size_t)ndims * 4 + 4) * sizeof *ints);
    if (!ints)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory for %d dimensions", ndims);
    ints[0] = size;
    ints[1] = rank;
    ints[2] = ndims;
    memcpy(ints + 3, gsizes, (size_t)ndims * sizeof *ints);
    memcpy(ints + 3 + ndims, distribs, (size_t)ndims * sizeof *ints);
    memcpy(ints + 3 + 2 * ndims, dargs, (size_t)ndims * sizeof *ints);
    memcpy(ints + 3 + 3 * ndims, psizes, (size_t)ndims * sizeof *ints);
    ints[3 + 4 * ndims] = order;
    rc = create(fn, MPI_COMBINER_DARRAY, ints, NULL, &oldtype, newtype);
    free(ints);
    return rc;
}
MPI_WEAK(MPI_Type_create_darray);

int PMPI_Type_create_resized(MPI_Datatype oldtype, MPI_Aint lb, MPI_Aint extent, MPI_Datatype *newtype)
{
    MPI_SECTION();
    const char *fn = "MPI_Type_create_resized";
    int rc = check_common(fn, 0, oldtype, newtype);
    if (rc != MPI_SUCCESS)
        return rc;
    MPI_Aint addrs[2] = {lb, extent};
    return create(fn, MPI_COMBINER_RESIZED, NULL, addrs, &oldtype, newtype);
}
MPI_WEAK(MPI_Type_create_resized);

int PMPI_Type_dup(MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    MPI_SECTION();
    const char *fn = "MPI_Type_dup";
    int rc = check_common(fn, 0, oldtype, newtype);
    if (rc != MPI_SUCCESS)
        return rc;
    if ((rc = create(fn, MPI_COMBINER_DUP, NULL, NULL, &oldtype, newtype)) != MPI_SUCCESS)
        return rc;
    if ((rc = attr_type_dup(oldtype, *newtype)) != MPI_SUCCESS) {
        dtype_unref(*newtype);
        *newtype = MPI_DATATYPE_NULL;
        return mpi_error(MPI_COMM_NULL, rc, fn, "an attribute's copy callback failed");
    }
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_dup);

/* ------------------------------------------------------------------ commit, free */

int PMPI_Type_commit(MPI_Datatype *type)
{
    MPI_SECTION();
    const char *fn = "MPI_Type_commit";
    struct mpi_dtype *t = NULL;
    MPI_CHECK_INIT(fn);
    if (!type)
        return null_arg(fn, "datatype");
    int rc = get_type(*type, fn, "datatype", &t);
    if (rc != MPI_SUCCESS)
        return rc;
    if ((rc = dtype_commit(t)) != MPI_SUCCESS)
        return mpi_error(MPI_COMM_NULL, rc, fn, "out of memory for the typemap of a datatype of %zu bytes",
                         t->size);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_commit);

int PMPI_Type_free(MPI_Datatype *type)
{
    MPI_SECTION();
    const char *fn = "MPI_Type_free";
    struct mpi_dtype *t = NULL;
    MPI_CHECK_INIT(fn);
    if (!type)
        return null_arg(fn, "datatype");
    int rc = get_type(*type, fn, "datatype", &t);
    if (rc != MPI_SUCCESS)
        return rc;
    if (t->predefined)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_TYPE, fn, "%s is predefined and cannot be freed", t->name);
    if ((rc = attr_type_free(*type)) != MPI_SUCCESS)
        return mpi_error(MPI_COMM_NULL, rc, fn, "an attribute's delete callback failed");
    /* the types built from it, and operations still using it, keep it alive */
    dtype_unref(*type);
    *type = MPI_DATATYPE_NULL;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_free);

/* ------------------------------------------------------------------ queries */

/* The common beginning of the queries: initialized, a valid type, a
 * non-null result pointer. */
#define QUERY(fn, type, t, ptrs_ok, what)                                \
    struct mpi_dtype *t;                                                 \
    MPI_CHECK_INIT(fn);                                                  \
    do {                                                                 \
        int rc_ = get_type(type, fn, "datatype", &t);                    \
        if (rc_ != MPI_SUCCESS)                                          \
            return rc_;                                                  \
        if (!(ptrs_ok))                                                  \
            return null_arg(fn, what);                                   \
    } while (0)

int PMPI_Type_size(MPI_Datatype type, int *size)
{
    MPI_SECTION();
    QUERY("MPI_Type_size", type, t, size, "size");
    *size = t->size > INT_MAX ? MPI_UNDEFINED : (int)t->size;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_size);

int PMPI_Type_size_x(MPI_Datatype type, MPI_Count *size)
{
    MPI_SECTION();
    QUERY("MPI_Type_size_x", type, t, size, "size");
    *size = (MPI_Count)t->size;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_size_x);

int PMPI_Type_get_extent(MPI_Datatype type, MPI_Aint *lb, MPI_Aint *extent)
{
    MPI_SECTION();
    QUERY("MPI_Type_get_extent", type, t, lb && extent, lb ? "extent" : "lb");
    *lb = t->lb;
    *extent = t->ub - t->lb;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_get_extent);

int PMPI_Type_get_extent_x(MPI_Datatype type, MPI_Count *lb, MPI_Count *extent)
{
    MPI_SECTION();
    QUERY("MPI_Type_get_extent_x", type, t, lb && extent, lb ? "extent" : "lb");
    *lb = t->lb;
    *extent = t->ub - t->lb;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_get_extent_x);

int PMPI_Type_get_true_extent(MPI_Datatype type, MPI_Aint *true_lb, MPI_Aint *true_extent)
{
    MPI_SECTION();
    QUERY("MPI_Type_get_true_extent", type, t, true_lb && true_extent, true_lb ? "true_extent" : "true_lb");
    *true_lb = t->true_lb;
    *true_extent = t->true_ub - t->true_lb;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_get_true_extent);

int PMPI_Type_get_true_extent_x(MPI_Datatype type, MPI_Count *true_lb, MPI_Count *true_extent)
{
    MPI_SECTION();
    QUERY("MPI_Type_get_true_extent_x", type, t, true_lb && true_extent, true_lb ? "true_extent" : "true_lb");
    *true_lb = t->true_lb;
    *true_extent = t->true_ub - t->true_lb;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_get_true_extent_x);

int PMPI_Type_extent(MPI_Datatype type, MPI_Aint *extent)
{
    MPI_SECTION();
    QUERY("MPI_Type_extent", type, t, extent, "extent");
    *extent = t->ub - t->lb;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_extent);

int PMPI_Type_lb(MPI_Datatype type, MPI_Aint *lb)
{
    MPI_SECTION();
    QUERY("MPI_Type_lb", type, t, lb, "displacement");
    *lb = t->lb;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_lb);

int PMPI_Type_ub(MPI_Datatype type, MPI_Aint *ub)
{
    MPI_SECTION();
    QUERY("MPI_Type_ub", type, t, ub, "displacement");
    *ub = t->ub;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_ub);

int PMPI_Type_get_envelope(MPI_Datatype type, int *num_integers, int *num_addresses, int *num_datatypes,
                           int *combiner)
{
    MPI_SECTION();
    QUERY("MPI_Type_get_envelope", type, t, num_integers && num_addresses && num_datatypes && combiner,
          "one of the results");
    *num_integers = t->ni;
    *num_addresses = t->na;
    *num_datatypes = t->nd;
    *combiner = t->combiner;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_get_envelope);

int PMPI_Type_get_contents(MPI_Datatype type, int max_integers, int max_addresses, int max_datatypes,
                           int integers[], MPI_Aint addresses[], MPI_Datatype datatypes[])
{
    MPI_SECTION();
    const char *fn = "MPI_Type_get_contents";
    struct mpi_dtype *t = NULL;
    MPI_CHECK_INIT(fn);
    int rc = get_type(type, fn, "datatype", &t);
    if (rc != MPI_SUCCESS)
        return rc;
    if (t->combiner == MPI_COMBINER_NAMED)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_TYPE, fn, "%s is predefined: it has no contents", t->name);
    if (max_integers < t->ni || max_addresses < t->na || max_datatypes < t->nd)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn,
                         "the arrays are too short (%d, %d, %d) for the contents (%d, %d, %d): see "
                         "MPI_Type_get_envelope", max_integers, max_addresses, max_datatypes, t->ni, t->na, t->nd);
    if ((t->ni && !integers) || (t->na && !addresses) || (t->nd && !datatypes))
        return null_arg(fn, t->ni && !integers ? "array_of_integers" : t->na && !addresses ? "array_of_addresses"
                                                                                          : "array_of_datatypes");
    if (t->ni)
        memcpy(integers, t->ints, (size_t)t->ni * sizeof *integers);
    if (t->na)
        memcpy(addresses, t->addrs, (size_t)t->na * sizeof *addresses);
    /* the program owns the derived types returned: each is one more
     * reference, released by MPI_Type_free */
    for (int i = 0; i < t->nd; i++) {
        datatypes[i] = t->types[i];
        dtype_ref(t->types[i]);
    }
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_get_contents);

int PMPI_Type_match_size(int typeclass, int size, MPI_Datatype *type)
{
    MPI_SECTION();
    const char *fn = "MPI_Type_match_size";
    MPI_CHECK_INIT(fn);
    if (!type)
        return null_arg(fn, "datatype");
    /* the Fortran types of each size, as MPICH answers */
    static const struct {
        int typeclass, size;
        MPI_Datatype type;
    } matches[] = {
        {MPI_TYPECLASS_REAL, 4, MPI_REAL4},         {MPI_TYPECLASS_REAL, 8, MPI_REAL8},
        {MPI_TYPECLASS_REAL, 16, MPI_REAL16},       {MPI_TYPECLASS_INTEGER, 1, MPI_INTEGER1},
        {MPI_TYPECLASS_INTEGER, 2, MPI_INTEGER2},   {MPI_TYPECLASS_INTEGER, 4, MPI_INTEGER4},
        {MPI_TYPECLASS_INTEGER, 8, MPI_INTEGER8},   {MPI_TYPECLASS_COMPLEX, 8, MPI_COMPLEX8},
        {MPI_TYPECLASS_COMPLEX, 16, MPI_COMPLEX16}, {MPI_TYPECLASS_COMPLEX, 32, MPI_COMPLEX32},
    };
    if (typeclass != MPI_TYPECLASS_REAL && typeclass != MPI_TYPECLASS_INTEGER && typeclass != MPI_TYPECLASS_COMPLEX)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn,
                         "typeclass %d is not MPI_TYPECLASS_REAL, _INTEGER or _COMPLEX", typeclass);
    for (size_t i = 0; i < sizeof matches / sizeof matches[0]; i++)
        if (matches[i].typeclass == typeclass && matches[i].size == size) {
            *type = matches[i].type;
            return MPI_SUCCESS;
        }
    return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "no %s type has %d bytes",
                     typeclass == MPI_TYPECLASS_REAL ? "real" : typeclass == MPI_TYPECLASS_INTEGER ? "integer"
                                                                                                 : "complex",
                     size);
}
MPI_WEAK(MPI_Type_match_size);

int PMPI_Type_set_name(MPI_Datatype type, const char *name)
{
    MPI_SECTION();
    QUERY("MPI_Type_set_name", type, t, name, "type_name");
    snprintf(t->name, sizeof t->name, "%s", name); /* longer names are cut */
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_set_name);

int PMPI_Type_get_name(MPI_Datatype type, char *name, int *len)
{
    MPI_SECTION();
    QUERY("MPI_Type_get_name", type, t, name && len, name ? "resultlen" : "type_name");
    size_t n = strlen(t->name);
    memcpy(name, t->name, n + 1);
    *len = (int)n;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_get_name);

/* ------------------------------------------------------------------ addresses */

int PMPI_Get_address(const void *location, MPI_Aint *address)
{
    MPI_SECTION();
    const char *fn = "MPI_Get_address";
    MPI_CHECK_INIT(fn);
    if (!address)
        return null_arg(fn, "address");
    *address = (MPI_Aint)(uintptr_t)location;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Get_address);

int PMPI_Address(void *location, MPI_Aint *address)
{
    MPI_SECTION();
    const char *fn = "MPI_Address";
    MPI_CHECK_INIT(fn);
    if (!address)
        return null_arg(fn, "address");
    *address = (MPI_Aint)(uintptr_t)location;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Address);

/* ------------------------------------------------------------------ packing */

/* The packed form is the elements' data bytes one after the other, as
 * they are in memory here: no header, no conversion (the ranks of a job
 * share one data representation). */

static int check_pack_args(const char *fn, int count, MPI_Datatype type, MPI_Comm comm, int *position,
                           struct mpi_dtype **t)
{
    MPI_CHECK_INIT(fn);
    if (comm == MPI_COMM_NULL)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, fn, "the communicator is MPI_COMM_NULL");
    if (count < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COUNT, fn, "count is negative (%d)", count);
    int rc = get_type(type, fn, "datatype", t);
    if (rc != MPI_SUCCESS)
        return rc;
    if (!(*t)->committed)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_TYPE, fn, "the datatype is not committed (MPI_Type_commit)");
    if (!position)
        return null_arg(fn, "position");
    if (*position < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "position is negative (%d)", *position);
    return MPI_SUCCESS;
}

int PMPI_Pack(const void *inbuf, int incount, MPI_Datatype type, void *outbuf, int outsize, int *position,
              MPI_Comm comm)
{
    MPI_SECTION();
    const char *fn = "MPI_Pack";
    struct mpi_dtype *t = NULL;
    int rc = check_pack_args(fn, incount, type, comm, position, &t);
    if (rc != MPI_SUCCESS)
        return rc;
    size_t bytes = (size_t)incount * t->size;
    if ((size_t)*position + bytes > (size_t)(outsize > 0 ? outsize : 0))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_TRUNCATE, fn,
                         "%zu bytes do not fit at position %d of an output buffer of %d bytes", bytes, *position,
                         outsize);
    dtype_pack(inbuf, incount, t, 0, (char *)outbuf + *position, bytes);
    *position += (int)bytes;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Pack);

int PMPI_Unpack(const void *inbuf, int insize, int *position, void *outbuf, int outcount, MPI_Datatype type,
                MPI_Comm comm)
{
    MPI_SECTION();
    const char *fn = "MPI_Unpack";
    struct mpi_dtype *t = NULL;
    int rc = check_pack_args(fn, outcount, type, comm, position, &t);
    if (rc != MPI_SUCCESS)
        return rc;
    size_t bytes = (size_t)outcount * t->size;
    if ((size_t)*position + bytes > (size_t)(insize > 0 ? insize : 0))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_TRUNCATE, fn,
                         "%zu bytes to unpack at position %d, but the input buffer has only %d bytes", bytes,
                         *position, insize);
    dtype_unpack((const char *)inbuf + *position, 0, bytes, outbuf, outcount, t);
    *position += (int)bytes;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Unpack);

int PMPI_Pack_size(int incount, MPI_Datatype type, MPI_Comm comm, int *size)
{
    MPI_SECTION();
    const char *fn = "MPI_Pack_size";
    struct mpi_dtype *t = NULL;
    MPI_CHECK_INIT(fn);
    if (comm == MPI_COMM_NULL)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, fn, "the communicator is MPI_COMM_NULL");
    if (incount < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COUNT, fn, "count is negative (%d)", incount);
    int rc = get_type(type, fn, "datatype", &t);
    if (rc != MPI_SUCCESS)
        return rc;
    if (!size)
        return null_arg(fn, "size");
    size_t bytes = (size_t)incount * t->size;
    if (bytes > INT_MAX)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COUNT, fn, "%d elements pack into %zu bytes, more than an int holds",
                         incount, bytes);
    *size = (int)bytes;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Pack_size);

/* ------------------------------------------------------------------ counts of a status */

static int status_query(const char *fn, const MPI_Status *status, MPI_Datatype type, const void *out,
                        struct mpi_dtype **t)
{
    MPI_CHECK_INIT(fn);
    if (!status || status == MPI_STATUS_IGNORE)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "status is %s", status ? "MPI_STATUS_IGNORE" : "a null pointer");
    int rc = get_type(type, fn, "datatype", t);
    if (rc != MPI_SUCCESS)
        return rc;
    if (!out)
        return null_arg(fn, "count");
    return MPI_SUCCESS;
}

int PMPI_Get_count(const MPI_Status *status, MPI_Datatype type, int *count)
{
    MPI_SECTION();
    struct mpi_dtype *t = NULL;
    int rc = status_query("MPI_Get_count", status, type, count, &t);
    if (rc != MPI_SUCCESS)
        return rc;
    size_t bytes = status_get_bytes(status);
    if (t->size == 0)
        *count = 0; /* MPI's answer for a type without data */
    else if (bytes % t->size || bytes / t->size > INT_MAX)
        *count = MPI_UNDEFINED;
    else
        *count = (int)(bytes / t->size);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Get_count);

int PMPI_Get_elements(const MPI_Status *status, MPI_Datatype type, int *count)
{
    MPI_SECTION();
    struct mpi_dtype *t = NULL;
    int rc = status_query("MPI_Get_elements", status, type, count, &t);
    if (rc != MPI_SUCCESS)
        return rc;
    MPI_Count n = dtype_elements(t, status_get_bytes(status));
    *count = n > INT_MAX ? MPI_UNDEFINED : (int)n;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Get_elements);

int PMPI_Get_elements_x(const MPI_Status *status, MPI_Datatype type, MPI_Count *count)
{
    MPI_SECTION();
    struct mpi_dtype *t = NULL;
    int rc = status_query("MPI_Get_elements_x", status, type, count, &t);
    if (rc != MPI_SUCCESS)
        return rc;
    *count = dtype_elements(t, status_get_bytes(status));
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Get_elements_x);
