/* api_p2p.c — the MPI point-to-point and completion functions: argument
 * checks, then the engine (p2p.c). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_impl.h"
#include "status.h"

enum direction { TO, FROM };

/* Checks the usual arguments; returns MPI_SUCCESS or what mpi_error says. */
static int check(const char *func, MPI_Comm comm, struct mpi_comm **cp, int count, MPI_Datatype dt, int rank,
                 int tag, enum direction dir)
{
    struct mpi_comm *c = comm_get(comm);
    if (!c)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, func, "0x%x is not a valid communicator", (unsigned)comm);
    *cp = c;
    if (count < 0)
        return mpi_error(comm, MPI_ERR_COUNT, func, "count %d is negative", count);
    const struct mpi_dtype *t = dtype_get(dt);
    if (!t)
        return mpi_error(comm, MPI_ERR_TYPE, func, "0x%x is not a valid datatype", (unsigned)dt);
    if (!dtype_is_committed(t))
        return mpi_error(comm, MPI_ERR_TYPE, func, "the datatype is not committed (MPI_Type_commit)");
    if (rank != MPI_PROC_NULL && !(dir == FROM && rank == MPI_ANY_SOURCE) && (rank < 0 || rank >= comm_peer_size(c)))
        return mpi_error(comm, MPI_ERR_RANK, func, "rank %d is not in the %sgroup (size %d)", rank,
                         c->remote != MPI_GROUP_NULL ? "intercommunicator's remote " : "communicator's ", comm_peer_size(c));
    if (tag < 0 && !(dir == FROM && tag == MPI_ANY_TAG))
        return mpi_error(comm, MPI_ERR_TAG, func, "tag %d is negative", tag);
    return MPI_SUCCESS;
}

static int send_common(const char *func, const void *buf, int count, MPI_Datatype dt, int dest, int tag,
                       MPI_Comm comm, enum send_mode mode, MPI_Request *request, int blocking)
{
    MPI_CHECK_INIT(func);
    struct mpi_comm *c;
    int rc = check(func, comm, &c, count, dt, dest, tag, TO);
    if (rc)
        return rc;
    MPI_Request r;
    rc = p2p_isend(buf, count, dt, dest, tag, c, c->context, mode, &r);
    if (rc)
        return mpi_error(comm, rc, func, rc == MPI_ERR_BUFFER ? "the attached buffer (MPI_Buffer_attach) has no room for %d elements"
                                                               : "cannot send %d elements", count);
    if (!blocking) {
        request_get(r)->comm = comm;
        *request = r;
        return MPI_SUCCESS;
    }
    rc = p2p_wait(&r, MPI_STATUS_IGNORE);
    return rc ? mpi_error(comm, rc, func, "the send failed") : MPI_SUCCESS;
}

int PMPI_Send(const void *buf, int count, MPI_Datatype dt, int dest, int tag, MPI_Comm comm)
{
    MPI_SECTION();
    return send_common("MPI_Send", buf, count, dt, dest, tag, comm, MODE_STANDARD, NULL, 1);
}
MPI_WEAK(MPI_Send);

int PMPI_Ssend(const void *buf, int count, MPI_Datatype dt, int dest, int tag, MPI_Comm comm)
{
    MPI_SECTION();
    return send_common("MPI_Ssend", buf, count, dt, dest, tag, comm, MODE_SYNC, NULL, 1);
}
MPI_WEAK(MPI_Ssend);

int PMPI_Bsend(const void *buf, int count, MPI_Datatype dt, int dest, int tag, MPI_Comm comm)
{
    MPI_SECTION();
    MPI_Request r;
    int rc = send_common("MPI_Bsend", buf, count, dt, dest, tag, comm, MODE_BUFFERED, &r, 0);
    if (rc)
        return rc;
    /* The data is in the attached buffer: the send goes on by itself. */
    struct mpi_request *q = request_get(r);
    if (q->complete)
        request_free(r);
    else
        q->freed = 1;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Bsend);

int PMPI_Rsend(const void *buf, int count, MPI_Datatype dt, int dest, int tag, MPI_Comm comm)
{
    MPI_SECTION();
    return send_common("MPI_Rsend", buf, count, dt, dest, tag, comm, MODE_READY, NULL, 1);
}
MPI_WEAK(MPI_Rsend);

