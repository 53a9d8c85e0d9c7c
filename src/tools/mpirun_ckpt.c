/* mpirun_ckpt.c — mpirun coordinates its job's checkpoints.
 *
 * One checkpoint at a time; requests that come meanwhile wait in a short
 * queue.  A checkpoint is:
 *   1. PREPARE  every daemon checks its ranks and connects to them; all
 *               must be able to take part (running, past MPI_Init, with
 *               libcrest), or nothing starts: a rank that began draining
 *               its channels would wait for the others forever.
 *   2. GO       the images are written into DIR/snapshot.SEQ.tmp, one per
 *               rank, each rank's libcrest draining its channels first.
 *   3. commit   once every rank reported its image: the manifest, the
 *               rename, `latest`, pruning (src/common/snapshot.c).
 * A failure at any point removes the partial snapshot; what was committed
 * before stays, and so does `latest`. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../common/snapshot.h"
#include "../runtime/loop.h"
#include "../runtime/runtime_dir.h"
#include "../runtime/wire.h"
#include "crest.h"
#include "mpirun_ckpt.h"

#define QUEUE_MAX 4

struct client {
    struct crest_conn *conn;
};

struct request {
    enum job_ckpt_mode mode;
    uint32_t flags;           /* CREST_REQ_* for the ranks */
    struct client *client;    /* who waits for the result; NULL: print it */
    char origin[64];
    char dir[PATH_MAX];       /* "" : the configured directory */
    int periodic;             /* asked by the interval timer */
};

enum phase { IDLE, PREPARING, WRITING };

/* The coordinator's state; single-threaded, owned by mpirun's loop. */
static struct ckpt_config cfg;
static struct crest_conn *runtime;
static char socket_path[300];
static int listen_fd = -1;
static uint32_t job_id;
static int nranks;            /* 0 until the job is accepted */
static uint64_t interval_timer;

static struct request queue[QUEUE_MAX];
static int queued;

static struct {
    enum phase phase;
    struct request req;
    char dir[PATH_MAX];
    uint64_t seq;
    uint64_t t0_ns;
    int prepared, ready;
    uint64_t expected, bytes;
    int done;
    int failed;
    char error[1400];
    char tmpdir[PATH_MAX];
    struct snapshot_rank *ranks;
    uint8_t *have;
} cur;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}


/* ------------------------------------------------------------- results */

static void result(const struct request *rq, int error, const char *path, const char *line)
{
    if (rq->client && rq->client->conn) {
        struct crest_wbuf b = { 0 };
        crest_wbuf_u32(&b, (uint32_t)error);
        crest_wbuf_str(&b, path ? path : "");
        crest_wbuf_str(&b, line);
        crest_conn_send_wbuf(rq->client->conn, MSG_CKPT_RESULT, job_id, &b);
        crest_wbuf_free(&b);
    } else if (error) {
        /* a periodic checkpoint that keeps failing the same way says so once */
        static char last[1400];
        if (!rq->periodic || strcmp(last, line))
            mpirun_say("checkpoint (asked by %s) failed: %s", rq->origin, line);
        if (rq->periodic)
            snprintf(last, sizeof last, "%s", line);
    } else {
        mpirun_say("checkpoint (asked by %s): %s", rq->origin, line);
    }
}

static void progress(void)
{
    const struct request *rq = &cur.req;
    if (!rq->client || !rq->client->conn)
        return;
    struct crest_wbuf b = { 0 };
    crest_wbuf_u32(&b, (uint32_t)cur.done);
    crest_wbuf_u32(&b, (uint32_t)nranks);
    crest_wbuf_u64(&b, cur.bytes);
    crest_wbuf_u64(&b, cur.expected);
    crest_conn_send_wbuf(rq->client->conn, MSG_CKPT_PROGRESS, job_id, &b);
    crest_wbuf_free(&b);
}

static void start_next(void);

static void reset(void)
{
    free(cur.ranks);
    free(cur.have);
    memset(&cur, 0, sizeof cur);
    cur.phase = IDLE;
}

