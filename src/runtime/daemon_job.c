/* daemon_job.c — the ranks of each job on this host: starting them, their
 * stdio, their exits, signals, and their part of the key/value exchange. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/control_protocol.h"
#include "crestd.h"
#include "loop.h"
#include "tree.h"

#define LINE_FLUSH_AT (64u << 10)
#define LAUNCH_BATCH 8 /* ranks started between two turns of the loop */

static void rank_message(struct crest_conn *c, const struct crest_wire_header *h, const uint8_t *p);
static void rank_closed(struct crest_conn *c, const char *why)
{
    struct rank_proc *rp = c->owner;
    rp->conn = NULL; /* the rank exited or closed its socket; the slot is reaped later */
}
static const struct crest_conn_ops rank_ops = { rank_message, rank_closed, NULL };
static int output_paused;
static void kill_leftovers(struct job *j);

struct job *job_find(uint32_t id)
{
    for (struct job *j = crestd.jobs; j; j = j->next)
        if (j->id == id)
            return j;
    return NULL;
}

static void free_strv(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

void job_free(struct job *j)
{
    ckpt_cancel(j);
    for (int i = 0; i < j->nlocal; i++) {
        struct rank_proc *rp = &j->local[i];
        free(rp->out.data);
        free(rp->err.data);
        free(rp->in_buf);
        if (rp->out.timer)
            crest_loop_cancel(rp->out.timer);
        if (rp->err.timer)
            crest_loop_cancel(rp->err.timer);
    }
    if (j->kill_timer)
        crest_loop_cancel(j->kill_timer);
    if (j->launch_timer)
        crest_loop_cancel(j->launch_timer);
    free(j->local);
    free(j->daemon_of_rank);
    free_strv(j->argv);
    free_strv(j->envp);
    crest_wbuf_free(&j->fence_pairs);
    crest_wbuf_free(&j->pending_puts);
    free(j);
}

/* ------------------------------------------------------------- stdio */

static void send_output(struct rank_proc *rp, int stream, const char *p, size_t n)
{
    struct crest_wbuf b = { 0 };
    crest_wbuf_u32(&b, (uint32_t)rp->rank);
    crest_wbuf_u32(&b, (uint32_t)stream);
    crest_wbuf_bytes(&b, p, n);
    tree_send_up(MSG_STDIO, rp->job->id, &b);
    crest_wbuf_free(&b);
}

static struct line_buffer *buffer_of(struct rank_proc *rp, int stream)
{
    return stream == 1 ? &rp->out : &rp->err;
}

static void flush_partial(struct rank_proc *rp, int stream)
{
    struct line_buffer *lb = buffer_of(rp, stream);
    if (lb->timer)
        crest_loop_cancel(lb->timer);
    lb->timer = 0;
    if (lb->len)
        send_output(rp, stream, lb->data, lb->len);
    lb->len = 0;
}

static void partial_due(struct rank_proc *rp, int stream);
static void partial_out_due(void *arg) { partial_due(arg, 1); }
static void partial_err_due(void *arg) { partial_due(arg, 2); }

/* A rank that has been quiet with an unfinished line gets it shown; but
 * not while its pipe is not being read (a slow terminal): then the rest of
 * the line may well be waiting in the pipe. */
static void partial_due(struct rank_proc *rp, int stream)
{
    struct line_buffer *lb = stream == 1 ? &rp->out : &rp->err;
    lb->timer = 0;
    if (output_paused) {
        lb->timer = crest_loop_timer(PARTIAL_LINE_MS, stream == 1 ? partial_out_due : partial_err_due, rp);
        return;
    }
    flush_partial(rp, stream);
}

/* Sends the complete lines of what arrived; an unterminated tail waits for
 * its newline until the rank has been quiet for PARTIAL_LINE_MS (a prompt,
 * a progress dot). */
static void take_output(struct rank_proc *rp, int stream, const char *p, size_t n)
{
    struct line_buffer *lb = buffer_of(rp, stream);
    if (lb->len + n > lb->cap) {
        size_t cap = lb->cap ? lb->cap : 4096;
        while (cap < lb->len + n)
            cap *= 2;
        char *q = realloc(lb->data, cap);
        if (!q)
            return;
        lb->data = q;
        lb->cap = cap;
    }
    memcpy(lb->data + lb->len, p, n);
    lb->len += n;
    size_t whole = 0;
    for (size_t i = lb->len; i > 0; i--)
        if (lb->data[i - 1] == '\n') {
            whole = i;
            break;
        }
    if (!whole && lb->len >= LINE_FLUSH_AT)
        whole = lb->len; /* one line longer than this goes in pieces */
    if (whole) {
        send_output(rp, stream, lb->data, whole);
        memmove(lb->data, lb->data + whole, lb->len - whole);
        lb->len -= whole;
        if (lb->timer)
            crest_loop_cancel(lb->timer);
        lb->timer = 0;
    }
    /* The wait restarts with every arrival: a rank in the middle of a
     * long line is not cut, one that stopped at a prompt is shown. */
    if (lb->timer)
        crest_loop_cancel(lb->timer);
    lb->timer = 0;
    if (lb->len)
        lb->timer = crest_loop_timer(PARTIAL_LINE_MS, stream == 1 ? partial_out_due : partial_err_due, rp);
}

static void close_output(struct rank_proc *rp, int stream)
{
    int *fd = stream == 1 ? &rp->out_fd : &rp->err_fd;
    if (*fd < 0)
        return;
    crest_loop_unwatch(*fd);
    close(*fd);
    *fd = -1;
    flush_partial(rp, stream);
}

/* Reads what is there; returns 0 at EOF (the pipe is then closed). */
static int read_output(struct rank_proc *rp, int stream)
{
    int fd = stream == 1 ? rp->out_fd : rp->err_fd;
    char buf[65536];
    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r > 0) {
            take_output(rp, stream, buf, (size_t)r);
            if ((size_t)r < sizeof buf)
                return 1;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN)
            return 1;
        close_output(rp, stream);
        return 0;
    }
    return 1;
}

