/* init.c — MPI_Init and MPI_Finalize: the world from the runtime, the
 * transport to each peer, and the calls about the library itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mpi_impl.h"
#include "rank_client.h"

struct mpi_state mpi_state; /* the process's MPI state; the active thread's */

#define FINALIZE_TAG 2 /* on the world's collective context */

/* What each rank tells the others at start-up and after a checkpoint. */
struct proc_card {
    int32_t pid;
    int32_t node;
    int32_t local_rank;
    int32_t live;      /* its transports take part (0: it finalized) */
    int32_t restarted; /* brought back from an image: its node and local rank are stale */
    int32_t pad;
    uint64_t ns[3];    /* mount, pid and network namespaces: with the boot id, its host */
    char boot[40];     /* /proc/sys/kernel/random/boot_id */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int force_tcp(void)
{
    const char *t = getenv("CREST_MPI_TRANSPORT");
    return t && !strcmp(t, "tcp");
}

/* Which transports this rank uses: shared memory to the ranks of its host
 * (unless CREST_MPI_TRANSPORT=tcp), TCP to the others. */
static int use_shm(void) { return !force_tcp() && mpi_state.local_size > 1; }
static int use_tcp(void) { return force_tcp() || mpi_state.local_size < mpi_state.world_size; }

/* Which host this process is on, as far as shared memory and single copy
 * care: the same boot, the same /dev/shm, the same pids (and, like the
 * runtime's hosts, the same network namespace). */
static void host_identity(struct proc_card *c)
{
    static const char *const ns[3] = { "/proc/self/ns/mnt", "/proc/self/ns/pid", "/proc/self/ns/net" };
    for (int i = 0; i < 3; i++) {
        struct stat st;
        c->ns[i] = stat(ns[i], &st) ? 0 : (uint64_t)st.st_ino;
    }
    int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, c->boot, sizeof c->boot - 1);
        (void)n;
        close(fd);
    }
}

static int same_host(const struct proc_card *a, const struct proc_card *b)
{
    return !memcmp(a->ns, b->ns, sizeof a->ns) && !memcmp(a->boot, b->boot, sizeof a->boot);
}

/* After a checkpoint: the ranks still in MPI, grouped by host.  While no
 * rank was restarted the runtime's hosts stand (less the ranks that
 * finalized); after a restart, anywhere, the hosts are told apart by the
 * ranks themselves, and a host is named by its lowest world rank. */
static void regroup(const struct proc_card *cards)
{
    int n = mpi_state.world_size, byhost = 0;
    for (int w = 0; w < n; w++)
        byhost |= cards[w].live && cards[w].restarted;
    for (int w = 0; w < n; w++) {
        struct mpi_peer *p = &mpi_state.peers[w];
        p->node = -1;
        p->local_rank = -1;
        if (!cards[w].live)
            continue;
        int first = w, index = 0;
        for (int v = 0; v < n; v++) {
            if (v == w || !cards[v].live)
                continue;
            int same = byhost ? same_host(&cards[v], &cards[w]) : cards[v].node == cards[w].node;
            if (same && v < first)
                first = v;
            if (same && v < w)
                index++;
        }
        p->node = byhost ? first : cards[w].node;
        p->local_rank = index;
        p->pid = cards[w].pid;
    }
    struct mpi_peer *me = &mpi_state.peers[mpi_state.world_rank];
    mpi_state.node = me->node;
    mpi_state.local_rank = me->local_rank;
    mpi_state.local_size = 0;
    for (int w = 0; w < n; w++)
        mpi_state.local_size += mpi_state.peers[w].node == me->node;
}