/* Ends the current checkpoint as failed: nothing of it stays. */
static void fail(const char *why)
{
    if (cur.phase == WRITING) {
        snapshot_abandon(cur.tmpdir);
        /* ranks that stopped after their image go on */
        if (cur.req.mode != JOB_CKPT_CONTINUE)
            mpirun_signal_job(SIGCONT);
    }
    result(&cur.req, 1, NULL, why);
    reset();
    start_next();
}

static void commit(void)
{
    uint64_t total_ns = now_ns() - cur.t0_ns;
    struct snapshot_manifest m;
    memset(&m, 0, sizeof m);
    m.format = SNAPSHOT_FORMAT;
    snprintf(m.crest_version, sizeof m.crest_version, "%d.%d", CREST_VERSION_MAJOR, CREST_VERSION_MINOR);
    m.job = job_id;
    m.seq = cur.seq;
    m.taken = (int64_t)time(NULL);
    m.total_ns = total_ns;
    m.bytes = cur.bytes;
    snprintf(m.cwd, sizeof m.cwd, "%s", cfg.cwd);
    m.argc = cfg.argc;
    m.argv = cfg.argv;
    m.nranks = nranks;
    m.ranks = cur.ranks;
    for (int i = 0; i < nranks; i++)
        if (cur.ranks[i].quiesce_ns > m.quiesce_ns)
            m.quiesce_ns = cur.ranks[i].quiesce_ns;
    char final[PATH_MAX], err[1400];
    if (snapshot_commit(cur.dir, cur.tmpdir, &m, cfg.keep, final, sizeof final, err, sizeof err)) {
        fail(err);
        return;
    }
    double secs = (double)total_ns / 1e9, gib = (double)cur.bytes / (double)(1ull << 30);
    char line[PATH_MAX + 256];
    snprintf(line, sizeof line,
             "snapshot %llu committed: %d ranks, %.3f GiB in %.3f s (%.2f GiB/s), quiesce %.1f ms: %s",
             (unsigned long long)cur.seq, nranks, gib, secs, secs > 0 ? gib / secs : 0.0,
             (double)m.quiesce_ns / 1e6, final);
    enum job_ckpt_mode mode = cur.req.mode;
    result(&cur.req, 0, final, line);
    reset();
    if (mode == JOB_CKPT_TERM) {
        queued = 0; /* the job ends: nothing more to take */
        mpirun_end_after_checkpoint();
        return;
    }
    start_next();
}

/* ------------------------------------------------------------- the steps */

static void start_next(void)
{
    if (cur.phase != IDLE || !queued || !nranks || !runtime)
        return;
    cur.req = queue[0];
    memmove(queue, queue + 1, (size_t)--queued * sizeof *queue);
    snprintf(cur.dir, sizeof cur.dir, "%s", cur.req.dir[0] ? cur.req.dir : cfg.dir);
    cur.t0_ns = now_ns();
    char err[1400];
    if (snapshot_next_seq(cur.dir, &cur.seq, err, sizeof err)) {
        fail(err);
        return;
    }
    cur.ranks = calloc((size_t)nranks, sizeof *cur.ranks);
    cur.have = calloc((size_t)nranks, 1);
    if (!cur.ranks || !cur.have) {
        fail("out of memory");
        return;
    }
    cur.phase = PREPARING;
    crest_conn_send(runtime, MSG_CKPT_PREPARE, job_id, &cur.seq, sizeof cur.seq);
}

