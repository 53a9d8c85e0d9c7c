/* transport_tcp.c — packets between ranks on different hosts (or between
 * any ranks when CREST_MPI_TRANSPORT=tcp) over TCP.
 *
 * Two ranks share one connection, dialed by the first of them to send to
 * the other, to the addresses the other published in the runtime's
 * key/value exchange (key "tcp").  One connection for both directions,
 * rather than one each, lets TCP carry its acknowledgements on the
 * packets going back: a ping-pong over loopback then takes 4.4 us each
 * way instead of 7 (measured with plain sockets).
 *
 * The bytes of a connection:
 *   dialer -> acceptor   hello, then records
 *   acceptor -> dialer   ack (or nack, below), then records
 * A record is [pkt_header][payload][zeros to a multiple of 8], so that
 * every header and payload is 8-aligned in the reader's buffer; a record
 * of kind 0 is the transport's own "bye".  The hello carries the
 * acceptor's token, which only ranks of this job can know: it travels in
 * the key/value exchange, over the runtime's authenticated channels.  The
 * ack carries the dialer's, so the dialer knows it reached the right
 * process and not whatever else listens at an address (two hosts may have
 * bridges with the same address).  Until the ack, what was written stays
 * queued, to be written again to the next address if this one turns out
 * wrong.
 *
 * Two ranks may dial each other at the same moment.  The connection the
 * lower rank dialed wins: the lower rank answers the other hello with a
 * nack, and the higher one drops its own connection, takes the lower
 * rank's, and writes there what it had queued, from its start (nothing of
 * the losing connection was read past the hello).
 *
 * "bye" says a rank closes on purpose (MPI_Finalize, checkpoint); the end
 * of a stream without it means the peer died, and ends the job.
 *
 * Every socket is in one epoll set: progress() costs one epoll_wait when
 * nothing happens, and the engine sleeps in poll() on the epoll fd.
 *
 * Large payloads can skip the copy out of the receive buffer: when the
 * engine defines pkt_place() (proposed for mpi_impl.h, see below), the
 * rest of a payload of PLACE_MIN bytes or more is read straight to where
 * the engine says it belongs (a piece of a contiguous receive buffer).
 *
 * All state below belongs to the thread inside the library (the library
 * is MPI_THREAD_SERIALIZED). */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "mpi_impl.h"
#include "rank_client.h"

#define TCP_KEY "tcp"
#define CARD_MAGIC 0x50435443u  /* the published card: "CTCP" */
#define HELLO_MAGIC 0x4c4c4548u /* "HELL" */
#define ACK_MAGIC 0x4b434148u   /* "HACK" */
#define NACK_MAGIC 0x4b43414eu  /* "NACK": both dialed, take mine */
#define TCP_VERSION 2u
#define TOKEN_LEN 16
#define MAX_ADDRS 16            /* addresses in a card, 127.0.0.1 included */
#define HOST_MAX 64

/* The engine cuts messages into pieces of MAX_PAYLOAD and sends the next
 * piece when backlog() says the previous one went out: 1 MiB keeps few
 * syscalls per megabyte while the kernel's socket buffer takes a whole
 * piece nearly always (measured: 0.1% of the bytes of a stream had to be
 * queued).  Messages up to EAGER_LIMIT go in one packet, without the
 * rendezvous round trip; larger ones wait for the receive, so that an
 * unexpected message never costs more than that much memory at the
 * receiver and large data can be read in place. */
#define MAX_PAYLOAD (1u << 20)
#define EAGER_LIMIT (64u << 10)

#define CHUNK_MIN (64u << 10)   /* send queue chunks: small packets share one */
#define RBUF_MIN (64u << 10)    /* receive buffer of a connection, grown to fit a record */
#define BIG_READ (64u << 10)    /* the rest of a record this large is read alone */
#define RX_BUDGET (64u << 20)   /* above this much receive buffer in all, empty ones shrink */
#define CONNECT_TIMEOUT_MS 5000 /* per address */
#define HELLO_TIMEOUT_MS 10000  /* for an accepted connection to present itself */
#define CLOSE_TIMEOUT_MS 10000  /* finalize/disconnect: for queues and peers' byes */
#define MAX_PENDING 64          /* accepted connections not yet presented */
#define MAX_EVENTS 64
#define MAX_IOV 64
#define PLACE_MIN (32u << 10)   /* payloads worth reading straight to their place */
/* The send buffer of the connections (the kernel caps it at
 * net.core.wmem_max).  Autotuning would start it at 16 KiB: then the first
 * packets on a new connection stay queued here until this rank's next
 * progress(), and a rank that goes on to block (in a fence of the
 * runtime, as the checkpoint's drain does) holds up a peer waiting for
 * them.  Large, they are in the kernel at once, and the peer reads them
 * whatever this rank does next. */
#define SNDBUF (4u << 20)

/* Proposed addition to the engine's side of the contract (mpi_impl.h):
 * called when the header of a packet with a payload of PLACE_MIN bytes or
 * more has arrived and the payload has not; returns where the payload is
 * to be written (valid, and untouched by anyone else, until pkt_arrived
 * for this packet), or NULL to receive it as usual.  pkt_arrived then gets
 * payload == that address.  Until the engine defines it, it is NULL here. */
extern void *pkt_place(int peer_world, const struct pkt_header *h) __attribute__((weak, visibility("hidden")));

#define HDR sizeof(struct pkt_header)
#define PAD8(n) (((size_t)(n) + 7) & ~(size_t)7)

/* hello (dialer -> acceptor): the dialer's rank, the acceptor's token;
 * ack and nack (back): the acceptor's rank, the dialer's token */
struct hello {
    uint32_t magic, version, job;
    int32_t rank;
    uint8_t token[TOKEN_LEN];
};

/* A piece of a send queue: data[off..len) is queued (off > 0 when a hello
 * at its head was dropped); the write cursor says how much went out. */
struct chunk {
    struct chunk *next;
    size_t off, len, cap;
    char data[];
};

/* The reading side of a connection: bytes [start, end) of buf are read
 * and not yet delivered. */
struct rx {
    int fd;
    uint64_t tag; /* its epoll data */
    char *buf;
    size_t cap, start, end;
    /* a payload being read to the engine's memory (pkt_place) */
    char *place;
    size_t placed;           /* bytes of payload and padding read */
    struct pkt_header place_h;
    int declined;            /* pkt_place said no to the record at start */
};