int mpi_connect_world(int again)
{
    int n = mpi_state.world_size;
    int live = !again || (mpi_state.initialized && !mpi_state.finalized);
    if (!mpi_state.peers) {
        mpi_state.peers = calloc((size_t)n, sizeof *mpi_state.peers);
        if (!mpi_state.peers)
            mpi_fatal(MPI_ERR_NO_MEM, "out of memory for %d peers", n);
    }
    mpi_state.connects++;
    struct mpi_peer *me = &mpi_state.peers[mpi_state.world_rank];
    if (live) {
        if (again) {
            progress_forget_transports();
            gethostname(mpi_state.processor_name, sizeof mpi_state.processor_name - 1);
        }
        me->tr = &transport_self;
        me->pid = getpid();
        progress_use_transport(&transport_self);
    }
    if (n == 1)
        return MPI_SUCCESS;
    const char *when = again ? "reconnecting after a checkpoint" : "MPI_Init";
    struct proc_card card = { getpid(), mpi_state.node, mpi_state.local_rank, live, mpi_ckpt_restarted(), 0,
                              { 0 }, { 0 } };
    host_identity(&card);
    /* "proc" again after a checkpoint: the newest value of a key wins. */
    if (crest_rank_put("proc", &card, sizeof card))
        mpi_fatal(MPI_ERR_OTHER, "lost the connection to the runtime (crestd) in %s", when);
    struct proc_card *cards = calloc((size_t)n, sizeof *cards);
    if (!cards)
        mpi_fatal(MPI_ERR_NO_MEM, "out of memory for %d peers", n);
    int fences = again ? 2 : 1;
    for (int f = 0; f < fences; f++) {
        /* after a checkpoint, a first fence for the cards: the hosts (and
         * who makes each host's shared memory) may have changed */
        if (f == fences - 1 && live) {
            if (again)
                regroup(cards);
            me->node = mpi_state.node;
            me->local_rank = mpi_state.local_rank;
            if ((use_shm() && transport_shm.init(0)) || (use_tcp() && transport_tcp.init(0)))
                mpi_fatal(MPI_ERR_OTHER, "cannot set up the transports in %s", when);
        }
        if (crest_rank_fence())
            mpi_fatal(MPI_ERR_OTHER, "the exchange with the other ranks failed in %s (is the runtime gone?)", when);
        if (f == 0)
            for (int w = 0; w < n; w++) {
                size_t len;
                const struct proc_card *c = w == mpi_state.world_rank ? &card : crest_rank_get(w, "proc", &len);
                if (!c || (c != &card && len != sizeof *c))
                    mpi_fatal(MPI_ERR_OTHER, "rank %d did not publish itself in %s", w, when);
                cards[w] = *c;
            }
    }
    if (!live) {
        free(cards);
        return MPI_SUCCESS;
    }
    int shm = use_shm(), tcp = use_tcp();
    for (int w = 0; w < n; w++) {
        if (w == mpi_state.world_rank)
            continue;
        struct mpi_peer *p = &mpi_state.peers[w];
        p->pid = cards[w].pid;
        if (!again) {
            p->node = cards[w].node;
            p->local_rank = cards[w].local_rank;
        }
        p->tr = shm && p->node == mpi_state.node ? &transport_shm : &transport_tcp;
    }
    free(cards);
    if ((shm && transport_shm.init(1)) || (tcp && transport_tcp.init(1)))
        mpi_fatal(MPI_ERR_OTHER, "cannot connect the transports in %s", when);
    if (shm)
        progress_use_transport(&transport_shm);
    if (tcp)
        progress_use_transport(&transport_tcp);
    return MPI_SUCCESS;
}

void mpi_disconnect_transports(void)
{
    if (mpi_state.world_size == 1)
        return;
    if (use_shm())
        transport_shm.disconnect();
    if (use_tcp())
        transport_tcp.disconnect();
}

static int init(int required, int *provided)
{
    if (mpi_state.initialized)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_OTHER, "MPI_Init", "MPI_Init was already called");
    /* Under libcrest the start-up holds a critical section too: a
     * checkpoint waits until this rank is up and its callback registered. */
    mpi_ckpt_setup();
    MPI_SECTION();
    struct crest_rank_info info;
    crest_rank_init(&info); /* not under mpirun: a world of one */
    mpi_state.world_rank = info.rank;
    mpi_state.world_size = info.size;
    mpi_state.node = info.node;
    mpi_state.local_rank = info.local_rank;
    mpi_state.local_size = info.local_size;
    mpi_state.job = info.job;
    mpi_state.main_thread = pthread_self();
    mpi_state.wtime_base = now();
    gethostname(mpi_state.processor_name, sizeof mpi_state.processor_name - 1);
    /* Funneled or serialized calls are what the library supports: one
     * thread in MPI at a time. */
    mpi_state.thread_level = required < MPI_THREAD_SERIALIZED ? required : MPI_THREAD_SERIALIZED;
    if (mpi_state.thread_level < MPI_THREAD_SINGLE)
        mpi_state.thread_level = MPI_THREAD_SINGLE;
    if (provided)
        *provided = mpi_state.thread_level;
    mpi_connect_world(0);
    mpi_state.initialized = 1;
    comm_init_builtin();
    mpi_ckpt_ready();
    return MPI_SUCCESS;
}

int PMPI_Init(int *argc, char ***argv)
{
    return init(MPI_THREAD_SINGLE, NULL);
}
MPI_WEAK(MPI_Init);

int PMPI_Init_thread(int *argc, char ***argv, int required, int *provided)
{
    return init(required, provided);
}
MPI_WEAK(MPI_Init_thread);

