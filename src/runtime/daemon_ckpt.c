/* daemon_ckpt.c — a daemon's part of a job-wide checkpoint: each local
 * rank is checkpointed by its own libcrest, asked over the rank's control
 * socket exactly as `crest checkpoint PID` asks.
 *
 * Two steps, so that no rank starts draining its channels unless every
 * rank can take part (a rank that drains waits for all the others):
 *   PREPARE  check every local rank (running, MPI ready or not MPI at all,
 *            libcrest listening) and connect to it; report to mpirun.
 *   GO       send each rank its request; report each reply as it comes.
 * CANCEL (or the job's end) drops what PREPARE set up. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/control_protocol.h"
#include "../common/image_format.h"
#include "crestd.h"
#include "loop.h"

static void drop(struct rank_proc *rp)
{
    if (rp->ckpt_fd >= 0) {
        crest_loop_unwatch(rp->ckpt_fd);
        close(rp->ckpt_fd);
        rp->ckpt_fd = -1;
    }
    free(rp->ckpt_reply);
    rp->ckpt_reply = NULL;
    rp->ckpt_got = 0;
}

/* Resident bytes of a process: what its image will hold, roughly. */
static uint64_t resident_bytes(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    FILE *f = fopen(path, "re");
    unsigned long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static int connect_control(pid_t pid)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (crest_control_socket_path(pid, sa.sun_path, sizeof sa.sun_path))
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

void ckpt_prepare(struct job *j, struct crest_rbuf *r)
{
    uint64_t seq = crest_rbuf_u64(r);
    if (r->bad)
        return;
    ckpt_cancel(j);
    j->ckpt_seq = seq;
    char problem[512] = "";
    uint32_t ready = 0;
    uint64_t resident = 0;
    for (int i = 0; i < j->nlocal; i++) {
        struct rank_proc *rp = &j->local[i];
        if (problem[0])
            break;
        if (rp->exited || rp->pid <= 0) {
            snprintf(problem, sizeof problem, "rank %d on host %s has %s", rp->rank, crestd.hostname,
                     rp->pid <= 0 ? "not started yet" : "ended");
        } else if (rp->finalized) {
            snprintf(problem, sizeof problem, "rank %d on host %s has called MPI_Finalize", rp->rank,
                     crestd.hostname);
        } else if ((rp->ckpt_fd = connect_control(rp->pid)) < 0) {
            snprintf(problem, sizeof problem,
                     "rank %d (pid %d on host %s) has no checkpoint support: %s (is it a statically "
                     "linked program, or did it close libcrest's descriptors?)",
                     rp->rank, (int)rp->pid, crestd.hostname, strerror(errno));
        } else {
            ready += (uint32_t)rp->mpi_ready;
            resident += resident_bytes(rp->pid);
        }
    }
    if (problem[0]) {
        ckpt_cancel(j);
        j->ckpt_seq = seq;
    }
    struct crest_wbuf b = { 0 };
    crest_wbuf_u64(&b, seq);
    crest_wbuf_u32(&b, (uint32_t)j->nlocal);
    crest_wbuf_u32(&b, ready);
    crest_wbuf_u64(&b, resident);
    crest_wbuf_str(&b, problem);
    tree_send_up(MSG_CKPT_PREPARED, j->id, &b);
    crest_wbuf_free(&b);
}

/* One rank's outcome, to mpirun. */
static void report(struct rank_proc *rp, const struct crest_control_reply *rep, uint32_t checksum,
                   const char *message)
{
    struct job *j = rp->job;
    struct crest_wbuf b = { 0 };
    crest_wbuf_u64(&b, j->ckpt_seq);
    crest_wbuf_u32(&b, (uint32_t)rp->rank);
    crest_wbuf_u32(&b, (uint32_t)(rep ? rep->error : EIO));
    crest_wbuf_u64(&b, rep ? rep->bytes : 0);
    crest_wbuf_u64(&b, rep ? rep->nanoseconds : 0);
    crest_wbuf_u64(&b, rep ? rep->quiesce_nanoseconds : 0);
    crest_wbuf_u32(&b, checksum);
    crest_wbuf_str(&b, crestd.hostname);
    crest_wbuf_str(&b, message);
    tree_send_up(MSG_CKPT_RANK, j->id, &b);
    crest_wbuf_free(&b);
}

/* The header CRC of the image just written: the manifest's checksum. */
static int image_checksum(const char *path, uint32_t *crc, char *err, size_t errlen)
{
    struct crest_image_header h;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? pread(fd, &h, sizeof h, 0) : -1;
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (n != (ssize_t)sizeof h || memcmp(h.magic, CREST_IMAGE_MAGIC, sizeof h.magic)) {
        snprintf(err, errlen, "the image %s %s after the rank reported it written", path,
                 n < 0 ? strerror(e) : "has no valid header");
        return -1;
    }
    *crc = h.header_crc;
    return 0;
}

static void on_reply(void *arg, int fd, short revents)
{
    struct rank_proc *rp = arg;
    struct crest_control_reply *rep = rp->ckpt_reply;
    ssize_t n = recv(fd, (char *)rep + rp->ckpt_got, sizeof *rep - rp->ckpt_got, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "rank %d (pid %d on host %s) ended during its checkpoint", rp->rank,
                 (int)rp->pid, crestd.hostname);
        drop(rp);
        report(rp, NULL, 0, msg);
        return;
    }
    rp->ckpt_got += (size_t)n;
    if (rp->ckpt_got < sizeof *rep)
        return;
    rep->message[sizeof rep->message - 1] = 0;
    char msg[1400] = "";
    uint32_t crc = 0;
    if (rep->magic != CREST_CONTROL_MAGIC) {
        rep->error = EPROTO;
        snprintf(msg, sizeof msg, "rank %d on host %s answered its checkpoint request with garbage",
                 rp->rank, crestd.hostname);
    } else if (rep->error) {
        snprintf(msg, sizeof msg, "rank %d on host %s: %s", rp->rank, crestd.hostname, rep->message);
    } else {
        char path[4200];
        snprintf(path, sizeof path, "%s", (const char *)rp->ckpt_reply + sizeof *rep);
        if (image_checksum(path, &crc, msg, sizeof msg))
            rep->error = EIO;
    }
    struct crest_control_reply copy = *rep;
    drop(rp);
    report(rp, &copy, crc, msg);
}

