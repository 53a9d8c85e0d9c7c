/* unit_shm.c — the shared memory transport (src/mpi/transport_shm.c) on
 * its own, compiled in: forked processes play the ranks of one host, with
 * the runtime's key/value exchange and the engine's pkt_arrived stubbed
 * here.
 *
 * usage: unit_shm [check | tight | bench [latency|messages|streaming|window|overhead] | all]
 *        (default: all = check, then every bench)
 *   check  all-to-all stress with 2, 4, 8 and 16 ranks (rings full, queued
 *          packets, sleeping ranks), pieces of packets bigger than a small
 *          ring, two hosts at once, disconnect/reconnect, sparse use of the
 *          segment, nothing left in /dev/shm, an idle sleeper's CPU time,
 *          pull of 64 MiB
 *   tight  with a /dev/shm of a few MiB (mounted by the caller): smaller
 *          rings, and a clean failure instead of SIGBUS when it is full
 *   bench  latency: round trips of 8-byte packets (2 ranks; 4 ranks on
 *          the machine's cores, waiting like progress.c: spin, yield,
 *          sleep; UNIT_SHM_SPIN=N sets the spins); messages: round trips by
 *          size the way the engine moves them (eager copy, pull, DATA
 *          pieces); streaming: 64 KiB packets back to back; window:
 *          osu_bw's and osu_bibw's windows of 64 eager messages; overhead:
 *          the software's cost of a packet.  CREST_SHM_RING_KB applies.
 * Prints one line per check or figure; the last line sums up.  Exit 1 when
 * a check failed. */
#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mpi_impl.h"
#include "rank_client.h"

#define T (&transport_shm)
#define JOB 4000u

struct mpi_state mpi_state;
static int failures;

/* ------------------------------------------------------------------ the stubbed runtime */

struct kv {
    int rank;
    char key[32];
    size_t len;
    char value[200];
};
/* Shared by the processes of one run (set up before the fork). */
struct shared {
    pthread_barrier_t barrier;
    pthread_mutex_t lock;
    int nkv;
    struct kv kv[512];
    double figure[64]; /* results the ranks hand back */
};
static struct shared *sh;
static int pin;         /* run_ranks pins rank r to CPU r mod the CPUs */
static int rank_signal; /* the signal that killed a rank in the last run_ranks, or 0 */

int crest_rank_put(const char *key, const void *value, size_t len)
{
    if (len > sizeof sh->kv[0].value || strlen(key) >= sizeof sh->kv[0].key)
        return -1;
    pthread_mutex_lock(&sh->lock);
    int i;
    for (i = 0; i < sh->nkv; i++)
        if (sh->kv[i].rank == mpi_state.world_rank && !strcmp(sh->kv[i].key, key))
            break;
    if (i == sh->nkv && sh->nkv < 512)
        sh->nkv++;
    struct kv *e = &sh->kv[i];
    e->rank = mpi_state.world_rank;
    strcpy(e->key, key);
    memcpy(e->value, value, len);
    e->len = len;
    pthread_mutex_unlock(&sh->lock);
    return 0;
}

const void *crest_rank_get(int rank, const char *key, size_t *len)
{
    const void *v = NULL;
    pthread_mutex_lock(&sh->lock);
    for (int i = 0; i < sh->nkv; i++)
        if (sh->kv[i].rank == rank && !strcmp(sh->kv[i].key, key)) {
            v = sh->kv[i].value;
            *len = sh->kv[i].len;
        }
    pthread_mutex_unlock(&sh->lock);
    return v;
}

int crest_rank_fence(void)
{
    pthread_barrier_wait(&sh->barrier);
    return 0;
}

void mpi_fatal(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "rank %d: mpi_fatal: ", mpi_state.world_rank);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    _exit(3);
}