static void on_out(void *arg, int fd, short revents) { read_output(arg, 1); }
static void on_err(void *arg, int fd, short revents) { read_output(arg, 2); }

/* Tells mpirun how much of rank 0's stdin is gone (written to the rank, or
 * dropped because the rank closed its stdin), so that it reads more: mpirun
 * keeps at most a window of stdin in flight. */
static void ack_stdin(struct rank_proc *rp, size_t bytes, int closed)
{
    struct crest_wbuf b = { 0 };
    crest_wbuf_u64(&b, bytes);
    crest_wbuf_u32(&b, (uint32_t)closed);
    tree_send_up(MSG_STDIN_ACK, rp->job->id, &b);
    crest_wbuf_free(&b);
}

static void write_stdin(struct rank_proc *rp)
{
    size_t written = 0;
    while (rp->in_fd >= 0 && rp->in_off < rp->in_len) {
        ssize_t w = write(rp->in_fd, rp->in_buf + rp->in_off, rp->in_len - rp->in_off);
        if (w > 0) {
            rp->in_off += (size_t)w;
            written += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            crest_loop_set_events(rp->in_fd, POLLOUT);
            if (written)
                ack_stdin(rp, written, 0);
            return;
        }
        /* The rank closed its stdin: the rest has nowhere to go, and
         * mpirun can stop reading. */
        crest_loop_unwatch(rp->in_fd);
        close(rp->in_fd);
        rp->in_fd = -1;
        rp->in_closed = 1;
        ack_stdin(rp, written + (rp->in_len - rp->in_off), 1);
        written = 0;
    }
    if (written)
        ack_stdin(rp, written, 0);
    rp->in_off = rp->in_len = 0;
    if (rp->in_fd >= 0) {
        if (rp->in_eof) {
            crest_loop_unwatch(rp->in_fd);
            close(rp->in_fd);
            rp->in_fd = -1;
        } else {
            crest_loop_set_events(rp->in_fd, 0);
        }
    }
}

static void on_stdin_writable(void *arg, int fd, short revents) { write_stdin(arg); }

