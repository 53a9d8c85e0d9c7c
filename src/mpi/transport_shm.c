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
 * R: 2 MiB for up to 4 local ranks, 1 MiB up to 8, 256 KiB up to 16,
 * 64 KiB up to 64, 16 KiB beyond (CREST_SHM_RING_KB, a power of two from
 * 4 to 16384, overrides it).  The file is L*L*R plus a few pages (32 MiB
 * for 4 ranks, 64 for 8 or 16, 256 for 64), but memory goes only to the
 * rings of pairs that talk, as far as their traffic reached: a sender
 * reserves (fallocate) the pages of its ring 64 KiB ahead as it first gets
 * there.  Large rings for few ranks: a window of 64 eager messages (osu_bw,
 * 64 x 16 KiB and headers, just over 1 MiB) fits, so the sender never
 * queues them (a copy more); with 2 MiB instead of 1 MiB osu_bibw-like
 * windows of 8-16 KiB went twice as fast (unit_shm bench window).  R is
 * halved while the file is more than /dev/shm has free (tmpfs answers a
 * touched page it cannot hold with SIGBUS).  A record carries up to R/4
 * bytes of payload; a larger packet goes as consecutive pieces that the
 * receiver puts back together in private memory, so max_payload and
 * eager_limit do not depend on R.
 *
 * max_payload, 64 KiB: the engine's DATA pieces (rendezvous without single
 * copy); one record with rings of 256 KiB and more, pieces below.
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
#include <sys/statvfs.h>
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
    size_t cap;  /* bytes data[] can hold */
    char data[];
};
/* Queue entries are kept for reuse (up to SPARE_MAX): allocating them
 * afresh made glibc give the heap's top back to the kernel after every
 * burst (brk) and fault it in again, zeroed, on the next. */
#define SPARE_MAX 64

/* One local rank, by local rank. */
struct lpeer {
    int world;
    int announced;   /* our bit is set in its senders bitmap */
    size_t reserved; /* bytes of the ring to it reserved in the file, from its start */
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
    struct pend *spare[SPARE_MAX];
    int nspare;
    char name[160];
    int fd;                   /* the file: rings are reserved in it as they come into use */
    size_t ring;              /* R */
    unsigned epoch;           /* set-ups so far: names this one's key */
    size_t freeing, free_then; /* the last segment's bytes, and what was free besides, when dropped */
    unsigned gen;             /* bumped by every set-up and tear-down */
    int busy;                 /* inside progress: no re-entry */
    int pull_denied;
} shm = { .fd = -1 };

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

/* Pages of the file for [off, off+len): allocated now, so that a full
 * /dev/shm is an error here rather than a SIGBUS when a page is touched.
 * 0 or an errno. */
static int reserve(size_t off, size_t len)
{
    while (fallocate(shm.fd, 0, (off_t)off, (off_t)len))
        if (errno != EINTR) /* a signal (a checkpoint's, say) during a large one */
            return errno == EOPNOTSUPP ? 0 : errno;
    return 0;
}

#define SHM_FULL_HINT "enlarge /dev/shm (docker run --shm-size=...) or run with CREST_MPI_TRANSPORT=tcp"

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

#define RESERVE_STEP (64u << 10)

/* During the ring's first lap: its pages up to `end` (a position, the
 * next record's line included) are reserved in the file before they are
 * written, a step at a time, so that a ring costs what its traffic
 * touched and a full /dev/shm is an error message, not a SIGBUS. */
static void keep_reserved(struct lpeer *p, uint64_t end)
{
    size_t want = end >= shm.ring ? shm.ring : (size_t)((end + RESERVE_STEP - 1) & ~(uint64_t)(RESERVE_STEP - 1));
    if (want > shm.ring)
        want = shm.ring;
    int e = reserve((size_t)(p->tx.data - shm.base) + p->reserved, want - p->reserved);
    if (e) /* nothing sensible to go on with: packets may be half sent */
        mpi_fatal(MPI_ERR_NO_MEM, "shared memory: cannot reserve %zu KiB of %s for the ring to local rank %d: %s (" SHM_FULL_HINT ")",
                  (want - p->reserved) >> 10, shm.name, (int)(p - shm.lp), strerror(e));
    p->reserved = want;
}

/* Puts what it can of packet h into p's ring: *done payload bytes are
 * already in, `rest` points at the next one.  1 when the whole packet is
 * in, 0 when the ring is full. */