/* The engine's side: each test installs its handler. */
static void (*on_packet)(int peer, const struct pkt_header *h, const void *payload);
void pkt_arrived(int peer_world, const struct pkt_header *h, const void *payload)
{
    on_packet(peer_world, h, payload);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------------ ranks */

struct card {
    pid_t pid;
    int node, local_rank;
};

/* What MPI_Init does around the transport: phase 0, fence, the peers'
 * cards, phase 1. */
static int connect_rank(int rank, int size, int nodes)
{
    int per = size / nodes;
    mpi_state.world_rank = rank;
    mpi_state.world_size = size;
    mpi_state.node = rank / per;
    mpi_state.local_rank = rank % per;
    mpi_state.local_size = per;
    mpi_state.job = JOB;
    mpi_state.peers = calloc((size_t)size, sizeof *mpi_state.peers);
    struct card me = { getpid(), mpi_state.node, mpi_state.local_rank };
    crest_rank_put("proc", &me, sizeof me);
    if (T->init(0)) {
        printf("rank %d: init(0) failed\n", rank);
        return -1;
    }
    crest_rank_fence();
    for (int w = 0; w < size; w++) {
        size_t len;
        const struct card *c = crest_rank_get(w, "proc", &len);
        mpi_state.peers[w].pid = c->pid;
        mpi_state.peers[w].node = c->node;
        mpi_state.peers[w].local_rank = c->local_rank;
        mpi_state.peers[w].tr = c->node == mpi_state.node ? T : NULL;
    }
    if (T->init(1)) {
        printf("rank %d: init(1) failed\n", rank);
        return -1;
    }
    return 0;
}

/* Runs fn in `size` forked ranks over `nodes` hosts; 0 when every rank
 * returned 0.  ring_kb: CREST_SHM_RING_KB for the run (NULL: as in the
 * environment). */
static int run_ranks(int size, int nodes, const char *ring_kb, int (*fn)(void))
{
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    pthread_barrierattr_t ba;
    pthread_barrierattr_init(&ba);
    pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(&sh->barrier, &ba, (unsigned)size);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&sh->lock, &ma);
    fflush(stdout);
    pid_t pids[64];
    for (int r = 0; r < size; r++) {
        pids[r] = fork();
        if (pids[r] < 0) {
            perror("fork");
            exit(2);
        }
        if (pids[r] == 0) {
            if (ring_kb)
                setenv("CREST_SHM_RING_KB", ring_kb, 1);
            alarm(120); /* a hang ends as a failure */
            if (pin) { /* figures: the two ranks of a pair never share a core */
                cpu_set_t set;
                CPU_ZERO(&set);
                CPU_SET(r % (int)sysconf(_SC_NPROCESSORS_ONLN), &set);
                sched_setaffinity(0, sizeof set, &set);
            }
            int rc = connect_rank(r, size, nodes) ? 1 : fn();
            T->finalize();
            fflush(stdout);
            _exit(rc);
        }
    }
    /* The first rank that fails ends the others (they would wait for it). */
    int bad = 0, left = size;
    rank_signal = 0;
    while (left > 0) {
        int st;
        pid_t pid = waitpid(-1, &st, 0);
        int r = 0;
        while (r < size && pids[r] != pid)
            r++;
        if (pid < 0 || r == size)
            break;
        pids[r] = 0;
        left--;
        if (WIFEXITED(st) && !WEXITSTATUS(st))
            continue;
        if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL) {
            printf("  rank %d killed by signal %d\n", r, WTERMSIG(st));
            rank_signal = WTERMSIG(st);
        }
        if (!bad)
            for (int o = 0; o < size; o++)
                if (pids[o] > 0)
                    kill(pids[o], SIGKILL);
        bad = 1;
    }
    return bad;
}

static void check(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s: ", ok ? "ok" : "FAIL");
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    fflush(stdout);
    if (!ok)
        failures++;
}

/* Waits like the engine: polls, spins a little, yields, then sleeps.
 * spin = BUSY: never sleeps (how MPICH waits; for the figures). */
#define BUSY (1 << 30)
static void wait_for(volatile int *flag, int spin)
{
    int idle = 0;
    while (!*flag) {
        if (T->progress()) {
            idle = 0;
            continue;
        }
        if (++idle < spin)
            __builtin_ia32_pause();
        else if (idle < spin + 50)
            sched_yield();
        else
            T->sleep(100);
    }
}

static int oversubscribed_spin(int local)
{
    if (getenv("UNIT_SHM_SPIN"))
        return atoi(getenv("UNIT_SHM_SPIN"));
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 && local > cpus ? 20 : 2000;
}

/* ------------------------------------------------------------------ stress */

#define MAXR 64
static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* The bytes of packet seq from src to dst, and its size. */
static void fill(unsigned char *b, size_t n, int src, int dst, uint64_t seq)
{
    uint64_t s = mix(((uint64_t)src << 48) ^ ((uint64_t)dst << 32) ^ seq);
    for (size_t i = 0; i < n; i++) {
        if (!(i & 7))
            s = mix(s + i);
        b[i] = (unsigned char)(s >> ((i & 7) * 8));
    }
}

static size_t size_of(int src, int dst, uint64_t seq, size_t max)
{
    uint64_t r = mix(((uint64_t)dst << 40) ^ ((uint64_t)src << 20) ^ seq ^ 0x5eed);
    switch (r % 10) {
    case 0: case 1: case 2: case 3: case 4: return (r >> 8) % 65;   /* small, 0 included */
    case 5: case 6: case 7: return (r >> 8) % 4096;
    default: return (r >> 8) % (max + 1);
    }
}

static int stress_packets = 1500; /* per ordered pair and round */
static struct {
    uint64_t next[MAXR];  /* next sequence expected from each rank */
    uint64_t got, want;
    int bad;
    unsigned char *scratch;
    int sleeps_long;
    int queued, sleeps; /* sends that found the ring full; sleeps entered */
} st;

