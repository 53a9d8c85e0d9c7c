/* unit_tcp.c — the MPI library's TCP transport (src/mpi/transport_tcp.c)
 * on its own, compiled into this program.
 *
 * Ranks are forked processes that fill mpi_state themselves; the runtime's
 * key/value exchange (crest_rank_put/fence/get) is replaced by one in
 * shared memory, and pkt_arrived checks every packet: exactly once, in
 * order per sender, payload intact (contents derived from sender, receiver
 * and sequence number).  mpi_fatal records its line for the parent to
 * check.  Scenarios:
 *   traffic N     N ranks: simultaneous first sends (then one connection
 *                 per pair, the race's losers closed), all-to-all with
 *                 random sizes up to max_payload and bursts that fill the
 *                 socket buffers (queues used), a checkpoint-style
 *                 disconnect/reconnect and more traffic, finalize
 *   nodes N       the same with every rank on a "host" of its own: the
 *                 interfaces' addresses are used, not 127.0.0.1
 *   forged        4 ranks under traffic while another process connects to
 *                 rank 0 with garbage, wrong tokens, a wrong job, nothing:
 *                 each is closed with one line, the job goes on
 *   fallback      a dead address first in rank 1's card: rank 0 dials the
 *                 next one after a while; meanwhile rank 1 dials rank 0,
 *                 which refuses (its own connection wins, being the lower
 *                 rank's): rank 1 waits for it, then both ways work
 *   wrong_port    rank 1's card names rank 2's port: rank 2 refuses the
 *                 hello, rank 0 ends with "cannot reach rank 1"
 *   refused       rank 1 closes its listener: "cannot reach rank 1 at ..."
 *   timeout       rank 1's card names only 127.0.0.1 and a port whose
 *                 listener has a full accept queue (SYNs dropped): rank 0
 *                 gives up after the connect timeout
 *   fds           8 ranks with a soft limit of 12 descriptors: the
 *                 transport raises it and the traffic goes through; with
 *                 a hard limit of 12, the job ends with a line that says so
 *   death_in      rank 1 sends to rank 0, then dies: rank 0 ends the job
 *                 with a line naming rank 1 and its host
 *   death_out     rank 0 sends to rank 1, which dies: the same
 *   perf          ping-pong latency and streaming bandwidth over loopback
 *   perf_quick    the same, a tenth as long (the default: figures on a
 *                 busy machine mean little, and the test must stay short)
 *
 * Built with UNIT_TCP_NO_PLACE, the program does not define pkt_place
 * (the engine's optional hook for reading large payloads in place);
 * otherwise every odd-numbered packet is placed in a buffer of the test's
 * and checked there, and perf measures both ways.
 *
 * usage: unit_tcp DIR [SCENARIO...]   (DIR receives each rank's stderr)
 * Prints one line per scenario; exits non-zero if any failed. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "mpi_impl.h"
#include "rank_client.h"

#define MAXR 8
#define CARD_MAX 512
#define FATAL_EXIT 42
#define JOB 4242

struct mpi_state mpi_state;

/* What the processes of a scenario share. */
struct shared {
    int nranks;
    int bar_count, bar_gen;
    struct {
        size_t len;
        unsigned char val[CARD_MAX];
    } kv[2][MAXR];
    char fatal[MAXR][512];
    int flag[8];
    long queued_sends[MAXR];
    long placed[MAXR];
    double result[16];
};
static struct shared *sh;
static int me, fences;
static unsigned char my_card[CARD_MAX];
static size_t my_card_len;
static const char *scenario;
static char dir[256];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "unit_tcp %s rank %d: ", scenario, me);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    _exit(1);
}

/* ------------------------------------------------------------------ what the library would provide */

void mpi_fatal(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sh->fatal[me], sizeof sh->fatal[me], fmt, ap);
    va_end(ap);
    fprintf(stderr, "fatal: %s\n", sh->fatal[me]);
    _exit(FATAL_EXIT);
}


/* A rank's card as the others see it; a scenario may alter it. */
static const unsigned char *(*tamper)(int rank, const unsigned char *card, size_t *len);

int crest_rank_put(const char *key, const void *value, size_t len)
{
    if (strcmp(key, "tcp") || len > CARD_MAX)
        die("unexpected put of %s (%zu bytes)", key, len);
    memcpy(my_card, value, len);
    my_card_len = len;
    return 0;
}

static void barrier(int progress);

int crest_rank_fence(void)
{
    /* two generations: a rank one fence ahead never overwrites cards
     * the others still read */
    int slot = (fences + 1) % 2;
    memcpy(sh->kv[slot][me].val, my_card, my_card_len);
    sh->kv[slot][me].len = my_card_len;
    barrier(0);
    fences++;
    return 0;
}

const void *crest_rank_get(int rank, const char *key, size_t *len)
{
    if (strcmp(key, "tcp") || rank < 0 || rank >= sh->nranks || !sh->kv[fences % 2][rank].len)
        return NULL;
    *len = sh->kv[fences % 2][rank].len;
    const unsigned char *card = sh->kv[fences % 2][rank].val;
    return tamper ? tamper(rank, card, len) : card;
}

/* ------------------------------------------------------------------ barrier */