static int put_packet(struct lpeer *p, const struct pkt_header *h, const char *rest, size_t *done)
{
    size_t n = h->payload, len, skip;
    char *rec;
    if (n <= shm.chunk) { /* the usual case: one record */
        len = RING_ROUND(RING_HDR + n);
        if (!(rec = ring_reserve(&p->tx, len, &skip)))
            return 0;
        if (p->reserved < shm.ring && p->tx.head + skip + len + RING_SLACK > p->reserved)
            keep_reserved(p, p->tx.head + skip + len + RING_SLACK);
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
        if (p->reserved < shm.ring && p->tx.head + skip + len + RING_SLACK > p->reserved)
            keep_reserved(p, p->tx.head + skip + len + RING_SLACK);
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

static struct pend *pend_get(size_t bytes)
{
    for (int i = 0; i < shm.nspare; i++)
        if (shm.spare[i]->cap >= bytes) {
            struct pend *q = shm.spare[i];
            shm.spare[i] = shm.spare[--shm.nspare];
            return q;
        }
    size_t cap = bytes <= 256 ? 256 : bytes <= (16u << 10) ? 16u << 10 : bytes; /* a few sizes: reusable */
    struct pend *q = malloc(sizeof *q + cap);
    if (q)
        q->cap = cap;
    return q;
}

static void pend_put(struct pend *q)
{
    if (shm.nspare < SPARE_MAX)
        shm.spare[shm.nspare++] = q;
    else
        free(q);
}

static int enqueue(struct lpeer *p, const struct pkt_header *h, const char *payload, size_t done)
{
    size_t rest = h->payload - done;
    struct pend *q = pend_get(rest);
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
        pend_put(q);
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

/* Before the first packet to local rank lr: lr is told to look at the
 * ring from now on. */
static void announce(int lr)
{
    struct lpeer *p = &shm.lp[lr];
    _Atomic uint64_t *bits = (_Atomic uint64_t *)(void *)((char *)shm.senders_base + (size_t)lr * shm.senders_stride);
    atomic_fetch_or_explicit(&bits[shm.me / 64], 1ull << (shm.me % 64), memory_order_relaxed);
    p->announced = 1;
}

static int shm_send(int peer_world, const struct pkt_header *h, const void *payload)
{
    if (!shm.base || h->kind - 1u > 254u)
        return MPI_ERR_INTERN;
    int lr = mpi_state.peers[peer_world].local_rank;
    struct lpeer *p = &shm.lp[lr];
    size_t done = 0;
    if (!p->announced)
        announce(lr);
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
        /* Outside the checkpoint's critical section: a checkpoint may tear
         * the segment down meanwhile (the wait then fails or times out,
         * and the flag is the old segment's, gone with it). */
        unsigned gen = shm.gen;
        int left = mpi_block_begin ? mpi_block_begin() : 0;
        syscall(SYS_futex, &c->doorbell, FUTEX_WAIT, seq, timeout_ms < 0 ? NULL : &ts, NULL, 0);
        if (left)
            mpi_block_end(left);
        if (gen != shm.gen)
            return;
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
    return L <= 4 ? 2u << 20 : L <= 8 ? 1u << 20 : L <= 16 ? 256u << 10 : L <= 64 ? 64u << 10 : 16u << 10;
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
    struct stat st;
    struct statvfs vfs;
    if (shm.fd >= 0 && !fstat(shm.fd, &st) && !fstatvfs(shm.fd, &vfs)) {
        shm.freeing = (size_t)st.st_blocks * 512;
        shm.free_then = (size_t)vfs.f_bavail * vfs.f_frsize;
    }
    if (shm.fd >= 0)
        close(shm.fd);
    if (shm.name[0])
        unlink(shm.name);
    shm.base = NULL;
    shm.fd = -1;
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
    for (int i = 0; i < shm.nspare; i++)
        free(shm.spare[i]);
    unsigned gen = shm.gen + 1, epoch = shm.epoch;
    size_t freeing = shm.freeing, free_then = shm.free_then;
    memset(&shm, 0, sizeof shm);
    shm.fd = -1;
    shm.gen = gen;
    shm.epoch = epoch;
    shm.freeing = freeing;
    shm.free_then = free_then;
}

static int map_segment(size_t size)
{
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, shm.fd, 0);
    if (m == MAP_FAILED)
        return fail("cannot map %s (%zu bytes): %s", shm.name, size, strerror(errno));
    shm.base = m;
    shm.size = size;
    return 0;
}

static void seg_key(char *key, size_t len)
{
    snprintf(key, len, "%s.%u", SEG_KEY, shm.epoch); /* never a value of an earlier set-up */
}

/* Local rank 0, phase 0: a new segment under a name nobody uses. */
static int create_segment(void)
{
    size_t R = ring_size_for(shm.L), want = R;
    struct layout lo;
    layout(shm.L, R, &lo);
    /* Smaller rings when /dev/shm is small (containers often give it 64
     * MiB): the file could be touched all over.  After a checkpoint, the
     * last segment is gone by the time rings are reserved (after the
     * fence), though other ranks may still hold it now: its pages count
     * as free. */
    struct statvfs vfs;
    if (!statvfs("/dev/shm", &vfs)) {
        size_t avail = (size_t)vfs.f_bavail * vfs.f_frsize;
        if (shm.freeing && avail < shm.free_then + shm.freeing)
            avail = shm.free_then + shm.freeing;
        while (lo.size > avail && R > 4096)
            layout(shm.L, R /= 2, &lo);
        if (lo.size > avail)
            return fail("/dev/shm has %zu KiB free, %d local ranks need %zu KiB: " SHM_FULL_HINT, avail >> 10,
                        shm.L, lo.size >> 10);
        if (R < want)
            fail("/dev/shm has %zu KiB free: rings of %zu KiB instead of %zu (slower)", avail >> 10, R >> 10,
                 want >> 10);
    }
    for (int tries = 0; shm.fd < 0 && tries < 20; tries++) {
        uint64_t rnd;
        if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
            rnd = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^ ((uint64_t)tries << 20);
        snprintf(shm.name, sizeof shm.name, "/dev/shm/crest-%u-%u-%d-%016llx", (unsigned)getuid(),
                 mpi_state.job, mpi_state.node, (unsigned long long)rnd);
        shm.fd = open(shm.name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (shm.fd < 0 && errno != EEXIST) {
            int e = errno;
            shm.name[0] = 0;
            return fail("cannot create a file in /dev/shm: %s (is /dev/shm a writable tmpfs?)", strerror(e));
        }
    }
    if (shm.fd < 0) {
        shm.name[0] = 0;
        return fail("cannot find a free name in /dev/shm");
    }
    if (ftruncate(shm.fd, (off_t)lo.size)) {
        fail("cannot size %s to %zu bytes: %s", shm.name, lo.size, strerror(errno));
        drop_segment();
        return -1;
    }
    int e = reserve(0, lo.data); /* the rings are reserved as they come into use */
    if (e || map_segment(lo.size)) {
        if (e)
            fail("cannot reserve %zu KiB in %s: %s (" SHM_FULL_HINT ")", lo.data >> 10, shm.name, strerror(e));
        drop_segment();
        return -1;
    }
    struct seg_header *hd = (struct seg_header *)(void *)shm.base;
    hd->magic = SEG_MAGIC;
    hd->local_size = (uint32_t)shm.L;
    hd->ring_size = R;
    hd->size = lo.size;
    atomic_store_explicit(&hd->attached, 1, memory_order_release);
    char key[32];
    seg_key(key, sizeof key);
    if (crest_rank_put(key, shm.name, strlen(shm.name) + 1)) {
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
    char key[32];
    seg_key(key, sizeof key);
    size_t len = 0;
    const char *name = w0 >= 0 ? crest_rank_get(w0, key, &len) : NULL;
    if (!name || len < 2 || len > sizeof shm.name || name[len - 1])
        return fail("local rank 0 (world rank %d) has no segment for this host (see its message)", w0);
    memcpy(shm.name, name, len);
    shm.fd = open(shm.name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (shm.fd < 0 || fstat(shm.fd, &st)) {
        int e = errno;
        shm.name[0] = 0; /* not ours to remove */
        drop_segment();
        return fail("cannot open %s: %s", name, strerror(e));
    }
    int rc = (size_t)st.st_size < SEG_PAGE ? fail("%s is too short", name) : map_segment((size_t)st.st_size);
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
    shm.ring = R;
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
        /* the library's count of set-ups is the same on every rank, also
         * on one that shared no host before a restart */
        shm.epoch = mpi_state.connects ? mpi_state.connects : shm.epoch + 1;
        shm.L = mpi_state.local_size;
        shm.me = mpi_state.local_rank;
        if (shm.L <= 1)
            return MPI_SUCCESS;
        prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0); /* see the top; EINVAL without Yama */
        if (shm.me == 0 && create_segment()) {
            char key[32];
            seg_key(key, sizeof key);
            crest_rank_put(key, "", 1); /* the others fail at once, not on a stale name */
            return MPI_ERR_OTHER;
        }
        return MPI_SUCCESS;
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