int PMPI_Isend(const void *buf, int count, MPI_Datatype dt, int dest, int tag, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    return send_common("MPI_Isend", buf, count, dt, dest, tag, comm, MODE_STANDARD, request, 0);
}
MPI_WEAK(MPI_Isend);

int PMPI_Issend(const void *buf, int count, MPI_Datatype dt, int dest, int tag, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    return send_common("MPI_Issend", buf, count, dt, dest, tag, comm, MODE_SYNC, request, 0);
}
MPI_WEAK(MPI_Issend);

int PMPI_Irsend(const void *buf, int count, MPI_Datatype dt, int dest, int tag, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    return send_common("MPI_Irsend", buf, count, dt, dest, tag, comm, MODE_READY, request, 0);
}
MPI_WEAK(MPI_Irsend);

int PMPI_Ibsend(const void *buf, int count, MPI_Datatype dt, int dest, int tag, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    MPI_Request inner;
    int rc = send_common("MPI_Ibsend", buf, count, dt, dest, tag, comm, MODE_BUFFERED, &inner, 0);
    if (rc)
        return rc;
    struct mpi_request *q = request_get(inner);
    if (q->complete)
        request_free(inner);
    else
        q->freed = 1;
    /* The caller's request is complete at once: its buffer is free. */
    struct mpi_request *r;
    *request = request_new(REQ_SEND, &r);
    r->comm = comm;
    r->complete = 1;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Ibsend);

int PMPI_Irecv(void *buf, int count, MPI_Datatype dt, int source, int tag, MPI_Comm comm, MPI_Request *request)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Irecv");
    struct mpi_comm *c;
    int rc = check("MPI_Irecv", comm, &c, count, dt, source, tag, FROM);
    if (rc)
        return rc;
    rc = p2p_irecv(buf, count, dt, source, tag, c, c->context, request);
    if (rc)
        return mpi_error(comm, rc, "MPI_Irecv", "cannot post the receive");
    request_get(*request)->comm = comm;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Irecv);

/* Copies a completed request's status, leaving MPI_ERROR alone (only the
 * calls that return MPI_ERR_IN_STATUS set it). */
static void give_status(MPI_Status *to, const MPI_Status *from)
{
    if (to == MPI_STATUS_IGNORE)
        return;
    int err = to->MPI_ERROR;
    *to = *from;
    to->MPI_ERROR = err;
}

static void empty_status(MPI_Status *s)
{
    if (s == MPI_STATUS_IGNORE)
        return;
    s->MPI_SOURCE = MPI_ANY_SOURCE;
    s->MPI_TAG = MPI_ANY_TAG;
    status_set_bytes(s, 0);
    status_set_cancelled(s, 0);
}

static int request_error(const char *func, struct mpi_request *r)
{
    int err = r->error;
    if (err == MPI_ERR_TRUNCATE)
        return mpi_error(r->comm, err, func, "a message of more than the %zu bytes the receive had room for arrived",
                         r->bytes);
    return err ? mpi_error(r->comm, err, func, "the request failed") : MPI_SUCCESS;
}

/* Takes a completed request: status out, the request freed. */
static int retire(const char *func, MPI_Request *req, MPI_Status *status)
{
    struct mpi_request *r = request_get(*req);
    give_status(status, &r->status);
    int err = r->error;
    MPI_Comm comm = r->comm;
    size_t bytes = r->bytes;
    if (request_is_persistent(r)) {
        persist_retire(r);
    } else {
        request_free(*req);
        *req = MPI_REQUEST_NULL;
    }
    if (err == MPI_ERR_TRUNCATE)
        return mpi_error(comm, err, func, "a message of more than the %zu bytes the receive had room for arrived", bytes);
    return err ? mpi_error(comm, err, func, "the request failed") : MPI_SUCCESS;
}

int PMPI_Recv(void *buf, int count, MPI_Datatype dt, int source, int tag, MPI_Comm comm, MPI_Status *status)
{
    MPI_SECTION();
    MPI_Request r;
    int rc = PMPI_Irecv(buf, count, dt, source, tag, comm, &r);
    if (rc)
        return rc;
    progress_wait(&request_get(r)->complete);
    return retire("MPI_Recv", &r, status);
}
MPI_WEAK(MPI_Recv);

