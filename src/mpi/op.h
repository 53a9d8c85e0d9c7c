/* op.h — reduction operations inside the library, beyond op_apply of
 * mpi_impl.h: the table of user operations (for api_op.c) and reductions
 * on buffers laid out by their datatype (MPI_Reduce_local).
 *
 * op_apply's buffers are packed streams: count elements of the type as
 * dtype_pack writes them (for MPI_DOUBLE_INT, 12-byte records).  A user
 * function gets the elements laid out as its datatype describes them. */
#ifndef CREST_MPI_OP_H
#define CREST_MPI_OP_H

#include "mpi_impl.h"

/* A new user operation, MPI_OP_NULL when out of memory. */
MPI_Op op_create(MPI_User_function *fn, int commute);
/* MPI_SUCCESS, or MPI_ERR_OP when op is not a user operation. */
int op_free(MPI_Op op);
int op_is_predefined(MPI_Op op);
/* "MPI_SUM", ..., or "a user operation" (for error messages). */
const char *op_name(MPI_Op op);
/* op_apply on count elements laid out as the datatype says (not packed):
 * MPI_SUCCESS, MPI_ERR_OP, MPI_ERR_TYPE or MPI_ERR_NO_MEM. */
int op_apply_laid_out(MPI_Op op, const void *in, void *inout, int count, MPI_Datatype datatype);

#endif
