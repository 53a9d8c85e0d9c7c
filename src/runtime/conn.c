/* conn.c — message connections over non-blocking sockets, and the
 * challenge-response proof of the job's secret on TCP connections.
 *
 * The proof, both ways, never sending the secret (K):
 *   acceptor -> dialer:  CHALLENGE(nonce_a)
 *   dialer -> acceptor:  PROOF(nonce_d, HMAC(K, "crest dialer" nonce_a nonce_d))
 *   acceptor -> dialer:  OK(HMAC(K, "crest acceptor" nonce_d nonce_a))
 * Fresh random nonces on both sides make a recorded exchange useless for a
 * later connection; the distinct labels stop a reflection of one side's
 * proof as the other's.  Until the proof is complete, only these messages
 * are accepted, each at most a few hundred bytes, and the acceptor gives
 * the dialer 10 seconds. */
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "loop.h"
#include "sha256.h"

#define AUTH_TIMEOUT_MS 10000
#define AUTH_MAX_PAYLOAD 256

static void on_ready(void *arg, int fd, short revents);

/* Connections closed while a callback may still hold them, freed by
 * crest_conn_reap() between rounds of the loop (owned by the loop's thread). */
static struct crest_conn *graveyard;

void crest_conn_reap(void)
{
    while (graveyard) {
        struct crest_conn *c = graveyard;
        graveyard = c->next_dead;
        free(c->in);
        free(c->out);
        free(c);
    }
}

static void update_events(struct crest_conn *c)
{
    short ev = 0;
    if (!c->read_paused)
        ev |= POLLIN;
    if (crest_conn_backlog(c))
        ev |= POLLOUT;
    crest_loop_set_events(c->fd, ev);
}

static void die(struct crest_conn *c, const char *why)
{
    if (c->dead)
        return;
    c->dead = 1;
    crest_loop_unwatch(c->fd);
    if (c->auth_timer)
        crest_loop_cancel(c->auth_timer);
    close(c->fd);
    c->fd = -1;
    c->next_dead = graveyard;
    graveyard = c;
    if (c->ops->closed)
        c->ops->closed(c, why);
}

void crest_conn_close(struct crest_conn *c)
{
    if (!c || c->dead)
        return;
    const struct crest_conn_ops *ops = c->ops;
    static const struct crest_conn_ops silent;
    c->ops = &silent;
    die(c, NULL);
    c->ops = ops;
}

