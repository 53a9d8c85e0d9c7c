/* coll_args.c — the argument checks of the collective functions (see
 * coll_args.h). */
#include "coll_args.h"
#include "coll_inter.h"

#include <limits.h>
#include <string.h>

int coll_check_comm(MPI_Comm comm, const char *fn, const char *no_inter, struct mpi_comm **out)
{
    struct mpi_comm *c = comm_get(comm);
    *out = c;
    if (!c) {
        if (comm == MPI_COMM_NULL)
            return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, fn, "the communicator is MPI_COMM_NULL");
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, fn, "0x%x is not a communicator (freed, or never one)",
                         (unsigned)comm);
    }
    if (no_inter && c->remote != MPI_GROUP_NULL)
        return mpi_error(comm, MPI_ERR_COMM, fn, "the communicator is an intercommunicator; %s", no_inter);
    return MPI_SUCCESS;
}

int coll_check_count(MPI_Comm comm, const char *fn, const char *what, int count)
{
    if (count < 0)
        return mpi_error(comm, MPI_ERR_COUNT, fn, "%s is negative (%d)", what, count);
    return MPI_SUCCESS;
}

int coll_check_counts(MPI_Comm comm, const char *fn, const char *what, const int *counts, int n)
{
    CHECK(coll_check_array(comm, fn, what, counts));
    for (int i = 0; i < n; i++)
        if (counts[i] < 0)
            return mpi_error(comm, MPI_ERR_COUNT, fn, "%s[%d] is negative (%d)", what, i, counts[i]);
    return MPI_SUCCESS;
}

int coll_check_array(MPI_Comm comm, const char *fn, const char *what, const void *a)
{
    if (!a)
        return mpi_error(comm, MPI_ERR_ARG, fn, "%s is NULL", what);
    return MPI_SUCCESS;
}

int coll_check_type(MPI_Comm comm, const char *fn, const char *what, MPI_Datatype dt)
{
    const struct mpi_dtype *t = dtype_get(dt);
    if (!t) {
        if (dt == MPI_DATATYPE_NULL)
            return mpi_error(comm, MPI_ERR_TYPE, fn, "%s is MPI_DATATYPE_NULL", what);
        return mpi_error(comm, MPI_ERR_TYPE, fn, "%s 0x%x is not a datatype (freed, or never one)", what,
                         (unsigned)dt);
    }
    if (!dtype_is_committed(t))
        return mpi_error(comm, MPI_ERR_TYPE, fn, "%s is not committed: call MPI_Type_commit first", what);
    return MPI_SUCCESS;
}

int coll_check_root(MPI_Comm comm, const char *fn, int root, int size)
{
    if (root < 0 || root >= size)
        return mpi_error(comm, MPI_ERR_ROOT, fn, "root %d is not a rank of the communicator (size %d)", root, size);
    return MPI_SUCCESS;
}

static const char *builtin_op_name(MPI_Op op)
{
    static const char *const names[] = {"MPI_MAX", "MPI_MIN", "MPI_SUM", "MPI_PROD", "MPI_LAND", "MPI_BAND",
                                        "MPI_LOR", "MPI_BOR", "MPI_LXOR", "MPI_BXOR", "MPI_MINLOC", "MPI_MAXLOC"};
    unsigned i = (unsigned)op - (unsigned)MPI_MAX;
    return i < sizeof names / sizeof names[0] ? names[i] : "the operation";
}

/* A built-in operation must be defined for the datatype: tried on one
 * zeroed basic element, which no built-in operation can mind.  (User
 * functions accept whatever they are given.) */
int coll_check_op(MPI_Comm comm, const char *fn, MPI_Op op, MPI_Datatype dt)
{
    if (op == MPI_REPLACE || op == MPI_NO_OP)
        return mpi_error(comm, MPI_ERR_OP, fn, "MPI_REPLACE and MPI_NO_OP are for one-sided accumulates only");
    if (!op_is_valid(op)) {
        if (op == MPI_OP_NULL)
            return mpi_error(comm, MPI_ERR_OP, fn, "the operation is MPI_OP_NULL");
        return mpi_error(comm, MPI_ERR_OP, fn, "0x%x is not an operation (freed, or never one)", (unsigned)op);
    }
    if (HANDLE_KIND(op) != HANDLE_BUILTIN)
        return MPI_SUCCESS;
    const struct mpi_dtype *t = dtype_get(dt);
    if (dtype_size(t) == 0)
        return MPI_SUCCESS;
    MPI_Datatype basic = dtype_basic(t);
    if (basic == MPI_DATATYPE_NULL)
        return mpi_error(comm, MPI_ERR_OP, fn, "%s needs a datatype made of one basic type; this one mixes several",
                         builtin_op_name(op));
    union {
        long double ld[4];
        char bytes[64];
    } a, b;
    if (dtype_size(dtype_get(basic)) > sizeof a)
        return MPI_SUCCESS;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if (op_apply(op, &a, &b, 1, basic) != MPI_SUCCESS)
        return mpi_error(comm, MPI_ERR_OP, fn, "%s is not defined for the datatype given", builtin_op_name(op));
    return MPI_SUCCESS;
}