static void barrier(int progress)
{
    int gen = __atomic_load_n(&sh->bar_gen, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&sh->bar_count, 1, __ATOMIC_ACQ_REL) == sh->nranks) {
        __atomic_store_n(&sh->bar_count, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&sh->bar_gen, gen + 1, __ATOMIC_RELEASE);
        return;
    }
    double t0 = now_s();
    while (__atomic_load_n(&sh->bar_gen, __ATOMIC_ACQUIRE) == gen) {
        if (!progress || !transport_tcp.progress())
            sched_yield();
        if (now_s() - t0 > 60)
            die("barrier timed out");
    }
}

/* ------------------------------------------------------------------ packets */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t seed_of(int src, int dst, int phase, uint64_t seq)
{
    return ((uint64_t)src << 48) ^ ((uint64_t)dst << 40) ^ ((uint64_t)phase << 32) ^ seq;
}

static void fill(unsigned char *p, size_t n, uint64_t seed)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v = splitmix(&seed);
        memcpy(p + i, &v, 8);
    }
    if (i < n) {
        uint64_t v = splitmix(&seed);
        memcpy(p + i, &v, n - i);
    }
}

static int check(const unsigned char *p, size_t n, uint64_t seed)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v = splitmix(&seed);
        if (memcmp(p + i, &v, 8))
            return -1;
    }
    if (i < n) {
        uint64_t v = splitmix(&seed);
        if (memcmp(p + i, &v, n - i))
            return -1;
    }
    return 0;
}

/* Sizes: many small, some middle, a few up to max_payload. */
static uint32_t random_size(uint64_t *rng)
{
    uint64_t r = splitmix(rng);
    uint32_t maxp = (uint32_t)transport_tcp.max_payload;
    switch (r % 10) {
    case 0: return (uint32_t)(r >> 8) % (maxp + 1);
    case 1: case 2: return (uint32_t)(r >> 8) % 65537;
    case 3: case 4: case 5: return (uint32_t)(r >> 8) % 4097;
    case 6: return 0;
    default: return (uint32_t)(r >> 8) % 65;
    }
}

enum { MODE_CHECK, MODE_PERF };
static int mode, phase;
static uint64_t expect_seq[MAXR];
static long got[MAXR];
static volatile long arrived; /* perf */
static size_t perf_bytes;
static unsigned char *sink;
static int place_on;                 /* perf: pkt_place puts payloads in sink */
static unsigned char *placebuf[MAXR]; /* check: where odd packets of each sender go */
static uint64_t placed_seq[MAXR];
static long placed;

#ifndef UNIT_TCP_NO_PLACE
void *pkt_place(int peer, const struct pkt_header *h)
{
    if (mode == MODE_PERF)
        return place_on ? sink : NULL;
    if (peer < 0 || peer >= sh->nranks || !(h->sreq & 1))
        return NULL;
    placed_seq[peer] = h->sreq;
    return placebuf[peer];
}
#endif

void pkt_arrived(int peer, const struct pkt_header *h, const void *payload)
{
    if (mode == MODE_PERF) {
        if (h->payload && payload != sink)
            memcpy(sink, payload, h->payload); /* as the engine would: into the user's buffer */
        perf_bytes += h->payload;
        arrived++;
        return;
    }
    if (peer < 0 || peer >= sh->nranks || h->src != peer)
        die("packet from rank %d says it is from %d", peer, h->src);
    if (h->kind != PKT_EAGER || h->tag != phase || h->context != 7)
        die("packet from rank %d: kind %u tag %d context %u (phase %d)", peer, h->kind, h->tag, h->context, phase);
    if (h->sreq != expect_seq[peer])
        die("packet from rank %d: sequence %llu, expected %llu", peer, (unsigned long long)h->sreq,
            (unsigned long long)expect_seq[peer]);
    if (h->rreq != ~h->sreq || h->length != h->payload || h->flags != 3)
        die("packet %llu from rank %d: header damaged", (unsigned long long)h->sreq, peer);
    if (payload && payload == placebuf[peer]) {
        if (placed_seq[peer] != h->sreq)
            die("packet %llu from rank %d arrived in the place given to packet %llu", (unsigned long long)h->sreq,
                peer, (unsigned long long)placed_seq[peer]);
        placed++;
    }
    if (h->payload && ((uintptr_t)payload & 7))
        die("payload of packet %llu from rank %d is not 8-aligned", (unsigned long long)h->sreq, peer);
    if (h->payload && check(payload, h->payload, seed_of(peer, me, phase, h->sreq)))
        die("payload of packet %llu from rank %d (%u bytes) damaged", (unsigned long long)h->sreq, peer, h->payload);
    expect_seq[peer]++;
    got[peer]++;
}

static unsigned char *sendbuf;
static uint64_t next_seq[MAXR];

static void send_one(int dst, uint32_t size)
{
    struct pkt_header h = { 0 };
    h.kind = PKT_EAGER;
    h.src = me;
    h.tag = phase;
    h.context = 7;
    h.sreq = next_seq[dst];
    h.rreq = ~h.sreq;
    h.length = size;
    h.flags = 3;
    h.payload = size;
    fill(sendbuf, size, seed_of(me, dst, phase, h.sreq));
    if (transport_tcp.backlog(dst))
        sh->queued_sends[me]++;
    if (transport_tcp.send(dst, &h, size ? sendbuf : NULL))
        die("send to %d failed", dst);
    next_seq[dst]++;
}