enum conn_state {
    C_IDLE,       /* no connection, nothing queued */
    C_CONNECTING, /* we dialed, connect() under way */
    C_ANSWER,     /* we dialed and sent the hello; its answer is not here yet */
    C_WAIT,       /* both dialed, ours lost: the lower rank's connection is coming */
    C_UP,
    C_GONE,       /* the peer said bye and closed (it finalized): sends are dropped */
};

struct peer {
    /* its card (loaded on first need after each fence) */
    int card;
    uint16_t port;
    int naddr;
    uint32_t addr[MAX_ADDRS]; /* network byte order */
    uint8_t token[TOKEN_LEN];
    char host[HOST_MAX];
    /* the connection */
    enum conn_state st;
    int dialer;                /* we dialed it */
    struct rx rx;              /* rx.fd is the connection, -1 when none */
    uint32_t ev;               /* events registered for it */
    struct chunk *qhead, *qtail;
    struct chunk *wchunk;      /* write cursor: chunk and offset in it */
    size_t woff;
    size_t unsent;             /* bytes from the cursor to the end of the queue */
    int hello_queued;          /* our hello heads the queue */
    uint32_t tries[MAX_ADDRS]; /* addresses to dial, in order */
    int ntries, try_i;
    int64_t deadline;          /* of the connect under way */
    char why[256];             /* what went wrong at each address tried */
    int bye_sent, bye_got;
    int wr_err;                /* a write failed: the reading side will tell why */
};

struct pending {
    struct rx rx;
    int64_t deadline;
    char from[32];
};

/* Packets to this rank itself (the engine has transport_self for them;
 * these come only when a caller sends through TCP anyway) never touch a
 * socket: kept here, delivered by the next progress(). */
struct self_pkt {
    struct self_pkt *next;
    struct pkt_header h;
    char payload[];
};

enum role { R_LISTEN, R_PENDING, R_PEER };

static struct {
    int ep, lfd;
    uint16_t port;
    uint8_t token[TOKEN_LEN];
    int nlocal;
    uint32_t local[MAX_ADDRS], mask[MAX_ADDRS]; /* our interfaces, network order */
    struct peer *peers;
    int npeers;
    struct pending pend[MAX_PENDING];
    int npend;
    struct self_pkt *self_head, **self_tail;
    int connecting;       /* peers in C_CONNECTING */
    int64_t next_check;   /* of the timeouts */
    uint32_t gen;         /* makes every epoll tag unique */
    size_t rx_total;      /* bytes of receive buffers */
    int busy;             /* inside progress: pkt_arrived must not re-enter it */
    int closing;          /* finalize/disconnect: ends of streams are expected */
} tcp = { .ep = -1, .lfd = -1, .pend = { [0 ... MAX_PENDING - 1] = { .rx = { .fd = -1 } } } };

static int dispatch(const struct epoll_event *e);

/* ------------------------------------------------------------------ small things */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *ip_str(uint32_t addr, char *buf, size_t len)
{
    struct in_addr a = { addr };
    inet_ntop(AF_INET, &a, buf, (socklen_t)len);
    return buf;
}

/* One line on stderr in one write, so that it is never mixed with others. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[512];
    int n = snprintf(line, sizeof line, "crest MPI: rank %d: ", mpi_state.world_rank);
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(2, line, (size_t)n);
    (void)w;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        mpi_fatal(MPI_ERR_NO_MEM, "out of memory in the TCP transport (%zu bytes)", n);
    return p;
}

static uint64_t new_tag(enum role role, int idx)
{
    return (uint64_t)++tcp.gen << 32 | (uint64_t)role << 30 | (uint32_t)idx;
}

static void ep_set(int op, int fd, uint32_t events, uint64_t tag)
{
    struct epoll_event e = { .events = events, .data.u64 = tag };
    if (epoll_ctl(tcp.ep, op, fd, &e))
        mpi_fatal(MPI_ERR_OTHER, "TCP transport: epoll_ctl: %s", strerror(errno));
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* A job of N ranks needs up to N-1 sockets per rank: past the soft
 * limit of descriptors, raise it to the hard one (once), rather than
 * raising it for every job up front. */
static int more_fds(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
        return 0;
    rl.rlim_cur = rl.rlim_max;
    return !setrlimit(RLIMIT_NOFILE, &rl);
}

static void out_of_fds(const char *what)
{
    struct rlimit rl = { 0, 0 };
    getrlimit(RLIMIT_NOFILE, &rl);
    mpi_fatal(MPI_ERR_OTHER, "%s: out of file descriptors (limit %llu, one per TCP connection): raise ulimit -n",
              what, (unsigned long long)rl.rlim_cur);
}

static struct peer *peer_at(int w)
{
    if (!tcp.peers) {
        int n = mpi_state.world_size > 0 ? mpi_state.world_size : 1;
        tcp.peers = calloc((size_t)n, sizeof *tcp.peers);
        if (!tcp.peers)
            mpi_fatal(MPI_ERR_NO_MEM, "out of memory for the TCP state of %d ranks", n);
        tcp.npeers = n;
        for (int i = 0; i < n; i++)
            tcp.peers[i].rx.fd = -1;
    }
    if (w < 0 || w >= tcp.npeers)
        mpi_fatal(MPI_ERR_INTERN, "TCP transport: no rank %d in a world of %d", w, tcp.npeers);
    return &tcp.peers[w];
}

static const char *host_of(int w)
{
    struct peer *p = &tcp.peers[w];
    return p->card && p->host[0] ? p->host : "its host";
}

/* ------------------------------------------------------------------ cards */

/* card: magic u32, port u16, naddr u8, hostlen u8, token, naddr x
 * (address u32 in network order), host name */
#define CARD_FIXED (8 + TOKEN_LEN)