static int check_request(const char *func, MPI_Request h, struct mpi_request **out)
{
    *out = NULL;
    if (h == MPI_REQUEST_NULL)
        return MPI_SUCCESS;
    *out = request_get(h);
    if (!*out || (*out)->message)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_REQUEST, func, "0x%x is not a valid request", (unsigned)h);
    return MPI_SUCCESS;
}

int PMPI_Wait(MPI_Request *request, MPI_Status *status)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Wait");
    struct mpi_request *r;
    int rc = check_request("MPI_Wait", *request, &r);
    if (rc)
        return rc;
    if (!r) {
        empty_status(status);
        return MPI_SUCCESS;
    }
    progress_wait(&r->complete);
    return retire("MPI_Wait", request, status);
}
MPI_WEAK(MPI_Wait);

int PMPI_Test(MPI_Request *request, int *flag, MPI_Status *status)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Test");
    struct mpi_request *r;
    int rc = check_request("MPI_Test", *request, &r);
    if (rc)
        return rc;
    if (!r) {
        *flag = 1;
        empty_status(status);
        return MPI_SUCCESS;
    }
    if (!r->complete)
        progress_poll();
    *flag = r->complete;
    return r->complete ? retire("MPI_Test", request, status) : MPI_SUCCESS;
}
MPI_WEAK(MPI_Test);

/* For the calls on arrays of requests. */
static int all_valid(const char *func, int n, MPI_Request reqs[])
{
    if (n < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, func, "count %d is negative", n);
    for (int i = 0; i < n; i++) {
        struct mpi_request *r;
        int rc = check_request(func, reqs[i], &r);
        if (rc)
            return rc;
    }
    return MPI_SUCCESS;
}

/* Completes the finished ones among reqs (with statuses for the array
 * forms); returns MPI_ERR_IN_STATUS if any failed. */
static int retire_many(const char *func, int n, MPI_Request reqs[], MPI_Status statuses[], int *done, int all)
{
    int failed = 0;
    for (int i = 0; i < n; i++) {
        struct mpi_request *r = reqs[i] == MPI_REQUEST_NULL ? NULL : request_get(reqs[i]);
        MPI_Status *s = statuses == MPI_STATUSES_IGNORE ? MPI_STATUS_IGNORE : &statuses[i];
        if (!r) {
            if (all)
                empty_status(s);
            if (s != MPI_STATUS_IGNORE && all)
                s->MPI_ERROR = MPI_SUCCESS;
            continue;
        }
        if (!done[i]) {
            if (s != MPI_STATUS_IGNORE)
                s->MPI_ERROR = MPI_ERR_PENDING;
            continue;
        }
        if (s != MPI_STATUS_IGNORE) {
            *s = r->status;
            s->MPI_ERROR = r->error;
        }
        if (r->error)
            failed = 1;
        if (request_is_persistent(r)) {
            persist_retire(r);
            continue;
        }
        request_free(reqs[i]);
        reqs[i] = MPI_REQUEST_NULL;
    }
    return failed ? mpi_error(MPI_COMM_NULL, MPI_ERR_IN_STATUS, func, "a request failed (see its status)") : MPI_SUCCESS;
}

int PMPI_Waitall(int count, MPI_Request reqs[], MPI_Status statuses[])
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Waitall");
    int rc = all_valid("MPI_Waitall", count, reqs);
    if (rc)
        return rc;
    int *done = calloc((size_t)(count > 0 ? count : 1), sizeof *done);
    for (int i = 0; i < count; i++) {
        if (reqs[i] == MPI_REQUEST_NULL)
            continue;
        struct mpi_request *r = request_get(reqs[i]);
        progress_wait(&r->complete);
        done[i] = 1;
    }
    rc = retire_many("MPI_Waitall", count, reqs, statuses, done, 1);
    free(done);
    return rc;
}
MPI_WEAK(MPI_Waitall);

int PMPI_Testall(int count, MPI_Request reqs[], int *flag, MPI_Status statuses[])
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Testall");
    int rc = all_valid("MPI_Testall", count, reqs);
    if (rc)
        return rc;
    progress_poll();
    *flag = 1;
    for (int i = 0; i < count; i++)
        if (reqs[i] != MPI_REQUEST_NULL && !request_get(reqs[i])->complete)
            *flag = 0;
    if (!*flag)
        return MPI_SUCCESS;
    int *done = malloc((size_t)(count > 0 ? count : 1) * sizeof *done);
    for (int i = 0; i < count; i++)
        done[i] = 1;
    rc = retire_many("MPI_Testall", count, reqs, statuses, done, 1);
    free(done);
    return rc;
}
MPI_WEAK(MPI_Testall);