static void new_phase(int p)
{
    phase = p;
    memset(expect_seq, 0, sizeof expect_seq);
    memset(got, 0, sizeof got);
    memset(next_seq, 0, sizeof next_seq);
}

static int any_backlog(void)
{
    for (int w = 0; w < sh->nranks; w++)
        if (transport_tcp.backlog(w))
            return 1;
    return 0;
}

/* Progress until `count` packets (plus extra[w] from rank w, when extra
 * is given) came from rank `from` (-1: from every rank) and nothing is
 * queued here any more. */
static const long *extra;
static void wait_from(int from, long count, double limit)
{
    double t0 = now_s();
    for (;;) {
        int done = !any_backlog();
        for (int w = 0; w < sh->nranks && done; w++)
            done = (from >= 0 && w != from) || got[w] >= count + (extra ? extra[w] : 0);
        if (done)
            break;
        if (!transport_tcp.progress())
            sched_yield();
        if (now_s() - t0 > limit) {
            char b[256];
            int n = 0;
            for (int w = 0; w < sh->nranks; w++)
                n += snprintf(b + n, sizeof b - (size_t)n, " %ld", got[w]);
            die("timed out waiting for %ld packets from %d; have%s; backlog %d", count, from, b, any_backlog());
        }
    }
    for (int w = 0; w < sh->nranks; w++)
        if ((from < 0 || w == from) && got[w] != count + (extra ? extra[w] : 0))
            die("%ld packets from rank %d, expected %ld", got[w], w, count + (extra ? extra[w] : 0));
}

/* Every rank first sends `flood` packets of max_payload to the next rank
 * and to itself while nobody reads (the socket buffers fill, the queues
 * take the rest), then `per_peer` packets of random sizes to every rank
 * (itself included), round after round, calling progress only every
 * `burst` rounds. */
static void all_to_all(int p, int per_peer, int burst, int flood)
{
    int n = sh->nranks, next = (me + 1) % n, prev = (me + n - 1) % n;
    long more[MAXR] = { 0 };
    new_phase(p);
    barrier(1);
    for (int i = 0; i < flood; i++) {
        send_one(next, (uint32_t)transport_tcp.max_payload);
        if (next != me)
            send_one(me, (uint32_t)transport_tcp.max_payload);
    }
    more[prev] += flood;
    if (prev != me)
        more[me] += flood;
    uint64_t rng = 0x1234567ull * (uint64_t)(me + 1) + (uint64_t)p;
    for (int i = 0; i < per_peer; i++) {
        for (int k = 0; k < n; k++)
            send_one((me + k) % n, random_size(&rng));
        if (i % burst == burst - 1)
            transport_tcp.progress();
    }
    extra = more;
    wait_from(-1, per_peer, 120);
    extra = NULL;
    sh->placed[me] = placed;
    barrier(1);
}

/* Sockets this process has open. */
static int count_sockets(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d))) {
        char path[300], target[64];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t l = readlink(path, target, sizeof target - 1);
        if (l > 0) {
            target[l] = 0;
            n += !strncmp(target, "socket:", 7);
        }
    }
    if (d)
        closedir(d);
    return n;
}

/* Every rank sends its first packet to every other at the same moment:
 * pairs dial each other at once, and after the dust settles each pair has
 * one connection (each rank: one socket per peer and its listener). */
static void first_contact(int p)
{
    new_phase(p);
    barrier(0);
    for (int k = 1; k < sh->nranks; k++)
        send_one((me + k) % sh->nranks, 8);
    send_one(me, 0);
    wait_from(-1, 1, 30);
    barrier(1);
    double t0 = now_s();
    int socks;
    while ((socks = count_sockets()) != sh->nranks && strcmp(scenario, "forged")) {
        if (now_s() - t0 > 5)
            die("%d sockets open after the first contact with %d ranks, expected %d", socks, sh->nranks - 1,
                sh->nranks);
        if (!transport_tcp.progress())
            usleep(1000);
    }
    barrier(1);
}

static void setup_rank(int r, int n, int own_nodes)
{
    me = r;
    mpi_state.world_rank = r;
    mpi_state.world_size = n;
    mpi_state.job = JOB;
    mpi_state.node = own_nodes ? r : 0;
    mpi_state.local_rank = own_nodes ? 0 : r;
    mpi_state.local_size = own_nodes ? 1 : n;
    gethostname(mpi_state.processor_name, sizeof mpi_state.processor_name - 1);
    mpi_state.peers = calloc((size_t)n, sizeof *mpi_state.peers);
    sendbuf = malloc(transport_tcp.max_payload);
    sink = malloc(transport_tcp.max_payload);
    if (!mpi_state.peers || !sendbuf || !sink)
        die("out of memory");
    for (int w = 0; w < n; w++) {
        mpi_state.peers[w].tr = &transport_tcp;
        mpi_state.peers[w].node = own_nodes ? w : 0;
    }
    for (int w = 0; w < n; w++)
        if (!(placebuf[w] = malloc(transport_tcp.max_payload)))
            die("out of memory");
    if (transport_tcp.init(0))
        die("init(0) failed");
    crest_rank_fence();
    if (transport_tcp.init(1))
        die("init(1) failed");
}

