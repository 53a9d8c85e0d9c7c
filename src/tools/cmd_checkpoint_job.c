/* cmd_checkpoint_job.c — `crest checkpoint JOB`: asks the job's mpirun for
 * a snapshot, shows its progress and prints where it went. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runtime/local_client.h"
#include "../runtime/runtime_dir.h"
#include "job_list.h"
#include "crest.h"
#include "mpirun_ckpt.h"
#include "commands.h"

struct lookup {
    uint32_t id;
    uint32_t mpirun_pid;
};

static void match_job(const struct job_entry *e, void *arg)
{
    struct lookup *l = arg;
    if (e->id == l->id)
        l->mpirun_pid = e->mpirun_pid;
}

/* The socket of the mpirun that target names: its pid, or a job id as
 * crest ps shows it.  0, or -1 when target names no job. */
static int job_socket(const char *target, char *path, size_t len)
{
    char *end;
    long n = strtol(target, &end, 10);
    char dir[256], err[512];
    if (*end || n <= 0 || n > INT32_MAX || crest_runtime_dir(dir, sizeof dir, err, sizeof err))
        return -1;
    snprintf(path, len, "%s/mpirun-%ld.sock", dir, n);
    if (!access(path, F_OK))
        return 0;
    /* a process with libcrest of its own is checkpointed alone */
    char own[300];
    snprintf(own, sizeof own, "%s/%ld.sock", dir, n);
    if (!access(own, F_OK))
        return -1;
    struct lookup l = { (uint32_t)n, 0 };
    if (crest_list_jobs(match_job, NULL, &l, err, sizeof err) <= 0 || !l.mpirun_pid)
        return -1;
    snprintf(path, len, "%s/mpirun-%u.sock", dir, l.mpirun_pid);
    return access(path, F_OK) ? -1 : 0;
}

static void show_progress(const uint8_t *p, size_t n)
{
    struct crest_rbuf r = crest_rbuf_of(p, n);
    uint32_t done = crest_rbuf_u32(&r), total = crest_rbuf_u32(&r);
    uint64_t bytes = crest_rbuf_u64(&r), expected = crest_rbuf_u64(&r);
    if (r.bad)
        return;
    fprintf(stderr, "\rcrest checkpoint: %u of %u ranks written, %.1f MiB of about %.1f MiB   ", done, total,
            (double)bytes / (1 << 20), (double)expected / (1 << 20));
}

int crest_checkpoint_job(const char *target, const char *out, int mode, int flags)
{
    char path[600];
    if (job_socket(target, path, sizeof path))
        return -1;
    char dir[PATH_MAX] = "";
    if (out) {
        char cwd[PATH_MAX];
        if (out[0] == '/')
            snprintf(dir, sizeof dir, "%s", out);
        else if (getcwd(cwd, sizeof cwd))
            snprintf(dir, sizeof dir, "%s/%s", cwd, out);
    }
    int fd = crest_local_connect(path);
    if (fd < 0) {
        fprintf(stderr, "crest checkpoint: cannot reach the mpirun of job %s at %s: %s\n", target, path,
                strerror(errno));
        return 1;
    }
    struct crest_wbuf b = { 0 };
    crest_wbuf_u32(&b, (uint32_t)(mode == CREST_MODE_TERM ? JOB_CKPT_TERM
                                  : mode == CREST_MODE_STOP ? JOB_CKPT_STOP
                                                            : JOB_CKPT_CONTINUE));
    crest_wbuf_u32(&b, (uint32_t)flags);
    crest_wbuf_str(&b, dir);
    if (b.failed || crest_send_message(fd, MSG_CKPT_REQUEST, 0, b.data, b.len)) {
        fprintf(stderr, "crest checkpoint: the mpirun of job %s did not take the request: %s\n", target,
                strerror(errno));
        return 1;
    }
    crest_wbuf_free(&b);
    int tty = isatty(2), shown = 0;
    for (;;) {
        struct crest_wire_header h;
        uint8_t *p = NULL;
        if (crest_read_message(fd, &h, &p, 60 * 60 * 1000)) {
            if (errno == ETIMEDOUT)
                continue;
            if (shown)
                fputc('\n', stderr);
            fprintf(stderr, "crest checkpoint: the mpirun of job %s ended before the snapshot was committed; "
                            "the previous snapshot, if any, is intact\n", target);
            return 1;
        }
        if (h.type == MSG_CKPT_PROGRESS && tty) {
            show_progress(p, h.length);
            shown = 1;
        } else if (h.type == MSG_CKPT_RESULT) {
            struct crest_rbuf r = crest_rbuf_of(p, h.length);
            uint32_t error = crest_rbuf_u32(&r);
            char snap[PATH_MAX], line[2048];
            crest_rbuf_str(&r, snap, sizeof snap);
            crest_rbuf_str(&r, line, sizeof line);
            free(p);
            close(fd);
            if (shown)
                fputc('\n', stderr);
            if (r.bad) {
                fprintf(stderr, "crest checkpoint: malformed answer from mpirun\n");
                return 1;
            }
            if (error) {
                fprintf(stderr, "crest checkpoint: job %s: %s\n", target, line);
                return 1;
            }
            printf("%s\n", snap);
            fprintf(stderr, "crest checkpoint: %s\n", line);
            return 0;
        }
        free(p);
    }
}