static void stress_arrived(int peer, const struct pkt_header *h, const void *payload)
{
    uint64_t seq = h->sreq;
    size_t n = size_of(peer, mpi_state.world_rank, seq, T->max_payload);
    if (h->src != peer || seq != st.next[peer] || h->payload != n || h->kind != 1 + seq % 7 ||
        h->tag != (int32_t)seq || h->length != n * 3 || h->context != (uint32_t)mpi_state.world_rank) {
        if (st.bad++ < 5)
            printf("rank %d: packet from %d: src %d seq %llu (want %llu) payload %u (want %zu) kind %u\n",
                   mpi_state.world_rank, peer, h->src, (unsigned long long)seq,
                   (unsigned long long)st.next[peer], h->payload, n, h->kind);
        st.next[peer] = seq + 1;
        st.got++;
        return;
    }
    fill(st.scratch, n, peer, mpi_state.world_rank, seq);
    if (n && memcmp(st.scratch, payload, n)) {
        if (st.bad++ < 5)
            printf("rank %d: packet %llu from %d: payload damaged\n", mpi_state.world_rank,
                   (unsigned long long)seq, peer);
    }
    st.next[peer]++;
    st.got++;
}

/* One round: every rank sends stress_packets to every rank of its host
 * (itself included), in bursts sent without polling so that rings fill
 * and packets queue; ranks sleep when idle. */
static int stress_round(void)
{
    int me = mpi_state.world_rank, L = mpi_state.local_size, base = me - mpi_state.local_rank;
    uint64_t sent[MAXR] = { 0 };
    unsigned char *buf = malloc(T->max_payload * 2 + 64);
    memset(st.next, 0, sizeof st.next);
    st.got = 0;
    st.want = (uint64_t)stress_packets * (uint64_t)L;
    on_packet = stress_arrived;
    uint64_t rnd = mix((uint64_t)me + 77);
    int total_sent = 0, goal = stress_packets * L;
    while (total_sent < goal || st.got < st.want) {
        /* a burst of random sends */
        int burst = (int)(mix(rnd++) % 256);
        for (int i = 0; i < burst && total_sent < goal; i++) {
            int dst = base + (int)(mix(rnd++) % (uint64_t)L);
            if (sent[dst] == (uint64_t)stress_packets) {
                for (dst = base; sent[dst] == (uint64_t)stress_packets; dst++)
                    ;
            }
            uint64_t seq = sent[dst]++;
            size_t n = size_of(me, dst, seq, T->max_payload);
            struct pkt_header h = { .kind = (uint32_t)(1 + seq % 7), .src = me, .tag = (int32_t)seq,
                                    .context = (uint32_t)dst, .length = n * 3, .sreq = seq,
                                    .payload = (uint32_t)n };
            fill(buf, n, me, dst, seq);
            if (T->send(dst, &h, n ? buf : NULL)) {
                printf("rank %d: send failed\n", me);
                return 1;
            }
            st.queued += T->backlog(dst);
            total_sent++;
        }
        int n = T->progress();
        if (!n && total_sent == goal && st.got < st.want) {
            /* nothing to do but wait: a long sleep ends early only when woken */
            double t0 = now();
            T->sleep(3000);
            st.sleeps++;
            if (now() - t0 > 2.5)
                st.sleeps_long++;
        }
    }
    for (;;) { /* our last packets may still be queued */
        T->progress();
        int backlog = 0;
        for (int w = base; w < base + L; w++)
            backlog |= T->backlog(w);
        if (!backlog)
            break;
        double t0 = now();
        T->sleep(3000); /* woken when a receiver makes room */
        st.sleeps++;
        if (now() - t0 > 2.5)
            st.sleeps_long++;
    }
    free(buf);
    return 0;
}

static int stress_rank(void)
{
    st.scratch = malloc(1 << 20);
    int rounds = 2, rc = 0;
    for (int round = 0; round < rounds && !rc; round++) {
        if (round) { /* a checkpoint's tear-down and rebuild in between */
            T->disconnect();
            if (T->reconnect()) {
                printf("rank %d: reconnect failed\n", mpi_state.world_rank);
                return 1;
            }
        }
        if ((rc = stress_round()))
            return rc; /* run_ranks ends the others */
        crest_rank_fence(); /* nobody tears down while others still deliver */
    }
    sh->figure[mpi_state.world_rank] = st.queued;
    sh->figure[32 + mpi_state.world_rank] = st.sleeps;
    if (st.bad || st.sleeps_long) {
        printf("rank %d: %d bad packets, %d sleeps that were not woken\n", mpi_state.world_rank, st.bad,
               st.sleeps_long);
        return 1;
    }
    return rc;
}

