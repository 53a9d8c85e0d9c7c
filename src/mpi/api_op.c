/* api_op.c — the MPI functions of reduction operations: user operations
 * (create, free, commutativity) and MPI_Reduce_local. */
#include <stddef.h>

#include "dtype.h"
#include "op.h"

int PMPI_Op_create(MPI_User_function *fn, int commute, MPI_Op *op)
{
    MPI_SECTION();
    const char *name = "MPI_Op_create";
    MPI_CHECK_INIT(name);
    if (!fn)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, name, "the user function is a null pointer");
    if (!op)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, name, "op is a null pointer");
    MPI_Op h = op_create(fn, commute);
    if (h == MPI_OP_NULL)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, name, "out of memory for a new operation");
    *op = h;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Op_create);

int PMPI_Op_free(MPI_Op *op)
{
    MPI_SECTION();
    const char *name = "MPI_Op_free";
    MPI_CHECK_INIT(name);
    if (!op)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, name, "op is a null pointer");
    if (op_is_predefined(*op))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_OP, name, "%s is predefined and cannot be freed", op_name(*op));
    if (op_free(*op) != MPI_SUCCESS)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_OP, name, "0x%x is not an operation, or was freed", (unsigned)*op);
    *op = MPI_OP_NULL;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Op_free);

int PMPI_Op_commutative(MPI_Op op, int *commute)
{
    MPI_SECTION();
    const char *name = "MPI_Op_commutative";
    MPI_CHECK_INIT(name);
    if (!op_is_valid(op))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_OP, name, "0x%x is not an operation, or was freed", (unsigned)op);
    if (!commute)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, name, "commute is a null pointer");
    *commute = op_is_commutative(op);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Op_commutative);

int PMPI_Reduce_local(const void *inbuf, void *inoutbuf, int count, MPI_Datatype type, MPI_Op op)
{
    MPI_SECTION();
    const char *name = "MPI_Reduce_local";
    MPI_CHECK_INIT(name);
    if (count < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COUNT, name, "count is negative (%d)", count);
    if (inbuf == MPI_IN_PLACE || inoutbuf == MPI_IN_PLACE)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_BUFFER, name, "MPI_IN_PLACE is not allowed here");
    const struct mpi_dtype *t = dtype_get(type);
    if (!t)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_TYPE, name, "the datatype (0x%x) is not valid", (unsigned)type);
    if (!dtype_is_committed(t))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_TYPE, name, "the datatype is not committed (MPI_Type_commit)");
    if (!op_is_valid(op))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_OP, name, "0x%x is not an operation, or was freed", (unsigned)op);
    int rc = op_apply_laid_out(op, inbuf, inoutbuf, count, type);
    if (rc == MPI_ERR_OP)
        return mpi_error(MPI_COMM_NULL, rc, name, "%s is not defined for %s", op_name(op),
                         t->predefined ? t->name : "this datatype (its basic type, or mixed types)");
    if (rc != MPI_SUCCESS)
        return mpi_error(MPI_COMM_NULL, rc, name, "out of memory for %d elements", count);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Reduce_local);
