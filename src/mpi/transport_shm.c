/* transport_shm.c — packets between the ranks of one host through shared
 * memory, and single-copy reads of a sibling's memory for large messages.
 *
 * One file in /dev/shm per host and job holds a ring for every ordered
 * pair of local ranks (shm_ring.h: lock-free, single producer, single
 * consumer), plus a line per rank for waking it.  Local rank 0 creates the
 * file under a fresh random name (O_EXCL: a name left by a crashed job, or
 * used by a job of another runtime with the same job id, is never reused)
 * and publishes the name; the others map it after the fence, and the last
 * one to map it unlinks it, so nothing is left in /dev/shm once a job is
 * up, whatever happens to it later (a rank that tears down unlinks the
 * name too, for the case of a rank that died before mapping it).
 *
 * Layout (offsets fixed by the local size L and the ring size R):
 *     page 0      struct seg_header
 *     rank ctl    L lines: each rank's doorbell and sleeping flag
 *     senders     for each rank, a bitmap of the local ranks that ever sent
 *                 to it: progress and sleep look at those rings only, and
 *                 the rings of pairs that never talk are never touched (the
 *                 file is sparse: untouched pages cost no memory)
 *     ring ctl    L*L struct ring_ctl, ring (s -> r) at index r*L + s
 *     data        L*L rings of R bytes, same order
 * R: 256 KiB for up to 4 local ranks, 64 KiB up to 16, 16 KiB beyond
 * (CREST_SHM_RING_KB, a power of two from 4 to 16384, overrides it); the
 * file is at most L*L*R plus a few pages: 4 MiB for 4 ranks, 16 MiB for
 * 16, 64 MiB for 64.  A record carries up to R/4 bytes of payload; a
 * larger packet goes as consecutive pieces that the receiver puts back
 * together in private memory, so max_payload and eager_limit do not depend
 * on R (with R >= 256 KiB no packet the engine makes is cut).
 *
 * max_payload, 64 KiB: the engine's DATA pieces (rendezvous without single
 * copy), a quarter of the largest ring so that a few are in flight.
 * eager_limit, 16 KiB: up to there two copies through a ring beat a pull
 * (a system call, and a FIN packet back); at 32 KiB the pull wins (unit_shm
 * bench messages shows both).
 *
 * Waking a sleeping rank (the lost-wakeup argument).  The sleeper reads its
 * doorbell, sets `sleeping`, issues a full fence, looks at its rings once
 * more, and only then waits on the doorbell with FUTEX_WAIT(value read).
 * A sender publishes its record, issues a full fence, and reads `sleeping`;
 * if set, it bumps the doorbell and calls FUTEX_WAKE.  With both fences
 * sequentially consistent, either the sleeper sees the record (and does
 * not wait) or the sender sees the flag; in that case the sender's bump
 * comes after the sleeper's read of the doorbell (that read is ordered
 * before the flag's release store the sender acquired), so FUTEX_WAIT
 * either fails on the changed value or is woken.  A sender that finds no
 * flag pays one fence and one read of a line that stays in its cache.
 * The same pattern wakes a producer whose packets wait for room: it sets
 * the ring's need_space when it queues a packet, and tries its queues again
 * after raising its flag; a consumer that frees room fences, then checks
 * need_space and the producer's flag.
 *
 * Single copy: pull reads the sender's buffer with process_vm_readv.  With
 * Yama's ptrace_scope=1 that needs the reader to be allowed as a tracer:
 * ranks are siblings, not ancestors, so each rank declares any process of
 * its user a permitted tracer (PR_SET_PTRACER_ANY).  That only lifts Yama's
 * extra restriction back to the classic same-user rule; with scope 2 or 3,
 * or under a seccomp/LSM policy that denies it, pull reports -1 (once, then
 * fast) and the engine sends the data through the rings instead. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "mpi_impl.h"
#include "rank_client.h"
#include "shm_ring.h"

#define SEG_MAGIC 0x3167736d68737263ull /* "crshmsg1" */
#define SEG_PAGE 4096u
#define SEG_KEY "mpi.shm"                /* the segment's name, put by local rank 0 */
#define DRAIN_MAX 256                    /* records taken from one ring per progress call */