static void find_interfaces(void)
{
    tcp.nlocal = 0;
    const char *only = getenv("CREST_MPI_TCP_IF"); /* e.g. "eth0,ib0" */
    struct ifaddrs *ifs, *i;
    if (getifaddrs(&ifs))
        return;
    for (i = ifs; i && tcp.nlocal < MAX_ADDRS - 1; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask)
            continue;
        if (!(i->ifa_flags & IFF_UP) || !(i->ifa_flags & IFF_RUNNING) || (i->ifa_flags & IFF_LOOPBACK))
            continue;
        if (only && *only) {
            size_t n = strlen(i->ifa_name);
            const char *s = only;
            int found = 0;
            while (*s && !found) {
                size_t len = strcspn(s, ",");
                found = len == n && !strncmp(s, i->ifa_name, n);
                s += len + (s[len] == ',');
            }
            if (!found)
                continue;
        }
        uint32_t a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
        int dup = 0;
        for (int k = 0; k < tcp.nlocal; k++)
            dup |= tcp.local[k] == a;
        if (dup)
            continue;
        tcp.local[tcp.nlocal] = a;
        tcp.mask[tcp.nlocal] = ((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr;
        tcp.nlocal++;
    }
    freeifaddrs(ifs);
}

static void publish(void)
{
    uint8_t card[CARD_FIXED + MAX_ADDRS * 4 + HOST_MAX];
    char host[HOST_MAX] = "";
    gethostname(host, sizeof host - 1);
    uint32_t magic = CARD_MAGIC;
    uint8_t naddr = (uint8_t)(tcp.nlocal + 1), hostlen = (uint8_t)strlen(host);
    memcpy(card, &magic, 4);
    memcpy(card + 4, &tcp.port, 2);
    card[6] = naddr;
    card[7] = hostlen;
    memcpy(card + 8, tcp.token, TOKEN_LEN);
    size_t n = CARD_FIXED;
    for (int i = 0; i < tcp.nlocal; i++, n += 4)
        memcpy(card + n, &tcp.local[i], 4);
    uint32_t lo = htonl(INADDR_LOOPBACK);
    memcpy(card + n, &lo, 4);
    n += 4;
    memcpy(card + n, host, hostlen);
    n += hostlen;
    if (crest_rank_put(TCP_KEY, card, n))
        mpi_fatal(MPI_ERR_OTHER, "cannot publish this rank's TCP address: the runtime (crestd) is gone");
}

static int card_load(int w)
{
    struct peer *p = peer_at(w);
    if (p->card)
        return 0;
    size_t len = 0;
    const uint8_t *c = crest_rank_get(w, TCP_KEY, &len);
    uint32_t magic;
    if (!c || len < CARD_FIXED)
        return -1;
    memcpy(&magic, c, 4);
    if (magic != CARD_MAGIC || c[6] > MAX_ADDRS || len != CARD_FIXED + (size_t)c[6] * 4 + c[7] || c[7] >= HOST_MAX)
        return -1;
    memcpy(&p->port, c + 4, 2);
    p->naddr = c[6];
    memcpy(p->token, c + 8, TOKEN_LEN);
    memcpy(p->addr, c + CARD_FIXED, (size_t)p->naddr * 4);
    memcpy(p->host, c + CARD_FIXED + p->naddr * 4, c[7]);
    p->host[c[7]] = 0;
    p->card = 1;
    return 0;
}

static void forget_cards(void)
{
    for (int w = 0; w < tcp.npeers; w++)
        tcp.peers[w].card = 0;
}

/* ------------------------------------------------------------------ the listener */

static void open_listener(void)
{
    if (tcp.ep < 0) {
        tcp.ep = epoll_create1(EPOLL_CLOEXEC);
        if (tcp.ep < 0)
            mpi_fatal(MPI_ERR_OTHER, "TCP transport: epoll_create1: %s", strerror(errno));
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        mpi_fatal(MPI_ERR_OTHER, "cannot open a TCP socket: %s", strerror(errno));
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
    socklen_t sl = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, SOMAXCONN) ||
        getsockname(fd, (struct sockaddr *)&sa, &sl))
        mpi_fatal(MPI_ERR_OTHER, "cannot listen on a TCP port: %s", strerror(errno));
    tcp.lfd = fd;
    tcp.port = sa.sin_port;
    ep_set(EPOLL_CTL_ADD, fd, EPOLLIN, new_tag(R_LISTEN, 0));
    if (getrandom(tcp.token, sizeof tcp.token, 0) != (ssize_t)sizeof tcp.token)
        mpi_fatal(MPI_ERR_OTHER, "cannot draw the TCP connection token: getrandom: %s", strerror(errno));
    find_interfaces();
    publish();
}

/* ------------------------------------------------------------------ receiving */

static void rx_free(struct rx *x)
{
    if (x->fd >= 0)
        close(x->fd); /* leaves the epoll set with it */
    x->fd = -1;
    free(x->buf);
    tcp.rx_total -= x->cap;
    x->buf = NULL;
    x->cap = x->start = x->end = 0;
    x->place = NULL;
    x->declined = 0;
}

/* Reads what the socket has into x.  Returns the bytes read, 0 at the end
 * of the stream, -1 when there is nothing to read, -2 on an error (errno).
 * A record is read into place whole: the buffer grows to fit it, and the
 * rest of a large one is read alone so that no large part is moved. */
static ssize_t rx_fill(struct rx *x, size_t first)
{
    size_t have = x->end - x->start, need = first ? first : HDR;
    if (!first && have >= HDR) {
        uint32_t pl = ((const struct pkt_header *)(x->buf + x->start))->payload;
        need = HDR + PAD8(pl < MAX_PAYLOAD ? pl : MAX_PAYLOAD);
    }
    if (need > x->cap - x->start || (x->start && x->cap - x->end < RBUF_MIN / 4)) {
        if (need > x->cap || !x->buf) {
            size_t cap = x->cap ? x->cap : RBUF_MIN;
            while (cap < need)
                cap *= 2;
            char *b = xmalloc(cap);
            if (have)
                memcpy(b, x->buf + x->start, have);
            free(x->buf);
            tcp.rx_total += cap - x->cap;
            x->buf = b;
            x->cap = cap;
        } else if (have) {
            memmove(x->buf, x->buf + x->start, have);
        }
        x->start = 0;
        x->end = have;
    }
    size_t len = x->cap - x->end;
    if (have >= HDR && need > have && need - have >= BIG_READ && need - have < len)
        len = need - have;
    if (pkt_place && len > RBUF_MIN)
        len = RBUF_MIN; /* large payloads then mostly go straight to their place */
    for (;;) {
        ssize_t r = recv(x->fd, x->buf + x->end, len, MSG_DONTWAIT);
        if (r > 0) {
            x->end += (size_t)r;
            return r;
        }
        if (r == 0)
            return 0;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : -2;
    }
}