/* Progress until the parent says the scenario is over (flag 1). */
static void linger(double limit)
{
    double t0 = now_s();
    while (!__atomic_load_n(&sh->flag[1], __ATOMIC_ACQUIRE) && now_s() - t0 < limit)
        if (!transport_tcp.progress())
            usleep(200);
}

/* ------------------------------------------------------------------ rank programs */

static void rank_traffic(int n, int r)
{
    int per_peer = n == 2 ? 300 : n == 4 ? 120 : 50, flood = 24;
    first_contact(1);
    all_to_all(2, per_peer, 8, flood);
    if (!strcmp(scenario, "forged")) {
        /* rank 0 goes on while the forger works on it; then all talk again */
        double t0 = now_s();
        while (r == 0 && !__atomic_load_n(&sh->flag[0], __ATOMIC_ACQUIRE)) {
            if (now_s() - t0 > 60)
                die("the forger did not finish");
            if (!transport_tcp.progress())
                usleep(200);
        }
        first_contact(5);
    }
    /* a checkpoint: everything drained, connections closed and made anew */
    barrier(1);
    double t0 = now_s();
    transport_tcp.disconnect();
    double t_disc = now_s() - t0;
    if (transport_tcp.reconnect())
        die("reconnect failed");
    crest_rank_fence();
    if (transport_tcp.init(1))
        die("init(1) after reconnect failed");
    first_contact(3);
    all_to_all(4, per_peer / 2, 4, flood / 2);
    t0 = now_s();
    transport_tcp.finalize();
    double t_fin = now_s() - t0;
    if (t_disc > 5 || t_fin > 5)
        die("disconnect took %.2f s, finalize %.2f s", t_disc, t_fin);
    sh->result[r] = t_disc > t_fin ? t_disc : t_fin;
}

/* fallback: rank 1's card lists a dead address first */
static unsigned char tampered[CARD_MAX];
static const unsigned char *dead_first(int rank, const unsigned char *card, size_t *len)
{
    if (rank != 1 || card[6] >= 16)
        return card;
    /* an unused address in one of this host's subnets: tried first */
    uint32_t dead = htonl(0xc0000201);
    struct ifaddrs *ifs, *i;
    if (!getifaddrs(&ifs)) {
        for (i = ifs; i; i = i->ifa_next)
            if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !(i->ifa_flags & IFF_LOOPBACK) &&
                (i->ifa_flags & IFF_UP) && i->ifa_netmask) {
                uint32_t a = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
                uint32_t m = ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
                uint32_t d = (a & m) | (~m - 1); /* the subnet's last host address */
                if (~m > 2 && d != a) {
                    dead = htonl(d);
                    break;
                }
            }
        freeifaddrs(ifs);
    }
    /* the card (transport_tcp.c): magic, port, naddr, hostlen, token[16], addresses, host */
    memcpy(tampered, card, 24);
    memcpy(tampered + 24, &dead, 4);
    memcpy(tampered + 28, card + 24, *len - 24);
    tampered[6]++;
    *len += 4;
    return tampered;
}

static void rank_fallback(int n, int r)
{
    new_phase(1);
    barrier(0);
    double t0 = now_s();
    if (r == 1)
        usleep(100000); /* rank 0's dial is under way, at the dead address */
    for (int i = 0; i < 50; i++)
        send_one(1 - r, 1000 + (uint32_t)i);
    wait_from(1 - r, 50, 60);
    sh->result[r] = now_s() - t0;
    barrier(1);
    transport_tcp.finalize();
}

/* wrong_port: rank 0 sees rank 1's card with rank 2's port */
static const unsigned char *port_of_2(int rank, const unsigned char *card, size_t *len)
{
    if (rank != 1)
        return card;
    memcpy(tampered, card, *len);
    memcpy(tampered + 4, sh->kv[fences % 2][2].val + 4, 2);
    return tampered;
}

/* timeout: rank 1's card names 127.0.0.1 only, at a port that drops SYNs */
static uint16_t blackhole_port; /* network order; set by the parent before fork */
static const unsigned char *to_blackhole(int rank, const unsigned char *card, size_t *len)
{
    if (rank != 1)
        return card;
    uint8_t naddr = card[6], hostlen = card[7];
    uint32_t lo = htonl(INADDR_LOOPBACK);
    memcpy(tampered, card, 24);
    memcpy(tampered + 4, &blackhole_port, 2);
    tampered[6] = 1;
    memcpy(tampered + 24, &lo, 4);
    memcpy(tampered + 28, card + 24 + naddr * 4, hostlen);
    *len = 28 + hostlen;
    return tampered;
}

/* A listener whose accept queue is full: the kernel drops further SYNs,
 * so a connect to it stays pending. */
static int make_blackhole(void)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
    socklen_t sl = sizeof sa;
    if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) || listen(l, 0) ||
        getsockname(l, (struct sockaddr *)&sa, &sl))
        return -1;
    blackhole_port = sa.sin_port;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < 2; i++) {
        int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c < 0 || (connect(c, (struct sockaddr *)&sa, sizeof sa) && errno != EINPROGRESS))
            return -1;
    }
    usleep(100000);
    return 0;
}

