/* p2p.c — point-to-point: matching messages to receives, and the two
 * protocols that carry them.
 *
 * Eager: a message of at most the transport's eager limit travels whole,
 * with its envelope; if no receive is posted yet it waits in the
 * unexpected queue (copied).
 * Rendezvous: a larger message sends only its envelope (RTS).  When a
 * receive matches it, the receiver either reads the data straight out of
 * the sender's memory (single copy, when the transport can and both sides
 * are contiguous) and says FIN, or asks for it with CTS, and the sender
 * streams DATA pieces as fast as the transport takes them.
 * Synchronous sends ask the receiver for SYNC_ACK when matched (eager);
 * a rendezvous is synchronous by nature.
 *
 * Order: transports deliver in order per peer and matching follows arrival
 * order, so messages between two ranks on one communicator and tag never
 * overtake each other. */
#include <stdlib.h>
#include <string.h>

#include "mpi_impl.h"
#include "status.h"

enum {
    ST_DONE = 0,
    ST_SEND_WAIT_SYNC,  /* eager synchronous: waits for SYNC_ACK */
    ST_SEND_WAIT_CTS,   /* RTS sent */
    ST_SEND_STREAMING,  /* CTS received: DATA pieces going out */
    ST_RECV_POSTED,     /* in the posted queue */
    ST_RECV_WAIT_DATA,  /* CTS sent: DATA pieces coming in */
};

/* A message whose envelope arrived before its receive was posted. */
struct unexpected {
    struct unexpected *next;
    int src;            /* world rank */
    int tag;
    uint32_t context;
    uint32_t kind;      /* PKT_EAGER or PKT_RTS */
    uint32_t flags;
    uint64_t length;
    uint64_t sreq;
    uint64_t addr;      /* RTS with PKT_F_CONTIG: the data's address in the sender */
    void *data;         /* EAGER: the message */
};

/* The engine's queues; owned by the library's active thread. */
static struct unexpected *unexp_head, **unexp_tail = &unexp_head;
static struct mpi_request *posted_head, **posted_tail = &posted_head;
static struct mpi_request *streaming; /* sends in ST_SEND_STREAMING */

static const struct transport *transport_to(int world) { return mpi_state.peers[world].tr; }

static int send_packet(int world, struct pkt_header *h, const void *payload)
{
    h->src = mpi_state.world_rank;
    if (quiesce_active) /* a checkpoint is draining the channels: held back */
        return quiesce_hold(world, h, payload);
    mpi_state.peers[world].sent_bytes += sizeof *h + h->payload;
    return transport_to(world)->send(world, h, payload);
}

static MPI_Request handle_of(struct mpi_request *r) { return r->handle; }
static MPI_Comm comm_handle_of(struct mpi_comm *c) { return c->handle; }

static void finish(struct mpi_request *r)
{
    r->state = ST_DONE;
    r->complete = 1;
    if (r->bsend_space) {
        bsend_release(r->bsend_space);
        r->bsend_space = NULL;
    }
    if (r->freed)
        request_free(handle_of(r));
}

/* ------------------------------------------------------------- sending */

static int prepare_buffer(struct mpi_request *r, const void *buf, int count, MPI_Datatype dt)
{
    r->dt = dtype_get(dt);
    if (!r->dt)
        return MPI_ERR_TYPE;
    dtype_ref(dt); /* given back by request_free */
    r->buf = (void *)buf;
    r->count = count;
    r->datatype = dt;
    r->bytes = (size_t)count * dtype_size(r->dt);
    r->contig = dtype_is_contiguous(r->dt) || r->bytes == 0;
    r->data_ptr = (char *)buf + (r->contig && r->bytes ? dtype_true_lb(r->dt) : 0);
    return MPI_SUCCESS;
}

/* Copies bytes [off, off+len) of a request's data into out (packing if needed). */
static const void *data_at(struct mpi_request *r, uint64_t off, size_t len, void *scratch)
{
    if (r->contig)
        return r->data_ptr + off;
    dtype_pack(r->buf, r->count, r->dt, off, scratch, len);
    return scratch;
}