/* Reads the rest of a payload being placed, its padding, and what follows
 * into the (empty) buffer, in one readv.  Returns as rx_fill. */
static ssize_t rx_fill_placed(struct rx *x)
{
    static char pad_sink[8];
    size_t len = x->place_h.payload, pad = PAD8(len) - len;
    if (!x->buf) {
        x->buf = xmalloc(RBUF_MIN);
        x->cap = RBUF_MIN;
        tcp.rx_total += RBUF_MIN;
    }
    struct iovec iov[3];
    int n = 0;
    if (x->placed < len)
        iov[n++] = (struct iovec){ x->place + x->placed, len - x->placed };
    size_t pdone = x->placed > len ? x->placed - len : 0;
    if (pdone < pad)
        iov[n++] = (struct iovec){ pad_sink, pad - pdone };
    iov[n++] = (struct iovec){ x->buf, x->cap < RBUF_MIN ? x->cap : RBUF_MIN };
    for (;;) {
        ssize_t r = readv(x->fd, iov, n);
        if (r > 0) {
            size_t want = len + pad - x->placed, took = (size_t)r < want ? (size_t)r : want;
            x->placed += took;
            x->end = (size_t)r - took;
            return r;
        }
        if (r == 0)
            return 0;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : -2;
    }
}

/* ------------------------------------------------------------------ the send queue */

static struct chunk *q_reserve(struct peer *p, size_t n, char **at)
{
    struct chunk *t = p->qtail;
    if (!t || t->cap - t->len < n) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
        t = xmalloc(sizeof *t + cap);
        t->next = NULL;
        t->off = t->len = 0;
        t->cap = cap;
        if (p->qtail)
            p->qtail->next = t;
        else
            p->qhead = t;
        p->qtail = t;
        if (!p->wchunk) {
            p->wchunk = t;
            p->woff = 0;
        }
    }
    *at = t->data + t->len;
    t->len += n;
    p->unsent += n;
    return t;
}

/* Queues bytes [skip, end) of the pieces in iov. */
static void q_iov(struct peer *p, const struct iovec *iov, int n, size_t skip)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += iov[i].iov_len;
    char *at;
    q_reserve(p, total - skip, &at);
    for (int i = 0; i < n; i++) {
        size_t l = iov[i].iov_len;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        memcpy(at, (const char *)iov[i].iov_base + skip, l - skip);
        at += l - skip;
        skip = 0;
    }
}

static void q_free_all(struct peer *p)
{
    while (p->qhead) {
        struct chunk *c = p->qhead;
        p->qhead = c->next;
        free(c);
    }
    p->qtail = p->wchunk = NULL;
    p->woff = p->unsent = 0;
    p->hello_queued = 0;
}

/* The write cursor back to the start of the queue: for a new connection. */
static void q_rewind(struct peer *p)
{
    p->wchunk = p->qhead;
    p->woff = p->qhead ? p->qhead->off : 0;
    p->unsent = 0;
    for (struct chunk *c = p->qhead; c; c = c->next)
        p->unsent += c->len - c->off;
}

/* Frees what went out; before the ack it is kept, to be written again. */
static void q_release(struct peer *p)
{
    if (p->st != C_UP)
        return;
    if (!p->unsent) {
        q_free_all(p);
        return;
    }
    while (p->qhead != p->wchunk) {
        struct chunk *c = p->qhead;
        p->qhead = c->next;
        free(c);
    }
}

/* A hello at the head of a queue that has not been written anywhere. */
static void q_push_hello(struct peer *p, const struct hello *h)
{
    struct chunk *c = xmalloc(sizeof *c + sizeof *h);
    c->off = 0;
    c->len = c->cap = sizeof *h;
    memcpy(c->data, h, sizeof *h);
    c->next = p->qhead;
    p->qhead = c;
    if (!p->qtail)
        p->qtail = c;
    p->hello_queued = 1;
    q_rewind(p);
}

/* Our hello goes: the queue moves to a connection the peer dialed. */
static void q_drop_hello(struct peer *p)
{
    if (p->hello_queued && p->qhead)
        p->qhead->off += sizeof(struct hello);
    p->hello_queued = 0;
    q_rewind(p);
}

/* ------------------------------------------------------------------ connections */

static void conn_events(int w)
{
    struct peer *p = &tcp.peers[w];
    if (p->rx.fd < 0)
        return;
    uint32_t ev = p->st == C_CONNECTING ? EPOLLOUT : EPOLLIN | (p->unsent && !p->wr_err ? EPOLLOUT : 0);
    if (ev != p->ev) {
        ep_set(EPOLL_CTL_MOD, p->rx.fd, ev, p->rx.tag);
        p->ev = ev;
    }
}

/* Closes the socket (it leaves the epoll set with it); the caller sets
 * the new state. */
static void conn_close(struct peer *p)
{
    if (p->st == C_CONNECTING)
        tcp.connecting--;
    rx_free(&p->rx);
    p->ev = 0;
    p->wr_err = 0;
}

static void conn_flush(int w);
static int answer_read(int w);
static void dial_next(int w);

/* The address being tried did not work: note why, try the next one. */
static void dial_failed(int w, const char *why)
{
    struct peer *p = &tcp.peers[w];
    char a[INET_ADDRSTRLEN];
    size_t n = strlen(p->why);
    snprintf(p->why + n, sizeof p->why - n, "%sat %s:%u: %s", n ? "; " : "",
             ip_str(p->tries[p->try_i], a, sizeof a), ntohs(p->port), why);
    conn_close(p);
    p->st = C_IDLE;
    q_rewind(p);
    p->try_i++;
    dial_next(w);
}

/* The addresses of w in the order to dial them: those in a subnet of
 * ours first, then the others; then those that are ours too (on another
 * host, they are a bridge's that every host has); 127.0.0.1 last and only
 * on the same host. */
static void dial_plan(int w)
{
    struct peer *p = &tcp.peers[w];
    int same_node = mpi_state.peers ? mpi_state.peers[w].node == mpi_state.node : 0;
    p->ntries = p->try_i = 0;
    p->why[0] = 0;
    for (int pass = 0; pass < 4; pass++) {
        for (int i = 0; i < p->naddr; i++) {
            uint32_t a = p->addr[i];
            int loop = (ntohl(a) >> 24) == 127, ours = 0, near = 0;
            for (int k = 0; k < tcp.nlocal; k++) {
                ours |= a == tcp.local[k];
                near |= (a & tcp.mask[k]) == (tcp.local[k] & tcp.mask[k]);
            }
            int class = loop ? 3 : ours ? 2 : near ? 0 : 1;
            if (class == pass && (!loop || same_node))
                p->tries[p->ntries++] = a;
        }
    }
}