static void rank_unreachable(int n, int r)
{
    new_phase(1);
    if (!strcmp(scenario, "refused") && r == 1) {
        transport_tcp.disconnect(); /* no listener any more */
        __atomic_store_n(&sh->flag[2], 1, __ATOMIC_RELEASE);
    }
    if (r == 0) {
        while (!strcmp(scenario, "refused") && !__atomic_load_n(&sh->flag[2], __ATOMIC_ACQUIRE))
            usleep(1000);
        sh->result[0] = now_s();
        send_one(1, 100);
        while (now_s() - sh->result[0] < 30)
            if (!transport_tcp.progress())
                usleep(200);
        die("sent to rank 1, which cannot be reached, and no error came");
    }
    linger(30);
}

/* fds: a few rounds of all-to-all under a low limit of descriptors */
static rlim_t fd_soft, fd_hard;
static void rank_fds(int n, int r)
{
    struct rlimit rl = { fd_soft, fd_hard };
    if (setrlimit(RLIMIT_NOFILE, &rl))
        die("setrlimit: %s", strerror(errno));
    barrier(0);
    all_to_all(1, 6, 2, 0);
    transport_tcp.finalize();
}

static void rank_death(int n, int r)
{
    int in = !strcmp(scenario, "death_in"); /* rank 1 dials rank 0 (else 0 dials 1) */
    int sender = in ? 1 : 0;
    new_phase(1);
    barrier(0);
    if (r == sender) {
        for (int i = 0; i < 10; i++)
            send_one(1 - r, 5000);
        wait_from(1 - r, 0, 30);
    } else {
        wait_from(sender, 10, 30);
    }
    barrier(1);
    if (r == 1)
        _exit(0); /* no finalize: as if it crashed */
    double t0 = now_s();
    while (now_s() - t0 < 10)
        if (!transport_tcp.progress())
            usleep(200);
    die("rank 1 died and nothing noticed it within 10 s");
}

static int perf_div = 1; /* perf_quick: 10 */

/* Waits the way the engine's progress_wait does: spins on progress, then
 * yields the core, then sleeps in poll() on the transport's descriptors.
 * Until `arrived` reaches target, or (target < 0) nothing is queued to
 * rank -target-1. */
static void perf_wait(long target)
{
    int idle = 0;
    while (target >= 0 ? arrived < target : transport_tcp.backlog((int)(-target - 1))) {
        if (transport_tcp.progress()) {
            idle = 0;
            continue;
        }
        if (++idle < 2000) {
            __builtin_ia32_pause();
        } else if (idle < 2050) {
            sched_yield();
        } else {
            struct pollfd fds[4];
            int n = transport_tcp.poll_fds(fds, 4);
            poll(fds, (nfds_t)n, 100);
        }
    }
}

static void rank_perf(int n, int r)
{
    static const uint32_t sizes[] = { 0, 8, 1024, 16384, 65536, 1u << 20 };
    mode = MODE_PERF;
    struct pkt_header h = { .kind = PKT_EAGER, .src = r };
    barrier(1);
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes + 1; s++) {
        /* the last round: 1 MiB again, read in place */
        h.payload = s < sizeof sizes / sizeof *sizes ? sizes[s] : 1u << 20;
        place_on = s == sizeof sizes / sizeof *sizes;
        int iters = (h.payload >= (1u << 20) ? 500 : h.payload >= 65536 ? 3000 : 20000) / perf_div;
        int warm = iters / 10;
        barrier(1);
        double t0 = 0;
        arrived = 0;
        for (int i = 0; i < warm + iters; i++) {
            if (i == warm)
                t0 = now_s();
            if (r == 0) {
                transport_tcp.send(1, &h, sendbuf);
                perf_wait(i + 1);
            } else {
                perf_wait(i + 1);
                transport_tcp.send(0, &h, sendbuf);
            }
        }
        double t = now_s() - t0;
        while (any_backlog())
            transport_tcp.progress();
        if (r == 0)
            sh->result[s] = t / iters / 2 * 1e6;
    }
    /* 1 MiB the way the engine moves it: RTS, CTS, then the data (in place
     * when the hook is there) */
    {
        struct pkt_header ctl = { .kind = PKT_RTS, .src = r };
        int iters = 500 / perf_div, warm = iters / 10;
        long seen = 0;
        barrier(1);
        arrived = 0;
        place_on = 1;
        double t0 = 0;
#define AWAIT() perf_wait(++seen)
        for (int i = 0; i < warm + iters; i++) {
            if (i == warm)
                t0 = now_s();
            h.payload = 1u << 20;
            if (r == 0) {
                transport_tcp.send(1, &ctl, NULL); /* RTS */
                AWAIT();                           /* CTS */
                transport_tcp.send(1, &h, sendbuf);
                AWAIT();                           /* RTS */
                transport_tcp.send(1, &ctl, NULL); /* CTS */
                AWAIT();                           /* data */
            } else {
                AWAIT();
                transport_tcp.send(0, &ctl, NULL);
                AWAIT();
                transport_tcp.send(0, &ctl, NULL);
                AWAIT();
                transport_tcp.send(0, &h, sendbuf);
            }
        }
#undef AWAIT
        if (r == 0)
            sh->result[7] = (now_s() - t0) / iters / 2 * 1e6;
        while (any_backlog())
            transport_tcp.progress();
    }
    /* streaming: the engine's way, the next piece when the last went out */
    static const uint32_t pieces[] = { 1u << 20, 65536, 1u << 20 };
    for (size_t k = 0; k < 3; k++) {
        size_t total = ((size_t)1 << 30) / (size_t)perf_div;
        h.payload = pieces[k];
        place_on = k == 2;
        barrier(1);
        perf_bytes = 0;
        arrived = 0;
        double t0 = now_s();
        if (r == 0) {
            for (size_t sent = 0; sent < total; sent += h.payload) {
                perf_wait(-2); /* nothing queued to rank 1 */
                transport_tcp.send(1, &h, sendbuf);
            }
            perf_wait(1);
            sh->result[8 + k] = (double)total / (now_s() - t0) / 1e6;
        } else {
            perf_wait((long)(total / h.payload));
            struct pkt_header ack = { .kind = PKT_EAGER, .src = 1 };
            transport_tcp.send(0, &ack, NULL);
            while (any_backlog())
                transport_tcp.progress();
        }
    }
    barrier(1);
    transport_tcp.finalize();
}