static void prepared(struct crest_rbuf *r)
{
    uint64_t seq = crest_rbuf_u64(r);
    uint32_t here = crest_rbuf_u32(r);
    uint32_t ready = crest_rbuf_u32(r);
    uint64_t resident = crest_rbuf_u64(r);
    char problem[512];
    crest_rbuf_str(r, problem, sizeof problem);
    if (r->bad || cur.phase != PREPARING || seq != cur.seq)
        return;
    cur.prepared += (int)here;
    cur.ready += (int)ready;
    cur.expected += resident;
    if (problem[0] && !cur.error[0])
        snprintf(cur.error, sizeof cur.error, "%s", problem);
    if (cur.prepared < nranks)
        return;
    if (!cur.error[0] && cur.ready && cur.ready < nranks)
        snprintf(cur.error, sizeof cur.error,
                 "%d of the %d ranks are still inside MPI_Init; try again in a moment", nranks - cur.ready,
                 nranks);
    if (cur.error[0]) {
        crest_conn_send(runtime, MSG_CKPT_CANCEL, job_id, &cur.seq, sizeof cur.seq);
        char why[1500];
        snprintf(why, sizeof why, "%s; no snapshot was taken", cur.error);
        fail(why);
        return;
    }
    char err[1400];
    if (snapshot_begin(cur.dir, cur.seq, cur.tmpdir, sizeof cur.tmpdir, err, sizeof err)) {
        crest_conn_send(runtime, MSG_CKPT_CANCEL, job_id, &cur.seq, sizeof cur.seq);
        fail(err);
        return;
    }
    cur.phase = WRITING;
    struct crest_wbuf b = { 0 };
    crest_wbuf_u64(&b, cur.seq);
    crest_wbuf_str(&b, cur.tmpdir);
    /* stopped after the image, also to end: nothing may run once it is taken */
    crest_wbuf_u32(&b, cur.req.mode == JOB_CKPT_CONTINUE ? CREST_MODE_CONTINUE : CREST_MODE_STOP);
    crest_wbuf_u32(&b, cur.req.flags);
    crest_conn_send_wbuf(runtime, MSG_CKPT_GO, job_id, &b);
    crest_wbuf_free(&b);
    progress();
}

static void rank_done(struct crest_rbuf *r)
{
    uint64_t seq = crest_rbuf_u64(r);
    int rank = (int)crest_rbuf_u32(r);
    int error = (int)crest_rbuf_u32(r);
    uint64_t bytes = crest_rbuf_u64(r);
    uint64_t write_ns = crest_rbuf_u64(r);
    uint64_t quiesce_ns = crest_rbuf_u64(r);
    uint32_t checksum = crest_rbuf_u32(r);
    char host[SNAPSHOT_HOST_MAX], message[1400];
    crest_rbuf_str(r, host, sizeof host);
    crest_rbuf_str(r, message, sizeof message);
    if (r->bad || cur.phase != WRITING || seq != cur.seq || rank < 0 || rank >= nranks || cur.have[rank])
        return;
    cur.have[rank] = 1;
    cur.done++;
    struct snapshot_rank *sr = &cur.ranks[rank];
    sr->rank = rank;
    snprintf(sr->host, sizeof sr->host, "%s", host);
    snprintf(sr->image, sizeof sr->image, "rank-%05d.img", rank);
    sr->bytes = bytes;
    sr->checksum = checksum;
    sr->write_ns = write_ns;
    sr->quiesce_ns = quiesce_ns;
    cur.bytes += bytes;
    if (error && !cur.failed) {
        cur.failed = 1;
        snprintf(cur.error, sizeof cur.error, "%s", message[0] ? message : strerror(error));
    }
    progress();
    if (cur.done < nranks)
        return;
    if (cur.failed) {
        char why[1500];
        snprintf(why, sizeof why, "%s; the partial snapshot was removed", cur.error);
        fail(why);
        return;
    }
    commit();
}