void job_stdin(struct job *j, const uint8_t *p, size_t n)
{
    for (int i = 0; i < j->nlocal; i++) {
        struct rank_proc *rp = &j->local[i];
        if (rp->rank != 0)
            continue;
        if (rp->in_fd < 0) {
            if (n)
                ack_stdin(rp, n, 1); /* nowhere to go */
            continue;
        }
        if (n == 0) {
            rp->in_eof = 1;
        } else {
            char *q = realloc(rp->in_buf, rp->in_len + n);
            if (!q)
                return;
            rp->in_buf = q;
            memcpy(rp->in_buf + rp->in_len, p, n);
            rp->in_len += n;
        }
        write_stdin(rp);
    }
}

void job_pause_output(int paused)
{
    if (paused == output_paused)
        return;
    output_paused = paused;
    for (struct job *j = crestd.jobs; j; j = j->next)
        for (int i = 0; i < j->nlocal; i++) {
            if (j->local[i].out_fd >= 0)
                crest_loop_set_events(j->local[i].out_fd, paused ? 0 : POLLIN);
            if (j->local[i].err_fd >= 0)
                crest_loop_set_events(j->local[i].err_fd, paused ? 0 : POLLIN);
        }
}

/* ------------------------------------------------------------- starting */

static char **read_strv(struct crest_rbuf *r)
{
    uint32_t n = crest_rbuf_u32(r);
    if (r->bad || n > (1u << 20))
        return NULL;
    char **v = calloc(n + 1, sizeof *v);
    for (uint32_t i = 0; v && i < n; i++)
        v[i] = crest_rbuf_strdup(r);
    if (!v || r->bad) {
        free_strv(v);
        return NULL;
    }
    return v;
}

/* The job's environment with this rank's CREST_* variables; the strings
 * from *own on are this function's (freed by the caller). */
static char **rank_environment(struct job *j, struct rank_proc *rp, int local_rank, int fd, int *own)
{
    int n = 0;
    while (j->envp[n])
        n++;
    char **env = calloc((size_t)n + 12, sizeof *env);
    if (!env)
        return NULL;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (strncmp(j->envp[i], "CREST_RANK=", 11) && strncmp(j->envp[i], "CREST_SIZE=", 11) &&
            strncmp(j->envp[i], "CREST_RT_FD=", 12) && strncmp(j->envp[i], "CREST_LOCAL_", 12) &&
            strncmp(j->envp[i], "CREST_JOB=", 10) && strncmp(j->envp[i], "CREST_NODE", 10) &&
            strncmp(j->envp[i], "CREST_RUNTIME_DIR=", 18))
            env[k++] = j->envp[i];
    *own = k;
    char tmp[512];
#define ADD(...) (snprintf(tmp, sizeof tmp, __VA_ARGS__), env[k++] = strdup(tmp))
    ADD("CREST_RANK=%d", rp->rank);
    ADD("CREST_SIZE=%d", j->nranks);
    ADD("CREST_LOCAL_RANK=%d", local_rank);
    ADD("CREST_LOCAL_SIZE=%d", j->nlocal);
    ADD("CREST_NODE=%d", crestd.index);
    ADD("CREST_NODE_HOST=%s", crestd.hostname);
    ADD("CREST_JOB=%u", j->id);
    ADD("CREST_RT_FD=%d", fd);
    /* its libcrest's control socket goes where this daemon looks for it */
    char dir[256];
    if (!crest_control_dir(dir, sizeof dir))
        ADD("CREST_RUNTIME_DIR=%s", dir);
#undef ADD
    env[k] = NULL;
    return env;
}

/* The program's path, searched in the job's PATH (not the daemon's: a
 * daemon started by ssh has the login shell's), once per job.  Left as
 * given when not found: the exec then fails and says so. */