int p2p_isend(const void *buf, int count, MPI_Datatype dt, int dest, int tag, struct mpi_comm *comm,
              uint32_t context, enum send_mode mode, MPI_Request *req)
{
    struct mpi_request *r;
    MPI_Request h = request_new(REQ_SEND, &r);
    if (h == MPI_REQUEST_NULL)
        return MPI_ERR_NO_MEM;
    *req = h;
    r->peer = dest;
    r->tag = tag;
    r->context = context;
    r->mode = mode;
    if (dest == MPI_PROC_NULL) {
        finish(r);
        return MPI_SUCCESS;
    }
    int rc = prepare_buffer(r, buf, count, dt);
    if (rc) {
        request_free(h);
        *req = MPI_REQUEST_NULL;
        return rc;
    }
    int w = comm_peer_world(comm, dest);
    r->peer_world = w;
    const struct transport *tr = transport_to(w);
    if (mode == MODE_BUFFERED && r->bytes) {
        /* The data goes to the attached buffer now; the send proceeds
         * from there and the caller's buffer is free at once. */
        void *space = bsend_alloc(r->bytes);
        if (!space) {
            request_free(h);
            *req = MPI_REQUEST_NULL;
            return MPI_ERR_BUFFER;
        }
        data_at(r, 0, r->bytes, space);
        if (r->contig)
            memcpy(space, r->data_ptr, r->bytes);
        r->bsend_space = space;
        r->data_ptr = space;
        r->contig = 1;
    }
    struct pkt_header ph = { 0 };
    ph.tag = tag;
    ph.context = context;
    ph.length = r->bytes;
    ph.sreq = request_wire_id(h);
    if (r->bytes <= tr->eager_limit) {
        ph.kind = PKT_EAGER;
        ph.payload = (uint32_t)r->bytes;
        if (mode == MODE_SYNC)
            ph.flags |= PKT_F_SYNC;
        void *scratch = r->contig ? NULL : malloc(r->bytes ? r->bytes : 1);
        if (!r->contig && !scratch)
            return MPI_ERR_NO_MEM;
        const void *payload = data_at(r, 0, r->bytes, scratch);
        rc = send_packet(w, &ph, payload);
        free(scratch);
        if (rc)
            return rc;
        r->done_bytes = r->bytes;
        if (mode == MODE_SYNC)
            r->state = ST_SEND_WAIT_SYNC;
        else
            finish(r);
        return MPI_SUCCESS;
    }
    ph.kind = PKT_RTS;
    if (r->contig && tr->pull) {
        ph.flags |= PKT_F_CONTIG;
        ph.offset = (uint64_t)(uintptr_t)r->data_ptr;
    }
    r->state = ST_SEND_WAIT_CTS;
    return send_packet(w, &ph, NULL);
}

/* Hands DATA pieces of streaming sends to their transports while these
 * take them without queueing much. */
int p2p_progress(void)
{
    int moved = 0;
    if (quiesce_active)
        return 0; /* the rest of large messages goes after the checkpoint */
    struct mpi_request **pp = &streaming;
    while (*pp) {
        struct mpi_request *r = *pp;
        const struct transport *tr = transport_to(r->peer_world);
        size_t piece_max = tr->max_payload;
        void *scratch = r->contig ? NULL : malloc(piece_max);
        while (r->sent < r->bytes && !tr->backlog(r->peer_world)) {
            size_t len = r->bytes - r->sent < piece_max ? (size_t)(r->bytes - r->sent) : piece_max;
            struct pkt_header ph = { 0 };
            ph.kind = PKT_DATA;
            ph.rreq = r->peer_req;
            ph.offset = r->sent;
            ph.length = r->bytes;
            ph.payload = (uint32_t)len;
            if (send_packet(r->peer_world, &ph, data_at(r, r->sent, len, scratch)))
                break;
            r->sent += len;
            moved++;
        }
        free(scratch);
        if (r->sent >= r->bytes) {
            *pp = r->next_streaming;
            finish(r);
        } else {
            pp = &r->next_streaming;
        }
    }
    return moved;
}

/* ------------------------------------------------------------- receiving */

static int matches(const struct mpi_request *r, int src, int tag, uint32_t context)
{
    return r->context == context && (r->peer_world < 0 || r->peer_world == src) &&
           (r->tag == MPI_ANY_TAG || r->tag == tag);
}

static void set_status(struct mpi_request *r, int src_world, int tag, uint64_t length)
{
    struct mpi_comm *c = comm_get(r->comm);
    int src = r->peer;
    if (src == MPI_ANY_SOURCE && c)
        src = group_rank_of_world(group_get(comm_peer_group(c)), src_world);
    r->status.MPI_SOURCE = src;
    r->status.MPI_TAG = tag;
    size_t got = length <= r->bytes ? (size_t)length : r->bytes;
    status_set_bytes(&r->status, got);
    if (length > r->bytes)
        r->status.MPI_ERROR = r->error = MPI_ERR_TRUNCATE;
}