int ckpt_runtime_message(const struct crest_wire_header *h, const uint8_t *p)
{
    struct crest_rbuf r = crest_rbuf_of(p, h->length);
    switch (h->type) {
    case MSG_CKPT_PREPARED:
        prepared(&r);
        return 1;
    case MSG_CKPT_RANK:
        rank_done(&r);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------- requests */

static int enqueue(const struct request *rq)
{
    if (queued == QUEUE_MAX)
        return -1;
    queue[queued++] = *rq;
    start_next();
    return 0;
}

void ckpt_request(enum job_ckpt_mode mode, const char *origin)
{
    struct request rq;
    memset(&rq, 0, sizeof rq);
    rq.mode = mode;
    snprintf(rq.origin, sizeof rq.origin, "%s", origin);
    if (enqueue(&rq))
        mpirun_say("checkpoint asked by %s refused: %d checkpoints are already waiting", origin, QUEUE_MAX);
}

void ckpt_job_accepted(uint32_t job, int n)
{
    job_id = job;
    nranks = n;
    start_next();
}

void ckpt_job_ended(void)
{
    if (cur.phase != IDLE)
        fail("the job ended during the checkpoint");
    while (queued) {
        struct request rq = queue[0];
        memmove(queue, queue + 1, (size_t)--queued * sizeof *queue);
        result(&rq, 1, NULL, "the job ended before the checkpoint could start");
    }
    nranks = 0;
}

/* ------------------------------------------------------------- the socket */

static void client_message(struct crest_conn *c, const struct crest_wire_header *h, const uint8_t *p)
{
    struct client *cl = c->owner;
    struct crest_rbuf r = crest_rbuf_of(p, h->length);
    if (h->type != MSG_CKPT_REQUEST) {
        crest_conn_close(c);
        return;
    }
    struct request rq;
    memset(&rq, 0, sizeof rq);
    rq.mode = (enum job_ckpt_mode)crest_rbuf_u32(&r);
    rq.flags = crest_rbuf_u32(&r);
    crest_rbuf_str(&r, rq.dir, sizeof rq.dir);
    rq.client = cl;
    snprintf(rq.origin, sizeof rq.origin, "crest checkpoint");
    if (r.bad || rq.mode > JOB_CKPT_TERM || (rq.dir[0] && rq.dir[0] != '/')) {
        result(&rq, 1, NULL, "malformed checkpoint request (a crest of another version?)");
        return;
    }
    if (!nranks) {
        result(&rq, 1, NULL, "the job has not started yet, or has ended");
        return;
    }
    if (enqueue(&rq))
        result(&rq, 1, NULL, "too many checkpoints of this job are already waiting; try again later");
}

static void client_closed(struct crest_conn *c, const char *why)
{
    struct client *cl = c->owner;
    /* its checkpoint goes on; nobody waits for the result any more */
    if (cur.req.client == cl)
        cur.req.client = NULL;
    for (int i = 0; i < queued; i++)
        if (queue[i].client == cl)
            queue[i].client = NULL;
    free(cl);
}

static const struct crest_conn_ops client_ops = { client_message, client_closed, NULL };

static void on_listen(void *arg, int fd, short revents)
{
    int s = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (s < 0)
        return;
    if (!crest_local_peer_is_us(s)) {
        close(s);
        return;
    }
    struct client *cl = calloc(1, sizeof *cl);
    if (!cl || !(cl->conn = crest_conn_new(s, CREST_CONN_TRUSTED, NULL, &client_ops, cl, "crest checkpoint"))) {
        free(cl);
        close(s);
    }
}

static void on_interval(void *arg)
{
    interval_timer = crest_loop_timer(cfg.interval_ms, on_interval, NULL);
    /* one at a time: a slow checkpoint is not followed by a pile of them */
    if (cur.phase == IDLE && !queued) {
        struct request rq;
        memset(&rq, 0, sizeof rq);
        rq.mode = JOB_CKPT_CONTINUE;
        rq.periodic = 1;
        snprintf(rq.origin, sizeof rq.origin, "the checkpoint interval");
        enqueue(&rq);
    }
}

int ckpt_init(const struct ckpt_config *c, struct crest_conn *rt)
{
    cfg = *c;
    runtime = rt;
    reset();
    char dir[256], err[512];
    if (crest_runtime_dir(dir, sizeof dir, err, sizeof err)) {
        mpirun_say("%s", err);
        return -1;
    }
    snprintf(socket_path, sizeof socket_path, "%s/mpirun-%d.sock", dir, (int)getpid());
    listen_fd = crest_local_listen(socket_path, err, sizeof err);
    if (listen_fd < 0) {
        mpirun_say("%s", err);
        socket_path[0] = 0;
        return -1;
    }
    crest_loop_watch(listen_fd, POLLIN, on_listen, NULL);
    if (cfg.interval_ms > 0)
        interval_timer = crest_loop_timer(cfg.interval_ms, on_interval, NULL);
    return 0;
}

void ckpt_cleanup(void)
{
    if (socket_path[0])
        unlink(socket_path);
    socket_path[0] = 0;
}