static void resolve_program(struct job *j)
{
    const char *prog = j->argv[0];
    snprintf(j->program, sizeof j->program, "%s", prog);
    if (strchr(prog, '/'))
        return;
    const char *path = "/usr/local/bin:/usr/bin:/bin";
    for (char **e = j->envp; *e; e++)
        if (!strncmp(*e, "PATH=", 5))
            path = *e + 5;
    for (const char *p = path; *p;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char candidate[PATH_MAX];
        snprintf(candidate, sizeof candidate, "%.*s/%s", (int)n, n ? p : ".", prog);
        if (access(candidate, X_OK) == 0) {
            snprintf(j->program, sizeof j->program, "%s", candidate);
            return;
        }
        p += n + (end ? 1 : 0);
    }
}

/* In the child, between fork and exec. */
static __attribute__((noreturn)) void become_rank(struct job *j, char **env, int in_fd, int out_fd, int err_fd,
                                                   int rt_fd, pid_t daemon, int exec_status_fd)
{
    setpgid(0, 0);
    /* The rank must not outlive its daemon (killed, or its host lost). */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != daemon)
        _exit(127);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    if (rt_fd != 3)
        dup2(rt_fd, 3);
    fcntl(3, F_SETFD, 0);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (chdir(j->cwd)) {
        const char *home = getenv("HOME");
        if (!home || chdir(home))
            if (chdir("/")) {
            }
    }
    execve(j->program, j->argv, env);
    /* The daemon reports it, once for the job: not a line per rank here. */
    int e = errno;
    if (write(exec_status_fd, &e, sizeof e) < 0) {
    }
    _exit(127);
}

/* fork, not vfork: with vfork the daemon would wait for each rank's exec
 * in turn, and a job of many ranks would start one exec at a time. */
static pid_t spawn_rank(struct job *j, char **env, int in_fd, int out_fd, int err_fd, int rt_fd, pid_t daemon,
                        int exec_status_fd)
{
    pid_t pid = fork();
    if (pid == 0)
        become_rank(j, env, in_fd, out_fd, err_fd, rt_fd, daemon, exec_status_fd);
    return pid;
}

static int start_rank(struct job *j, struct rank_proc *rp, int local_rank)
{
    int out[2], err[2], in[2] = { -1, -1 }, sp[2], ex[2];
    /* ex: closed by a successful exec, or carries its errno */
    if (pipe2(ex, O_CLOEXEC))
        return -1;
    if (pipe2(out, O_CLOEXEC)) {
        close(ex[0]), close(ex[1]);
        return -1;
    }
    if (pipe2(err, O_CLOEXEC)) {
        close(out[0]), close(out[1]);
        return -1;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp)) {
        close(out[0]), close(out[1]), close(err[0]), close(err[1]);
        return -1;
    }
    if (rp->rank == 0) {
        if (pipe2(in, O_CLOEXEC))
            in[0] = in[1] = -1;
    }
    int devnull = -1;
    if (in[0] < 0)
        devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int own = 0;
    char **env = rank_environment(j, rp, local_rank, 3, &own);
    pid_t daemon = getpid();
    pid_t pid = env ? spawn_rank(j, env, in[0] >= 0 ? in[0] : devnull, out[1], err[1], sp[1], daemon, ex[1]) : -1;
    int saved = errno;
    if (env) {
        for (char **e = env + own; *e; e++)
            free(*e);
        free(env);
    }
    close(out[1]);
    close(err[1]);
    close(sp[1]);
    close(ex[1]);
    if (in[0] >= 0)
        close(in[0]);
    if (devnull >= 0)
        close(devnull);
    if (pid < 0) {
        close(out[0]), close(err[0]), close(sp[0]), close(ex[0]);
        if (in[1] >= 0)
            close(in[1]);
        errno = saved;
        return -1;
    }
    setpgid(pid, pid); /* also here: no window where a kill of the group misses it */
    rp->pid = pid;
    rp->exec_status_fd = ex[0];
    rp->out_fd = out[0];
    rp->err_fd = err[0];
    rp->in_fd = in[1];
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    fcntl(err[0], F_SETFL, O_NONBLOCK);
    if (in[1] >= 0) {
        fcntl(in[1], F_SETFL, O_NONBLOCK);
        crest_loop_watch(in[1], 0, on_stdin_writable, rp);
    }
    crest_loop_watch(out[0], output_paused ? 0 : POLLIN, on_out, rp);
    crest_loop_watch(err[0], output_paused ? 0 : POLLIN, on_err, rp);
    char peer[64];
    snprintf(peer, sizeof peer, "rank %d", rp->rank);
    rp->conn = crest_conn_new(sp[0], CREST_CONN_TRUSTED, NULL, &rank_ops, rp, peer);
    return 0;
}