static void put_data(struct mpi_request *r, uint64_t off, const void *p, size_t len)
{
    if (off >= r->bytes)
        return;
    if (off + len > r->bytes) /* truncated: the rest is dropped */
        len = (size_t)(r->bytes - off);
    if (r->contig)
        memcpy(r->data_ptr + off, p, len);
    else
        dtype_unpack(p, (size_t)off, len, r->buf, r->count, r->dt);
}

static void ack_sync(int src, uint64_t sreq)
{
    struct pkt_header ph = { 0 };
    ph.kind = PKT_SYNC_ACK;
    ph.sreq = sreq;
    send_packet(src, &ph, NULL);
}

/* A receive meets its message's envelope (eager data in hand, or RTS). */
static void deliver(struct mpi_request *r, int src, uint32_t kind, int tag, uint32_t flags, uint64_t length,
                    uint64_t sreq, uint64_t addr, const void *data)
{
    set_status(r, src, tag, length);
    if (kind == PKT_EAGER) {
        put_data(r, 0, data, (size_t)length);
        if (flags & PKT_F_SYNC)
            ack_sync(src, sreq);
        finish(r);
        return;
    }
    const struct transport *tr = transport_to(src);
    size_t want = length <= r->bytes ? (size_t)length : r->bytes;
    if ((flags & PKT_F_CONTIG) && r->contig && tr->pull && tr->pull(src, addr, r->data_ptr, want) == 0) {
        struct pkt_header ph = { 0 };
        ph.kind = PKT_FIN;
        ph.sreq = sreq;
        send_packet(src, &ph, NULL);
        finish(r);
        return;
    }
    r->state = ST_RECV_WAIT_DATA;
    r->done_bytes = 0;
    r->peer_req = length; /* total to expect, truncated or not */
    struct pkt_header ph = { 0 };
    ph.kind = PKT_CTS;
    ph.sreq = sreq;
    ph.rreq = request_wire_id(handle_of(r));
    send_packet(src, &ph, NULL);
}

int p2p_irecv(void *buf, int count, MPI_Datatype dt, int source, int tag, struct mpi_comm *comm,
              uint32_t context, MPI_Request *req)
{
    struct mpi_request *r;
    MPI_Request h = request_new(REQ_RECV, &r);
    if (h == MPI_REQUEST_NULL)
        return MPI_ERR_NO_MEM;
    *req = h;
    r->comm = MPI_COMM_NULL;
    r->peer = source;
    r->tag = tag;
    r->context = context;
    if (source == MPI_PROC_NULL) {
        r->status.MPI_SOURCE = MPI_PROC_NULL;
        r->status.MPI_TAG = MPI_ANY_TAG;
        status_set_bytes(&r->status, 0);
        finish(r);
        return MPI_SUCCESS;
    }
    int rc = prepare_buffer(r, buf, count, dt);
    if (rc) {
        request_free(h);
        *req = MPI_REQUEST_NULL;
        return rc;
    }
    r->comm = comm_handle_of(comm);
    r->peer_world = source == MPI_ANY_SOURCE ? -1 : comm_peer_world(comm, source);
    for (struct unexpected **pp = &unexp_head; *pp; pp = &(*pp)->next) {
        struct unexpected *u = *pp;
        if (!matches(r, u->src, u->tag, u->context))
            continue;
        *pp = u->next;
        if (!*pp)
            unexp_tail = pp;
        deliver(r, u->src, u->kind, u->tag, u->flags, u->length, u->sreq, u->addr, u->data);
        free(u->data);
        free(u);
        return MPI_SUCCESS;
    }
    r->state = ST_RECV_POSTED;
    r->next_in_queue = NULL;
    *posted_tail = r;
    posted_tail = &r->next_in_queue;
    return MPI_SUCCESS;
}

static void unpost(struct mpi_request *r)
{
    for (struct mpi_request **pp = &posted_head; *pp; pp = &(*pp)->next_in_queue)
        if (*pp == r) {
            *pp = r->next_in_queue;
            if (!*pp)
                posted_tail = pp;
            return;
        }
}

/* ------------------------------------------------------------- arrivals */

static struct mpi_request *request_of_wire(uint64_t id)
{
    return request_get((MPI_Request)(uint32_t)id);
}