static int append_out(struct crest_conn *c, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (c->out_off && c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (c->out_len + n > c->out_cap) {
        if (c->out_off) { /* slide the unwritten part to the front first */
            memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
            c->out_len -= c->out_off;
            c->out_off = 0;
        }
        if (c->out_len + n > c->out_cap) {
            size_t cap = c->out_cap ? c->out_cap : 4096;
            while (cap < c->out_len + n)
                cap *= 2;
            uint8_t *q = realloc(c->out, cap);
            if (!q)
                return -1;
            c->out = q;
            c->out_cap = cap;
        }
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return 0;
}

static void flush(struct crest_conn *c)
{
    while (crest_conn_backlog(c)) {
        ssize_t w = send(c->fd, c->out + c->out_off, crest_conn_backlog(c), MSG_NOSIGNAL);
        if (w > 0) {
            c->out_off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            /* The peer stopped reading; what it sent before may still be
             * waiting to be read (a last "job done"): drop our output and
             * keep reading until the end. */
            c->write_closed = 1;
            c->out_off = c->out_len = 0;
            break;
        }
        die(c, w < 0 ? strerror(errno) : "connection closed");
        return;
    }
    if (!crest_conn_backlog(c))
        c->out_off = c->out_len = 0;
    update_events(c);
}

static int queue(struct crest_conn *c, uint16_t type, uint32_t job, const void *payload, size_t len)
{
    if (c->dead || len > CREST_WIRE_MAX)
        return -1;
    if (c->write_closed)
        return 0; /* the peer reads no more; see flush() */
    struct crest_wire_header h = { (uint32_t)len, type, 0, job };
    if (append_out(c, &h, sizeof h) || append_out(c, payload, len))
        return -1;
    flush(c);
    return c->dead ? -1 : 0;
}

int crest_conn_send(struct crest_conn *c, uint16_t type, uint32_t job, const void *payload, size_t len)
{
    if (!c->trusted) /* nothing but the proof goes out before it is done */
        return -1;
    return queue(c, type, job, payload, len);
}

int crest_conn_send_wbuf(struct crest_conn *c, uint16_t type, uint32_t job, struct crest_wbuf *b)
{
    if (b->failed)
        return -1;
    return crest_conn_send(c, type, job, b->data, b->len);
}

void crest_conn_pause_read(struct crest_conn *c, int paused)
{
    if (c->dead || c->read_paused == paused)
        return;
    c->read_paused = paused;
    update_events(c);
}

/* ------------------------------------------------------------ the proof */

static void proof(const uint8_t *secret, const char *label, const uint8_t *first, const uint8_t *second,
                  uint8_t out[CREST_SHA256_LEN])
{
    struct iovec parts[3] = {
        { (void *)label, strlen(label) },
        { (void *)first, CREST_NONCE_LEN },
        { (void *)second, CREST_NONCE_LEN },
    };
    crest_hmac_sha256(secret, CREST_SECRET_LEN, parts, 3, out);
}

static void auth_timeout(void *arg)
{
    struct crest_conn *c = arg;
    c->auth_timer = 0;
    die(c, "it did not prove the job's secret within 10 seconds");
}

static void become_trusted(struct crest_conn *c)
{
    c->trusted = 1;
    if (c->auth_timer)
        crest_loop_cancel(c->auth_timer);
    c->auth_timer = 0;
    if (c->ops->trusted)
        c->ops->trusted(c);
}

/* Handles a message of an untrusted connection; returns -1 if it died. */
static int auth_message(struct crest_conn *c, const struct crest_wire_header *h, const uint8_t *p)
{
    uint8_t mac[CREST_SHA256_LEN];
    if (c->role == CREST_CONN_DIALED && h->type == MSG_AUTH_CHALLENGE && c->auth_step == 0 &&
        h->length == CREST_NONCE_LEN) {
        memcpy(c->nonce_peer, p, CREST_NONCE_LEN);
        uint8_t reply[CREST_NONCE_LEN + CREST_SHA256_LEN];
        memcpy(reply, c->nonce_mine, CREST_NONCE_LEN);
        proof(c->secret, "crest dialer", c->nonce_peer, c->nonce_mine, reply + CREST_NONCE_LEN);
        c->auth_step = 1;
        return queue(c, MSG_AUTH_PROOF, 0, reply, sizeof reply);
    }
    if (c->role == CREST_CONN_ACCEPTED && h->type == MSG_AUTH_PROOF && c->auth_step == 0 &&
        h->length == CREST_NONCE_LEN + CREST_SHA256_LEN) {
        memcpy(c->nonce_peer, p, CREST_NONCE_LEN);
        proof(c->secret, "crest dialer", c->nonce_mine, c->nonce_peer, mac);
        if (!crest_digest_equal(mac, p + CREST_NONCE_LEN, CREST_SHA256_LEN)) {
            die(c, "it failed the proof of the job's secret");
            return -1;
        }
        proof(c->secret, "crest acceptor", c->nonce_peer, c->nonce_mine, mac);
        if (queue(c, MSG_AUTH_OK, 0, mac, sizeof mac))
            return -1;
        become_trusted(c);
        return c->dead ? -1 : 0;
    }
    if (c->role == CREST_CONN_DIALED && h->type == MSG_AUTH_OK && c->auth_step == 1 &&
        h->length == CREST_SHA256_LEN) {
        proof(c->secret, "crest acceptor", c->nonce_mine, c->nonce_peer, mac);
        if (!crest_digest_equal(mac, p, CREST_SHA256_LEN)) {
            die(c, "the peer failed the proof of the job's secret");
            return -1;
        }
        become_trusted(c);
        return c->dead ? -1 : 0;
    }
    die(c, "it sent something else than the proof of the job's secret");
    return -1;
}

/* ------------------------------------------------------------ reading */

static void read_some(struct crest_conn *c)
{
    if (c->in_cap - c->in_len < 65536) {
        size_t cap = c->in_cap ? c->in_cap * 2 : 131072;
        uint8_t *q = realloc(c->in, cap);
        if (!q) {
            die(c, "out of memory");
            return;
        }
        c->in = q;
        c->in_cap = cap;
    }
    ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
    if (r == 0) {
        die(c, "connection closed");
        return;
    }
    if (r < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            die(c, strerror(errno));
        return;
    }
    c->in_len += (size_t)r;
    size_t off = 0;
    while (!c->dead && c->in_len - off >= sizeof(struct crest_wire_header)) {
        struct crest_wire_header h;
        memcpy(&h, c->in + off, sizeof h);
        size_t limit = c->trusted ? CREST_WIRE_MAX : AUTH_MAX_PAYLOAD;
        if (h.length > limit) {
            die(c, c->trusted ? "it sent a message larger than 64 MiB" : "it sent something else than the proof of the job's secret");
            return;
        }
        if (c->in_len - off - sizeof h < h.length)
            break;
        const uint8_t *payload = c->in + off + sizeof h;
        off += sizeof h + h.length;
        if (!c->trusted) {
            if (auth_message(c, &h, payload))
                return;
        } else {
            c->ops->message(c, &h, payload);
        }
        if (c->read_paused)
            break; /* the owner wants no more for now; the rest stays queued */
    }
    if (c->dead)
        return;
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}

static void on_ready(void *arg, int fd, short revents)
{
    struct crest_conn *c = arg;
    if (c->dead)
        return;
    if (revents & POLLOUT)
        flush(c);
    if (!c->dead && (revents & (POLLIN | POLLHUP | POLLERR)) && !c->read_paused)
        read_some(c);
    else if (!c->dead && (revents & (POLLHUP | POLLERR)) && !(revents & POLLIN))
        die(c, "connection lost");
}

struct crest_conn *crest_conn_new(int fd, enum crest_conn_role role, const uint8_t *secret,
                                  const struct crest_conn_ops *ops, void *owner, const char *peer)
{
    struct crest_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    c->fd = fd;
    c->role = role;
    c->secret = secret;
    c->ops = ops;
    c->owner = owner;
    snprintf(c->peer, sizeof c->peer, "%s", peer ? peer : "");
    if (crest_loop_watch(fd, POLLIN, on_ready, c)) {
        free(c);
        return NULL;
    }
    if (role == CREST_CONN_TRUSTED) {
        c->trusted = 1;
        return c;
    }
    if (getrandom(c->nonce_mine, sizeof c->nonce_mine, 0) != (ssize_t)sizeof c->nonce_mine) {
        crest_loop_unwatch(fd);
        free(c);
        return NULL;
    }
    if (role == CREST_CONN_ACCEPTED) {
        c->auth_timer = crest_loop_timer(AUTH_TIMEOUT_MS, auth_timeout, c);
        queue(c, MSG_AUTH_CHALLENGE, 0, c->nonce_mine, sizeof c->nonce_mine);
    }
    return c;
}

void crest_conn_drain(struct crest_conn *c, int ms)
{
    int64_t end = crest_now_ms() + ms;
    while (!c->dead && crest_conn_backlog(c)) {
        int64_t left = end - crest_now_ms();
        if (left <= 0)
            return;
        struct pollfd p = { c->fd, POLLOUT, 0 };
        if (poll(&p, 1, (int)left) <= 0)
            return;
        flush(c);
    }
}