static int leftover_files(void)
{
    char pat[128];
    glob_t g;
    snprintf(pat, sizeof pat, "/dev/shm/crest-%u-%u-*", (unsigned)getuid(), JOB);
    int n = glob(pat, 0, NULL, &g) == 0 ? (int)g.gl_pathc : 0;
    for (int i = 0; i < n; i++)
        printf("  left in /dev/shm: %s\n", g.gl_pathv[i]);
    if (n)
        globfree(&g);
    return n;
}

/* ring_kb: small rings that must fill (the queues are checked to have
 * been used), or NULL: the default rings, which may or may not fill. */
static void test_stress(int size, int nodes, const char *ring_kb, int packets)
{
    stress_packets = packets;
    double t0 = now();
    int bad = run_ranks(size, nodes, ring_kb, stress_rank);
    double d = now() - t0, queued = 0, sleeps = 0;
    for (int r = 0; r < size; r++) {
        queued += sh->figure[r];
        sleeps += sh->figure[32 + r];
    }
    check(!bad && (queued > 0 || !ring_kb),
          "all-to-all, %d ranks%s, %s%s rings: %d packets per pair and round, 2 rounds with a reconnect: in order and intact; %.0f sends found the ring full, %.0f sleeps all woken (%.2f s)",
          size, nodes > 1 ? " on 2 hosts" : "", ring_kb ? ring_kb : "default", ring_kb ? " KiB" : "", packets, queued,
          sleeps, d);
    check(!leftover_files(), "nothing left in /dev/shm after %d ranks", size);
}

/* ------------------------------------------------------------------ the segment is sparse and unlinked */

static int ring_neighbour_got;
static void neighbour_arrived(int peer, const struct pkt_header *h, const void *payload)
{
    ring_neighbour_got++;
}

/* Rss of the mapping of the segment in this process, in KiB. */
static long segment_rss_kb(void)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    int in = 0;
    long rss = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (strchr(line, '-') && strstr(line, " /dev/shm/crest-"))
            in = 1;
        else if (in && !strncmp(line, "Rss:", 4)) {
            rss = atol(line + 4);
            in = 0;
        } else if (strchr(line, '-') && !strchr(line, ':'))
            in = 0;
    }
    if (f)
        fclose(f);
    return rss;
}

static int sparse_rank(void)
{
    int me = mpi_state.world_rank, L = mpi_state.local_size, rc = 0;
    crest_rank_fence(); /* every rank has attached: the file must be gone */
    if (leftover_files()) {
        printf("rank %d: the segment is still in /dev/shm after MPI_Init\n", me);
        rc = 1;
    }
    /* a ring of neighbours: 200 packets of 16 KiB to the next rank */
    static char buf[16384];
    on_packet = neighbour_arrived;
    int to = (me + 1) % L;
    for (int i = 0; i < 200; i++) {
        struct pkt_header h = { .kind = PKT_DATA, .src = me, .payload = sizeof buf };
        T->send(to, &h, buf);
        T->progress();
    }
    while (ring_neighbour_got < 200 || T->backlog(to))
        if (!T->progress())
            T->sleep(1000);
    long rss = segment_rss_kb();
    sh->figure[me] = (double)rss;
    crest_rank_fence();
    return rc;
}

static void test_sparse(void)
{
    int size = 16;
    int bad = run_ranks(size, 1, "64", sparse_rank);
    double worst = 0;
    for (int r = 0; r < size; r++)
        if (sh->figure[r] > worst)
            worst = sh->figure[r];
    /* 16 ranks, 64 KiB rings: a 16 MiB segment; a rank touches its two
     * rings and a few control pages */
    check(!bad && worst > 0 && worst <= 4 * 64 + 64,
          "segment of 16 ranks (16 MiB) unlinked once mapped; each rank talking to one neighbour has %.0f KiB of it resident at most",
          worst);
}

/* ------------------------------------------------------------------ idle sleeper, wake-up */