/* The connect under way went through or failed: on to the hello, or to
 * the next address. */
static void dial_done(int w)
{
    struct peer *p = &tcp.peers[w];
    int err = 0;
    socklen_t l = sizeof err;
    if (getsockopt(p->rx.fd, SOL_SOCKET, SO_ERROR, &err, &l))
        err = errno;
    if (err) {
        dial_failed(w, strerror(err));
        return;
    }
    tcp.connecting--;
    p->st = C_ANSWER;
    conn_flush(w);
}

/* Whether the connect under way is done, without waiting.  On this host
 * (loopback, own addresses) it is as soon as connect() returns: the hello
 * and what is queued behind it then go into the kernel at once, and need
 * no later progress() of this rank, which may be about to block elsewhere
 * (a fence of the runtime). */
static void dial_check(int w)
{
    struct pollfd pf = { tcp.peers[w].rx.fd, POLLOUT, 0 };
    if (poll(&pf, 1, 0) == 1)
        dial_done(w);
}

static void dial_next(int w)
{
    struct peer *p = &tcp.peers[w];
    while (p->try_i < p->ntries) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0 && errno == EMFILE && more_fds())
            fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
            char what[64];
            snprintf(what, sizeof what, "cannot connect to rank %d", w);
            out_of_fds(what);
        }
        if (fd < 0)
            mpi_fatal(MPI_ERR_OTHER, "cannot open a TCP socket to reach rank %d: %s", w, strerror(errno));
        set_nodelay(fd);
        int sndbuf = SNDBUF;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = p->port, .sin_addr.s_addr = p->tries[p->try_i] };
        /* interrupted, a non-blocking connect goes on like one in progress */
        int r = connect(fd, (struct sockaddr *)&sa, sizeof sa), err = errno;
        p->rx.fd = fd;
        if (r == 0 || err == EINPROGRESS || err == EINTR) {
            p->rx.tag = new_tag(R_PEER, w);
            p->dialer = 1;
            p->st = r == 0 ? C_ANSWER : C_CONNECTING;
            p->ev = p->st == C_CONNECTING ? EPOLLOUT : EPOLLIN | EPOLLOUT;
            ep_set(EPOLL_CTL_ADD, fd, p->ev, p->rx.tag);
            if (r) {
                tcp.connecting++;
                p->deadline = now_ms() + CONNECT_TIMEOUT_MS;
                dial_check(w);
            } else {
                conn_flush(w);
            }
            return;
        }
        dial_failed(w, strerror(err));
        return;
    }
    if (!p->ntries)
        mpi_fatal(MPI_ERR_OTHER, "cannot reach rank %d on %s: it published no TCP address reachable from %s", w,
                  host_of(w), mpi_state.processor_name[0] ? mpi_state.processor_name : "this host");
    mpi_fatal(MPI_ERR_OTHER, "cannot reach rank %d on %s %s", w, host_of(w), p->why);
}

/* Dials w: its card, our hello at the head of the queue, connect() to its
 * first address. */
static void dial_start(int w)
{
    struct peer *p = &tcp.peers[w];
    if (card_load(w))
        mpi_fatal(MPI_ERR_OTHER, "cannot reach rank %d: it published no valid TCP address", w);
    if (!p->hello_queued) {
        struct hello h = { HELLO_MAGIC, TCP_VERSION, mpi_state.job, mpi_state.world_rank, { 0 } };
        memcpy(h.token, p->token, TOKEN_LEN);
        q_push_hello(p, &h);
    }
    p->bye_got = 0;
    dial_plan(w);
    dial_next(w);
}

/* A write to w failed with err: if w said bye, or we are closing, that is
 * the end of it; otherwise stop writing, and let the reading side tell
 * (it sees the bye, or the end of the stream and ends the job). */
static void conn_write_failed(int w, int err)
{
    struct peer *p = &tcp.peers[w];
    if (p->st == C_ANSWER) {
        uint64_t tag = p->rx.tag;
        answer_read(w); /* a nack may be waiting: then it is no failure */
        if (p->st == C_ANSWER && p->rx.tag == tag)
            dial_failed(w, strerror(err));
        return;
    }
    if (p->bye_got || tcp.closing) {
        conn_close(p);
        q_free_all(p);
        p->st = C_GONE;
        return;
    }
    p->wr_err = err;
    conn_events(w);
}

/* Writes what the queue holds, as much as the kernel takes. */
static void conn_flush(int w)
{
    struct peer *p = &tcp.peers[w];
    if ((p->st != C_ANSWER && p->st != C_UP) || p->wr_err)
        return;
    while (p->unsent) {
        struct iovec iov[MAX_IOV];
        int n = 0;
        size_t off = p->woff, total = 0;
        for (struct chunk *c = p->wchunk; c && n < MAX_IOV; c = c->next, off = 0)
            if (c->len > off) {
                iov[n].iov_base = c->data + off;
                iov[n].iov_len = c->len - off;
                total += iov[n++].iov_len;
            }
        struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)n };
        ssize_t r = sendmsg(p->rx.fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            conn_write_failed(w, errno);
            return;
        }
        p->unsent -= (size_t)r;
        size_t left = (size_t)r;
        while (left) {
            size_t in_chunk = p->wchunk->len - p->woff;
            if (left < in_chunk) {
                p->woff += left;
                break;
            }
            left -= in_chunk;
            p->woff = p->wchunk->len;
            if (p->wchunk->next) {
                p->wchunk = p->wchunk->next;
                p->woff = 0;
            }
        }
        if ((size_t)r < total)
            break; /* the kernel is full: no need to hear it say so */
    }
    q_release(p);
    conn_events(w);
}

/* ------------------------------------------------------------------ receiving */

