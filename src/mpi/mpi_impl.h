/* mpi_impl.h — the inside of crest's MPI library: its objects, and the
 * interfaces between its parts.
 *
 *   api_*.c       the MPI functions (argument checks, then the parts below)
 *   init.c        MPI_Init/Finalize, the world, the runtime connection
 *   error.c       error classes, strings, handlers
 *   comm.c        communicators, context ids, groups (group.c)
 *   intercomm.c   intercommunicators (their collectives: coll_inter.c)
 *   request.c     the request table
 *   p2p.c         point-to-point: matching, eager and rendezvous protocols
 *   progress.c    the progress engine: polling transports, waiting politely
 *   transport_self.c, transport_shm.c, transport_tcp.c
 *   datatype.c, dtype_pack.c   derived datatypes, packing
 *   op.c          reduction operations
 *   coll_*.c      collectives, built on the internal point-to-point calls
 *   nbc_sched.c, api_nbc.c   nonblocking collectives (schedules)
 *   persist.c     persistent requests
 *   quiesce.c     the one entry point for checkpointing: drain, close, reconnect
 *   checkpoint.c  libcrest, found at run time: sections, its callback
 *
 * Every MPI object is an integer handle with MPICH's encoding (see
 * HANDLE_* below) that indexes a table in this process: no pointer ever
 * leaves the library, so a restarted process needs no fix-ups.
 *
 * Threads: the library supports MPI_THREAD_SERIALIZED; all state below
 * is touched by one thread at a time, as the application promises. */
#ifndef CREST_MPI_IMPL_H
#define CREST_MPI_IMPL_H

#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mpi.h"

/* ------------------------------------------------------------------ handles
 * bits 31-30: kind (1 built in, 2 made at run time), bits 29-26: object
 * type, bits 25-0: index (built-in datatypes keep MPICH's size byte in
 * bits 15-8). */
#define HANDLE_KIND(h) (((unsigned)(h) >> 30) & 3u)
#define HANDLE_BUILTIN 1u
#define HANDLE_DYNAMIC 2u
#define HANDLE_TYPE(h) (((unsigned)(h) >> 26) & 0xfu)
#define HANDLE_INDEX(h) ((unsigned)(h) & 0x03ffffffu)
enum handle_type {
    HT_COMM = 0x1, HT_GROUP = 0x2, HT_DATATYPE = 0x3, HT_FILE = 0x4, HT_ERRHANDLER = 0x5,
    HT_OP = 0x6, HT_INFO = 0x7, HT_WIN = 0x8, HT_KEYVAL = 0x9, HT_ATTR = 0xa, HT_REQUEST = 0xb,
};
#define MAKE_HANDLE(type, index) ((int)((HANDLE_DYNAMIC << 30) | ((unsigned)(type) << 26) | (unsigned)(index)))

/* Exported functions: PMPI_x is the definition, MPI_x a weak alias that a
 * profiling library may replace.  Inside the library, call PMPI_x or the
 * internal functions, never MPI_x. */
#define MPI_WEAK(name) extern __typeof__(P##name) name __attribute__((weak, alias("P" #name)))

/* ------------------------------------------------------------------ errors (error.c) */

/* Reports an error of a call on comm (MPI_COMM_NULL: the world's handler,
 * i.e. the error handler of MPI_COMM_WORLD, as MPI says for calls with no
 * communicator): calls its error handler and returns the code for the
 * function to return.  fmt describes what was wrong, in one line:
 *     return mpi_error(comm, MPI_ERR_RANK, "MPI_Send", "rank %d is not in the communicator (size %d)", r, n); */