/* The errno of a failed exec, or 0 when the program ran. */
static int exec_error(struct rank_proc *rp)
{
    if (rp->exec_status_fd < 0)
        return rp->exec_errno;
    int e = 0;
    /* The child has exited: whatever it wrote is there. */
    if (read(rp->exec_status_fd, &e, sizeof e) != (ssize_t)sizeof e)
        e = 0;
    close(rp->exec_status_fd);
    rp->exec_status_fd = -1;
    rp->exec_errno = e;
    return e;
}

static void report_exit(struct rank_proc *rp)
{
    struct crest_wbuf b = { 0 };
    crest_wbuf_u32(&b, (uint32_t)rp->rank);
    crest_wbuf_u32(&b, (uint32_t)rp->status);
    crest_wbuf_u32(&b, (uint32_t)rp->finalized);
    crest_wbuf_u32(&b, (uint32_t)exec_error(rp));
    tree_send_up(MSG_RANK_EXIT, rp->job->id, &b);
    crest_wbuf_free(&b);
}

/* Starts the next batch of the job's local ranks.  Between batches the
 * loop runs, so the first ranks' output travels while the last ones are
 * still being started. */
static void launch_more(void *arg)
{
    struct job *j = job_find((uint32_t)(uintptr_t)arg);
    if (!j)
        return;
    j->launch_timer = 0;
    for (int started = 0; j->next_to_start < j->nlocal && started < LAUNCH_BATCH; started++) {
        int k = j->next_to_start++;
        struct rank_proc *rp = &j->local[k];
        if (j->state == JOB_ENDING) {
            /* The job ends before this rank began: it never will. */
            rp->exited = 1;
            rp->status = SIGKILL;
            report_exit(rp);
            continue;
        }
        if (start_rank(j, rp, k)) {
            /* Reported like a failed exec, with 127 as a shell would. */
            rp->exec_errno = errno;
            rp->exited = 1;
            rp->status = 127 << 8;
            report_exit(rp);
        } else {
            j->local_running++;
        }
    }
    if (j->next_to_start < j->nlocal)
        j->launch_timer = crest_loop_timer(0, launch_more, arg);
}

void job_launch(uint32_t id, struct crest_rbuf *r)
{
    struct job *j = calloc(1, sizeof *j);
    if (!j)
        return;
    j->id = id;
    j->nranks = (int)crest_rbuf_u32(r);
    j->flags = crest_rbuf_u32(r);
    crest_rbuf_str(r, j->cwd, sizeof j->cwd);
    j->argv = read_strv(r);
    j->envp = read_strv(r);
    if (!r->bad && j->nranks > 0 && j->nranks <= (1 << 22)) {
        j->daemon_of_rank = calloc((size_t)j->nranks, sizeof *j->daemon_of_rank);
        for (int i = 0; j->daemon_of_rank && i < j->nranks; i++)
            j->daemon_of_rank[i] = crest_rbuf_u32(r);
    }
    if (r->bad || !j->argv || !j->envp || !j->argv[0] || !j->daemon_of_rank) {
        crestd_log("received a malformed job launch; ignoring job %u", id);
        job_free(j);
        return;
    }
    resolve_program(j);
    j->started_ms = crest_now_ms();
    j->state = JOB_RUNNING;
    for (int i = 0; i < j->nranks; i++)
        if ((int)j->daemon_of_rank[i] == crestd.index)
            j->nlocal++;
    j->local = calloc((size_t)j->nlocal ? (size_t)j->nlocal : 1, sizeof *j->local);
    if (!j->local) {
        job_free(j);
        return;
    }
    j->next = crestd.jobs;
    crestd.jobs = j;
    int k = 0;
    for (int i = 0; i < j->nranks; i++) {
        if ((int)j->daemon_of_rank[i] != crestd.index)
            continue;
        struct rank_proc *rp = &j->local[k++];
        rp->job = j;
        rp->rank = i;
        rp->out_fd = rp->err_fd = rp->in_fd = rp->exec_status_fd = rp->ckpt_fd = -1;
    }
    launch_more((void *)(uintptr_t)id);
}