void pkt_arrived(int src, const struct pkt_header *h, const void *payload)
{
    mpi_state.peers[src].recv_bytes += sizeof *h + h->payload;
    switch (h->kind) {
    case PKT_EAGER:
    case PKT_RTS: {
        for (struct mpi_request *r = posted_head; r; r = r->next_in_queue)
            if (matches(r, src, h->tag, h->context)) {
                unpost(r);
                deliver(r, src, h->kind, h->tag, h->flags, h->length, h->sreq, h->offset, payload);
                return;
            }
        struct unexpected *u = calloc(1, sizeof *u);
        if (!u)
            mpi_fatal(MPI_ERR_NO_MEM, "out of memory for an unexpected message from rank %d", src);
        u->src = src;
        u->tag = h->tag;
        u->context = h->context;
        u->kind = h->kind;
        u->flags = h->flags;
        u->length = h->length;
        u->sreq = h->sreq;
        u->addr = h->offset;
        if (h->kind == PKT_EAGER && h->payload) {
            u->data = malloc(h->payload);
            if (!u->data)
                mpi_fatal(MPI_ERR_NO_MEM, "out of memory for an unexpected message from rank %d", src);
            memcpy(u->data, payload, h->payload);
        }
        *unexp_tail = u;
        unexp_tail = &u->next;
        return;
    }
    case PKT_CTS: {
        struct mpi_request *r = request_of_wire(h->sreq);
        if (!r || r->state != ST_SEND_WAIT_CTS)
            mpi_fatal(MPI_ERR_INTERN, "rank %d answered a send this rank does not have", src);
        r->peer_req = h->rreq;
        r->sent = 0;
        r->state = ST_SEND_STREAMING;
        r->next_streaming = streaming;
        streaming = r;
        return;
    }
    case PKT_DATA: {
        struct mpi_request *r = request_of_wire(h->rreq);
        if (!r || r->state != ST_RECV_WAIT_DATA)
            mpi_fatal(MPI_ERR_INTERN, "rank %d sent data for a receive this rank does not have", src);
        put_data(r, h->offset, payload, h->payload);
        r->done_bytes += h->payload;
        if (r->done_bytes >= r->peer_req)
            finish(r);
        return;
    }
    case PKT_FIN:
    case PKT_SYNC_ACK: {
        struct mpi_request *r = request_of_wire(h->sreq);
        if (!r)
            mpi_fatal(MPI_ERR_INTERN, "rank %d completed a send this rank does not have", src);
        finish(r);
        return;
    }
    }
    mpi_fatal(MPI_ERR_INTERN, "a packet of unknown kind %u arrived from rank %d", h->kind, src);
}

/* ------------------------------------------------------------- probes, cancel */

int p2p_iprobe(int source, int tag, struct mpi_comm *comm, uint32_t context, int *flag, MPI_Status *status,
               MPI_Message *message)
{
    *flag = 0;
    if (source == MPI_PROC_NULL) {
        *flag = 1;
        if (status != MPI_STATUS_IGNORE) {
            status->MPI_SOURCE = MPI_PROC_NULL;
            status->MPI_TAG = MPI_ANY_TAG;
            status->MPI_ERROR = MPI_SUCCESS;
            status_set_bytes(status, 0);
        }
        if (message)
            *message = MPI_MESSAGE_NO_PROC;
        return MPI_SUCCESS;
    }
    progress_poll();
    struct mpi_request probe = { 0 };
    probe.context = context;
    probe.peer_world = source == MPI_ANY_SOURCE ? -1 : comm_peer_world(comm, source);
    probe.tag = tag;
    for (struct unexpected **pp = &unexp_head; *pp; pp = &(*pp)->next) {
        struct unexpected *u = *pp;
        if (!matches(&probe, u->src, u->tag, u->context))
            continue;
        *flag = 1;
        if (status != MPI_STATUS_IGNORE) {
            status->MPI_SOURCE = source == MPI_ANY_SOURCE ? group_rank_of_world(group_get(comm_peer_group(comm)), u->src) : source;
            status->MPI_TAG = u->tag;
            status->MPI_ERROR = MPI_SUCCESS;
            status_set_bytes(status, (size_t)u->length);
        }
        if (message) {
            /* The message leaves the queue: only MPI_Mrecv gets it now. */
            struct mpi_request *r;
            MPI_Request h = request_new(REQ_RECV, &r);
            if (h == MPI_REQUEST_NULL)
                return MPI_ERR_NO_MEM;
            *pp = u->next;
            if (!*pp)
                unexp_tail = pp;
            r->message = u;
            r->comm = comm_handle_of(comm);
            r->peer = source == MPI_ANY_SOURCE ? group_rank_of_world(group_get(comm_peer_group(comm)), u->src) : source;
            *message = h;
        }
        return MPI_SUCCESS;
    }
    return MPI_SUCCESS;
}

