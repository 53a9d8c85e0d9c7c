/* persist.c — persistent requests: MPI_Send_init, Bsend_init, Ssend_init,
 * Rsend_init, Recv_init, Start, Startall.
 *
 * A persistent request keeps the arguments of its operation.  MPI_Start
 * runs the operation as an ordinary request of the engine (`inner`); a
 * progress step copies the inner request's completion (status, error) to
 * the persistent one and frees the inner one.  Retiring it in a wait or
 * test makes it inactive again (complete, empty status), as the standard
 * says; only MPI_Request_free ends it. */
#include <stdlib.h>

#include "mpi_impl.h"
#include "status.h"

/* Started requests whose operation is still running, by handle; owned by
 * the library's active thread. */
static MPI_Request *running;
static int nrunning, caprunning, registered;

static void empty(struct mpi_request *r)
{
    r->status.MPI_SOURCE = MPI_ANY_SOURCE;
    r->status.MPI_TAG = MPI_ANY_TAG;
    r->status.MPI_ERROR = MPI_SUCCESS;
    status_set_bytes(&r->status, 0);
    status_set_cancelled(&r->status, 0);
    r->error = MPI_SUCCESS;
    r->cancelled = 0;
}

void persist_retire(struct mpi_request *r)
{
    r->persistent_active = 0;
    r->complete = 1;
    empty(r);
}

struct mpi_request *persist_inner(struct mpi_request *r)
{
    return r->persistent_active && r->inner != MPI_REQUEST_NULL ? request_get(r->inner) : NULL;
}

/* Moves finished operations to their persistent requests. */
static int persist_progress(void *unused)
{
    (void)unused;
    for (int i = 0; i < nrunning;) {
        struct mpi_request *r = request_get(running[i]);
        struct mpi_request *in = r ? request_get(r->inner) : NULL;
        if (in && !in->complete) {
            i++;
            continue;
        }
        if (in) {
            r->status = in->status;
            r->error = in->error;
            r->cancelled = in->cancelled;
            request_free(r->inner);
        }
        r->inner = MPI_REQUEST_NULL;
        r->complete = 1;
        if (r->freed)
            request_free(r->handle);
        running[i] = running[--nrunning];
    }
    if (nrunning)
        return 0;
    registered = 0; /* leaves the progress list until the next start */
    return 1;
}

static int check(const char *func, MPI_Comm comm, struct mpi_comm **cp, int count, MPI_Datatype dt, int rank,
                 int tag, int recv, MPI_Request *request)
{
    struct mpi_comm *c = comm_get(comm);
    if (!c)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, func, "0x%x is not a valid communicator", (unsigned)comm);
    *cp = c;
    if (!request)
        return mpi_error(comm, MPI_ERR_ARG, func, "the request argument is NULL");
    if (count < 0)
        return mpi_error(comm, MPI_ERR_COUNT, func, "count %d is negative", count);
    const struct mpi_dtype *t = dtype_get(dt);
    if (!t)
        return mpi_error(comm, MPI_ERR_TYPE, func, "0x%x is not a valid datatype", (unsigned)dt);
    if (!dtype_is_committed(t))
        return mpi_error(comm, MPI_ERR_TYPE, func, "the datatype is not committed (MPI_Type_commit)");
    int size = c->remote != MPI_GROUP_NULL ? group_get(c->remote)->size : c->size;
    if (rank != MPI_PROC_NULL && !(recv && rank == MPI_ANY_SOURCE) && (rank < 0 || rank >= size))
        return mpi_error(comm, MPI_ERR_RANK, func, "rank %d is not in the communicator (size %d)", rank, size);
    if (tag < 0 && !(recv && tag == MPI_ANY_TAG))
        return mpi_error(comm, MPI_ERR_TAG, func, "tag %d is negative", tag);
    return MPI_SUCCESS;
}

static int init_common(const char *func, void *buf, int count, MPI_Datatype dt, int rank, int tag, MPI_Comm comm,
                       enum req_kind kind, enum send_mode mode, MPI_Request *request)
{
    MPI_CHECK_INIT(func);
    struct mpi_comm *c;
    int rc = check(func, comm, &c, count, dt, rank, tag, kind == REQ_PERSISTENT_RECV, request);
    if (rc)
        return rc;
    struct mpi_request *r;
    MPI_Request h = request_new(kind, &r);
    if (h == MPI_REQUEST_NULL)
        return mpi_error(comm, MPI_ERR_NO_MEM, func, "out of memory");
    r->comm = comm;
    r->buf = buf;
    r->count = count;
    r->datatype = dt;
    r->dt = dtype_get(dt);
    dtype_ref(dt); /* given back by request_free */
    r->peer = rank;
    r->tag = tag;
    r->mode = mode;
    r->inner = MPI_REQUEST_NULL;
    persist_retire(r);
    *request = h;
    return MPI_SUCCESS;
}