/* ------------------------------------------------------------- signals, exits */

static void escalate(void *arg)
{
    struct job *j = arg;
    j->kill_timer = 0;
    job_signal(j, SIGKILL);
}

void job_signal(struct job *j, int sig)
{
    for (int i = 0; i < j->nlocal; i++)
        if (!j->local[i].exited && j->local[i].pid > 0)
            kill(-j->local[i].pid, sig);
}

void job_kill(struct job *j, int sig)
{
    j->state = JOB_ENDING;
    job_signal(j, sig);
    if (sig == SIGKILL) {
        if (j->kill_timer)
            crest_loop_cancel(j->kill_timer);
        j->kill_timer = 0;
    } else if (!j->kill_timer) {
        j->kill_timer = crest_loop_timer(KILL_GRACE_MS, escalate, j);
    }
}

void jobs_kill_all(int sig)
{
    for (struct job *j = crestd.jobs; j; j = j->next) {
        job_signal(j, sig);
        if (sig == SIGKILL)
            kill_leftovers(j);
    }
}

int jobs_running(void)
{
    int n = 0;
    for (struct job *j = crestd.jobs; j; j = j->next)
        n += j->local_running;
    return n;
}

int job_reap_rank(pid_t pid, int status)
{
    for (struct job *j = crestd.jobs; j; j = j->next)
        for (int i = 0; i < j->nlocal; i++) {
            struct rank_proc *rp = &j->local[i];
            if (rp->pid != pid || rp->exited)
                continue;
            rp->exited = 1;
            rp->status = status;
            j->local_running--;
            ckpt_rank_gone(rp);
            /* What it wrote before it ended goes first. Its own children
             * may keep the pipes open: take what is there, no more. */
            if (rp->out_fd >= 0 && read_output(rp, 1))
                close_output(rp, 1);
            if (rp->err_fd >= 0 && read_output(rp, 2))
                close_output(rp, 2);
            if (rp->in_fd >= 0) {
                crest_loop_unwatch(rp->in_fd);
                close(rp->in_fd);
                rp->in_fd = -1;
            }
            if (rp->conn)
                crest_conn_close(rp->conn);
            rp->conn = NULL;
            report_exit(rp);
            if (j->local_running == 0 && j->kill_timer) {
                crest_loop_cancel(j->kill_timer);
                j->kill_timer = 0;
            }
            return 1;
        }
    return 0;
}

/* Processes a rank left behind (a background child): crestd is their
 * subreaper, so they are its children now, in the rank's process group. */
static void kill_leftovers(struct job *j)
{
    char path[64], line[8192];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = 0;
    for (char *tok = strtok(line, " \n"); tok; tok = strtok(NULL, " \n")) {
        pid_t child = (pid_t)atoi(tok);
        pid_t group = getpgid(child);
        for (int i = 0; i < j->nlocal; i++)
            if (j->local[i].pid > 0 && group == j->local[i].pid)
                kill(-group, SIGKILL);
    }
}

void job_forget(struct job *j)
{
    struct job **pp = &crestd.jobs;
    while (*pp && *pp != j)
        pp = &(*pp)->next;
    if (*pp)
        *pp = j->next;
    job_signal(j, SIGKILL);
    kill_leftovers(j);
    for (int i = 0; i < j->nlocal; i++) {
        struct rank_proc *rp = &j->local[i];
        if (rp->conn)
            crest_conn_close(rp->conn);
        if (rp->out_fd >= 0)
            close_output(rp, 1);
        if (rp->err_fd >= 0)
            close_output(rp, 2);
        if (rp->in_fd >= 0) {
            crest_loop_unwatch(rp->in_fd);
            close(rp->in_fd);
        }
        if (rp->exec_status_fd >= 0)
            close(rp->exec_status_fd);
    }
    job_free(j);
}