/* ------------------------------------------------------------------ the forger */

struct hello_wire {
    uint32_t magic, version, job;
    int32_t rank;
    uint8_t token[16];
};

/* Connects to rank 0 at 127.0.0.1, sends `len` bytes of `what` and checks
 * that rank 0 closes the connection.  Returns 0 when it did. */
static int forge(uint16_t port, const void *what, size_t len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = port, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa))
        return -1;
    if (len && send(fd, what, len, MSG_NOSIGNAL) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    if (!len) {
        close(fd);
        return 0;
    }
    struct timeval tv = { 20, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char b[64];
    ssize_t r = recv(fd, b, sizeof b, 0);
    close(fd);
    return r == 0 || (r < 0 && errno == ECONNRESET) ? 0 : -1;
}

static int forger(void)
{
    double t0 = now_s();
    while (!__atomic_load_n(&sh->kv[1][0].len, __ATOMIC_ACQUIRE)) {
        if (now_s() - t0 > 30)
            return 10;
        usleep(1000);
    }
    const unsigned char *card = sh->kv[1][0].val;
    uint16_t port;
    memcpy(&port, card + 4, 2);
    struct hello_wire good = { 0x4c4c4548u, 1, JOB, 3, { 0 } };
    memcpy(good.token, card + 8, 16);
    char garbage[64];
    memset(garbage, 'x', sizeof garbage);
    struct hello_wire bad_token = good, bad_job = good, bad_rank = good;
    bad_token.token[5] ^= 1;
    bad_job.job = JOB + 1;
    bad_rank.rank = 99;
    int rc = 0;
    rc |= forge(port, garbage, sizeof garbage) ? 1 : 0;
    rc |= forge(port, &bad_token, sizeof bad_token) ? 2 : 0;
    rc |= forge(port, &bad_job, sizeof bad_job) ? 4 : 0;
    rc |= forge(port, &bad_rank, sizeof bad_rank) ? 8 : 0;
    rc |= forge(port, NULL, 0) ? 16 : 0;
    usleep(200000); /* the last one: rank 0 sees its end */
    __atomic_store_n(&sh->flag[0], 1, __ATOMIC_RELEASE);
    return rc;
}

/* ------------------------------------------------------------------ the parent */

static int failures;

static int count_lines(const char *path, const char *a, const char *b)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int n = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, a) && (!b || strstr(line, b));
    fclose(f);
    return n;
}

static void show_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        printf("    | %s", line);
    fclose(f);
}

/* Runs fn in n forked ranks; fills status[] with their wait statuses.
 * Returns 0 when all ended within the time limit. */
static int run_ranks(const char *name, int n, int own_nodes, void (*fn)(int, int), int with_forger, int *status,
                     int *forger_status)
{
    memset(sh, 0, sizeof *sh);
    sh->nranks = n;
    scenario = name;
    pid_t pids[MAXR + 1];
    for (int r = 0; r <= n; r++) {
        if (r == n && !with_forger)
            break;
        pids[r] = fork();
        if (pids[r] < 0) {
            perror("fork");
            exit(2);
        }
        if (pids[r] == 0) {
            char path[400];
            snprintf(path, sizeof path, "%s/%s.%s%d.err", dir, name, r == n ? "forger" : "rank", r);
            int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd >= 0)
                dup2(fd, 2);
            alarm(240);
            me = r;
            if (r == n)
                _exit(forger());
            setup_rank(r, n, own_nodes);
            fn(n, r);
            _exit(0);
        }
    }
    int left = n + (with_forger ? 1 : 0), ok = 1;
    double t0 = now_s();
    while (left) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p > 0) {
            for (int r = 0; r <= n; r++)
                if (pids[r] == p) {
                    if (r < n)
                        status[r] = st;
                    else
                        *forger_status = st;
                }
            left--;
            __atomic_store_n(&sh->flag[1], 1, __ATOMIC_RELEASE); /* somebody ended */
            continue;
        }
        if (now_s() - t0 > 250) {
            for (int r = 0; r < n + (with_forger ? 1 : 0); r++)
                kill(pids[r], SIGKILL);
            ok = 0;
        }
        usleep(2000);
    }
    return ok ? 0 : -1;
}