/* Delivers every complete record in the buffer of w's connection. */
static int conn_parse(int w)
{
    struct peer *p = &tcp.peers[w];
    struct rx *x = &p->rx;
    int n = 0;
    if (x->place) {
        if (x->placed < PAD8(x->place_h.payload))
            return 0;
        struct pkt_header h = x->place_h;
        char *dst = x->place;
        x->place = NULL;
        pkt_arrived(w, &h, dst);
        n++;
    }
    while (x->end - x->start >= HDR) {
        const struct pkt_header *h = (const struct pkt_header *)(x->buf + x->start);
        if (h->payload > MAX_PAYLOAD)
            mpi_fatal(MPI_ERR_INTERN, "rank %d on %s sent a packet of %u bytes on TCP (at most %u): corrupt stream",
                      w, host_of(w), h->payload, MAX_PAYLOAD);
        size_t rec = HDR + PAD8(h->payload);
        if (x->end - x->start < rec) {
            if (pkt_place && h->payload >= PLACE_MIN && h->kind && !x->declined) {
                char *dst = pkt_place(w, h);
                x->declined = !dst;
                if (dst) {
                    /* what came with the header goes there; the rest is read there */
                    size_t got = x->end - x->start - HDR;
                    memcpy(dst, x->buf + x->start + HDR, got < h->payload ? got : h->payload);
                    x->place_h = *h;
                    x->place = dst;
                    x->placed = got;
                    x->start = x->end = 0;
                }
            }
            break;
        }
        x->start += rec;
        x->declined = 0;
        if (h->kind == 0) {
            p->bye_got = 1;
            continue;
        }
        pkt_arrived(w, h, h->payload ? (const char *)h + HDR : NULL);
        n++;
    }
    if (x->start == x->end) {
        x->start = x->end = 0;
        if (x->cap > RBUF_MIN && tcp.rx_total > RX_BUDGET) {
            free(x->buf);
            tcp.rx_total -= x->cap;
            x->buf = NULL;
            x->cap = 0;
        }
    }
    return n;
}

static int conn_read(int w)
{
    struct peer *p = &tcp.peers[w];
    ssize_t r = p->rx.place ? rx_fill_placed(&p->rx) : rx_fill(&p->rx, 0);
    int err = errno;
    int n = r > 0 ? conn_parse(w) : 0;
    if (r == 0 || r == -2) {
        if (!p->bye_got && !tcp.closing)
            mpi_fatal(MPI_ERR_OTHER, "rank %d on %s closed its connection unexpectedly (%s): it died or was killed", w,
                      host_of(w), r ? strerror(err) : "end of stream");
        conn_close(p);
        q_free_all(p);
        p->st = C_GONE;
    }
    return n;
}

/* We dialed w: its answer, an ack (then records may follow) or a nack. */
static int answer_read(int w)
{
    struct peer *p = &tcp.peers[w];
    struct rx *x = &p->rx;
    ssize_t r = rx_fill(x, sizeof(struct hello));
    int err = errno;
    if (x->end - x->start >= sizeof(struct hello)) {
        struct hello a;
        memcpy(&a, x->buf + x->start, sizeof a);
        int ours = a.version == TCP_VERSION && a.job == mpi_state.job && a.rank == w &&
                   !memcmp(a.token, tcp.token, TOKEN_LEN);
        if (ours && a.magic == ACK_MAGIC) {
            x->start += sizeof a;
            p->st = C_UP;
            p->hello_queued = 0;
            q_release(p);
            conn_events(w);
            return conn_parse(w);
        }
        if (ours && a.magic == NACK_MAGIC && w < mpi_state.world_rank) {
            /* w dialed us too, and its connection wins: it is coming */
            conn_close(p);
            p->st = C_WAIT;
            q_drop_hello(p);
            return 0;
        }
        dial_failed(w, "another process answered there");
        return 0;
    }
    if (r == 0 || r == -2)
        dial_failed(w, r ? strerror(err) : "closed before answering");
    return 0;
}

/* ------------------------------------------------------------------ accepting */

static void pending_close(int i, int reject)
{
    struct pending *c = &tcp.pend[i];
    if (reject)
        say("closed a connection from %s: it did not present this job's token", c->from);
    rx_free(&c->rx);
    tcp.npend--;
}

/* Both dialed and ours wins: w will take it. */
static void pending_nack(int i, int w)
{
    struct hello nack = { NACK_MAGIC, TCP_VERSION, mpi_state.job, mpi_state.world_rank, { 0 } };
    memcpy(nack.token, tcp.peers[w].token, TOKEN_LEN);
    ssize_t r = send(tcp.pend[i].rx.fd, &nack, sizeof nack, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)r; /* w may have closed it already, having taken ours */
    pending_close(i, 0);
}

/* An accepted connection presented itself as rank w: unless we dialed w
 * too and ours wins, it becomes the connection with w. */
