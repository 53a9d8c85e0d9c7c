/* conn.h — a message connection on a non-blocking socket, driven by the
 * event loop: outgoing messages are queued and written as the peer takes
 * them; incoming bytes are cut into whole messages and handed over.
 *
 * A connection over TCP starts untrusted: before any other message, the two
 * sides prove to each other that they know the job's secret (auth.c).  A
 * connection that is a socketpair inherited from the parent, or a local
 * socket whose peer uid was checked, is trusted from the start. */
#ifndef CREST_CONN_H
#define CREST_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define CREST_SECRET_LEN 32
#define CREST_NONCE_LEN 32

struct crest_conn;

struct crest_conn_ops {
    /* A whole message arrived. */
    void (*message)(struct crest_conn *c, const struct crest_wire_header *h, const uint8_t *payload);
    /* The connection ended: EOF, an error, or a failed proof (why says it). */
    void (*closed)(struct crest_conn *c, const char *why);
    /* The secret was proven both ways (TCP only); messages may flow. */
    void (*trusted)(struct crest_conn *c);
};

enum crest_conn_role {
    CREST_CONN_TRUSTED,  /* socketpair or checked local socket */
    CREST_CONN_ACCEPTED, /* we accepted it: we challenge */
    CREST_CONN_DIALED,   /* we connected: we answer the challenge */
};

struct crest_conn {
    int fd;
    int trusted;
    int auth_step;
    enum crest_conn_role role;
    uint8_t nonce_mine[CREST_NONCE_LEN], nonce_peer[CREST_NONCE_LEN];
    const uint8_t *secret; /* CREST_SECRET_LEN bytes, owned by the caller */
    uint64_t auth_timer;

    uint8_t *in;
    size_t in_len, in_cap;
    uint8_t *out;
    size_t out_off, out_len, out_cap;
    int read_paused;
    int write_closed;    /* the peer stopped reading (EPIPE): output is dropped */
    int dead;
    struct crest_conn *next_dead;

    const struct crest_conn_ops *ops;
    void *owner;     /* what the connection belongs to */
    char peer[128];  /* for messages: "host h2 (10.0.0.2:4711)" */
};

/* Wraps fd (made non-blocking and close-on-exec) and starts watching it.
 * For ACCEPTED and DIALED, secret must stay valid while the connection lives. */
struct crest_conn *crest_conn_new(int fd, enum crest_conn_role role, const uint8_t *secret,
                                  const struct crest_conn_ops *ops, void *owner, const char *peer);

/* Queues a message; returns -1 if the connection is dead or memory ran out. */
int crest_conn_send(struct crest_conn *c, uint16_t type, uint32_t job, const void *payload, size_t len);
int crest_conn_send_wbuf(struct crest_conn *c, uint16_t type, uint32_t job, struct crest_wbuf *b);

/* Bytes queued and not yet written. */
static inline size_t crest_conn_backlog(const struct crest_conn *c) { return c->out_len - c->out_off; }

/* Stops or resumes reading (back-pressure). */
void crest_conn_pause_read(struct crest_conn *c, int paused);

/* Closes now (queued bytes are dropped) and frees it later; closed() is
 * not called. */
void crest_conn_close(struct crest_conn *c);

/* Frees the connections closed so far; call between loop rounds. */
void crest_conn_reap(void);

/* Writes what is queued, blocking up to ms milliseconds (before exit). */
void crest_conn_drain(struct crest_conn *c, int ms);

#endif