static void report_ranks(const char *name, int n, const int *status)
{
    for (int r = 0; r < n; r++) {
        char path[400];
        snprintf(path, sizeof path, "%s/%s.rank%d.err", dir, name, r);
        printf("  rank %d: %s %d\n", r, WIFEXITED(status[r]) ? "exit" : "signal",
               WIFEXITED(status[r]) ? WEXITSTATUS(status[r]) : WTERMSIG(status[r]));
        show_file(path);
    }
}

static int all_zero(int n, const int *status)
{
    for (int r = 0; r < n; r++)
        if (!WIFEXITED(status[r]) || WEXITSTATUS(status[r]))
            return 0;
    return 1;
}

static void fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s: ", name);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failures++;
}

static int have_interface(void)
{
    struct ifaddrs *ifs, *i;
    int found = 0;
    if (getifaddrs(&ifs))
        return 0;
    for (i = ifs; i; i = i->ifa_next)
        found |= i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !(i->ifa_flags & IFF_LOOPBACK) &&
                 (i->ifa_flags & IFF_UP) && (i->ifa_flags & IFF_RUNNING);
    freeifaddrs(ifs);
    return found;
}

static void scen_traffic(const char *name, int n, int own_nodes)
{
    int st[MAXR], fst = 0;
    char label[64];
    snprintf(label, sizeof label, "%s%d", name, n);
    int forged = !strcmp(name, "forged");
    double t0 = now_s();
    int r = run_ranks(forged ? "forged" : label, n, own_nodes, rank_traffic, forged, st, &fst);
    double t = now_s() - t0;
    if (r || !all_zero(n, st)) {
        fail(label, "a rank failed");
        report_ranks(forged ? "forged" : label, n, st);
        return;
    }
    long q = 0, pl = 0;
    double slowest = 0;
    for (int i = 0; i < n; i++) {
        q += sh->queued_sends[i];
        pl += sh->placed[i];
        if (sh->result[i] > slowest)
            slowest = sh->result[i];
    }
    if (!q) {
        fail(label, "no send ever found a queue: the socket buffers never filled");
        return;
    }
#ifndef UNIT_TCP_NO_PLACE
    if (!pl) {
        fail(label, "no payload was read in place");
        return;
    }
#endif
    if (forged) {
        char path[400];
        snprintf(path, sizeof path, "%s/forged.rank0.err", dir);
        int lines = count_lines(path, "crest MPI: rank 0: closed a connection from 127.0.0.1:",
                                "it did not present this job's token");
        if (!WIFEXITED(fst) || WEXITSTATUS(fst))
            fail("forged", "the forger's connections were not all closed (status %d)", WEXITSTATUS(fst));
        if (lines != 5) {
            fail("forged", "rank 0 wrote %d rejection line(s), expected 5", lines);
            show_file(path);
        }
        if (failures)
            return;
        printf("ok forged: 5 forged connections to rank 0 closed with one line each while 4 ranks went on "
               "(%.1f s)\n", t);
        return;
    }
    printf("ok %s: %d ranks%s, every packet once and in order, %ld sends queued behind full sockets, "
           "%ld payloads read in place, disconnect/reconnect, slowest close %.3f s (%.1f s)\n",
           label, n, own_nodes ? " on hosts of their own (no 127.0.0.1)" : "", q, pl, slowest, t);
}