static volatile int idle_flag;
static double idle_sent_at;
static void idle_arrived(int peer, const struct pkt_header *h, const void *payload)
{
    memcpy((void *)&idle_sent_at, payload, sizeof idle_sent_at);
    idle_flag = 1;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static int idle_rank(void)
{
    int me = mpi_state.world_rank;
    on_packet = idle_arrived;
    crest_rank_fence();
    if (me == 0) {
        double c0 = cpu_seconds(), t0 = now();
        wait_for(&idle_flag, 2000);
        double wall = now() - t0, cpu = cpu_seconds() - c0, woke = now() - idle_sent_at;
        sh->figure[0] = cpu / wall;
        sh->figure[1] = wall;
        sh->figure[2] = woke;
    } else {
        struct timespec ts = { 1, 500000000 };
        nanosleep(&ts, NULL);
        double t = now();
        struct pkt_header h = { .kind = PKT_EAGER, .src = me, .payload = sizeof t };
        T->send(0, &h, &t);
    }
    crest_rank_fence();
    return 0;
}

static void test_idle(void)
{
    int bad = run_ranks(2, 1, NULL, idle_rank);
    check(!bad && sh->figure[0] < 0.05 && sh->figure[1] > 1.4,
          "a rank waiting %.2f s for a packet used %.2f%% of a CPU (limit 5%%) and was woken %.0f us after the send",
          sh->figure[1], sh->figure[0] * 100, sh->figure[2] * 1e6);
}

/* ------------------------------------------------------------------ pull */

static volatile int pull_flag;
static uint64_t pull_addr;
static void pull_arrived(int peer, const struct pkt_header *h, const void *payload)
{
    if (h->kind == PKT_RTS)
        pull_addr = h->offset;
    pull_flag = 1;
}

#define PULL_BYTES (64u << 20)
static int pull_rank(void)
{
    int me = mpi_state.world_rank, rc = 0;
    on_packet = pull_arrived;
    uint64_t *buf = malloc(PULL_BYTES);
    if (me == 0) {
        for (size_t i = 0; i < PULL_BYTES / 8; i++)
            buf[i] = mix(i);
        struct pkt_header h = { .kind = PKT_RTS, .src = 0, .length = PULL_BYTES, .offset = (uintptr_t)buf,
                                .flags = PKT_F_CONTIG };
        T->send(1, &h, NULL);
        wait_for(&pull_flag, 2000); /* FIN */
    } else {
        wait_for(&pull_flag, 2000);
        memset(buf, 0, PULL_BYTES);
        double best = 1e9;
        for (int rep = 0; rep < 3 && !rc; rep++) {
            double t0 = now();
            if (T->pull(0, pull_addr, buf, PULL_BYTES)) {
                printf("pull of %u bytes failed\n", PULL_BYTES);
                rc = 1;
            }
            double d = now() - t0;
            if (d < best)
                best = d;
        }
        for (size_t i = 0; i < PULL_BYTES / 8 && !rc; i++)
            if (buf[i] != mix(i)) {
                printf("pull: word %zu differs\n", i);
                rc = 1;
            }
        /* a bad address fails cleanly */
        char small[64];
        if (!rc && T->pull(0, 8, small, sizeof small) != -1) {
            printf("pull from address 8 did not fail\n");
            rc = 1;
        }
        sh->figure[0] = PULL_BYTES / best / 1e9;
        struct pkt_header h = { .kind = PKT_FIN, .src = 1 };
        T->send(0, &h, NULL);
        while (T->backlog(0))
            T->progress();
    }
    crest_rank_fence();
    free(buf);
    return rc;
}

static void test_pull(void)
{
    int bad = run_ranks(2, 1, NULL, pull_rank);
    check(!bad, "pull of 64 MiB from a sibling with process_vm_readv: intact, %.1f GB/s", sh->figure[0]);
}

/* ------------------------------------------------------------------ latency */

static volatile int pp_count;
static char pp_data[8];
static void pp_arrived(int peer, const struct pkt_header *h, const void *payload)
{
    memcpy(pp_data, payload, h->payload); /* what the engine does with an eager message */
    pp_count++;
}

static int pp_iters = 200000;
static void wait_count(int want, int spin)
{
    int idle = 0;
    while (pp_count < want) {
        if (T->progress()) {
            idle = 0;
            continue;
        }
        if (++idle < spin)
            __builtin_ia32_pause();
        else if (idle < spin + 50)
            sched_yield();
        else
            T->sleep(100);
    }
}

/* Ranks 2k and 2k+1 play ping-pong; figure[2k] = median round trip,
 * figure[16 + 2k] the mean. */
static int pingpong_rank(void)
{
    int me = mpi_state.world_rank, peer = me ^ 1;
    int spin = oversubscribed_spin(mpi_state.local_size);
    on_packet = pp_arrived;
    double *rtt = malloc(sizeof(double) * (size_t)pp_iters);
    struct pkt_header h = { .kind = PKT_EAGER, .src = me, .length = 8, .payload = 8 };
    char data[8] = "pingpong";
    crest_rank_fence();
    int warm = pp_iters / 10;
    for (int i = 0; i < warm + pp_iters; i++) {
        double t0 = now();
        int want = pp_count + 1;
        if (me & 1) {
            wait_count(want, spin);
            T->send(peer, &h, data);
        } else {
            T->send(peer, &h, data);
            wait_count(want, spin);
        }
        if (i >= warm)
            rtt[i - warm] = now() - t0;
    }
    if (!(me & 1)) {
        double sum = 0;
        for (int i = 0; i < pp_iters; i++)
            sum += rtt[i];
        qsort(rtt, (size_t)pp_iters, sizeof *rtt, cmp_double);
        sh->figure[me] = rtt[pp_iters / 2];
        sh->figure[16 + me] = sum / pp_iters;
    }
    crest_rank_fence();
    free(rtt);
    return 0;
}

/* ------------------------------------------------------------------ messages by size, as the engine moves them */

static volatile int msg_done;
static char *msg_dst;
static uint64_t msg_addr;
static size_t msg_len;
static int msg_pulled;
static void msg_arrived(int peer, const struct pkt_header *h, const void *payload)
{
    switch (h->kind) {
    case PKT_EAGER:
        memcpy(msg_dst, payload, h->payload);
        msg_done = 1;
        break;
    case PKT_RTS: /* matched at once: pull, FIN */
        if (T->pull(peer, h->offset, msg_dst, h->length))
            msg_pulled = -1;
        {
            struct pkt_header f = { .kind = PKT_FIN, .src = mpi_state.world_rank };
            T->send(peer, &f, NULL);
        }
        msg_done = 1;
        break;
    case PKT_DATA:
        memcpy(msg_dst + h->offset, payload, h->payload);
        msg_len += h->payload;
        if (msg_len == h->length)
            msg_done = 1;
        break;
    default:
        break;
    }
    (void)msg_addr;
}

/* Sends len bytes of buf to peer: eagerly, or as RTS + pull (pull=1), or
 * as DATA pieces (pull=0, rendezvous without single copy). */
static void msg_send(int peer, const char *buf, size_t len, int eager, int pull)
{
    int me = mpi_state.world_rank;
    if (eager) {
        struct pkt_header h = { .kind = PKT_EAGER, .src = me, .length = len, .payload = (uint32_t)len };
        T->send(peer, &h, buf);
    } else if (pull) {
        struct pkt_header h = { .kind = PKT_RTS, .src = me, .length = len, .offset = (uintptr_t)buf,
                                .flags = PKT_F_CONTIG };
        T->send(peer, &h, NULL);
    } else {
        for (size_t off = 0; off < len;) {
            size_t n = len - off < T->max_payload ? len - off : T->max_payload;
            struct pkt_header h = { .kind = PKT_DATA, .src = me, .length = len, .offset = off, .payload = (uint32_t)n };
            if (T->backlog(peer)) { /* the engine sends the next piece when the last one left */
                T->progress();
                continue;
            }
            T->send(peer, &h, buf + off);
            off += n;
        }
    }
}

static int msg_mode; /* 0 eager up to the limit then pull, 1 all eager, 2 all pull, 3 DATA pieces */
static int msg_rank(void)
{
    static const size_t sizes[] = { 8, 1024, 8192, 16384, 32768, 65536, 1 << 20, 4 << 20 };
    int me = mpi_state.world_rank, peer = me ^ 1;
    char *src = malloc(4 << 20), *dst = malloc(4 << 20);
    memset(src, 1, 4 << 20);
    memset(dst, 0, 4 << 20);
    msg_dst = dst;
    on_packet = msg_arrived;
    crest_rank_fence();
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        size_t len = sizes[si];
        int eager = msg_mode == 1 ? len <= T->max_payload : msg_mode == 0 && len <= T->eager_limit;
        int pull = msg_mode == 0 || msg_mode == 2;
        if (msg_mode == 1 && !eager) {
            sh->figure[si] = 0;
            continue;
        }
        int iters = len <= 65536 ? 20000 : 400, warm = iters / 10;
        double *rtt = malloc(sizeof(double) * (size_t)iters);
        for (int i = 0; i < warm + iters; i++) {
            double t0 = now();
            if (me & 1) {
                msg_len = 0;
                wait_for(&msg_done, BUSY);
                msg_done = 0;
                msg_send(peer, src, len, eager, pull);
            } else {
                msg_len = 0;
                msg_send(peer, src, len, eager, pull);
                wait_for(&msg_done, BUSY);
                msg_done = 0;
            }
            if (i >= warm)
                rtt[i - warm] = now() - t0;
        }
        /* the FINs of the last round */
        for (int k = 0; k < 1000; k++)
            T->progress();
        crest_rank_fence();
        qsort(rtt, (size_t)iters, sizeof *rtt, cmp_double);
        if (!me)
            sh->figure[si] = rtt[iters / 2];
        free(rtt);
    }
    if (msg_pulled)
        printf("rank %d: a pull failed\n", me);
    crest_rank_fence();
    return msg_pulled != 0;
}