struct seg_header {
    uint64_t magic;
    uint32_t local_size, pad;
    uint64_t ring_size, size;
    _Alignas(64) _Atomic uint32_t attached; /* ranks that mapped it: the last one unlinks it */
};

struct rank_ctl {
    _Alignas(64) _Atomic uint32_t doorbell; /* futex word: bumped to wake the rank */
    _Atomic uint32_t sleeping;              /* the rank is in (or entering) FUTEX_WAIT */
};

struct layout {
    size_t rank_ctl, senders, senders_stride, ring_ctl, data, size;
};

/* A packet waiting for room, in private memory. */
struct pend {
    struct pend *next;
    struct pkt_header h;
    size_t done; /* payload bytes already in the ring (a packet sent in pieces) */
    size_t from; /* the payload byte data[0] is */
    char data[];
};

/* One local rank, by local rank. */
struct lpeer {
    int world;
    int announced; /* our bit is set in its senders bitmap */
    struct ring_tx tx;
    struct ring_rx rx;
    struct pend *qhead, *qtail;
    /* a packet arriving in pieces */
    struct pkt_header asm_h;
    char *asm_buf;
    size_t asm_cap, asm_got;
};

/* The transport's state.  Owned by the thread inside the library (the
 * library is MPI_THREAD_SERIALIZED at most). */
static struct {
    char *base;               /* the mapped segment, NULL when not connected */
    size_t size;
    int L, me;                /* local size, local rank */
    size_t chunk;             /* most payload bytes in one record: R/4 */
    struct rank_ctl *ctl;     /* by local rank */
    _Atomic uint64_t *senders_base;
    size_t senders_stride;
    _Atomic uint64_t *senders; /* our bitmap */
    int nwords;
    struct lpeer *lp;         /* by local rank */
    int *backlogged;          /* local ranks with packets in their queue */
    int nbacklogged;
    char name[160];
    unsigned gen;             /* bumped by every set-up and tear-down */
    int busy;                 /* inside progress: no re-entry */
    int pull_denied;
} shm;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "crest MPI: shared memory: %s\n", msg);
    return -1;
}

/* ------------------------------------------------------------------ waking */

