/* wire.h — the runtime's messages: framing, and the typed fields inside.
 *
 * Every message between runtime parts (mpirun, crestd, ranks, crest tools)
 * is a 12-byte header then `length` bytes of payload.  A payload is a
 * sequence of fields written and read in an order fixed by the message
 * type: 32/64-bit integers (little-endian, as every host we run on) and
 * length-prefixed byte strings.  A reader that runs past the end marks
 * itself bad instead of reading garbage; callers check once at the end. */
#ifndef CREST_WIRE_H
#define CREST_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define CREST_WIRE_MAX (64u << 20) /* largest payload accepted */

struct crest_wire_header {
    uint32_t length; /* payload bytes */
    uint16_t type;   /* enum crest_msg_type */
    uint16_t flags;
    uint32_t job;    /* job id, 0 when not about a job */
};

enum crest_msg_type {
    /* proof of the shared secret (auth.c) */
    MSG_AUTH_CHALLENGE = 1,
    MSG_AUTH_PROOF,
    MSG_AUTH_OK,

    /* daemon tree */
    MSG_HELLO = 10,    /* child -> parent: index, host name, pid */
    MSG_TREE,          /* parent -> child: hosts, fan-out, launcher */
    MSG_DAEMON_UP,     /* -> root: a daemon joined (index, host) */
    MSG_DAEMON_FAILED, /* -> root: a daemon could not start or was lost */
    MSG_SHUTDOWN,      /* root -> all: end every job and exit */

    /* jobs */
    MSG_SUBMIT = 30,   /* mpirun -> root: job spec */
    MSG_ACCEPTED,      /* root -> mpirun: job id */
    MSG_REFUSED,       /* root -> mpirun: one line why */
    MSG_LAUNCH,        /* root -> daemons: start the ranks of a job */
    MSG_STDIO,         /* daemon -> root -> mpirun: rank, stream, bytes */
    MSG_STDIN,         /* mpirun -> root -> daemon of rank 0: bytes ("" = EOF) */
    MSG_RANK_EXIT,     /* daemon -> root: rank, wait status, finalized, exec errno */
    MSG_SIGNAL,        /* mpirun -> root -> daemons: signal every rank */
    MSG_KILL_JOB,      /* root -> daemons: terminate every rank of the job */
    MSG_JOB_DONE,      /* root -> mpirun: exit code, message; root -> daemons: forget job */
    MSG_ABORT,         /* rank -> daemon -> root: code, message */
    MSG_NOTICE,        /* -> mpirun: one line to print on stderr */
    MSG_STDIN_ACK,     /* daemon of rank 0 -> root -> mpirun: stdin bytes gone, closed */

    /* key/value exchange */
    MSG_KV_PUT = 50,   /* rank -> daemon: key, value */
    MSG_KV_FENCE,      /* rank -> daemon: enter the fence */
    MSG_KV_FENCE_UP,   /* daemon -> parent: subtree's pairs, count of ranks */
    MSG_KV_FENCE_DOWN, /* parent -> children: every pair of the job */
    MSG_KV_FENCE_DONE, /* daemon -> rank: every pair of the job */

    /* rank <-> daemon */
    MSG_RANK_HELLO = 70, /* rank -> daemon: rank, pid */
    MSG_RANK_FINALIZE,   /* rank -> daemon: leaving MPI cleanly */
    MSG_RANK_READY,      /* rank -> daemon: MPI is up, a checkpoint may include it */

    /* job-wide checkpoint: mpirun coordinates (mpirun_ckpt.c), each daemon
     * checkpoints its ranks through their libcrest (daemon_ckpt.c) */
    MSG_CKPT_PREPARE = 80, /* mpirun -> root -> daemons: seq; check the ranks, connect */
    MSG_CKPT_PREPARED,     /* daemon -> root -> mpirun: seq, ranks here, ready, resident, problem */
    MSG_CKPT_GO,           /* mpirun -> daemons: seq, snapshot dir, mode, flags */
    MSG_CKPT_CANCEL,       /* mpirun -> daemons: seq; drop what PREPARE set up */
    MSG_CKPT_RANK,         /* daemon -> root -> mpirun: one rank's image, or why not */
    MSG_CKPT_REQUEST,      /* crest checkpoint -> mpirun: mode, flags */
    MSG_CKPT_PROGRESS,     /* mpirun -> crest checkpoint: ranks done, bytes, expected */
    MSG_CKPT_RESULT,       /* mpirun -> crest checkpoint: error, path, summary */

    /* local tools */
    MSG_STATUS = 90,   /* crest ps -> root: list jobs */
    MSG_STATUS_REPLY,  /* root -> crest ps */
    MSG_HALT,          /* crest halt -> boot root */
};

/* A growing payload. On allocation failure `failed` is set and further
 * writes are ignored; the sender checks it once. */
struct crest_wbuf {
    uint8_t *data;
    size_t len, cap;
    int failed;
};

void crest_wbuf_u32(struct crest_wbuf *b, uint32_t v);
void crest_wbuf_u64(struct crest_wbuf *b, uint64_t v);
void crest_wbuf_bytes(struct crest_wbuf *b, const void *p, size_t n); /* length-prefixed */
void crest_wbuf_str(struct crest_wbuf *b, const char *s);
void crest_wbuf_raw(struct crest_wbuf *b, const void *p, size_t n);   /* no prefix */
void crest_wbuf_free(struct crest_wbuf *b);

struct crest_rbuf {
    const uint8_t *p;
    size_t left;
    int bad;
};

static inline struct crest_rbuf crest_rbuf_of(const void *p, size_t n)
{
    struct crest_rbuf r = { p, n, 0 };
    return r;
}
uint32_t crest_rbuf_u32(struct crest_rbuf *r);
uint64_t crest_rbuf_u64(struct crest_rbuf *r);
/* A length-prefixed string pointing into the buffer; *len set. */
const uint8_t *crest_rbuf_bytes(struct crest_rbuf *r, size_t *len);
/* A length-prefixed string copied into dst (NUL-terminated); bad if it does
 * not fit or holds a NUL. */
void crest_rbuf_str(struct crest_rbuf *r, char *dst, size_t dstlen);
/* A newly allocated NUL-terminated copy (NULL and bad on failure). */
char *crest_rbuf_strdup(struct crest_rbuf *r);

#endif