/* ------------------------------------------------------------- key/value */

/* Daemons below this one (themselves included) that run ranks of j. */
static int subtree_has_ranks(struct job *j, int top)
{
    for (int r = 0; r < j->nranks; r++)
        if (crest_tree_in_subtree(top, (int)j->daemon_of_rank[r], crestd.fanout))
            return 1;
    return 0;
}

static void fence_check(struct job *j)
{
    int want_children = 0;
    for (int i = 0; i < crestd.nchildren; i++)
        if (subtree_has_ranks(j, crestd.children[i].index))
            want_children++;
    if (j->fence_local < j->nlocal || j->fence_children < want_children)
        return;
    struct crest_wbuf b = { 0 };
    crest_wbuf_u32(&b, j->fence_npairs + j->pending_nputs);
    crest_wbuf_raw(&b, j->pending_puts.data, j->pending_puts.len);
    crest_wbuf_raw(&b, j->fence_pairs.data, j->fence_pairs.len);
    crest_wbuf_free(&j->pending_puts);
    crest_wbuf_free(&j->fence_pairs);
    j->pending_nputs = j->fence_npairs = 0;
    j->fence_local = j->fence_children = 0;
    if (crestd.index == 0) {
        /* Everyone is in: every pair goes down to every daemon. */
        tree_broadcast(MSG_KV_FENCE_DOWN, j->id, b.data, b.len);
    } else {
        tree_send_up(MSG_KV_FENCE_UP, j->id, &b);
    }
    crest_wbuf_free(&b);
}

void job_fence_up(struct job *j, struct crest_rbuf *r)
{
    uint32_t n = crest_rbuf_u32(r);
    if (r->bad)
        return;
    crest_wbuf_raw(&j->fence_pairs, r->p, r->left);
    j->fence_npairs += n;
    j->fence_children++;
    fence_check(j);
}

void job_fence_down(struct job *j, const uint8_t *p, size_t n)
{
    for (int i = 0; i < j->nlocal; i++) {
        struct rank_proc *rp = &j->local[i];
        if (rp->in_fence && rp->conn)
            crest_conn_send(rp->conn, MSG_KV_FENCE_DONE, j->id, p, n);
        rp->in_fence = 0;
    }
}

static void rank_message(struct crest_conn *c, const struct crest_wire_header *h, const uint8_t *p)
{
    struct rank_proc *rp = c->owner;
    struct job *j = rp->job;
    struct crest_rbuf r = crest_rbuf_of(p, h->length);
    switch (h->type) {
    case MSG_KV_PUT: {
        size_t klen, vlen;
        const uint8_t *key = crest_rbuf_bytes(&r, &klen);
        const uint8_t *val = crest_rbuf_bytes(&r, &vlen);
        if (r.bad)
            break;
        crest_wbuf_u32(&j->pending_puts, (uint32_t)rp->rank);
        crest_wbuf_bytes(&j->pending_puts, key, klen);
        crest_wbuf_bytes(&j->pending_puts, val, vlen);
        j->pending_nputs++;
        return;
    }
    case MSG_KV_FENCE:
        if (rp->in_fence)
            break;
        rp->in_fence = 1;
        j->fence_local++;
        fence_check(j);
        return;
    case MSG_ABORT: {
        uint32_t code = crest_rbuf_u32(&r);
        char msg[1024];
        crest_rbuf_str(&r, msg, sizeof msg);
        if (r.bad)
            break;
        struct crest_wbuf b = { 0 };
        crest_wbuf_u32(&b, (uint32_t)rp->rank);
        crest_wbuf_u32(&b, code);
        crest_wbuf_str(&b, msg);
        tree_send_up(MSG_ABORT, j->id, &b);
        crest_wbuf_free(&b);
        return;
    }
    case MSG_RANK_FINALIZE:
        rp->finalized = 1;
        return;
    case MSG_RANK_READY:
        rp->mpi_ready = 1;
        return;
    }
    crestd_log("rank %d of job %u sent a malformed message (type %u); ignored", rp->rank, j->id, h->type);
}