int p2p_imrecv(void *buf, int count, MPI_Datatype dt, MPI_Message *message, MPI_Request *req)
{
    if (*message == MPI_MESSAGE_NO_PROC) {
        *message = MPI_MESSAGE_NULL;
        return p2p_irecv(buf, count, dt, MPI_PROC_NULL, 0, NULL, 0, req);
    }
    struct mpi_request *r = request_get(*message);
    if (!r || !r->message)
        return MPI_ERR_REQUEST;
    struct unexpected *u = r->message;
    r->message = NULL;
    int rc = prepare_buffer(r, buf, count, dt);
    if (rc)
        return rc;
    r->tag = u->tag;
    r->peer_world = u->src;
    r->context = u->context;
    *req = *message;
    *message = MPI_MESSAGE_NULL;
    deliver(r, u->src, u->kind, u->tag, u->flags, u->length, u->sreq, u->addr, u->data);
    free(u->data);
    free(u);
    return MPI_SUCCESS;
}

int p2p_cancel(struct mpi_request *r)
{
    if (r->kind == REQ_RECV && r->state == ST_RECV_POSTED) {
        unpost(r);
        status_set_cancelled(&r->status, 1);
        r->cancelled = 1;
        finish(r);
    }
    /* A send is not cancelled: it completes normally (MPI allows this). */
    return MPI_SUCCESS;
}

/* ------------------------------------------------------------- blocking forms */

int p2p_wait(MPI_Request *req, MPI_Status *status)
{
    struct mpi_request *r = request_get(*req);
    if (!r)
        return MPI_ERR_REQUEST;
    progress_wait(&r->complete);
    int err = r->error;
    if (status != MPI_STATUS_IGNORE)
        *status = r->status;
    request_free(*req);
    *req = MPI_REQUEST_NULL;
    return err;
}

int p2p_waitall(int n, MPI_Request *reqs, MPI_Status *statuses)
{
    int err = MPI_SUCCESS;
    for (int i = 0; i < n; i++) {
        if (reqs[i] == MPI_REQUEST_NULL)
            continue;
        int rc = p2p_wait(&reqs[i], statuses == MPI_STATUSES_IGNORE ? MPI_STATUS_IGNORE : &statuses[i]);
        if (rc && !err)
            err = rc;
    }
    return err;
}

int p2p_send(const void *buf, int count, MPI_Datatype dt, int dest, int tag, struct mpi_comm *comm,
             uint32_t context)
{
    MPI_Request r;
    int rc = p2p_isend(buf, count, dt, dest, tag, comm, context, MODE_STANDARD, &r);
    return rc ? rc : p2p_wait(&r, MPI_STATUS_IGNORE);
}

int p2p_recv(void *buf, int count, MPI_Datatype dt, int source, int tag, struct mpi_comm *comm,
             uint32_t context, MPI_Status *status)
{
    MPI_Request r;
    int rc = p2p_irecv(buf, count, dt, source, tag, comm, context, &r);
    return rc ? rc : p2p_wait(&r, status);
}

int p2p_sendrecv(const void *sbuf, int scount, MPI_Datatype sdt, int dest, int stag, void *rbuf, int rcount,
                 MPI_Datatype rdt, int source, int rtag, struct mpi_comm *comm, uint32_t context,
                 MPI_Status *status)
{
    MPI_Request reqs[2];
    int rc = p2p_irecv(rbuf, rcount, rdt, source, rtag, comm, context, &reqs[0]);
    if (rc)
        return rc;
    rc = p2p_isend(sbuf, scount, sdt, dest, stag, comm, context, MODE_STANDARD, &reqs[1]);
    if (rc) {
        p2p_wait(&reqs[0], MPI_STATUS_IGNORE);
        return rc;
    }
    int rc1 = p2p_wait(&reqs[1], MPI_STATUS_IGNORE);
    int rc0 = p2p_wait(&reqs[0], status);
    return rc0 ? rc0 : rc1;
}