static void ring_doorbell(struct rank_ctl *c)
{
    atomic_fetch_add_explicit(&c->doorbell, 1, memory_order_release);
    syscall(SYS_futex, &c->doorbell, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* After publishing records to local rank lr. */
static inline void wake(int lr)
{
    atomic_thread_fence(memory_order_seq_cst);
    struct rank_ctl *c = &shm.ctl[lr];
    if (atomic_load_explicit(&c->sleeping, memory_order_acquire))
        ring_doorbell(c);
}

/* ------------------------------------------------------------------ sending */

/* Puts what it can of packet h into p's ring: *done payload bytes are
 * already in, `rest` points at the next one.  1 when the whole packet is
 * in, 0 when the ring is full. */
static int put_packet(struct lpeer *p, const struct pkt_header *h, const char *rest, size_t *done)
{
    size_t n = h->payload, len, skip;
    char *rec;
    if (!p->announced) {
        _Atomic uint64_t *bits = (_Atomic uint64_t *)((char *)shm.senders_base +
                                                       (size_t)(p - shm.lp) * shm.senders_stride);
        atomic_fetch_or_explicit(&bits[shm.me / 64], 1ull << (shm.me % 64), memory_order_relaxed);
        p->announced = 1;
    }
    if (n <= shm.chunk) { /* the usual case: one record */
        len = RING_ROUND(RING_HDR + n);
        if (!(rec = ring_reserve(&p->tx, len, &skip)))
            return 0;
        memcpy(rec + sizeof h->kind, (const char *)h + sizeof h->kind, RING_HDR - sizeof h->kind);
        if (n)
            memcpy(rec + RING_HDR, rest, n);
        ring_publish(&p->tx, rec, h->kind, len, skip);
        return 1;
    }
    while (*done < n) {
        size_t c = n - *done < shm.chunk ? n - *done : shm.chunk;
        size_t hdr = *done ? REC_CONT_HDR : RING_HDR;
        len = RING_ROUND(hdr + c);
        if (!(rec = ring_reserve(&p->tx, len, &skip)))
            return 0;
        uint32_t k = REC_FRAG | (uint32_t)c << 8;
        if (!*done) {
            memcpy(rec + sizeof h->kind, (const char *)h + sizeof h->kind, RING_HDR - sizeof h->kind);
            k |= h->kind;
        }
        memcpy(rec + hdr, rest, c);
        ring_publish(&p->tx, rec, k, len, skip);
        rest += c;
        *done += c;
    }
    return 1;
}

static int enqueue(struct lpeer *p, const struct pkt_header *h, const char *payload, size_t done)
{
    size_t rest = h->payload - done;
    struct pend *q = malloc(sizeof *q + rest);
    if (!q)
        return MPI_ERR_NO_MEM;
    q->next = NULL;
    q->h = *h;
    q->done = q->from = done;
    if (rest)
        memcpy(q->data, payload + done, rest);
    if (p->qhead) {
        p->qtail->next = q;
    } else {
        p->qhead = q;
        shm.backlogged[shm.nbacklogged++] = (int)(p - shm.lp);
        atomic_store_explicit(&p->tx.ctl->need_space, 1, memory_order_relaxed);
    }
    p->qtail = q;
    return MPI_SUCCESS;
}

/* Moves what p's ring has room for out of its queue; returns how many
 * records went (0 when the queue stays as it was). */
static int flush_peer(int lr)
{
    struct lpeer *p = &shm.lp[lr];
    int moved = 0;
    struct pend *q;
    while ((q = p->qhead)) {
        size_t done = q->done;
        int all = put_packet(p, &q->h, q->data + (done - q->from), &done);
        moved += all || done != q->done;
        q->done = done;
        if (!all)
            break;
        p->qhead = q->next;
        free(q);
    }
    if (moved)
        wake(lr);
    if (!p->qhead) {
        p->qtail = NULL;
        atomic_store_explicit(&p->tx.ctl->need_space, 0, memory_order_relaxed);
        for (int i = 0; i < shm.nbacklogged; i++)
            if (shm.backlogged[i] == lr) {
                shm.backlogged[i] = shm.backlogged[--shm.nbacklogged];
                break;
            }
    }
    return moved;
}

/* Moves queued packets into rings that have room again; returns how many
 * records went. */
static int push_pending(void)
{
    int moved = 0;
    for (int i = shm.nbacklogged - 1; i >= 0; i--) /* flush_peer may drop entry i */
        moved += flush_peer(shm.backlogged[i]);
    return moved;
}

static int shm_send(int peer_world, const struct pkt_header *h, const void *payload)
{
    if (!shm.base || h->kind - 1u > 254u)
        return MPI_ERR_INTERN;
    int lr = mpi_state.peers[peer_world].local_rank;
    struct lpeer *p = &shm.lp[lr];
    size_t done = 0;
    if (p->qhead) {
        flush_peer(lr);
        if (p->qhead) /* behind what still waits */
            return enqueue(p, h, payload, 0);
    }
    int all = put_packet(p, h, payload, &done);
    if (all || done)
        wake(lr);
    return all ? MPI_SUCCESS : enqueue(p, h, payload, done);
}

static int shm_backlog(int peer_world)
{
    return shm.lp && shm.lp[mpi_state.peers[peer_world].local_rank].qhead != NULL;
}

/* ------------------------------------------------------------------ receiving */

/* Takes a piece of a packet that came in pieces; 1 when it is complete. */
static int take_piece(struct lpeer *p, const char *rec, uint32_t k, size_t *len)
{
    size_t c = REC_FRAG_BYTES(k);
    if (k & 0xffu) { /* the first piece: the header */
        memcpy(&p->asm_h, rec, sizeof p->asm_h);
        p->asm_h.kind = k & 0xffu;
        if (p->asm_cap < p->asm_h.payload) {
            char *b = realloc(p->asm_buf, p->asm_h.payload);
            if (!b)
                mpi_fatal(MPI_ERR_NO_MEM, "out of memory for a %u-byte packet from rank %d",
                          p->asm_h.payload, p->world);
            p->asm_buf = b;
            p->asm_cap = p->asm_h.payload;
        }
        memcpy(p->asm_buf, rec + RING_HDR, c);
        p->asm_got = c;
        *len = RING_ROUND(RING_HDR + c);
    } else {
        memcpy(p->asm_buf + p->asm_got, rec + REC_CONT_HDR, c);
        p->asm_got += c;
        *len = RING_ROUND(REC_CONT_HDR + c);
    }
    return p->asm_got == p->asm_h.payload;
}

/* Delivers what p's ring holds; -1 when a callback tore the transport
 * down (nothing of it may be touched then). */
static int drain(int lr)
{
    struct lpeer *p = &shm.lp[lr];
    unsigned gen = shm.gen;
    int n = 0;
    uint32_t k;
    char *rec;
    while (n < DRAIN_MAX && (rec = ring_peek(&p->rx, &k))) {
        size_t len;
        if (!(k & REC_FRAG)) { /* zero copy: the engine reads it in place */
            const struct pkt_header *h = (const struct pkt_header *)(void *)rec;
            len = RING_ROUND(RING_HDR + h->payload);
            pkt_arrived(p->world, h, rec + RING_HDR);
            n++;
            if (gen != shm.gen)
                return -1;
            ring_release(&p->rx, len);
        } else if (take_piece(p, rec, k, &len)) {
            ring_release(&p->rx, len);
            pkt_arrived(p->world, &p->asm_h, p->asm_buf);
            n++;
            if (gen != shm.gen)
                return -1;
        } else {
            ring_release(&p->rx, len);
        }
    }
    /* its producer may sleep waiting for the room just made */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&p->rx.ctl->need_space, memory_order_relaxed) &&
        atomic_load_explicit(&shm.ctl[lr].sleeping, memory_order_acquire))
        ring_doorbell(&shm.ctl[lr]);
    return n;
}