/* Streaming: rank 0 sends 64 KiB packets back to back. */
static volatile int stream_got;
static void stream_arrived(int peer, const struct pkt_header *h, const void *payload)
{
    memcpy(msg_dst, payload, h->payload);
    stream_got++;
}

static int stream_rank(void)
{
    int me = mpi_state.world_rank, n = 20000;
    size_t len = T->max_payload;
    char *buf = malloc(len);
    msg_dst = malloc(len);
    memset(buf, 3, len);
    on_packet = stream_arrived;
    crest_rank_fence();
    double t0 = now();
    if (me == 0) {
        struct pkt_header h = { .kind = PKT_DATA, .src = me, .payload = (uint32_t)len };
        for (int i = 0; i < n;) {
            if (T->backlog(1)) {
                T->progress();
                continue;
            }
            T->send(1, &h, buf);
            i++;
        }
        while (T->backlog(1))
            T->progress();
        wait_for(&stream_got, BUSY); /* the receiver's ack */
    } else {
        while (stream_got < n)
            T->progress();
        sh->figure[0] = (double)len * n / (now() - t0) / 1e9;
        struct pkt_header h = { .kind = PKT_FIN, .src = me };
        T->send(0, &h, NULL);
    }
    crest_rank_fence();
    return 0;
}