/* Index of a completed request, -1 if none; *active: any non-null. */
static int find_complete(int n, MPI_Request reqs[], int *active)
{
    *active = 0;
    for (int i = 0; i < n; i++) {
        if (reqs[i] == MPI_REQUEST_NULL || request_is_inactive(request_get(reqs[i])))
            continue;
        *active = 1;
        if (request_get(reqs[i])->complete)
            return i;
    }
    return -1;
}

static int any_common(const char *func, int count, MPI_Request reqs[], int *index, int *flag, MPI_Status *status,
                      int wait)
{
    MPI_CHECK_INIT(func);
    int rc = all_valid(func, count, reqs);
    if (rc)
        return rc;
    int active;
    int i = find_complete(count, reqs, &active);
    while (i < 0 && active) {
        int n = progress_poll();
        i = find_complete(count, reqs, &active);
        if (!wait || i >= 0)
            break;
        if (!n)
            progress_wait_briefly();
    }
    if (!active) {
        *index = MPI_UNDEFINED;
        if (flag)
            *flag = 1;
        empty_status(status);
        return MPI_SUCCESS;
    }
    if (i < 0) {
        *flag = 0;
        *index = MPI_UNDEFINED;
        return MPI_SUCCESS;
    }
    if (flag)
        *flag = 1;
    *index = i;
    return retire(func, &reqs[i], status);
}

int PMPI_Waitany(int count, MPI_Request reqs[], int *index, MPI_Status *status)
{
    MPI_SECTION();
    return any_common("MPI_Waitany", count, reqs, index, NULL, status, 1);
}
MPI_WEAK(MPI_Waitany);

int PMPI_Testany(int count, MPI_Request reqs[], int *index, int *flag, MPI_Status *status)
{
    MPI_SECTION();
    return any_common("MPI_Testany", count, reqs, index, flag, status, 0);
}
MPI_WEAK(MPI_Testany);

static int some_common(const char *func, int count, MPI_Request reqs[], int *outcount, int indices[],
                       MPI_Status statuses[], int wait)
{
    MPI_CHECK_INIT(func);
    int rc = all_valid(func, count, reqs);
    if (rc)
        return rc;
    int active;
    progress_poll();
    int i = find_complete(count, reqs, &active);
    while (wait && i < 0 && active) {
        if (!progress_poll())
            progress_wait_briefly();
        i = find_complete(count, reqs, &active);
    }
    if (!active) {
        *outcount = MPI_UNDEFINED;
        return MPI_SUCCESS;
    }
    int n = 0, failed = 0;
    for (int k = 0; k < count; k++) {
        if (reqs[k] == MPI_REQUEST_NULL || !request_get(reqs[k])->complete || request_is_inactive(request_get(reqs[k])))
            continue;
        struct mpi_request *r = request_get(reqs[k]);
        if (statuses != MPI_STATUSES_IGNORE) {
            statuses[n] = r->status;
            statuses[n].MPI_ERROR = r->error;
        }
        failed |= r->error != 0;
        indices[n++] = k;
        if (request_is_persistent(r)) {
            persist_retire(r);
            continue;
        }
        request_free(reqs[k]);
        reqs[k] = MPI_REQUEST_NULL;
    }
    *outcount = n;
    return failed ? mpi_error(MPI_COMM_NULL, MPI_ERR_IN_STATUS, func, "a request failed (see its status)") : MPI_SUCCESS;
}

int PMPI_Waitsome(int incount, MPI_Request reqs[], int *outcount, int indices[], MPI_Status statuses[])
{
    MPI_SECTION();
    return some_common("MPI_Waitsome", incount, reqs, outcount, indices, statuses, 1);
}
MPI_WEAK(MPI_Waitsome);

int PMPI_Testsome(int incount, MPI_Request reqs[], int *outcount, int indices[], MPI_Status statuses[])
{
    MPI_SECTION();
    return some_common("MPI_Testsome", incount, reqs, outcount, indices, statuses, 0);
}
MPI_WEAK(MPI_Testsome);