static int shm_progress(void)
{
    if (!shm.base || shm.busy)
        return 0;
    shm.busy = 1;
    if (shm.nbacklogged)
        push_pending();
    int n = 0;
    for (int w = 0; w < shm.nwords; w++) {
        uint64_t bits = atomic_load_explicit(&shm.senders[w], memory_order_relaxed);
        while (bits) {
            int lr = w * 64 + __builtin_ctzll(bits);
            bits &= bits - 1;
            if (!ring_ready(&shm.lp[lr].rx))
                continue;
            int got = drain(lr);
            if (got < 0)
                return n;
            n += got;
        }
    }
    shm.busy = 0;
    return n;
}

/* Whether any ring has a record (after the sleeper's fence). */
static int anything_ready(void)
{
    for (int w = 0; w < shm.nwords; w++) {
        uint64_t bits = atomic_load_explicit(&shm.senders[w], memory_order_relaxed);
        while (bits) {
            int lr = w * 64 + __builtin_ctzll(bits);
            bits &= bits - 1;
            if (ring_ready(&shm.lp[lr].rx))
                return 1;
        }
    }
    return 0;
}

static void shm_sleep(int timeout_ms)
{
    if (!shm.base || shm.busy)
        return;
    struct rank_ctl *c = &shm.ctl[shm.me];
    uint32_t seq = atomic_load_explicit(&c->doorbell, memory_order_acquire);
    atomic_store_explicit(&c->sleeping, 1, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    /* With the flag up, a consumer that frees room from now on wakes us.
     * Packets that left the queue are news too: the engine may be waiting
     * for the backlog to clear. */
    int moved = shm.nbacklogged ? push_pending() : 0;
    if (timeout_ms != 0 && !moved && !anything_ready()) {
        struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
        syscall(SYS_futex, &c->doorbell, FUTEX_WAIT, seq, timeout_ms < 0 ? NULL : &ts, NULL, 0);
    }
    atomic_store_explicit(&c->sleeping, 0, memory_order_relaxed);
}

/* ------------------------------------------------------------------ single copy */

static int shm_pull(int peer_world, uint64_t addr, void *dst, size_t len)
{
    /* a pid of another host would name some unrelated process here */
    if (shm.pull_denied || mpi_state.peers[peer_world].node != mpi_state.node)
        return -1;
    pid_t pid = mpi_state.peers[peer_world].pid;
    char *d = dst;
    while (len) {
        struct iovec local = { d, len }, remote = { (void *)(uintptr_t)addr, len };
        ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got < 0 && (errno == EPERM || errno == ENOSYS || errno == EACCES))
                shm.pull_denied = 1; /* policy: the same answer every time */
            return -1;
        }
        d += got;
        addr += (uint64_t)got;
        len -= (size_t)got;
    }
    return 0;
}