int coll_check_reduction(MPI_Comm comm, const char *fn, int count, MPI_Datatype type, MPI_Op op)
{
    CHECK(coll_check_count(comm, fn, "count", count));
    CHECK(coll_check_type(comm, fn, "the datatype", type));
    return coll_check_op(comm, fn, op, type);
}

int coll_check_reduce_scatter(MPI_Comm comm, const char *fn, const void *sbuf, const void *rbuf, const int *rcounts,
                              int size, MPI_Datatype type, MPI_Op op)
{
    CHECK(coll_check_counts(comm, fn, "recvcounts", rcounts, size));
    CHECK(coll_check_type(comm, fn, "the datatype", type));
    CHECK(coll_check_op(comm, fn, op, type));
    int any = 0;
    for (int i = 0; i < size; i++)
        any |= rcounts[i] > 0;
    return coll_check_recvbuf(comm, fn, sbuf, rbuf, any);
}

int coll_check_not_in_place(MPI_Comm comm, const char *fn, const void *buf, const char *what)
{
    if (buf == MPI_IN_PLACE)
        return mpi_error(comm, MPI_ERR_BUFFER, fn, "MPI_IN_PLACE is not allowed as %s", what);
    return MPI_SUCCESS;
}

int coll_check_root_only_in_place(MPI_Comm comm, const char *fn, const void *buf, const char *what, int rank,
                                  int root)
{
    if (buf == MPI_IN_PLACE)
        return mpi_error(comm, MPI_ERR_BUFFER, fn, "MPI_IN_PLACE is allowed as %s at the root only (rank %d, root %d)",
                         what, rank, root);
    return MPI_SUCCESS;
}

/* The same memory as send and receive buffer must be said with MPI_IN_PLACE
 * (MPI_BOTTOM twice is fine: the datatypes hold absolute addresses). */
int coll_check_alias(MPI_Comm comm, const char *fn, const void *sbuf, const void *rbuf, int nonempty)
{
    if (nonempty && sbuf == rbuf && sbuf != MPI_BOTTOM && sbuf != MPI_IN_PLACE)
        return mpi_error(comm, MPI_ERR_BUFFER, fn,
                         "sendbuf and recvbuf are the same buffer: pass MPI_IN_PLACE as sendbuf instead");
    return MPI_SUCCESS;
}

int coll_check_recvbuf(MPI_Comm comm, const char *fn, const void *sbuf, const void *rbuf, int nonempty)
{
    CHECK(coll_check_not_in_place(comm, fn, rbuf, "recvbuf"));
    return coll_check_alias(comm, fn, sbuf, rbuf, nonempty);
}

/* With MPI_IN_PLACE each block travels packed as bytes, in one message. */
int coll_check_in_place_block(MPI_Comm comm, const char *fn, int count, MPI_Datatype type, int peer)
{
    size_t bytes = count > 0 ? (size_t)count * dtype_size(dtype_get(type)) : 0;
    if (bytes > (size_t)INT_MAX)
        return mpi_error(comm, MPI_ERR_COUNT, fn,
                         "with MPI_IN_PLACE a block may hold at most %d bytes (block %d has %zu): pass a separate sendbuf",
                         INT_MAX, peer, bytes);
    return MPI_SUCCESS;
}

int coll_failed(MPI_Comm comm, const char *fn, int rc)
{
    /* the processes of an intercommunicator are in two groups, each with its
     * own ranks */
    int inter = coll_is_inter(comm);
    switch (rc) {
    case MPI_SUCCESS:
        return MPI_SUCCESS;
    case MPI_ERR_NO_MEM:
        return mpi_error(comm, rc, fn, "out of memory for the collective's temporary buffers");
    case MPI_ERR_TRUNCATE:
        return mpi_error(comm, rc, fn,
                         inter ? "a process sent more data than the receiving process expected: the groups passed "
                                 "different counts or datatypes"
                               : "a rank sent more data than the receiving rank expected: the ranks passed "
                                 "different counts or datatypes");
    case MPI_ERR_OP:
        return mpi_error(comm, rc, fn, "the operation failed on the datatype given");
    default:
        return mpi_error(comm, rc, fn, "a transfer between %s failed (error class %d)", inter ? "processes" : "ranks",
                         rc);
    }
}