/* osu_bw's pattern: windows of 64 eager messages, then an ack. */
static volatile int win_got;
static void win_arrived(int peer, const struct pkt_header *h, const void *payload)
{
    if (h->kind == PKT_EAGER)
        memcpy(msg_dst, payload, h->payload);
    win_got++;
}

static int window_both; /* osu_bibw: both ranks send their windows at once */
static int window_rank(void)
{
    static const size_t sizes[] = { 8, 256, 1024, 4096, 8192, 16384 };
    int me = mpi_state.world_rank;
    char *buf = malloc(16384);
    msg_dst = malloc(16384);
    memset(buf, 5, 16384);
    on_packet = win_arrived;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        size_t len = sizes[si];
        int iters = len <= 1024 ? 4000 : 1000, warm = iters / 10;
        crest_rank_fence();
        double t0 = 0;
        for (int i = 0; i < warm + iters; i++) {
            if (i == warm)
                t0 = now();
            if (window_both) {
                struct pkt_header h = { .kind = PKT_EAGER, .src = me, .length = len, .payload = (uint32_t)len };
                for (int k = 0; k < 64; k++)
                    T->send(me ^ 1, &h, buf);
                while (win_got < 64)
                    T->progress();
                win_got -= 64;
            } else if (me == 0) {
                struct pkt_header h = { .kind = PKT_EAGER, .src = me, .length = len, .payload = (uint32_t)len };
                for (int k = 0; k < 64; k++)
                    T->send(1, &h, buf);
                win_got = 0;
                wait_for(&win_got, BUSY);
            } else {
                while (win_got < 64)
                    T->progress();
                win_got = 0;
                struct pkt_header h = { .kind = PKT_FIN, .src = me };
                T->send(0, &h, NULL);
            }
        }
        if (me == 0)
            sh->figure[si] = (double)len * 64 * iters * (window_both ? 2 : 1) / (now() - t0) / 1e6;
        while (window_both && T->backlog(me ^ 1)) /* the other side's last window */
            T->progress();
    }
    crest_rank_fence();
    return 0;
}

/* The software's own cost: rank 0 sends 8-byte packets to itself through
 * its ring and takes each back (no cache line moves between cores). */
static int overhead_rank(void)
{
    int me = mpi_state.world_rank;
    on_packet = pp_arrived;
    if (me == 0) {
        struct pkt_header h = { .kind = PKT_EAGER, .src = 0, .length = 8, .payload = 8 };
        char data[8] = "overhead";
        double best = 1e9;
        for (int rep = 0; rep < 20; rep++) {
            double t0 = now();
            for (int i = 0; i < 100000; i++) {
                T->send(0, &h, data);
                T->progress();
            }
            double d = (now() - t0) / 100000;
            if (d < best)
                best = d;
        }
        sh->figure[0] = best;
    }
    crest_rank_fence();
    return 0;
}