/* ------------------------------------------------------------------ set-up and tear-down */

static size_t ring_size_for(int L)
{
    const char *e = getenv("CREST_SHM_RING_KB");
    if (e && *e) {
        char *end;
        unsigned long kb = strtoul(e, &end, 10);
        if (!*end && kb >= 4 && kb <= 16384 && !(kb & (kb - 1)))
            return kb << 10;
        fail("CREST_SHM_RING_KB=%s is not a power of two from 4 to 16384: using the default", e);
    }
    return L <= 4 ? 256u << 10 : L <= 16 ? 64u << 10 : 16u << 10;
}

static size_t page_round(size_t n)
{
    return (n + SEG_PAGE - 1) & ~(size_t)(SEG_PAGE - 1);
}

static void layout(int L, size_t R, struct layout *o)
{
    size_t l = (size_t)L;
    o->rank_ctl = SEG_PAGE;
    o->senders_stride = RING_ROUND((l + 63) / 64 * 8);
    o->senders = page_round(o->rank_ctl + l * sizeof(struct rank_ctl));
    o->ring_ctl = page_round(o->senders + l * o->senders_stride);
    o->data = page_round(o->ring_ctl + l * l * sizeof(struct ring_ctl));
    o->size = o->data + l * l * R;
}

/* Unmaps the segment and removes its name (normally gone already; not
 * when a rank never attached, or set-up failed half way). */
static void drop_segment(void)
{
    if (shm.base)
        munmap(shm.base, shm.size);
    if (shm.name[0])
        unlink(shm.name);
    shm.base = NULL;
    shm.name[0] = 0;
}

static void teardown(void)
{
    drop_segment();
    if (shm.lp) {
        for (int i = 0; i < shm.L; i++) {
            struct pend *q = shm.lp[i].qhead;
            while (q) {
                struct pend *next = q->next;
                free(q);
                q = next;
            }
            free(shm.lp[i].asm_buf);
        }
    }
    free(shm.lp);
    free(shm.backlogged);
    unsigned gen = shm.gen + 1;
    memset(&shm, 0, sizeof shm);
    shm.gen = gen;
}

static int map_segment(int fd, size_t size)
{
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        return fail("cannot map %s (%zu bytes): %s", shm.name, size, strerror(errno));
    shm.base = m;
    shm.size = size;
    return 0;
}