static int pending_adopt(int i, int w)
{
    struct pending *c = &tcp.pend[i];
    struct peer *p = &tcp.peers[w];
    int me = mpi_state.world_rank;
    if (card_load(w))
        mpi_fatal(MPI_ERR_OTHER, "rank %d connected over TCP but published no valid TCP address", w);
    switch (p->st) {
    case C_CONNECTING:
    case C_ANSWER:
        if (me < w) {
            pending_nack(i, w);
            return 0;
        }
        conn_close(p); /* w's wins: what we queued goes there */
        break;
    case C_UP:
        if (p->dialer && me < w) {
            pending_nack(i, w); /* the losing half of an earlier race, late */
            return 0;
        }
        if (!p->bye_got) {
            say("closed a connection from %s: it claims to be rank %d, which is connected already", c->from, w);
            pending_close(i, 0);
            return 0;
        }
        conn_close(p); /* its earlier connection, closing */
        q_free_all(p);
        break;
    case C_GONE:
        q_free_all(p);
        break;
    case C_IDLE:
    case C_WAIT:
        break;
    }
    struct hello ack = { ACK_MAGIC, TCP_VERSION, mpi_state.job, me, { 0 } };
    memcpy(ack.token, p->token, TOKEN_LEN);
    if (send(c->rx.fd, &ack, sizeof ack, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof ack) {
        /* w closed it already: what we have for w goes by a connection of ours */
        pending_close(i, 0);
        p->st = C_IDLE;
        if (p->qhead)
            dial_start(w);
        return 0;
    }
    rx_free(&p->rx);
    p->rx = c->rx;
    p->rx.start += sizeof(struct hello);
    p->rx.tag = new_tag(R_PEER, w);
    p->ev = EPOLLIN;
    ep_set(EPOLL_CTL_MOD, p->rx.fd, p->ev, p->rx.tag);
    c->rx.fd = -1;
    c->rx.buf = NULL;
    c->rx.cap = 0;
    tcp.npend--;
    p->st = C_UP;
    p->dialer = 0;
    p->bye_got = 0;
    q_drop_hello(p);
    if (tcp.closing && !p->bye_sent) {
        /* w dials while we close: it gets our bye too */
        struct pkt_header bye = { 0 };
        struct iovec iov = { &bye, HDR };
        q_iov(p, &iov, 1, 0);
        p->bye_sent = 1;
    }
    conn_flush(w);
    return conn_parse(w);
}

static int pending_event(int i)
{
    struct pending *c = &tcp.pend[i];
    ssize_t r = rx_fill(&c->rx, sizeof(struct hello));
    if (c->rx.end - c->rx.start >= sizeof(struct hello)) {
        struct hello h;
        memcpy(&h, c->rx.buf + c->rx.start, sizeof h);
        if (h.magic == HELLO_MAGIC && h.version == TCP_VERSION && h.job == mpi_state.job && h.rank >= 0 &&
            h.rank < mpi_state.world_size && h.rank != mpi_state.world_rank && !memcmp(h.token, tcp.token, TOKEN_LEN))
            return pending_adopt(i, h.rank);
        pending_close(i, 1);
    } else if (r == 0 || r == -2) {
        pending_close(i, 1);
    }
    return 0;
}

static int accept_all(void)
{
    int n = 0;
    for (;;) {
        struct sockaddr_in sa;
        socklen_t sl = sizeof sa;
        int fd = accept4(tcp.lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE && more_fds())
                continue;
            if (errno == EMFILE || errno == ENFILE)
                out_of_fds("cannot accept a connection from another rank");
            return n;
        }
        char from[32], a[INET_ADDRSTRLEN];
        snprintf(from, sizeof from, "%s:%u", ip_str(sa.sin_addr.s_addr, a, sizeof a), ntohs(sa.sin_port));
        int i = 0;
        while (i < MAX_PENDING && tcp.pend[i].rx.fd >= 0)
            i++;
        if (i == MAX_PENDING) {
            say("closed a connection from %s: too many connections not yet presented", from);
            close(fd);
            continue;
        }
        struct pending *c = &tcp.pend[i];
        memset(c, 0, sizeof *c);
        c->rx.fd = fd;
        c->rx.tag = new_tag(R_PENDING, i);
        c->deadline = now_ms() + HELLO_TIMEOUT_MS;
        memcpy(c->from, from, sizeof from);
        tcp.npend++;
        set_nodelay(fd);
        int sndbuf = SNDBUF;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        ep_set(EPOLL_CTL_ADD, fd, EPOLLIN, c->rx.tag);
        n += pending_event(i); /* the hello is often there already */
    }
}

/* ------------------------------------------------------------------ to itself */

static void self_send(const struct pkt_header *h, const void *payload)
{
    struct self_pkt *s = xmalloc(sizeof *s + h->payload);
    s->next = NULL;
    s->h = *h;
    if (h->payload)
        memcpy(s->payload, payload, h->payload);
    if (!tcp.self_tail)
        tcp.self_tail = &tcp.self_head;
    *tcp.self_tail = s;
    tcp.self_tail = &s->next;
}

/* Those queued so far: pkt_arrived may queue more, for the next round. */
static int self_deliver(void)
{
    struct self_pkt *s = tcp.self_head;
    int n = 0;
    tcp.self_head = NULL;
    tcp.self_tail = &tcp.self_head;
    while (s) {
        struct self_pkt *next = s->next;
        pkt_arrived(mpi_state.world_rank, &s->h, s->h.payload ? s->payload : NULL);
        free(s);
        s = next;
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------ the transport */

static int tcp_send(int w, const struct pkt_header *h, const void *payload)
{
    if (h->payload > MAX_PAYLOAD)
        mpi_fatal(MPI_ERR_INTERN, "TCP transport: a packet of %u bytes (at most %u)", h->payload, MAX_PAYLOAD);
    if (w == mpi_state.world_rank) {
        self_send(h, payload);
        return MPI_SUCCESS;
    }
    struct peer *p = peer_at(w);
    if (p->bye_sent || p->st == C_GONE)
        return MPI_SUCCESS; /* closing, or w finalized: nobody to deliver to */
    static const char zeros[8];
    struct iovec iov[3] = { { (void *)h, HDR }, { (void *)payload, h->payload }, { (void *)zeros, 0 } };
    iov[2].iov_len = PAD8(h->payload) - h->payload;
    int n = iov[2].iov_len ? 3 : h->payload ? 2 : 1;
    if (p->st == C_UP && !p->unsent && !p->wr_err) {
        /* the fast path: one sendmsg, nothing copied */
        size_t total = HDR + PAD8(h->payload);
        struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)n };
        ssize_t r;
        do
            r = sendmsg(p->rx.fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        while (r < 0 && errno == EINTR);
        if ((size_t)r == total)
            return MPI_SUCCESS;
        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            conn_write_failed(w, errno);
            if (p->st != C_UP)
                return MPI_SUCCESS;
            r = 0;
        }
        q_iov(p, iov, n, r < 0 ? 0 : (size_t)r);
        conn_events(w);
        return MPI_SUCCESS;
    }
    int start = p->st == C_IDLE, was_empty = !p->unsent;
    if (start)
        dial_start(w); /* queues our hello first */
    q_iov(p, iov, n, 0);
    if (p->st == C_CONNECTING && !start)
        dial_check(w);
    else if ((p->st == C_ANSWER || p->st == C_UP) && (start || was_empty))
        conn_flush(w);
    return MPI_SUCCESS;
}

static void check_timeouts(void)
{
    int64_t now = now_ms();
    if (now < tcp.next_check)
        return;
    tcp.next_check = now + 50;
    for (int i = 0; i < MAX_PENDING && tcp.npend; i++)
        if (tcp.pend[i].rx.fd >= 0 && now > tcp.pend[i].deadline)
            pending_close(i, 1);
    for (int w = 0; w < tcp.npeers && tcp.connecting; w++)
        if (tcp.peers[w].st == C_CONNECTING && now > tcp.peers[w].deadline)
            dial_failed(w, "timed out");
}