int PMPI_Request_free(MPI_Request *request)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Request_free");
    struct mpi_request *r;
    int rc = check_request("MPI_Request_free", *request, &r);
    if (rc)
        return rc;
    if (!r)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_REQUEST, "MPI_Request_free", "the request is MPI_REQUEST_NULL");
    if (r->complete)
        request_free(*request);
    else
        r->freed = 1; /* the engine frees it when it completes */
    *request = MPI_REQUEST_NULL;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Request_free);

int PMPI_Request_get_status(MPI_Request request, int *flag, MPI_Status *status)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Request_get_status");
    struct mpi_request *r;
    int rc = check_request("MPI_Request_get_status", request, &r);
    if (rc)
        return rc;
    if (!r) {
        *flag = 1;
        empty_status(status);
        return MPI_SUCCESS;
    }
    if (!r->complete)
        progress_poll();
    *flag = r->complete;
    if (r->complete)
        give_status(status, &r->status);
    return r->complete ? request_error("MPI_Request_get_status", r) : MPI_SUCCESS;
}
MPI_WEAK(MPI_Request_get_status);

int PMPI_Cancel(MPI_Request *request)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Cancel");
    struct mpi_request *r;
    int rc = check_request("MPI_Cancel", *request, &r);
    if (rc)
        return rc;
    if (!r)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_REQUEST, "MPI_Cancel", "the request is MPI_REQUEST_NULL");
    if (request_is_persistent(r)) /* a started one cancels its operation; an inactive one has none */
        return (r = persist_inner(r)) ? p2p_cancel(r) : MPI_SUCCESS;
    return p2p_cancel(r);
}
MPI_WEAK(MPI_Cancel);

int PMPI_Test_cancelled(const MPI_Status *status, int *flag)
{
    MPI_SECTION();
    *flag = status_is_cancelled(status);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Test_cancelled);

int PMPI_Sendrecv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, int dest, int sendtag, void *recvbuf,
                  int recvcount, MPI_Datatype recvtype, int source, int recvtag, MPI_Comm comm, MPI_Status *status)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Sendrecv");
    struct mpi_comm *c;
    int rc = check("MPI_Sendrecv", comm, &c, sendcount, sendtype, dest, sendtag, TO);
    if (!rc)
        rc = check("MPI_Sendrecv", comm, &c, recvcount, recvtype, source, recvtag, FROM);
    if (rc)
        return rc;
    MPI_Request reqs[2];
    rc = p2p_irecv(recvbuf, recvcount, recvtype, source, recvtag, c, c->context, &reqs[0]);
    if (!rc)
        rc = p2p_isend(sendbuf, sendcount, sendtype, dest, sendtag, c, c->context, MODE_STANDARD, &reqs[1]);
    if (rc)
        return mpi_error(comm, rc, "MPI_Sendrecv", "cannot start the exchange");
    request_get(reqs[0])->comm = comm;
    progress_wait(&request_get(reqs[1])->complete);
    request_free(reqs[1]);
    progress_wait(&request_get(reqs[0])->complete);
    return retire("MPI_Sendrecv", &reqs[0], status);
}
MPI_WEAK(MPI_Sendrecv);

int PMPI_Sendrecv_replace(void *buf, int count, MPI_Datatype datatype, int dest, int sendtag, int source,
                          int recvtag, MPI_Comm comm, MPI_Status *status)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Sendrecv_replace");
    struct mpi_comm *c;
    int rc = check("MPI_Sendrecv_replace", comm, &c, count, datatype, dest, sendtag, TO);
    if (!rc)
        rc = check("MPI_Sendrecv_replace", comm, &c, count, datatype, source, recvtag, FROM);
    if (rc)
        return rc;
    /* The outgoing data is packed away first; the receive then lands in buf. */
    const struct mpi_dtype *t = dtype_get(datatype);
    size_t bytes = (size_t)count * dtype_size(t);
    void *copy = malloc(bytes ? bytes : 1);
    if (!copy)
        return mpi_error(comm, MPI_ERR_NO_MEM, "MPI_Sendrecv_replace", "out of memory for %zu bytes", bytes);
    dtype_pack(buf, count, t, 0, copy, bytes);
    MPI_Request reqs[2];
    rc = p2p_irecv(buf, count, datatype, source, recvtag, c, c->context, &reqs[0]);
    if (!rc)
        rc = p2p_isend(copy, (int)bytes, MPI_BYTE, dest, sendtag, c, c->context, MODE_STANDARD, &reqs[1]);
    if (rc) {
        free(copy);
        return mpi_error(comm, rc, "MPI_Sendrecv_replace", "cannot start the exchange");
    }
    request_get(reqs[0])->comm = comm;
    progress_wait(&request_get(reqs[1])->complete);
    request_free(reqs[1]);
    free(copy);
    progress_wait(&request_get(reqs[0])->complete);
    return retire("MPI_Sendrecv_replace", &reqs[0], status);
}
MPI_WEAK(MPI_Sendrecv_replace);

