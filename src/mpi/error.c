/* error.c — error classes and their strings, error handlers, and the two
 * ways an error leaves the library: returned to the caller or ending the
 * job with one line that says what was wrong. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpi_impl.h"
#include "rank_client.h"

#define ERRHANDLER_ABORT ((MPI_Errhandler)0x54000003) /* MPI_ERRORS_ABORT of MPI-4 */
#define ERRHANDLER_MPICH_INTERNAL ((MPI_Errhandler)0x54000002)

struct errhandler {
    int in_use;
    MPI_Comm_errhandler_function *fn;
};
/* User error handlers; owned by the library's active thread. */
static struct errhandler *handlers;
static int nhandlers;

static const char *const class_text[] = {
    [MPI_SUCCESS] = "no error",
    [MPI_ERR_BUFFER] = "invalid buffer pointer",
    [MPI_ERR_COUNT] = "invalid count argument",
    [MPI_ERR_TYPE] = "invalid datatype argument",
    [MPI_ERR_TAG] = "invalid tag argument",
    [MPI_ERR_COMM] = "invalid communicator",
    [MPI_ERR_RANK] = "invalid rank",
    [MPI_ERR_ROOT] = "invalid root",
    [MPI_ERR_GROUP] = "invalid group",
    [MPI_ERR_OP] = "invalid operation",
    [MPI_ERR_TOPOLOGY] = "invalid topology",
    [MPI_ERR_DIMS] = "invalid dimension argument",
    [MPI_ERR_ARG] = "invalid argument of some other kind",
    [MPI_ERR_UNKNOWN] = "unknown error",
    [MPI_ERR_TRUNCATE] = "message truncated on receive",
    [MPI_ERR_OTHER] = "known error not in this list",
    [MPI_ERR_INTERN] = "internal MPI error",
    [MPI_ERR_IN_STATUS] = "error code is in status",
    [MPI_ERR_PENDING] = "pending request",
    [MPI_ERR_REQUEST] = "invalid request (handle)",
    [MPI_ERR_ACCESS] = "permission denied",
    [MPI_ERR_AMODE] = "error related to the amode passed to MPI_File_open",
    [MPI_ERR_BAD_FILE] = "invalid file name",
    [MPI_ERR_CONVERSION] = "an error in a user-supplied data conversion function",
    [MPI_ERR_DUP_DATAREP] = "data representation identifier already registered",
    [MPI_ERR_FILE_EXISTS] = "file exists",
    [MPI_ERR_FILE_IN_USE] = "file operation could not be completed: the file is in use",
    [MPI_ERR_FILE] = "invalid file handle",
    [MPI_ERR_INFO] = "invalid info object",
    [MPI_ERR_INFO_KEY] = "key longer than MPI_MAX_INFO_KEY",
    [MPI_ERR_INFO_VALUE] = "value longer than MPI_MAX_INFO_VAL",
    [MPI_ERR_INFO_NOKEY] = "invalid key passed to MPI_Info_delete",
    [MPI_ERR_IO] = "other I/O error",
    [MPI_ERR_NAME] = "invalid service name passed to MPI_Lookup_name",
    [MPI_ERR_NO_MEM] = "out of memory",
    [MPI_ERR_NOT_SAME] = "collective argument not identical on all processes",
    [MPI_ERR_NO_SPACE] = "not enough space",
    [MPI_ERR_NO_SUCH_FILE] = "file does not exist",
    [MPI_ERR_PORT] = "invalid port name",
    [MPI_ERR_QUOTA] = "quota exceeded",
    [MPI_ERR_READ_ONLY] = "read-only file or file system",
    [MPI_ERR_SERVICE] = "invalid service name passed to MPI_Unpublish_name",
    [MPI_ERR_SPAWN] = "error in spawning processes",
    [MPI_ERR_UNSUPPORTED_DATAREP] = "unsupported data representation",
    [MPI_ERR_UNSUPPORTED_OPERATION] = "unsupported operation",
    [MPI_ERR_WIN] = "invalid window",
    [MPI_ERR_BASE] = "invalid base passed to MPI_Free_mem",
    [MPI_ERR_LOCKTYPE] = "invalid locktype",
    [MPI_ERR_KEYVAL] = "invalid keyval",
    [MPI_ERR_RMA_CONFLICT] = "conflicting accesses to a window",
    [MPI_ERR_RMA_SYNC] = "wrong synchronization of RMA calls",
    [MPI_ERR_SIZE] = "invalid size",
    [MPI_ERR_DISP] = "invalid displacement",
    [MPI_ERR_ASSERT] = "invalid assert",
    [MPI_ERR_RMA_RANGE] = "target memory is not part of the window",
    [MPI_ERR_RMA_ATTACH] = "memory cannot be attached",
    [MPI_ERR_RMA_SHARED] = "memory cannot be shared",
    [MPI_ERR_RMA_FLAVOR] = "passed window has the wrong flavor",
};
#define NCLASSES ((int)(sizeof class_text / sizeof class_text[0]))

void mpi_fatal(int code, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char out[1100];
    int n = snprintf(out, sizeof out, "crest MPI: rank %d: %s\n", mpi_state.world_rank, line);
    if (n > (int)sizeof out - 1)
        n = (int)sizeof out - 1;
    if (write(2, out, (size_t)n) < 0) {
    }
    /* The runtime ends every rank; until it does, wait here. */
    crest_rank_abort(code ? code : 1, line);
    for (int i = 0; i < 100; i++)
        usleep(100000);
    _exit(code ? code : 1);
}

static MPI_Errhandler handler_of(MPI_Comm comm)
{
    struct mpi_comm *c = comm == MPI_COMM_NULL ? NULL : comm_get(comm);
    if (!c)
        c = comm_get(MPI_COMM_WORLD);
    return c ? c->errhandler : MPI_ERRORS_ARE_FATAL;
}