static int peer_event(int w, uint64_t tag, uint32_t ev)
{
    struct peer *p = &tcp.peers[w];
    int n = 0;
    if (p->st == C_CONNECTING) {
        dial_done(w);
        return 0;
    }
    if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (p->st == C_ANSWER)
            n = answer_read(w);
        else if (p->st == C_UP)
            n = conn_read(w);
    }
    /* the connection may be another one by now */
    if ((ev & EPOLLOUT) && p->rx.tag == tag && p->rx.fd >= 0 && p->unsent)
        conn_flush(w);
    return n;
}

static int dispatch(const struct epoll_event *e)
{
    uint64_t tag = e->data.u64;
    int idx = (int)(tag & 0x3fffffffu);
    switch ((enum role)((tag >> 30) & 3)) {
    case R_LISTEN:
        return tcp.lfd >= 0 ? accept_all() : 0;
    case R_PENDING:
        return idx < MAX_PENDING && tcp.pend[idx].rx.fd >= 0 && tcp.pend[idx].rx.tag == tag ? pending_event(idx) : 0;
    case R_PEER:
        return idx < tcp.npeers && tcp.peers[idx].rx.fd >= 0 && tcp.peers[idx].rx.tag == tag
                   ? peer_event(idx, tag, e->events)
                   : 0;
    }
    return 0;
}

static int wait_events(int timeout_ms)
{
    struct epoll_event ev[MAX_EVENTS];
    int delivered = tcp.self_head ? self_deliver() : 0;
    int n = epoll_wait(tcp.ep, ev, MAX_EVENTS, delivered ? 0 : timeout_ms);
    for (int i = 0; i < n; i++)
        delivered += dispatch(&ev[i]);
    if (tcp.connecting || tcp.npend)
        check_timeouts();
    return delivered;
}

static int tcp_progress(void)
{
    if (tcp.busy)
        return 0;
    if (tcp.ep < 0)
        return tcp.self_head ? self_deliver() : 0;
    tcp.busy = 1;
    int n = wait_events(0);
    tcp.busy = 0;
    return n;
}

/* Bytes not yet in the kernel.  What is kept until the ack (to be written
 * again should the address prove wrong) does not count: the peer reads it
 * without this rank's help, and waiting for the peer's ack could deadlock
 * an engine that empties backlogs before blocking in a fence. */
static int tcp_backlog(int w)
{
    if (!tcp.peers || w < 0 || w >= tcp.npeers)
        return 0;
    return tcp.peers[w].unsent != 0;
}

static int tcp_poll_fds(struct pollfd *fds, int max)
{
    if (tcp.ep < 0 || max < 1)
        return 0;
    fds[0].fd = tcp.ep;
    fds[0].events = POLLIN;
    fds[0].revents = 0;
    return 1;
}

static int tcp_init(int phase)
{
    peer_at(mpi_state.world_rank);
    if (phase == 0) {
        if (tcp.lfd < 0)
            open_listener();
    } else {
        forget_cards(); /* the fence brought new ones */
    }
    return MPI_SUCCESS;
}

/* Says bye on every connection, waits (bounded) until the queues are out
 * and the peers said bye too, so that no unread data makes the kernel
 * reset a connection; then closes everything. */
static void close_all(void)
{
    if (tcp.ep < 0)
        return;
    tcp.closing = 1;
    tcp.busy = 1;
    struct pkt_header bye = { 0 };
    for (int w = 0; w < tcp.npeers; w++) {
        struct peer *p = &tcp.peers[w];
        if (p->st == C_IDLE || p->st == C_GONE || p->bye_sent)
            continue;
        struct iovec iov = { &bye, HDR };
        q_iov(p, &iov, 1, 0);
        p->bye_sent = 1;
        conn_flush(w);
    }
    int64_t deadline = now_ms() + CLOSE_TIMEOUT_MS;
    for (;;) {
        int done = 1;
        for (int w = 0; w < tcp.npeers && done; w++) {
            struct peer *p = &tcp.peers[w];
            done = p->st == C_IDLE || p->st == C_GONE || (p->st == C_UP && !p->unsent && p->bye_got);
        }
        if (done || now_ms() > deadline)
            break;
        wait_events(100);
    }
    for (int w = 0; w < tcp.npeers; w++) {
        struct peer *p = &tcp.peers[w];
        conn_close(p);
        q_free_all(p);
        p->st = C_IDLE;
        p->dialer = p->bye_sent = p->bye_got = 0;
        p->card = 0;
    }
    while (tcp.self_head) {
        struct self_pkt *s = tcp.self_head;
        tcp.self_head = s->next;
        free(s);
    }
    tcp.self_tail = &tcp.self_head;
    for (int i = 0; i < MAX_PENDING; i++)
        if (tcp.pend[i].rx.fd >= 0)
            pending_close(i, 0);
    if (tcp.lfd >= 0)
        close(tcp.lfd);
    close(tcp.ep);
    tcp.lfd = tcp.ep = -1;
    tcp.connecting = tcp.npend = 0;
    tcp.closing = tcp.busy = 0;
}

static void tcp_finalize(void)
{
    close_all();
    free(tcp.peers);
    tcp.peers = NULL;
    tcp.npeers = 0;
}

/* Checkpoint, in quiesce.c:
 *   drain (every backlog() 0, bytes sent = bytes received), disconnect();
 *   ... the image is taken; on restart the process may be on another host ...
 *   reconnect() or init(0) new listener, token and addresses, published
 *                          with crest_rank_put;
 *   crest_rank_fence();    every rank must have reconnected before anyone
 *                          sends again;
 *   init(1)                forgets the peers' old cards.
 * Connections are then made again on the first send, as after MPI_Init.
 * disconnect() lets the peers know the closing is meant (bye), so that a
 * rank that disconnects later does not take it for a death. */
static void tcp_disconnect(void)
{
    close_all();
}

static int tcp_reconnect(void)
{
    close_all(); /* nothing left open if disconnect came first */
    peer_at(mpi_state.world_rank);
    open_listener();
    forget_cards();
    return MPI_SUCCESS;
}

const struct transport transport_tcp = {
    .name = "tcp",
    .init = tcp_init,
    .send = tcp_send,
    .progress = tcp_progress,
    .backlog = tcp_backlog,
    .max_payload = MAX_PAYLOAD,
    .eager_limit = EAGER_LIMIT,
    .pull = NULL,
    .poll_fds = tcp_poll_fds,
    .sleep = NULL,
    .finalize = tcp_finalize,
    .disconnect = tcp_disconnect,
    .reconnect = tcp_reconnect,
};