static void bench(const char *only)
{
    if (only && strcmp(only, "latency"))
        goto messages;
    pp_iters = 200000;
    pin = 1;
    run_ranks(2, 1, NULL, pingpong_rank);
    pin = 0;
    printf("latency: 8-byte packets, 2 ranks: median round trip %.3f us (one way %.3f us)\n", sh->figure[0] * 1e6,
           sh->figure[0] * 1e6 / 2);
    pp_iters = 20000;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    run_ranks(4, 1, NULL, pingpong_rank);
    printf("latency: 8-byte packets, 4 ranks (2 pairs) on %ld cores: round trip median %.3f and %.3f us, mean %.3f and %.3f us\n",
           cpus, sh->figure[0] * 1e6, sh->figure[2] * 1e6, sh->figure[16] * 1e6, sh->figure[18] * 1e6);
messages:
    if (only && strcmp(only, "messages"))
        goto streaming;
    static const char *names[] = { "8 B", "1 KiB", "8 KiB", "16 KiB", "32 KiB", "64 KiB", "1 MiB", "4 MiB" };
    static const size_t sizes[] = { 8, 1024, 8192, 16384, 32768, 65536, 1 << 20, 4 << 20 };
    double fig[4][8];
    pin = 1;
    for (msg_mode = 0; msg_mode < 4; msg_mode++) {
        run_ranks(2, 1, NULL, msg_rank);
        memcpy(fig[msg_mode], sh->figure, sizeof fig[0]);
    }
    pin = 0;
    printf("messages, median round trip (us) and bandwidth (MB/s, one way): as sent (eager <= %zu, else pull) | all eager | all pull | DATA pieces\n",
           T->eager_limit);
    for (int i = 0; i < 8; i++) {
        printf("  %-7s", names[i]);
        for (int m = 0; m < 4; m++) {
            if (fig[m][i] > 0)
                printf(" %9.3f us %8.0f MB/s |", fig[m][i] * 1e6, 2.0 * (double)sizes[i] / fig[m][i] / 1e6);
            else
                printf(" %25s |", "-");
        }
        putchar('\n');
    }
streaming:
    if (only && strcmp(only, "streaming"))
        goto window;
    pin = 1;
    run_ranks(2, 1, NULL, stream_rank);
    pin = 0;
    printf("streaming %zu-byte packets through a ring: %.2f GB/s\n", T->max_payload, sh->figure[0]);
window:
    if (only && strcmp(only, "window"))
        goto overhead;
    pin = 1;
    run_ranks(2, 1, NULL, window_rank);
    pin = 0;
    printf("windows of 64 eager messages (MB/s): 8 B %.0f, 256 B %.0f, 1 KiB %.0f, 4 KiB %.0f, 8 KiB %.0f, 16 KiB %.0f\n",
           sh->figure[0], sh->figure[1], sh->figure[2], sh->figure[3], sh->figure[4], sh->figure[5]);
    window_both = 1;
    pin = 1;
    run_ranks(2, 1, NULL, window_rank);
    pin = 0;
    window_both = 0;
    printf("both ways at once (MB/s, the sum): 8 B %.0f, 256 B %.0f, 1 KiB %.0f, 4 KiB %.0f, 8 KiB %.0f, 16 KiB %.0f\n",
           sh->figure[0], sh->figure[1], sh->figure[2], sh->figure[3], sh->figure[4], sh->figure[5]);
overhead:
    if (only && strcmp(only, "overhead"))
        return;
    run_ranks(2, 1, NULL, overhead_rank);
    printf("software cost of an 8-byte packet (send to itself, then progress): %.1f ns\n", sh->figure[0] * 1e9);
}

/* With a /dev/shm of a few MiB (the caller mounts one): the rings shrink
 * to fit, and when two hosts' segments together outgrow it, a rank fails
 * with a message instead of dying of SIGBUS. */
static void tight(void)
{
    struct statvfs vfs;
    if (statvfs("/dev/shm", &vfs) || (double)vfs.f_blocks * vfs.f_frsize > 8e6) {
        printf("tight: /dev/shm is not a small tmpfs; nothing to check\n");
        return;
    }
    printf("tight: /dev/shm of %.0f KiB\n", (double)vfs.f_blocks * vfs.f_frsize / 1024);
    test_stress(16, 1, NULL, 250);
    stress_packets = 500;
    int bad = run_ranks(16, 2, NULL, stress_rank);
    check(!rank_signal, "2 hosts of 8 ranks sharing a small /dev/shm: %s, no rank died of a signal",
          bad ? "a rank failed (it says why above)" : "all went through");
    check(!leftover_files(), "nothing left in /dev/shm");
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "all";
    int do_check = !strcmp(what, "check") || !strcmp(what, "all");
    int do_bench = !strcmp(what, "bench") || !strcmp(what, "all");
    if (!strcmp(what, "tight")) {
        setvbuf(stdout, NULL, _IOLBF, 0);
        tight();
        printf("%s\n", failures ? "unit_shm: FAILED" : "unit_shm: all checks passed");
        return failures ? 1 : 0;
    }
    if (!do_check && !do_bench) {
        fprintf(stderr, "usage: unit_shm [check|tight|bench [latency|messages|streaming|window|overhead]|all]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (do_check) {
        test_stress(2, 1, NULL, 4000);
        test_stress(2, 1, "64", 4000);  /* the ring fills: queued packets */
        test_stress(4, 1, NULL, 1500);
        test_stress(8, 1, NULL, 600);
        test_stress(16, 1, NULL, 250);
        test_stress(16, 1, "16", 200);  /* small rings: packets in pieces */
        test_stress(4, 1, "4", 500);    /* the smallest rings */
        test_stress(8, 2, NULL, 500);   /* two hosts of 4, one segment each */
        test_sparse();
        test_idle();
        test_pull();
    }
    if (do_bench)
        bench(argc > 2 ? argv[2] : NULL);
    printf("%s\n", failures ? "unit_shm: FAILED" : "unit_shm: all checks passed");
    return failures ? 1 : 0;
}