/* ------------------------------------------------------------- probes */

static int probe_common(const char *func, int source, int tag, MPI_Comm comm, int *flag, MPI_Status *status,
                        MPI_Message *message, int wait)
{
    MPI_CHECK_INIT(func);
    struct mpi_comm *c;
    int rc = check(func, comm, &c, 0, MPI_BYTE, source, tag, FROM);
    if (rc)
        return rc;
    int found = 0;
    for (;;) {
        rc = p2p_iprobe(source, tag, c, c->context, &found, status, message);
        if (rc)
            return mpi_error(comm, rc, func, "the probe failed");
        if (found || !wait)
            break;
        progress_wait_briefly();
    }
    if (flag)
        *flag = found;
    return MPI_SUCCESS;
}

int PMPI_Probe(int source, int tag, MPI_Comm comm, MPI_Status *status)
{
    MPI_SECTION();
    return probe_common("MPI_Probe", source, tag, comm, NULL, status, NULL, 1);
}
MPI_WEAK(MPI_Probe);

int PMPI_Iprobe(int source, int tag, MPI_Comm comm, int *flag, MPI_Status *status)
{
    MPI_SECTION();
    return probe_common("MPI_Iprobe", source, tag, comm, flag, status, NULL, 0);
}
MPI_WEAK(MPI_Iprobe);

int PMPI_Mprobe(int source, int tag, MPI_Comm comm, MPI_Message *message, MPI_Status *status)
{
    MPI_SECTION();
    return probe_common("MPI_Mprobe", source, tag, comm, NULL, status, message, 1);
}
MPI_WEAK(MPI_Mprobe);

int PMPI_Improbe(int source, int tag, MPI_Comm comm, int *flag, MPI_Message *message, MPI_Status *status)
{
    MPI_SECTION();
    int rc = probe_common("MPI_Improbe", source, tag, comm, flag, status, message, 0);
    if (!rc && !*flag)
        *message = MPI_MESSAGE_NULL;
    return rc;
}
MPI_WEAK(MPI_Improbe);

int PMPI_Imrecv(void *buf, int count, MPI_Datatype datatype, MPI_Message *message, MPI_Request *request)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Imrecv");
    if (!message || (*message != MPI_MESSAGE_NO_PROC && !request_get(*message)))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_REQUEST, "MPI_Imrecv", "not a message from MPI_Mprobe or MPI_Improbe");
    if (count < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_COUNT, "MPI_Imrecv", "count %d is negative", count);
    const struct mpi_dtype *t = dtype_get(datatype);
    if (!t || !dtype_is_committed(t))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_TYPE, "MPI_Imrecv", "0x%x is not a committed datatype", (unsigned)datatype);
    int rc = p2p_imrecv(buf, count, datatype, message, request);
    return rc ? mpi_error(MPI_COMM_NULL, rc, "MPI_Imrecv", "cannot receive the message") : MPI_SUCCESS;
}
MPI_WEAK(MPI_Imrecv);

int PMPI_Mrecv(void *buf, int count, MPI_Datatype datatype, MPI_Message *message, MPI_Status *status)
{
    MPI_SECTION();
    MPI_Request r;
    int rc = PMPI_Imrecv(buf, count, datatype, message, &r);
    if (rc)
        return rc;
    progress_wait(&request_get(r)->complete);
    return retire("MPI_Mrecv", &r, status);
}
MPI_WEAK(MPI_Mrecv);