int mpi_error(MPI_Comm comm, int code, const char *func, const char *fmt, ...)
{
    char line[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    MPI_Errhandler eh = handler_of(comm);
    if (eh == MPI_ERRORS_RETURN)
        return code;
    if (HANDLE_KIND(eh) == HANDLE_DYNAMIC && HANDLE_INDEX(eh) < (unsigned)nhandlers &&
        handlers[HANDLE_INDEX(eh)].in_use) {
        MPI_Comm target = comm == MPI_COMM_NULL || !comm_get(comm) ? MPI_COMM_WORLD : comm;
        int c = code;
        handlers[HANDLE_INDEX(eh)].fn(&target, &c);
        return code;
    }
    mpi_fatal(1, "%s: %s (%s)", func, line, code >= 0 && code < NCLASSES && class_text[code] ? class_text[code] : "error");
}

/* ------------------------------------------------------------- MPI functions */

static int errhandler_valid(MPI_Errhandler eh)
{
    if (eh == MPI_ERRORS_ARE_FATAL || eh == MPI_ERRORS_RETURN || eh == ERRHANDLER_ABORT ||
        eh == ERRHANDLER_MPICH_INTERNAL)
        return 1;
    return HANDLE_KIND(eh) == HANDLE_DYNAMIC && HANDLE_TYPE(eh) == HT_ERRHANDLER &&
           HANDLE_INDEX(eh) < (unsigned)nhandlers && handlers[HANDLE_INDEX(eh)].in_use;
}

int PMPI_Error_class(int errorcode, int *errorclass)
{
    MPI_SECTION();
    if (errorcode < 0 || errorcode >= NCLASSES)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, "MPI_Error_class", "%d is not an error code", errorcode);
    *errorclass = errorcode; /* every code this library returns is a class */
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Error_class);

int PMPI_Error_string(int errorcode, char *string, int *resultlen)
{
    MPI_SECTION();
    if (errorcode < 0 || errorcode >= NCLASSES || !class_text[errorcode])
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, "MPI_Error_string", "%d is not an error code", errorcode);
    int n = snprintf(string, MPI_MAX_ERROR_STRING, "%s", class_text[errorcode]);
    *resultlen = n < MPI_MAX_ERROR_STRING ? n : MPI_MAX_ERROR_STRING - 1;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Error_string);

int PMPI_Comm_create_errhandler(MPI_Comm_errhandler_function *fn, MPI_Errhandler *errhandler)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_create_errhandler");
    if (!fn)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, "MPI_Comm_create_errhandler", "the function is NULL");
    int i = 0;
    while (i < nhandlers && handlers[i].in_use)
        i++;
    if (i == nhandlers) {
        struct errhandler *p = realloc(handlers, (size_t)(nhandlers + 1) * sizeof *p);
        if (!p)
            return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, "MPI_Comm_create_errhandler", "out of memory");
        handlers = p;
        nhandlers++;
    }
    handlers[i].in_use = 1;
    handlers[i].fn = fn;
    *errhandler = MAKE_HANDLE(HT_ERRHANDLER, i);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_create_errhandler);

int PMPI_Errhandler_create(MPI_Handler_function *fn, MPI_Errhandler *errhandler)
{
    MPI_SECTION();
    return PMPI_Comm_create_errhandler((MPI_Comm_errhandler_function *)fn, errhandler);
}
MPI_WEAK(MPI_Errhandler_create);

int PMPI_Errhandler_free(MPI_Errhandler *errhandler)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Errhandler_free");
    if (!errhandler || !errhandler_valid(*errhandler))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, "MPI_Errhandler_free", "not a valid error handler");
    /* A user handler stays usable by the communicators that have it; the
     * slot is simply not reused (handlers are few). */
    *errhandler = MPI_ERRHANDLER_NULL;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Errhandler_free);

int PMPI_Comm_set_errhandler(MPI_Comm comm, MPI_Errhandler errhandler)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_set_errhandler");
    struct mpi_comm *c = comm_get(comm);
    if (!c)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, "MPI_Comm_set_errhandler", "0x%x is not a valid communicator",
                         (unsigned)comm);
    if (!errhandler_valid(errhandler))
        return mpi_error(comm, MPI_ERR_ARG, "MPI_Comm_set_errhandler", "0x%x is not a valid error handler",
                         (unsigned)errhandler);
    c->errhandler = errhandler;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_set_errhandler);

int PMPI_Errhandler_set(MPI_Comm comm, MPI_Errhandler errhandler)
{
    MPI_SECTION();
    return PMPI_Comm_set_errhandler(comm, errhandler);
}
MPI_WEAK(MPI_Errhandler_set);

int PMPI_Comm_get_errhandler(MPI_Comm comm, MPI_Errhandler *errhandler)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_get_errhandler");
    struct mpi_comm *c = comm_get(comm);
    if (!c)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, "MPI_Comm_get_errhandler", "0x%x is not a valid communicator",
                         (unsigned)comm);
    *errhandler = c->errhandler;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_get_errhandler);

int PMPI_Errhandler_get(MPI_Comm comm, MPI_Errhandler *errhandler)
{
    MPI_SECTION();
    return PMPI_Comm_get_errhandler(comm, errhandler);
}
MPI_WEAK(MPI_Errhandler_get);

int PMPI_Comm_call_errhandler(MPI_Comm comm, int errorcode)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Comm_call_errhandler");
    if (!comm_get(comm))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, "MPI_Comm_call_errhandler", "0x%x is not a valid communicator",
                         (unsigned)comm);
    mpi_error(comm, errorcode, "MPI_Comm_call_errhandler", "error %d raised by the program", errorcode);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Comm_call_errhandler);