int PMPI_Send_init(const void *buf, int count, MPI_Datatype dt, int dest, int tag, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    return init_common("MPI_Send_init", (void *)buf, count, dt, dest, tag, comm, REQ_PERSISTENT_SEND, MODE_STANDARD,
                       request);
}
MPI_WEAK(MPI_Send_init);

int PMPI_Bsend_init(const void *buf, int count, MPI_Datatype dt, int dest, int tag, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    return init_common("MPI_Bsend_init", (void *)buf, count, dt, dest, tag, comm, REQ_PERSISTENT_SEND, MODE_BUFFERED,
                       request);
}
MPI_WEAK(MPI_Bsend_init);

int PMPI_Ssend_init(const void *buf, int count, MPI_Datatype dt, int dest, int tag, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    return init_common("MPI_Ssend_init", (void *)buf, count, dt, dest, tag, comm, REQ_PERSISTENT_SEND, MODE_SYNC,
                       request);
}
MPI_WEAK(MPI_Ssend_init);

int PMPI_Rsend_init(const void *buf, int count, MPI_Datatype dt, int dest, int tag, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    return init_common("MPI_Rsend_init", (void *)buf, count, dt, dest, tag, comm, REQ_PERSISTENT_SEND, MODE_READY,
                       request);
}
MPI_WEAK(MPI_Rsend_init);

int PMPI_Recv_init(void *buf, int count, MPI_Datatype dt, int source, int tag, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    return init_common("MPI_Recv_init", buf, count, dt, source, tag, comm, REQ_PERSISTENT_RECV, MODE_STANDARD, request);
}
MPI_WEAK(MPI_Recv_init);

static int start_one(const char *func, MPI_Request h)
{
    struct mpi_request *r = request_get(h);
    if (!r || !request_is_persistent(r))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_REQUEST, func, "0x%x is not a persistent request", (unsigned)h);
    if (r->persistent_active)
        return mpi_error(r->comm, MPI_ERR_REQUEST, func, "the request is active already (started, not completed)");
    struct mpi_comm *c = comm_get(r->comm);
    if (!c)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, func, "the request's communicator was freed");
    if (running == NULL || nrunning == caprunning) {
        int cap = caprunning ? caprunning * 2 : 16;
        MPI_Request *p = realloc(running, (size_t)cap * sizeof *p);
        if (!p)
            return mpi_error(r->comm, MPI_ERR_NO_MEM, func, "out of memory");
        running = p;
        caprunning = cap;
    }
    MPI_Request inner;
    int rc = r->kind == REQ_PERSISTENT_RECV
                 ? p2p_irecv(r->buf, r->count, r->datatype, r->peer, r->tag, c, c->context, &inner)
                 : p2p_isend(r->buf, r->count, r->datatype, r->peer, r->tag, c, c->context, r->mode, &inner);
    if (rc)
        return mpi_error(r->comm, rc, func,
                         rc == MPI_ERR_BUFFER ? "the attached buffer (MPI_Buffer_attach) has no room for the message"
                                              : "cannot start the operation");
    empty(r);
    r->persistent_active = 1;
    struct mpi_request *in = request_get(inner);
    in->comm = r->comm;
    if (r->mode == MODE_BUFFERED && r->kind == REQ_PERSISTENT_SEND) {
        /* as MPI_Ibsend: the data is in the attached buffer, done at once */
        if (in->complete)
            request_free(inner);
        else
            in->freed = 1;
        r->inner = MPI_REQUEST_NULL;
        r->complete = 1;
        return MPI_SUCCESS;
    }
    r->inner = inner;
    r->complete = 0;
    if (!registered) {
        progress_register(persist_progress, NULL);
        registered = 1;
    }
    running[nrunning++] = h;
    return MPI_SUCCESS;
}

int PMPI_Start(MPI_Request *request)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Start");
    if (!request)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, "MPI_Start", "the request argument is NULL");
    return start_one("MPI_Start", *request);
}
MPI_WEAK(MPI_Start);

int PMPI_Startall(int count, MPI_Request requests[])
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Startall");
    if (count < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, "MPI_Startall", "count %d is negative", count);
    for (int i = 0; i < count; i++) {
        int rc = start_one("MPI_Startall", requests[i]);
        if (rc)
            return rc;
    }
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Startall);