int mpi_error(MPI_Comm comm, int code, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Ends the whole job with one line on stderr (through the runtime). */
void mpi_fatal(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Every MPI function but the few allowed before MPI_Init starts with this. */
#define MPI_CHECK_INIT(func)                                                                        \
    do {                                                                                            \
        if (!mpi_state.initialized || mpi_state.finalized)                                          \
            mpi_fatal(MPI_ERR_OTHER, "%s called %s MPI_Init", func,                                 \
                      mpi_state.finalized ? "after MPI_Finalize, not before" : "before");           \
    } while (0)

/* ------------------------------------------------------------------ groups (group.c) */

struct mpi_group {
    int refs;            /* 0: slot free */
    int size;
    int *world;          /* world rank of each member, in group order */
};
struct mpi_group *group_get(MPI_Group h);            /* NULL if not a valid group */
MPI_Group group_new(int size, const int *world);     /* refs 1; MPI_GROUP_NULL on failure */
void group_ref(MPI_Group h);
void group_unref(MPI_Group h);
int group_rank_of_world(const struct mpi_group *g, int world_rank); /* MPI_UNDEFINED if absent */

/* ------------------------------------------------------------------ communicators (comm.c) */

struct mpi_comm {
    int in_use;
    MPI_Comm handle;      /* its own handle */
    uint32_t context;     /* point-to-point traffic; collectives use context + 1 */
    MPI_Group group;      /* local group */
    MPI_Group remote;     /* intercommunicators: the remote group, else MPI_GROUP_NULL */
    int rank, size;       /* in the local group */
    const int *world;     /* = group's world ranks (rank r of comm is world[r]) */
    MPI_Errhandler errhandler;
    char name[MPI_MAX_OBJECT_NAME];
    void *attrs;          /* attribute list (attr.c) */
    void *topo;           /* topology (topo.c), NULL if none */
    uint32_t coll_seq;    /* collectives started on it, for tags of nonblocking ones */
    int node_leader;      /* hierarchy for collectives: filled by comm_hier_setup */
    MPI_Comm local_comm;  /* intercommunicators: a hidden intracommunicator over the local group
                           * (their collectives run on it); meaningless otherwise */
};
struct mpi_comm *comm_get(MPI_Comm h);                 /* NULL if not a valid communicator */
/* A new intracommunicator over group (which it takes a reference of), with
 * a context id all members agreed on. */
MPI_Comm comm_create_from_group(MPI_Group group, uint32_t context, MPI_Errhandler eh);
/* Agrees on a fresh context id among the members of parent (collective). */
int comm_alloc_context(struct mpi_comm *parent, uint32_t *context);
void comm_release_context(uint32_t context);
void comm_init_builtin(void); /* MPI_Init: the world and self */
/* Topologies (topo.c): MPI_Comm_dup gives the copy the topology of the
 * original (shared, counted), MPI_Comm_free drops its reference. */
void topo_comm_dup(const struct mpi_comm *from, struct mpi_comm *to);
void topo_comm_free(struct mpi_comm *c);

/* ------------------------------------------------------------------ attributes (attr.c)
 * Hooks of the calls that copy or free objects with attributes: MPI_SUCCESS
 * or the error to return (a callback failed; nothing was changed). */
int attr_comm_dup(MPI_Comm oldcomm, MPI_Comm newcomm); /* copy callbacks, after the new one exists */
int attr_comm_free(MPI_Comm comm);                     /* delete callbacks, before it is freed */
int attr_type_dup(MPI_Datatype oldtype, MPI_Datatype newtype);
int attr_type_free(MPI_Datatype type);
void attr_finalize(void);                              /* MPI_Finalize: MPI_COMM_SELF's attributes */

/* Context ids agreed between two groups (intercommunicators): each group
 * ANDs its members' free ids (comm_free_mask, collective over c), the
 * leaders AND the two masks and give the result to their groups; then every
 * process claims the same n lowest ids of it (comm_claim_contexts). */
#define CONTEXT_MASK_WORDS 64
int comm_free_mask(struct mpi_comm *c, uint64_t mask[CONTEXT_MASK_WORDS]);
int comm_claim_contexts(const uint64_t mask[CONTEXT_MASK_WORDS], int n, uint32_t *contexts);

/* Point-to-point ranks name processes of the remote group on an
 * intercommunicator, of the group itself on an intracommunicator. */
static inline MPI_Group comm_peer_group(const struct mpi_comm *c)
{
    return c->remote != MPI_GROUP_NULL ? c->remote : c->group;
}
static inline int comm_peer_world(const struct mpi_comm *c, int rank)
{
    return c->remote != MPI_GROUP_NULL ? group_get(c->remote)->world[rank] : c->world[rank];
}
static inline int comm_peer_size(const struct mpi_comm *c)
{
    return c->remote != MPI_GROUP_NULL ? group_get(c->remote)->size : c->size;
}

/* ------------------------------------------------------------------ intercommunicators (intercomm.c)
 * What comm.c's functions do when given an intercommunicator: return an
 * error class (no error handler called). */
int intercomm_dup(struct mpi_comm *c, MPI_Comm *newcomm);
int intercomm_split(struct mpi_comm *c, int color, int key, MPI_Comm *newcomm);
int intercomm_create_sub(struct mpi_comm *c, MPI_Group group, MPI_Comm *newcomm);
int intercomm_compare(struct mpi_comm *a, struct mpi_comm *b); /* MPI_IDENT ... MPI_UNEQUAL */
void intercomm_release(struct mpi_comm *c); /* MPI_Comm_free: the hidden local communicator */

/* ------------------------------------------------------------------ datatypes (datatype.c, dtype_pack.c) */

struct mpi_dtype;
/* The datatype behind a handle, built in or derived; NULL if h is not one. */
const struct mpi_dtype *dtype_get(MPI_Datatype h);
int dtype_is_committed(const struct mpi_dtype *t);   /* built-in types are */
size_t dtype_size(const struct mpi_dtype *t);        /* bytes of data in one element */
MPI_Aint dtype_extent(const struct mpi_dtype *t);
MPI_Aint dtype_lb(const struct mpi_dtype *t);
MPI_Aint dtype_true_lb(const struct mpi_dtype *t);
MPI_Aint dtype_true_extent(const struct mpi_dtype *t);
/* 1 when count elements at buf are one contiguous run of count*size bytes
 * starting at buf + true_lb: then no packing is needed. */
int dtype_is_contiguous(const struct mpi_dtype *t);
/* The basic type all of t's data is made of (for reductions), or
 * MPI_DATATYPE_NULL when t mixes types.  Pair types count as basic. */
MPI_Datatype dtype_basic(const struct mpi_dtype *t);
/* Copies bytes [offset, offset+len) of the packed stream of count elements
 * of t at buf into out (pack) or from in into buf (unpack).  Streams may be
 * processed in any order of pieces. */
void dtype_pack(const void *buf, int count, const struct mpi_dtype *t, size_t offset, void *out, size_t len);
void dtype_unpack(const void *in, size_t offset, size_t len, void *buf, int count, const struct mpi_dtype *t);
/* Number of basic elements in the first `bytes` bytes of the packed stream
 * of t (MPI_Get_elements), or MPI_UNDEFINED when bytes ends inside one. */
MPI_Count dtype_elements(const struct mpi_dtype *t, size_t bytes);
/* A pending operation holds the datatype it uses: MPI_Type_free while it
 * is in flight must not destroy it. */
void dtype_ref(MPI_Datatype h);
void dtype_unref(MPI_Datatype h);
/* Copies count elements of stype at src to rcount of rtype at dst (same
 * type signature assumed; used by collectives' local copies). */
int dtype_copy(const void *src, int scount, const struct mpi_dtype *stype, void *dst, int rcount,
               const struct mpi_dtype *rtype);

/* ------------------------------------------------------------------ reductions (op.c) */

/* inout[i] = in[i] op inout[i] for count elements of datatype (a built-in
 * or derived type made of one basic type).  MPI_SUCCESS or MPI_ERR_OP
 * (op not defined for the type). */
int op_apply(MPI_Op op, const void *in, void *inout, int count, MPI_Datatype datatype);
int op_is_valid(MPI_Op op);
int op_is_commutative(MPI_Op op);

/* ------------------------------------------------------------------ requests (request.c) */

enum req_kind { REQ_SEND, REQ_RECV, REQ_PERSISTENT_SEND, REQ_PERSISTENT_RECV, REQ_COLL, REQ_GREQ };
enum send_mode { MODE_STANDARD, MODE_SYNC, MODE_BUFFERED, MODE_READY };

struct mpi_request {
    int in_use;
    MPI_Request handle;    /* its own handle */
    enum req_kind kind;
    int complete;          /* set by the engine when done */
    int freed;             /* MPI_Request_free before completion: recycle when done */
    int cancelled;
    MPI_Status status;     /* filled at completion (receives) */
    /* the operation */
    MPI_Comm comm;
    uint32_t context;
    void *buf;
    int count;
    MPI_Datatype datatype;
    int peer;              /* rank in comm (receives: MPI_ANY_SOURCE possible) */
    int peer_world;        /* world rank, -1 for ANY_SOURCE */
    int tag;
    enum send_mode mode;
    size_t bytes;          /* packed length (send) or capacity (receive) */
    /* engine state (p2p.c) */
    int state;
    size_t done_bytes;
    void *tmp;             /* packed copy (send of non-contiguous data, Bsend) */
    uint64_t peer_req;     /* the other side's request id in rendezvous */
    struct mpi_request *next_in_queue;
    int error;
    int persistent_active;
    MPI_Request inner;     /* persistent, started: the operation it runs (persist.c) */
    /* nonblocking collectives (nbc_sched.c) */
    void *sched;
    /* engine details (p2p.c) */
    const struct mpi_dtype *dt;
    int contig;            /* data is one run at data_ptr */
    char *data_ptr;        /* buf + true_lb when contig */
    uint64_t sent;         /* streaming: bytes handed to the transport */
    void *bsend_space;     /* MPI_Bsend: the attached-buffer space to give back */
    void *message;         /* MPI_Mprobe: the matched message */
    struct mpi_request *next_streaming;
};
MPI_Request request_new(enum req_kind kind, struct mpi_request **out);
struct mpi_request *request_get(MPI_Request h);     /* NULL if not valid */
void request_free(MPI_Request h);
/* An id that names a request on the wire (the handle itself). */
static inline uint64_t request_wire_id(MPI_Request h) { return (uint32_t)h; }

/* Persistent requests (persist.c).  An inactive one (never started, or
 * completed and retired) is complete with an empty status; the wait and
 * test calls take its status and call persist_retire instead of freeing
 * it, and skip inactive ones where the standard treats them as null. */
static inline int request_is_persistent(const struct mpi_request *r)
{
    return r->kind == REQ_PERSISTENT_SEND || r->kind == REQ_PERSISTENT_RECV;
}
static inline int request_is_inactive(const struct mpi_request *r)
{
    return request_is_persistent(r) && !r->persistent_active;
}
void persist_retire(struct mpi_request *r);
/* The operation a started persistent request runs (NULL if none). */
struct mpi_request *persist_inner(struct mpi_request *r);

/* ------------------------------------------------------------------ point-to-point (p2p.c)
 * The internal calls the MPI functions and the collectives use.  ranks are
 * ranks in comm; context is comm's context (collectives pass context + 1).
 * They return MPI_SUCCESS or an error class, never call error handlers. */
int p2p_isend(const void *buf, int count, MPI_Datatype dt, int dest, int tag, struct mpi_comm *comm,
              uint32_t context, enum send_mode mode, MPI_Request *req);
int p2p_irecv(void *buf, int count, MPI_Datatype dt, int source, int tag, struct mpi_comm *comm,
              uint32_t context, MPI_Request *req);
/* Blocking forms (collectives use them). */
int p2p_send(const void *buf, int count, MPI_Datatype dt, int dest, int tag, struct mpi_comm *comm,
             uint32_t context);
int p2p_recv(void *buf, int count, MPI_Datatype dt, int source, int tag, struct mpi_comm *comm,
             uint32_t context, MPI_Status *status);
int p2p_sendrecv(const void *sbuf, int scount, MPI_Datatype sdt, int dest, int stag, void *rbuf, int rcount,
                 MPI_Datatype rdt, int source, int rtag, struct mpi_comm *comm, uint32_t context,
                 MPI_Status *status);
/* Waits for one request (status may be MPI_STATUS_IGNORE); frees it unless persistent. */
int p2p_wait(MPI_Request *req, MPI_Status *status);
int p2p_waitall(int n, MPI_Request *reqs, MPI_Status *statuses);
/* Probe: finds a matching message not yet received. */
int p2p_iprobe(int source, int tag, struct mpi_comm *comm, uint32_t context, int *flag, MPI_Status *status,
               MPI_Message *message /* NULL: plain probe */);
int p2p_cancel(struct mpi_request *r);
/* Matched probe: receives the message behind an MPI_Message. */
int p2p_imrecv(void *buf, int count, MPI_Datatype dt, MPI_Message *message, MPI_Request *req);
/* Pushes pieces of large sends on; called by progress_poll. */
int p2p_progress(void);
/* MPI_Buffer_attach/detach space for MPI_Bsend (bsend.c). */
void *bsend_alloc(size_t len);
void bsend_release(void *p);
/* Tag values the collectives use on their own context (user tags never
 * reach it). */
#define COLL_TAG_BASE 0x10000

/* ------------------------------------------------------------------ the wire
 * Every packet a transport carries starts with this header. */
enum pkt_kind {
    PKT_EAGER = 1, /* envelope + the whole message */
    PKT_RTS,       /* envelope of a large message: the receiver asks for it when matched */
    PKT_CTS,       /* receiver -> sender: matched, send the data (rreq names the receive) */
    PKT_DATA,      /* a piece of a large message, at `offset` */
    PKT_FIN,       /* receiver -> sender: pulled the data itself (single copy); done */
    PKT_SYNC_ACK,  /* receiver -> sender of a synchronous eager send: matched */
    PKT_CONTROL,   /* transport or checkpoint control (quiesce.c) */
};
struct pkt_header {
    uint32_t kind;
    int32_t src;        /* world rank of the sender */
    int32_t tag;
    uint32_t context;
    uint64_t length;    /* bytes of the whole message */
    uint64_t sreq;      /* sender's request id */
    uint64_t rreq;      /* receiver's request id (CTS, DATA) */
    uint64_t offset;    /* DATA: where this piece goes; RTS: sender's buffer address (0: none) */
    uint32_t flags;     /* PKT_F_* */
    uint32_t payload;   /* bytes following this header in the packet */
};
#define PKT_F_SYNC 1u    /* the sender wants PKT_SYNC_ACK when matched */
#define PKT_F_CONTIG 2u  /* RTS: offset is the address of contiguous data (single copy possible) */

/* ------------------------------------------------------------------ transports
 * A transport moves packets between this process and a set of peers, in
 * order per peer.  send never blocks: what the peer cannot take yet is
 * queued.  progress delivers every complete packet that arrived by calling
 * pkt_arrived, and pushes queued sends on. */
struct transport {
    const char *name;
    /* Called in MPI_Init: phase 0 before the world's key/value fence (set
     * up, publish addresses with crest_rank_put), phase 1 after it (every
     * peer's addresses are known; mpi_state.peers is filled). */
    int (*init)(int phase);
    /* header + payload (payload may be NULL when h->payload == 0) */
    int (*send)(int peer_world, const struct pkt_header *h, const void *payload);
    /* Returns the number of packets delivered (0 if none). */
    int (*progress)(void);
    /* 1 when sends to peer are still queued in the transport. */
    int (*backlog)(int peer_world);
    /* Largest payload of one packet; the engine cuts larger data. */
    size_t max_payload;
    /* Data of at most this size goes eagerly. */
    size_t eager_limit;
    /* Single copy: reads len bytes at address addr of peer's memory into
     * dst; 0, or -1 when not possible (the engine then asks for DATA). */
    int (*pull)(int peer_world, uint64_t addr, void *dst, size_t len);
    /* For waiting (progress.c), one of the two, the other NULL:
     * poll_fds fills up to max descriptors to poll for incoming data and
     * returns how many; sleep blocks until a packet may have arrived for
     * this process, at most timeout_ms. */
    int (*poll_fds)(struct pollfd *fds, int max);
    void (*sleep)(int timeout_ms);
    void (*finalize)(void);
    /* checkpoint support (quiesce.c): close every connection / rebuild them */
    void (*disconnect)(void);
    int (*reconnect)(void);
};
extern const struct transport transport_self, transport_shm, transport_tcp;
/* The engine's callback for every arriving packet. */
void pkt_arrived(int peer_world, const struct pkt_header *h, const void *payload);

/* ------------------------------------------------------------------ progress (progress.c) */

/* Polls every transport once; returns the packets delivered. */
int progress_poll(void);
/* Makes progress until *flag becomes nonzero (spins a little, then yields,
 * then sleeps in poll/futex so that oversubscribed ranks share cores). */
void progress_wait(volatile int *flag);
/* One idle step of a wait on a condition the caller checks itself (probe,
 * waitany): yields or sleeps briefly like progress_wait would. */
void progress_wait_briefly(void);
/* Registers a nonblocking operation that needs to be advanced from the
 * progress loop (collective schedules). */
void progress_register(int (*step)(void *), void *arg);
/* MPI_Init: a transport some peer is reached by. */
void progress_use_transport(const struct transport *t);
/* Reconnecting after a checkpoint: the transports are chosen again. */
void progress_forget_transports(void);

/* ------------------------------------------------------------------ checkpointing (quiesce.c)
 * mpi_quiesce: drain every channel (collective over the world; the
 * application's threads are held outside the library).  mpi_disconnect:
 * close the transports.  mpi_reconnect: connect again through the runtime
 * (after a continue, or a restart anywhere) and send what was held back. */
int mpi_quiesce(void);
void mpi_disconnect(void);
int mpi_reconnect(void);
extern int quiesce_active;
int quiesce_hold(int peer, const struct pkt_header *h, const void *payload);

/* ------------------------------------------------------------------ the process (init.c) */

struct mpi_peer {
    const struct transport *tr;  /* how to reach this world rank */
    int node;                    /* its host (daemon index) */
    int local_rank;              /* among the ranks of its host */
    pid_t pid;
    uint64_t sent_bytes, recv_bytes; /* on the wire, for the checkpoint's drain */
};

struct mpi_state {
    int initialized, finalized;
    int thread_level;
    int world_rank, world_size;
    int node, local_rank, local_size;
    unsigned job;
    struct mpi_peer *peers;      /* by world rank */
    char processor_name[MPI_MAX_PROCESSOR_NAME];
    double wtime_base;
    pthread_t main_thread;
    int sections;                /* libcrest is active: MPI calls mark themselves inside */
    unsigned connects;           /* connect_world calls so far, the same count on every rank */
};
extern struct mpi_state mpi_state;
/* Learns where every peer is and connects the transports (MPI_Init, and
 * again after a checkpoint with again = 1). */
int mpi_connect_world(int again);
void mpi_disconnect_transports(void);

/* ------------------------------------------------------------------ sections (checkpoint.c)
 * When libcrest is in the process, a thread inside an MPI function is
 * marked inside the library, and a checkpoint's callback (quiesce.c) waits
 * until none is, so that it finds the library's state to itself.  Every exported MPI function starts
 * with MPI_SECTION(); the section is left on every return.  Waits open a
 * window at a safe point of every round (mpi_window) and around every
 * blocking system call (mpi_block_begin/end): a checkpoint runs there, and
 * the wait re-checks its condition afterwards.  Without libcrest each
 * costs one predictable branch (mpi_state.sections is 0).
 * Weak: the unit harnesses compile parts of the library without
 * checkpoint.c (they leave mpi_state.sections at 0). */
void mpi_section_enter(void) __attribute__((weak));
void mpi_section_leave(void) __attribute__((weak));
void mpi_window_slow(void) __attribute__((weak));
/* 1 when the calling thread left its section (then pass it to _end). */
int mpi_block_begin(void) __attribute__((weak));
void mpi_block_end(int left) __attribute__((weak));

static inline int mpi_section_begin_(void)
{
    if (__builtin_expect(mpi_state.sections, 0)) {
        mpi_section_enter();
        return 1;
    }
    return 0;
}
static inline void mpi_section_end_(int *held)
{
    if (__builtin_expect(*held, 0))
        mpi_section_leave();
}
#define MPI_SECTION() \
    int mpi_section_held_ __attribute__((cleanup(mpi_section_end_), unused)) = mpi_section_begin_()
static inline void mpi_window(void)
{
    if (__builtin_expect(mpi_state.sections, 0))
        mpi_window_slow();
}

/* MPI_Init: finds libcrest (mpi_state.sections = 1 when it is active). */
void mpi_ckpt_setup(void);
/* End of MPI_Init: registers the checkpoint callback, tells the runtime. */
void mpi_ckpt_ready(void);
/* 1 when this process was ever restarted from an image. */
int mpi_ckpt_restarted(void);

/* The runtime's key/value exchange: crest_rank_put/fence/get of
 * src/runtime/rank_client.h. */

#endif