int PMPI_Initialized(int *flag)
{
    *flag = mpi_state.initialized;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Initialized);

int PMPI_Finalized(int *flag)
{
    *flag = mpi_state.finalized;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Finalized);

int PMPI_Query_thread(int *provided)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Query_thread");
    *provided = mpi_state.thread_level;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Query_thread);

int PMPI_Is_thread_main(int *flag)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Is_thread_main");
    *flag = pthread_equal(pthread_self(), mpi_state.main_thread);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Is_thread_main);

/* Everyone reaches MPI_Finalize before anyone leaves: a rank must not exit
 * while a peer still reads from its memory or sends to it. */
static void finalize_barrier(void)
{
    struct mpi_comm *w = comm_get(MPI_COMM_WORLD);
    char token = 0;
    uint32_t ctx = w->context + 1;
    for (int dist = 1; dist < w->size; dist *= 2) {
        int to = (w->rank + dist) % w->size;
        int from = (w->rank - dist + w->size) % w->size;
        p2p_sendrecv(&token, 1, MPI_BYTE, to, FINALIZE_TAG, &token, 1, MPI_BYTE, from, FINALIZE_TAG, w, ctx,
                     MPI_STATUS_IGNORE);
    }
}

int PMPI_Finalize(void)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Finalize");
    attr_finalize();
    finalize_barrier();
    /* What the transports still hold goes out before they close. */
    for (int w = 0; w < mpi_state.world_size; w++)
        while (mpi_state.peers[w].tr->backlog(w))
            if (!progress_poll())
                progress_wait_briefly();
    if (mpi_state.world_size > 1) {
        if (use_shm())
            transport_shm.finalize();
        if (use_tcp())
            transport_tcp.finalize();
    }
    crest_rank_finalize();
    mpi_state.finalized = 1;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Finalize);

int PMPI_Abort(MPI_Comm comm, int errorcode)
{
    MPI_SECTION();
    char line[128];
    snprintf(line, sizeof line, "MPI_Abort(%s, %d)",
             comm == MPI_COMM_WORLD ? "MPI_COMM_WORLD" : comm == MPI_COMM_SELF ? "MPI_COMM_SELF" : "comm", errorcode);
    if (mpi_state.world_size <= 1 && !getenv("CREST_RT_FD"))
        _exit(errorcode);
    crest_rank_abort(errorcode, "");
    /* The runtime ends every rank, this one too; do not go on meanwhile. */
    for (int i = 0; i < 100; i++)
        usleep(100000);
    (void)line;
    _exit(errorcode);
}
MPI_WEAK(MPI_Abort);

double PMPI_Wtime(void)
{
    return now() - mpi_state.wtime_base;
}
MPI_WEAK(MPI_Wtime);

double PMPI_Wtick(void)
{
    struct timespec ts;
    clock_getres(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
MPI_WEAK(MPI_Wtick);

int PMPI_Get_version(int *version, int *subversion)
{
    *version = MPI_VERSION;
    *subversion = MPI_SUBVERSION;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Get_version);

int PMPI_Get_library_version(char *version, int *resultlen)
{
    int n = snprintf(version, MPI_MAX_LIBRARY_VERSION_STRING,
                     "crest MPI 0.1 (MPI %d.%d, MPICH ABI; checkpointable with crest)", MPI_VERSION, MPI_SUBVERSION);
    *resultlen = n;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Get_library_version);

int PMPI_Get_processor_name(char *name, int *resultlen)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Get_processor_name");
    int n = snprintf(name, MPI_MAX_PROCESSOR_NAME, "%s", mpi_state.processor_name);
    *resultlen = n < MPI_MAX_PROCESSOR_NAME ? n : MPI_MAX_PROCESSOR_NAME - 1;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Get_processor_name);

int PMPI_Alloc_mem(MPI_Aint size, MPI_Info info, void *baseptr)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Alloc_mem");
    if (size < 0)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, "MPI_Alloc_mem", "size %ld is negative", (long)size);
    void *p = malloc(size ? (size_t)size : 1);
    if (!p)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, "MPI_Alloc_mem", "cannot allocate %ld bytes", (long)size);
    *(void **)baseptr = p;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Alloc_mem);

int PMPI_Free_mem(void *base)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Free_mem");
    free(base);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Free_mem);

int MPIR_Dup_fn(MPI_Comm comm, int keyval, void *extra_state, void *value_in, void *value_out, int *flag)
{
    *(void **)value_out = value_in;
    *flag = 1;
    return MPI_SUCCESS;
}