static int expect_fatal(const char *name, int n, const int *status, int rank, const char *a, const char *b)
{
    if (!WIFEXITED(status[rank]) || WEXITSTATUS(status[rank]) != FATAL_EXIT) {
        fail(name, "rank %d did not end with mpi_fatal", rank);
        report_ranks(name, n, status);
        return -1;
    }
    if (!strstr(sh->fatal[rank], a) || (b && !strstr(sh->fatal[rank], b))) {
        fail(name, "rank %d's line does not say \"%s\"%s%s: %s", rank, a, b ? " and " : "", b ? b : "",
             sh->fatal[rank]);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: unit_tcp DIR [SCENARIO...]\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    static const char *all[] = { "traffic", "nodes",    "forged",   "fallback",  "wrong_port",
                                 "refused", "timeout", "fds",      "death_in",  "death_out", "perf_quick" };
    const char **list = argc > 2 ? (const char **)argv + 2 : all;
    int nlist = argc > 2 ? argc - 2 : (int)(sizeof all / sizeof *all);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    for (int k = 0; k < nlist; k++) {
        const char *s = list[k];
        int st[MAXR] = { 0 }, fst = 0;
        tamper = NULL;
        if (!strcmp(s, "traffic")) {
            scen_traffic("traffic", 2, 0);
            scen_traffic("traffic", 4, 0);
            scen_traffic("traffic", 8, 0);
        } else if (!strcmp(s, "nodes")) {
            if (!have_interface())
                printf("skip nodes: this host has no IPv4 interface but loopback\n");
            else
                scen_traffic("nodes", 4, 1);
        } else if (!strcmp(s, "forged")) {
            scen_traffic("forged", 4, 0);
        } else if (!strcmp(s, "fallback")) {
            tamper = dead_first;
            if (run_ranks(s, 2, 0, rank_fallback, 0, st, &fst) || !all_zero(2, st)) {
                fail(s, "a rank failed");
                report_ranks(s, 2, st);
            } else {
                printf("ok fallback: a dead address first in rank 1's card, the next one used; both ways "
                       "complete after %.2f s\n",
                       sh->result[0] > sh->result[1] ? sh->result[0] : sh->result[1]);
            }
        } else if (!strcmp(s, "wrong_port")) {
            tamper = port_of_2;
            if (!run_ranks(s, 3, 0, rank_unreachable, 0, st, &fst) &&
                !expect_fatal(s, 3, st, 0, "cannot reach rank 1", "closed before answering")) {
                char path[400];
                snprintf(path, sizeof path, "%s/wrong_port.rank2.err", dir);
                if (count_lines(path, "closed a connection from", "did not present this job's token") < 1)
                    fail(s, "rank 2 did not report the connection meant for rank 1");
                else
                    printf("ok wrong_port: the wrong process refused the hello; rank 0: %s\n", sh->fatal[0]);
            }
        } else if (!strcmp(s, "refused")) {
            if (!run_ranks(s, 2, 0, rank_unreachable, 0, st, &fst) &&
                !expect_fatal(s, 2, st, 0, "cannot reach rank 1", "127.0.0.1"))
                printf("ok refused: %s\n", sh->fatal[0]);
        } else if (!strcmp(s, "timeout")) {
            tamper = to_blackhole;
            if (make_blackhole()) {
                fail(s, "cannot make a listener that drops connections: %s", strerror(errno));
            } else if (!run_ranks(s, 2, 0, rank_unreachable, 0, st, &fst) &&
                       !expect_fatal(s, 2, st, 0, "cannot reach rank 1", "timed out")) {
                double t = now_s() - sh->result[0];
                if (t < 4 || t > 15)
                    fail(s, "rank 0 gave up after %.1f s, not after about 5 s", t);
                else
                    printf("ok timeout: after %.1f s: %s\n", t, sh->fatal[0]);
            }
        } else if (!strcmp(s, "fds")) {
            fd_soft = 12;
            fd_hard = 4096;
            if (run_ranks(s, 8, 0, rank_fds, 0, st, &fst) || !all_zero(8, st)) {
                fail(s, "with a soft limit of 12 descriptors, a rank failed");
                report_ranks(s, 8, st);
                continue;
            }
            fd_hard = 12;
            int found = 0;
            run_ranks(s, 8, 0, rank_fds, 0, st, &fst);
            for (int r = 0; r < 8; r++)
                if (WIFEXITED(st[r]) && WEXITSTATUS(st[r]) == FATAL_EXIT &&
                    strstr(sh->fatal[r], "out of file descriptors") && strstr(sh->fatal[r], "ulimit -n"))
                    found = r + 1;
            if (!found) {
                fail(s, "with a hard limit of 12 descriptors, no rank said it ran out of them");
                report_ranks(s, 8, st);
            } else {
                printf("ok fds: a soft limit of 12 descriptors raised; a hard one: rank %d: %s\n", found - 1,
                       sh->fatal[found - 1]);
            }
        } else if (!strcmp(s, "death_in") || !strcmp(s, "death_out")) {
            if (!run_ranks(s, 2, 0, rank_death, 0, st, &fst) && !expect_fatal(s, 2, st, 0, "rank 1", host))
                printf("ok %s: %s\n", s, sh->fatal[0]);
        } else if (!strcmp(s, "perf") || !strcmp(s, "perf_quick")) {
            perf_div = strcmp(s, "perf") ? 10 : 1;
            if (run_ranks(s, 2, 0, rank_perf, 0, st, &fst) || !all_zero(2, st)) {
                fail(s, "a rank failed");
                report_ranks(s, 2, st);
            } else {
                printf("perf (loopback, 2 ranks; half round trip): 0 B %.2f us, 8 B %.2f us, 1 KiB %.2f us, "
                       "16 KiB %.2f us, 64 KiB %.2f us (%.0f MB/s), 1 MiB %.1f us (%.0f MB/s); "
                       "streaming 1 MiB pieces %.0f MB/s, 64 KiB pieces %.0f MB/s",
                       sh->result[0], sh->result[1], sh->result[2], sh->result[3], sh->result[4],
                       65536 / sh->result[4], sh->result[5], 1048576 / sh->result[5], sh->result[8],
                       sh->result[9]);
#ifndef UNIT_TCP_NO_PLACE
                printf("; read in place: 1 MiB %.1f us (%.0f MB/s), streaming %.0f MB/s", sh->result[6],
                       1048576 / sh->result[6], sh->result[10]);
#endif
                printf("; 1 MiB with RTS/CTS %.1f us (%.0f MB/s)", sh->result[7], 1048576 / sh->result[7]);
                printf("\n");
            }
        } else {
            fail(s, "no such scenario");
        }
        fflush(stdout);
    }
    if (failures) {
        printf("%d scenario(s) failed\n", failures);
        return 1;
    }
    printf("all TCP transport scenarios passed\n");
    return 0;
}