/* Local rank 0, phase 0: a new segment under a name nobody uses. */
static int create_segment(void)
{
    size_t R = ring_size_for(shm.L);
    struct layout lo;
    layout(shm.L, R, &lo);
    int fd = -1;
    for (int tries = 0; fd < 0 && tries < 20; tries++) {
        uint64_t rnd;
        if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
            rnd = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^ ((uint64_t)tries << 20);
        snprintf(shm.name, sizeof shm.name, "/dev/shm/crest-%u-%u-%d-%016llx", (unsigned)getuid(),
                 mpi_state.job, mpi_state.node, (unsigned long long)rnd);
        fd = open(shm.name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) {
            int e = errno;
            shm.name[0] = 0;
            return fail("cannot create a file in /dev/shm: %s (is /dev/shm a writable tmpfs?)", strerror(e));
        }
    }
    if (fd < 0) {
        shm.name[0] = 0;
        return fail("cannot find a free name in /dev/shm");
    }
    int rc = ftruncate(fd, (off_t)lo.size)
                 ? fail("cannot size %s to %zu bytes: %s (is /dev/shm full?)", shm.name, lo.size, strerror(errno))
                 : map_segment(fd, lo.size);
    close(fd);
    if (rc) {
        drop_segment();
        return -1;
    }
    struct seg_header *hd = (struct seg_header *)(void *)shm.base;
    hd->magic = SEG_MAGIC;
    hd->local_size = (uint32_t)shm.L;
    hd->ring_size = R;
    hd->size = lo.size;
    atomic_store_explicit(&hd->attached, 1, memory_order_release);
    if (crest_rank_put(SEG_KEY, shm.name, strlen(shm.name) + 1)) {
        drop_segment();
        return fail("cannot publish the segment's name (is the runtime gone?)");
    }
    return 0;
}

/* The other local ranks, phase 1: map the segment local rank 0 made. */
static int attach_segment(void)
{
    int w0 = -1;
    for (int w = 0; w < mpi_state.world_size; w++)
        if (mpi_state.peers[w].node == mpi_state.node && mpi_state.peers[w].local_rank == 0)
            w0 = w;
    size_t len = 0;
    const char *name = w0 >= 0 ? crest_rank_get(w0, SEG_KEY, &len) : NULL;
    if (!name || !len || len > sizeof shm.name || name[len - 1])
        return fail("local rank 0 (world rank %d) did not publish its segment", w0);
    memcpy(shm.name, name, len);
    int fd = open(shm.name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        shm.name[0] = 0;
        return fail("cannot open %s: %s", name, strerror(e));
    }
    int rc = (size_t)st.st_size < SEG_PAGE ? fail("%s is too short", name) : map_segment(fd, (size_t)st.st_size);
    close(fd);
    if (rc)
        return -1;
    struct seg_header *hd = (struct seg_header *)(void *)shm.base;
    uint64_t R = hd->ring_size;
    struct layout lo;
    layout(shm.L, (size_t)R, &lo);
    if (hd->magic != SEG_MAGIC || hd->local_size != (uint32_t)shm.L || R < 4096 || R > (16u << 20) ||
        (R & (R - 1)) || hd->size != (uint64_t)st.st_size || lo.size != hd->size)
        return fail("%s is not the segment of these %d local ranks", shm.name, shm.L);
    if ((int)atomic_fetch_add_explicit(&hd->attached, 1, memory_order_acq_rel) + 1 == shm.L)
        unlink(shm.name); /* everybody has it mapped */
    return 0;
}