void ckpt_go(struct job *j, struct crest_rbuf *r)
{
    uint64_t seq = crest_rbuf_u64(r);
    char dir[4096];
    crest_rbuf_str(r, dir, sizeof dir);
    uint32_t mode = crest_rbuf_u32(r);
    uint32_t flags = crest_rbuf_u32(r);
    if (r->bad || seq != j->ckpt_seq)
        return;
    for (int i = 0; i < j->nlocal; i++) {
        struct rank_proc *rp = &j->local[i];
        struct crest_control_request req;
        memset(&req, 0, sizeof req);
        req.magic = CREST_CONTROL_MAGIC;
        req.version = CREST_CONTROL_VERSION;
        req.mode = mode;
        req.flags = flags;
        snprintf(req.path, sizeof req.path, "%s/rank-%05d.img", dir, rp->rank);
        /* the reply, then the image's path after it (for the checksum) */
        rp->ckpt_reply = calloc(1, sizeof(struct crest_control_reply) + sizeof req.path);
        if (rp->ckpt_reply)
            memcpy((char *)rp->ckpt_reply + sizeof(struct crest_control_reply), req.path, sizeof req.path);
        if (rp->ckpt_fd < 0 || !rp->ckpt_reply ||
            send(rp->ckpt_fd, &req, sizeof req, MSG_NOSIGNAL) != (ssize_t)sizeof req) {
            char msg[256];
            snprintf(msg, sizeof msg, "cannot ask rank %d (pid %d on host %s) for its image: %s", rp->rank,
                     (int)rp->pid, crestd.hostname, strerror(errno));
            drop(rp);
            report(rp, NULL, 0, msg);
            continue;
        }
        rp->ckpt_got = 0;
        crest_loop_watch(rp->ckpt_fd, POLLIN, on_reply, rp);
    }
}

void ckpt_cancel(struct job *j)
{
    for (int i = 0; i < j->nlocal; i++)
        drop(&j->local[i]);
    j->ckpt_seq = 0;
}

void ckpt_rank_gone(struct rank_proc *rp)
{
    if (rp->ckpt_fd < 0)
        return;
    int asked = rp->ckpt_reply != NULL;
    drop(rp);
    if (asked) {
        char msg[256];
        snprintf(msg, sizeof msg, "rank %d (pid %d on host %s) ended during its checkpoint", rp->rank,
                 (int)rp->pid, crestd.hostname);
        report(rp, NULL, 0, msg);
    }
}
