/* status_set.c — MPI_Status_set_elements(_x) and MPI_Status_set_cancelled,
 * for generalized requests and layered libraries: they write the hidden
 * fields of status.h so that MPI_Get_elements, MPI_Get_count and
 * MPI_Test_cancelled read back what was set. */
#include "dtype.h"
#include "status.h"

/* Bytes of the first n basic elements of one element of t (n below the
 * element's count of basic elements): the inverse of dtype_elements.  A
 * value-index pair counts as two elements, the first being the value. */
static size_t partial_bytes(const struct mpi_dtype *t, MPI_Count n)
{
    if (n <= 0)
        return 0;
    if (t->predefined)
        return t->pair_value && n == 1 ? t->pair_value : t->size;
    if (t->combiner == MPI_COMBINER_STRUCT) {
        size_t acc = 0;
        for (int i = 0; i < t->ints[0] && n > 0; i++) {
            const struct mpi_dtype *c = dtype_get(t->types[i]);
            MPI_Count all = (MPI_Count)t->ints[1 + i] * c->nbasic;
            if (n >= all) {
                acc += (size_t)t->ints[1 + i] * c->size;
                n -= all;
                continue;
            }
            return acc + (size_t)(n / c->nbasic) * c->size + partial_bytes(c, n % c->nbasic);
        }
        return acc;
    }
    const struct mpi_dtype *old = dtype_get(t->types[0]);
    return (size_t)(n / old->nbasic) * old->size + partial_bytes(old, n % old->nbasic);
}

static int set_elements(const char *fn, MPI_Status *status, MPI_Datatype type, MPI_Count count)
{
    MPI_CHECK_INIT(fn);
    if (!status || status == MPI_STATUS_IGNORE)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "status is %s",
                         status ? "MPI_STATUS_IGNORE" : "a null pointer");
    const struct mpi_dtype *t = dtype_get(type);
    if (!t)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_TYPE, fn, "0x%x is not a datatype, or was freed", (unsigned)type);
    if (count < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COUNT, fn, "count is negative (%lld)", (long long)count);
    size_t bytes = 0;
    if (t->nbasic > 0)
        bytes = (size_t)(count / t->nbasic) * t->size + partial_bytes(t, count % t->nbasic);
    status_set_bytes(status, bytes);
    return MPI_SUCCESS;
}

int PMPI_Status_set_elements(MPI_Status *status, MPI_Datatype type, int count)
{
    MPI_SECTION();
    return set_elements("MPI_Status_set_elements", status, type, count);
}
MPI_WEAK(MPI_Status_set_elements);

int PMPI_Status_set_elements_x(MPI_Status *status, MPI_Datatype type, MPI_Count count)
{
    MPI_SECTION();
    return set_elements("MPI_Status_set_elements_x", status, type, count);
}
MPI_WEAK(MPI_Status_set_elements_x);

int PMPI_Status_set_cancelled(MPI_Status *status, int flag)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Status_set_cancelled");
    if (!status || status == MPI_STATUS_IGNORE)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, "MPI_Status_set_cancelled", "status is %s",
                         status ? "MPI_STATUS_IGNORE" : "a null pointer");
    status_set_cancelled(status, flag);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Status_set_cancelled);