/* Phase 1, every local rank: the table of local ranks and their rings. */
static int build_table(void)
{
    struct seg_header *hd = (struct seg_header *)(void *)shm.base;
    size_t R = hd->ring_size, L = (size_t)shm.L, me = (size_t)shm.me;
    struct layout lo;
    layout(shm.L, R, &lo);
    shm.lp = calloc(L, sizeof *shm.lp);
    shm.backlogged = calloc(L, sizeof *shm.backlogged);
    if (!shm.lp || !shm.backlogged)
        return fail("out of memory for %d local ranks", shm.L);
    for (size_t i = 0; i < L; i++)
        shm.lp[i].world = -1;
    for (int w = 0; w < mpi_state.world_size; w++) {
        const struct mpi_peer *pw = &mpi_state.peers[w];
        if (pw->node != mpi_state.node)
            continue;
        if (pw->local_rank < 0 || pw->local_rank >= shm.L || shm.lp[pw->local_rank].world >= 0)
            return fail("world rank %d has local rank %d, not a free one below %d", w, pw->local_rank, shm.L);
        shm.lp[pw->local_rank].world = w;
    }
    shm.chunk = R / 4;
    shm.ctl = (struct rank_ctl *)(void *)(shm.base + lo.rank_ctl);
    shm.senders_base = (_Atomic uint64_t *)(void *)(shm.base + lo.senders);
    shm.senders_stride = lo.senders_stride;
    shm.senders = (_Atomic uint64_t *)(void *)(shm.base + lo.senders + me * lo.senders_stride);
    shm.nwords = (shm.L + 63) / 64;
    struct ring_ctl *rc = (struct ring_ctl *)(void *)(shm.base + lo.ring_ctl);
    for (size_t i = 0; i < L; i++) {
        struct lpeer *p = &shm.lp[i];
        if (p->world < 0)
            return fail("no world rank has local rank %zu of %d", i, shm.L);
        size_t out = i * L + me, in = me * L + i; /* ring (s -> r) is r*L + s */
        p->tx.data = shm.base + lo.data + out * R;
        p->tx.ctl = &rc[out];
        p->tx.size = R;
        p->tx.mask = R - 1;
        p->rx.data = shm.base + lo.data + in * R;
        p->rx.ctl = &rc[in];
        p->rx.mask = R - 1;
    }
    return 0;
}

static int setup(int phase)
{
    if (phase == 0) {
        teardown();
        shm.L = mpi_state.local_size;
        shm.me = mpi_state.local_rank;
        if (shm.L <= 1)
            return MPI_SUCCESS;
        prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0); /* see the top; EINVAL without Yama */
        return shm.me == 0 && create_segment() ? MPI_ERR_OTHER : MPI_SUCCESS;
    }
    if (shm.L <= 1)
        return MPI_SUCCESS;
    /* local rank 0 made the segment in phase 0, the others map it now */
    int rc = shm.base ? 0 : shm.me == 0 ? -1 : attach_segment();
    if (rc || build_table()) {
        teardown();
        return MPI_ERR_OTHER;
    }
    return MPI_SUCCESS;
}

static int shm_init(int phase)
{
    return setup(phase);
}

static void shm_finalize(void)
{
    teardown();
}

/* The engine drained every ring before (quiesce.c). */
static void shm_disconnect(void)
{
    teardown();
}

/* After a checkpoint the engine may call init(0), fence, init(1) again
 * (init(0) tears down what is left), or this: the same two phases around
 * a fence of its own.  Then every rank must call it, those alone on their
 * host too, so that the fences pair up. */
static int shm_reconnect(void)
{
    int rc = setup(0);
    if (crest_rank_fence())
        rc = MPI_ERR_OTHER;
    return rc ? rc : setup(1);
}

const struct transport transport_shm = {
    .name = "shm",
    .init = shm_init,
    .send = shm_send,
    .progress = shm_progress,
    .backlog = shm_backlog,
    .max_payload = 64u << 10,
    .eager_limit = 16u << 10,
    .pull = shm_pull,
    .poll_fds = NULL,
    .sleep = shm_sleep,
    .finalize = shm_finalize,
    .disconnect = shm_disconnect,
    .reconnect = shm_reconnect,
};
