/* daemon_root.c — what only the root daemon does: it takes jobs from
 * mpirun (the one that started it, or any of the user's when booted),
 * places their ranks on hosts, brings up the daemon tree, launches, and
 * keeps each job's account: who has exited, how, and what mpirun should
 * exit with.  It also answers `crest ps` and `crest halt`. */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crestd.h"
#include "hosts.h"
#include "loop.h"
#include "runtime_dir.h"
#include "tree.h"

struct client;

struct root_job {
    uint32_t id;
    enum job_state state;
    struct client *owner;      /* the mpirun that submitted it; NULL once gone */
    pid_t mpirun_pid;
    int nranks;
    uint32_t *daemon_of_rank;
    struct crest_wbuf launch;  /* the MSG_LAUNCH payload, sent once the tree is up */
    char *hosts_text;          /* "h1:4,h2:4", for crest ps */
    char program[256];         /* argv[0], for messages */
    time_t started;
    uint8_t *gone;             /* per rank: exit reported, or its host lost */
    int ngone;
    int exit_code;             /* first non-zero, -1 while none */
    int forced;                /* the runtime ended ranks */
    char reason[1024];
    int control_fd;            /* job-N.sock when not booted, else -1 */
    char control_path[300];
    struct root_job *next;
};

struct client {
    struct crest_conn *conn;
    struct root_job *job;
    struct client *next;
};

/* The root's own state; only the loop's thread touches it. */
static struct root_job *jobs;
static struct client *clients;
static struct client *starter;  /* the mpirun that forked this daemon (not booted) */
static int boot_listen_fd = -1;
static char boot_path[300];
static int boot_ready_fd = -1;
static struct crest_hosts boot_hosts;
static int halting;             /* crest halt came: shut down when the last job ends */
static void halt_when_idle(void);

static void client_message(struct crest_conn *c, const struct crest_wire_header *h, const uint8_t *p);
static void client_closed(struct crest_conn *c, const char *why);
static const struct crest_conn_ops client_ops = { client_message, client_closed, NULL };

static struct root_job *find_job(uint32_t id)
{
    for (struct root_job *j = jobs; j; j = j->next)
        if (j->id == id)
            return j;
    return NULL;
}

static const char *host_of(struct root_job *j, int rank)
{
    uint32_t d = j->daemon_of_rank[rank];
    return (int)d < crestd.ndaemons ? crestd.hosts[d] : "?";
}

/* ------------------------------------------------------------- ending jobs */

static void free_job(struct root_job *j)
{
    struct root_job **pp = &jobs;
    while (*pp && *pp != j)
        pp = &(*pp)->next;
    if (*pp)
        *pp = j->next;
    if (j->owner)
        j->owner->job = NULL;
    if (j->control_fd >= 0) {
        crest_loop_unwatch(j->control_fd);
        close(j->control_fd);
        unlink(j->control_path);
    }
    free(j->daemon_of_rank);
    crest_wbuf_free(&j->launch);
    free(j->hosts_text);
    free(j->gone);
    free(j);
}

static void maybe_finished(struct root_job *j)
{
    if (j->ngone < j->nranks)
        return;
    uint32_t id = j->id;
    if (j->owner && j->owner->conn) {
        /* The job is over for its mpirun: a send that fails at once (and
         * closes the client) must not end this job a second time. */
        struct crest_conn *c = j->owner->conn;
        j->owner->job = NULL;
        j->owner = NULL;
        struct crest_wbuf b = { 0 };
        crest_wbuf_u32(&b, (uint32_t)(j->exit_code < 0 ? 0 : j->exit_code));
        crest_wbuf_str(&b, j->reason);
        crest_conn_send_wbuf(c, MSG_JOB_DONE, id, &b);
        crest_wbuf_free(&b);
    }
    int launched = j->state != JOB_STARTING;
    free_job(j);
    if (launched)
        tree_broadcast(MSG_JOB_DONE, id, NULL, 0);
    if (halting) {
        halt_when_idle();
        return;
    }
    if (!crestd.boot) { /* this daemon existed for this one job */
        root_cleanup();
        tree_broadcast(MSG_SHUTDOWN, 0, NULL, 0);
    }
}

/* Ends job j: every rank still running gets SIGTERM, then SIGKILL. */
static void end_job(struct root_job *j, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void end_job(struct root_job *j, int code, const char *fmt, ...)
{
    if (j->exit_code < 0 && code > 0)
        j->exit_code = code;
    if (!j->reason[0] && fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(j->reason, sizeof j->reason, fmt, ap);
        va_end(ap);
    }
    if (j->state == JOB_STARTING) {
        if (j->exit_code < 0)
            j->exit_code = 1;
        j->ngone = j->nranks;
        maybe_finished(j);
        return;
    }
    if (j->state == JOB_ENDING)
        return;
    j->state = JOB_ENDING;
    if (j->ngone < j->nranks) {
        j->forced = 1;
        uint32_t sig = SIGTERM;
        tree_broadcast(MSG_KILL_JOB, j->id, &sig, sizeof sig);
    }
    maybe_finished(j);
}

static void rank_exited(struct root_job *j, struct crest_rbuf *r)
{
    int rank = (int)crest_rbuf_u32(r);
    int status = (int)crest_rbuf_u32(r);
    crest_rbuf_u32(r); /* finalized */
    int exec_errno = (int)crest_rbuf_u32(r);
    if (r->bad || rank < 0 || rank >= j->nranks || j->gone[rank])
        return;
    j->gone[rank] = 1;
    j->ngone++;
    if (exec_errno) {
        end_job(j, 127, "cannot run %s on host %s: %s%s", j->program, host_of(j, rank), strerror(exec_errno),
                exec_errno == ENOENT ? " (is it there, at the same path, on every host?)" : "");
    } else if (WIFSIGNALED(status) && j->state != JOB_ENDING) {
        int sig = WTERMSIG(status);
        end_job(j, 128 + sig, "rank %d on host %s was killed by signal %d (%s)%s", rank, host_of(j, rank), sig,
                strsignal(sig), j->ngone < j->nranks ? "; ending the job" : "");
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        if (j->exit_code < 0)
            j->exit_code = WEXITSTATUS(status);
        if (j->state != JOB_ENDING)
            end_job(j, WEXITSTATUS(status), "rank %d on host %s exited with code %d%s", rank, host_of(j, rank),
                    WEXITSTATUS(status), j->ngone < j->nranks ? "; ending the job" : "");
    }
    maybe_finished(j);
}

/* ------------------------------------------------------------- the tree */

static void launch_job(struct root_job *j)
{
    j->state = JOB_RUNNING;
    if (j->owner && j->owner->conn) {
        uint32_t n = (uint32_t)j->nranks;
        crest_conn_send(j->owner->conn, MSG_ACCEPTED, j->id, &n, sizeof n);
    }
    tree_broadcast(MSG_LAUNCH, j->id, j->launch.data, j->launch.len);
    crest_wbuf_free(&j->launch);
}

static void tree_is_ready(void)
{
    crestd.tree_ready = 1;
    if (boot_ready_fd >= 0) {
        dprintf(boot_ready_fd, "ok %d\n", crestd.ndaemons);
        close(boot_ready_fd);
        boot_ready_fd = -1;
    }
    for (struct root_job *j = jobs; j; j = j->next)
        if (j->state == JOB_STARTING)
            launch_job(j);
}

static void daemon_failed(int index, const char *why)
{
    if (boot_ready_fd >= 0) {
        dprintf(boot_ready_fd, "%s\n", why);
        close(boot_ready_fd);
        boot_ready_fd = -1;
        root_cleanup();
        tree_broadcast(MSG_SHUTDOWN, 0, NULL, 0);
        return;
    }
    if (!jobs) /* no job and no boot command to tell: the log has it */
        crestd_log("%s", why);
    if (index > 0 && index < crestd.ndaemons && crestd.hosts[index][0] != '!') {
        /* Mark it lost: later jobs of a boot avoid it. */
        char *lost = malloc(strlen(crestd.hosts[index]) + 2);
        if (lost) {
            sprintf(lost, "!%s", crestd.hosts[index]);
            free(crestd.hosts[index]);
            crestd.hosts[index] = lost;
        }
    }
    for (struct root_job *j = jobs, *next; j; j = next) {
        next = j->next;
        if (j->state == JOB_STARTING) {
            end_job(j, 1, "%s", why);
            continue;
        }
        /* The ranks below the lost daemon are gone with it. */
        int hit = 0;
        for (int r = 0; r < j->nranks; r++)
            if (crest_tree_in_subtree(index, (int)j->daemon_of_rank[r], crestd.fanout)) {
                hit = 1;
                if (!j->gone[r]) {
                    j->gone[r] = 1;
                    j->ngone++;
                }
            }
        if (hit)
            end_job(j, 1, "%s; ending the job", why);
    }
}

void root_message(uint16_t type, uint32_t jobid, const uint8_t *p, size_t n)
{
    struct crest_rbuf r = crest_rbuf_of(p, n);
    struct root_job *j = find_job(jobid);
    switch (type) {
    case MSG_DAEMON_UP:
        if (++crestd.daemons_up == crestd.ndaemons)
            tree_is_ready();
        return;
    case MSG_DAEMON_FAILED: {
        int index = (int)crest_rbuf_u32(&r);
        char why[1024];
        crest_rbuf_str(&r, why, sizeof why);
        daemon_failed(index, r.bad ? "a daemon failed" : why);
        return;
    }
    case MSG_STDIO:
        if (j && j->owner && j->owner->conn)
            crest_conn_send(j->owner->conn, MSG_STDIO, jobid, p, n);
        return;
    case MSG_RANK_EXIT:
        if (j)
            rank_exited(j, &r);
        return;
    case MSG_STDIN_ACK:
    case MSG_CKPT_PREPARED:
    case MSG_CKPT_RANK:
        if (j && j->owner && j->owner->conn)
            crest_conn_send(j->owner->conn, type, jobid, p, n);
        return;
    case MSG_ABORT:
        if (j) {
            int rank = (int)crest_rbuf_u32(&r);
            int code = (int)crest_rbuf_u32(&r);
            char msg[1024];
            crest_rbuf_str(&r, msg, sizeof msg);
            if (!r.bad && rank >= 0 && rank < j->nranks)
                end_job(j, code ? code : 1, "rank %d on host %s called MPI_Abort with code %d%s%s", rank,
                        host_of(j, rank), code, msg[0] ? ": " : "", msg);
        }
        return;
    }
    crestd_log("ignored a message of type %u from below", type);
}

/* ------------------------------------------------------------- submitting */

static char **read_strv(struct crest_rbuf *r, int *count)
{
    uint32_t n = crest_rbuf_u32(r);
    if (r->bad || n > (1u << 20))
        return NULL;
    char **v = calloc(n + 1, sizeof *v);
    for (uint32_t i = 0; v && i < n; i++)
        v[i] = crest_rbuf_strdup(r);
    *count = (int)n;
    return v;
}

static void free_strv(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

static int host_daemon(const char *name)
{
    if (crest_host_is_local(name))
        return 0;
    for (int d = 1; d < crestd.ndaemons; d++)
        if (!strcasecmp(crestd.hosts[d], name))
            return d;
    return -1;
}

static void refuse(struct client *cl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(struct client *cl, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    crest_conn_send(cl->conn, MSG_REFUSED, 0, line, strlen(line));
}

static void on_job_socket(void *arg, int fd, short revents);

static void submit(struct client *cl, struct crest_rbuf *r)
{
    if (cl->job) {
        refuse(cl, "this connection already has a job");
        return;
    }
    int np = (int)crest_rbuf_u32(r);
    enum crest_map_by map_by = crest_rbuf_u32(r) ? CREST_MAP_BY_NODE : CREST_MAP_BY_SLOT;
    uint32_t flags = crest_rbuf_u32(r);
    pid_t mpirun_pid = (pid_t)crest_rbuf_u32(r);
    char cwd[PATH_MAX];
    crest_rbuf_str(r, cwd, sizeof cwd);
    int argc = 0, envc = 0;
    char **argv = read_strv(r, &argc);
    char **envp = read_strv(r, &envc);
    uint32_t nhosts = crest_rbuf_u32(r);
    struct crest_hosts hosts = { 0 };
    if (!r->bad && nhosts > 0 && nhosts <= CREST_HOSTS_MAX)
        hosts.host = calloc(nhosts, sizeof *hosts.host);
    for (uint32_t i = 0; hosts.host && i < nhosts; i++) {
        crest_rbuf_str(r, hosts.host[i].name, sizeof hosts.host[i].name);
        hosts.host[i].slots = (int)crest_rbuf_u32(r);
        hosts.host[i].slots_given = (int)crest_rbuf_u32(r);
        hosts.count++;
    }
    struct crest_launcher launcher;
    launcher.kind = (enum crest_launch_kind)crest_rbuf_u32(r);
    crest_rbuf_str(r, launcher.rsh, sizeof launcher.rsh);
    /* optional: where each rank goes (an application schema) */
    uint32_t placed = r->left ? crest_rbuf_u32(r) : 0;
    char err[512];
    int *host_of_rank = NULL;
    struct root_job *j = NULL;
    if (r->bad || !argv || !envp || argc < 1) {
        refuse(cl, "mpirun sent a malformed job");
        goto out;
    }
    if (hosts.count == 0) {
        if (crestd.boot) {
            hosts.host = calloc((size_t)boot_hosts.count, sizeof *hosts.host);
            if (hosts.host)
                memcpy(hosts.host, boot_hosts.host, (size_t)boot_hosts.count * sizeof *hosts.host);
            hosts.count = hosts.host ? boot_hosts.count : 0;
        } else {
            hosts.host = calloc(1, sizeof *hosts.host);
            if (hosts.host) {
                snprintf(hosts.host[0].name, sizeof hosts.host[0].name, "%s", crestd.hostname);
                /* The CPUs this process may run on (as nproc counts them). */
                cpu_set_t set;
                int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
                hosts.host[0].slots = cpus > 0 ? cpus : 1;
                hosts.count = 1;
            }
        }
    }
    if (hosts.count == 0) {
        refuse(cl, "out of memory");
        goto out;
    }
    int total = 0;
    for (int i = 0; i < hosts.count; i++)
        total += hosts.host[i].slots;
    if (np <= 0)
        np = total;
    host_of_rank = calloc((size_t)np, sizeof *host_of_rank);
    if (placed) {
        for (int rk = 0; host_of_rank && rk < np; rk++)
            host_of_rank[rk] = (int)crest_rbuf_u32(r);
        for (int rk = 0; host_of_rank && rk < np && !r->bad; rk++)
            if (host_of_rank[rk] < 0 || host_of_rank[rk] >= hosts.count)
                r->bad = 1;
        if (r->bad || placed != (uint32_t)np) {
            refuse(cl, "mpirun sent a malformed placement");
            goto out;
        }
    }
    if (!host_of_rank || (!placed && crest_map_ranks(&hosts, np, map_by, host_of_rank, err, sizeof err))) {
        refuse(cl, "%s", host_of_rank ? err : "out of memory");
        goto out;
    }
    if (!crestd.boot && crestd.ndaemons == 0) {
        /* The tree of this job: this host, then each other host once. */
        crestd.hosts = calloc((size_t)hosts.count + 1, sizeof *crestd.hosts);
        crestd.hosts[0] = strdup(crestd.hostname);
        crestd.ndaemons = 1;
        for (int i = 0; i < hosts.count; i++)
            if (host_daemon(hosts.host[i].name) < 0)
                crestd.hosts[crestd.ndaemons++] = strdup(hosts.host[i].name);
        if (crestd.ndaemons > CRESTD_MAX_DAEMONS) {
            refuse(cl, "%d hosts are more than crest handles (%d)", crestd.ndaemons, CRESTD_MAX_DAEMONS);
            goto out;
        }
        crestd.launcher = launcher;
    }
    j = calloc(1, sizeof *j);
    if (!j || !(j->daemon_of_rank = calloc((size_t)np, sizeof *j->daemon_of_rank)) ||
        !(j->gone = calloc((size_t)np, 1))) {
        refuse(cl, "out of memory");
        goto out;
    }
    j->control_fd = -1;
    j->exit_code = -1;
    j->nranks = np;
    for (int rk = 0; rk < np; rk++) {
        int d = host_daemon(hosts.host[host_of_rank[rk]].name);
        if (d < 0) {
            refuse(cl, "host %s is not among the booted hosts; add it to the hostfile of crest boot, or run without the boot (crest halt)",
                   hosts.host[host_of_rank[rk]].name);
            goto out;
        }
        if (crestd.hosts[d][0] == '!') {
            refuse(cl, "the crestd of host %s was lost; boot again (crest halt; crest boot HOSTFILE)",
                   crestd.hosts[d] + 1);
            goto out;
        }
        j->daemon_of_rank[rk] = (uint32_t)d;
    }
    if (crest_next_job_id(&j->id, err, sizeof err)) {
        refuse(cl, "%s", err);
        goto out;
    }
    j->mpirun_pid = mpirun_pid;
    snprintf(j->program, sizeof j->program, "%s", argv[0]);
    j->started = time(NULL);
    j->state = JOB_STARTING;
    j->owner = cl;
    cl->job = j;
    {
        size_t len = 1;
        for (int i = 0; i < hosts.count; i++)
            len += strlen(hosts.host[i].name) + 16;
        j->hosts_text = calloc(1, len);
        for (int i = 0, o = 0; j->hosts_text && i < hosts.count; i++)
            o += sprintf(j->hosts_text + o, "%s%s:%d", i ? "," : "", hosts.host[i].name, hosts.host[i].slots);
    }
    struct crest_wbuf *b = &j->launch;
    crest_wbuf_u32(b, (uint32_t)np);
    crest_wbuf_u32(b, flags);
    crest_wbuf_str(b, cwd);
    crest_wbuf_u32(b, (uint32_t)argc);
    for (int i = 0; i < argc; i++)
        crest_wbuf_str(b, argv[i]);
    crest_wbuf_u32(b, (uint32_t)envc);
    for (int i = 0; i < envc; i++)
        crest_wbuf_str(b, envp[i]);
    crest_wbuf_raw(b, j->daemon_of_rank, (size_t)np * sizeof *j->daemon_of_rank);
    if (b->failed) {
        refuse(cl, "the job description is too large");
        cl->job = NULL;
        goto out;
    }
    j->next = jobs;
    jobs = j;
    if (!crestd.boot) {
        /* `crest ps` and `crest checkpoint JOB` find the job here. */
        char dir[256];
        if (!crest_runtime_dir(dir, sizeof dir, err, sizeof err)) {
            snprintf(j->control_path, sizeof j->control_path, "%s/job-%u.sock", dir, j->id);
            j->control_fd = crest_local_listen(j->control_path, err, sizeof err);
            if (j->control_fd >= 0)
                crest_loop_watch(j->control_fd, POLLIN, on_job_socket, NULL);
        }
        if (j->control_fd < 0)
            crestd_log("job %u will not be listed by crest ps: %s", j->id, err);
    }
    j = NULL; /* it is on the list now */
    if (!crestd.boot && !crestd.tree_ready && !crestd.children) {
        crestd.daemons_up = 1;
        tree_setup();
        if (crestd.ndaemons == 1)
            tree_is_ready();
    } else if (crestd.tree_ready) {
        launch_job(jobs);
    }
out:
    if (j) {
        crest_wbuf_free(&j->launch);
        free(j->daemon_of_rank);
        free(j->gone);
        free(j->hosts_text);
        free(j);
    }
    free(host_of_rank);
    free(hosts.host);
    free_strv(argv);
    free_strv(envp);
}

/* ------------------------------------------------------------- clients */

static void status_reply(struct client *cl)
{
    struct crest_wbuf b = { 0 };
    int n = 0;
    for (struct root_job *j = jobs; j; j = j->next)
        n++;
    crest_wbuf_u32(&b, (uint32_t)crestd.boot);
    crest_wbuf_u32(&b, (uint32_t)crestd.ndaemons);
    crest_wbuf_u32(&b, (uint32_t)n);
    for (struct root_job *j = jobs; j; j = j->next) {
        crest_wbuf_u32(&b, j->id);
        crest_wbuf_u32(&b, (uint32_t)j->mpirun_pid);
        crest_wbuf_u32(&b, (uint32_t)j->nranks);
        crest_wbuf_str(&b, j->hosts_text ? j->hosts_text : "");
        crest_wbuf_str(&b, j->state == JOB_STARTING ? "starting" : j->state == JOB_RUNNING ? "running" : "ending");
        crest_wbuf_u64(&b, (uint64_t)j->started);
    }
    crest_conn_send_wbuf(cl->conn, MSG_STATUS_REPLY, 0, &b);
    crest_wbuf_free(&b);
}

/* crest halt: every job ends (its mpirun hears why), then the tree. */
static void halt_when_idle(void)
{
    if (!halting || jobs)
        return;
    root_cleanup();
    tree_broadcast(MSG_SHUTDOWN, 0, NULL, 0);
}

static void halt(void)
{
    halting = 1;
    for (struct root_job *j = jobs, *next; j; j = next) {
        next = j->next;
        end_job(j, 1, "the boot was halted (crest halt); every rank was ended");
    }
    halt_when_idle();
}

static void client_message(struct crest_conn *c, const struct crest_wire_header *h, const uint8_t *p)
{
    struct client *cl = c->owner;
    struct crest_rbuf r = crest_rbuf_of(p, h->length);
    struct root_job *j = cl->job;
    switch (h->type) {
    case MSG_SUBMIT:
        if (!crestd.boot && cl != starter) {
            refuse(cl, "this daemon runs one job only");
            return;
        }
        submit(cl, &r);
        return;
    case MSG_STDIN:
        if (j && j->state == JOB_RUNNING) {
            struct crest_wbuf b = { 0 };
            crest_wbuf_u32(&b, j->daemon_of_rank[0]);
            crest_wbuf_bytes(&b, p, h->length);
            tree_send_to((int)j->daemon_of_rank[0], MSG_STDIN, j->id, &b);
            crest_wbuf_free(&b);
        }
        return;
    case MSG_SIGNAL:
        if (j && j->state == JOB_RUNNING)
            tree_broadcast(MSG_SIGNAL, j->id, p, h->length);
        return;
    case MSG_CKPT_PREPARE:
        if (j && j->state != JOB_RUNNING) {
            /* answered here for every rank: nothing to checkpoint yet, or any more */
            struct crest_wbuf b = { 0 };
            crest_wbuf_u64(&b, crest_rbuf_u64(&r));
            crest_wbuf_u32(&b, (uint32_t)j->nranks);
            crest_wbuf_u32(&b, 0);
            crest_wbuf_u64(&b, 0);
            crest_wbuf_str(&b, j->state == JOB_STARTING ? "the job is still starting" : "the job is ending");
            crest_conn_send_wbuf(c, MSG_CKPT_PREPARED, j->id, &b);
            crest_wbuf_free(&b);
            return;
        }
        /* fall through */
    case MSG_CKPT_GO:
    case MSG_CKPT_CANCEL:
        if (j && j->state == JOB_RUNNING)
            tree_broadcast(h->type, j->id, p, h->length);
        return;
    case MSG_KILL_JOB: {
        uint32_t sig = crest_rbuf_u32(&r);
        if (!j || r.bad)
            return;
        if (sig == SIGKILL && j->state == JOB_ENDING) {
            tree_broadcast(MSG_KILL_JOB, j->id, &sig, sizeof sig);
            return;
        }
        end_job(j, 128 + (int)sig, "interrupted by signal %d (%s); %s", (int)sig, strsignal((int)sig),
                "every rank was ended");
        return;
    }
    case MSG_STATUS:
        status_reply(cl);
        return;
    case MSG_HALT:
        if (crestd.boot)
            halt();
        else
            refuse(cl, "this daemon is not a boot's; crest halt ends booted daemons only");
        return;
    }
    crestd_log("ignored a message of type %u from a local client", h->type);
}

static void client_closed(struct crest_conn *c, const char *why)
{
    struct client *cl = c->owner;
    struct client **pp = &clients;
    while (*pp && *pp != cl)
        pp = &(*pp)->next;
    if (*pp)
        *pp = cl->next;
    struct root_job *j = cl->job;
    if (j) {
        /* mpirun is gone (killed, even by SIGKILL): its job goes too. */
        j->owner = NULL;
        end_job(j, 1, "mpirun (pid %d) ended; its job was ended", (int)j->mpirun_pid);
    }
    if (cl == starter) {
        starter = NULL;
        if (!jobs) {
            root_cleanup();
            tree_broadcast(MSG_SHUTDOWN, 0, NULL, 0);
        }
    }
    free(cl);
}

static struct client *add_client(int fd, const char *peer)
{
    struct client *cl = calloc(1, sizeof *cl);
    if (!cl)
        return NULL;
    cl->conn = crest_conn_new(fd, CREST_CONN_TRUSTED, NULL, &client_ops, cl, peer);
    if (!cl->conn) {
        free(cl);
        return NULL;
    }
    cl->next = clients;
    clients = cl;
    return cl;
}

static void accept_local(int fd, const char *what)
{
    int s = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (s < 0)
        return;
    if (!crest_local_peer_is_us(s)) {
        crestd_log("closed a connection to %s from another user", what);
        close(s);
        return;
    }
    if (!add_client(s, what))
        close(s);
}

static void on_job_socket(void *arg, int fd, short revents) { accept_local(fd, "the job's socket"); }
static void on_boot_socket(void *arg, int fd, short revents) { accept_local(fd, "the boot's socket"); }

void root_backpressure(void)
{
    /* When a terminal (or whatever mpirun writes to) is slower than the
     * ranks, stop reading from below until mpirun has caught up. */
    int high = 0;
    for (struct client *cl = clients; cl; cl = cl->next)
        if (cl->conn && crest_conn_backlog(cl->conn) > BACKLOG_HIGH)
            high = 1;
    tree_backpressure(high);
    job_pause_output(high);
}

void root_cleanup(void)
{
    if (boot_listen_fd >= 0) {
        crest_loop_unwatch(boot_listen_fd);
        close(boot_listen_fd);
        boot_listen_fd = -1;
        unlink(boot_path);
    }
    for (struct root_job *j = jobs; j; j = j->next)
        if (j->control_fd >= 0) {
            crest_loop_unwatch(j->control_fd);
            close(j->control_fd);
            j->control_fd = -1;
            unlink(j->control_path);
        }
    for (struct client *cl = clients; cl; cl = cl->next)
        if (cl->conn)
            crest_conn_drain(cl->conn, 2000);
}

int root_start(int starter_fd, const char *boot_hostfile, int ready_fd)
{
    char err[512];
    if (starter_fd >= 0) {
        starter = add_client(starter_fd, "mpirun");
        if (!starter) {
            crestd_log("out of memory");
            return -1;
        }
        return 0;
    }
    /* Booted: the tree comes up now and stays up. */
    crestd.boot = 1;
    boot_ready_fd = ready_fd;
    if (crest_hosts_parse_file(boot_hostfile, &boot_hosts, err, sizeof err)) {
        dprintf(ready_fd, "%s\n", err);
        return -1;
    }
    char dir[256];
    if (crest_runtime_dir(dir, sizeof dir, err, sizeof err)) {
        dprintf(ready_fd, "%s\n", err);
        return -1;
    }
    snprintf(boot_path, sizeof boot_path, "%s/boot.sock", dir);
    int probe = crest_local_connect(boot_path);
    if (probe >= 0) {
        close(probe);
        dprintf(ready_fd, "a boot is already running (%s); end it first with crest halt\n", boot_path);
        return -1;
    }
    boot_listen_fd = crest_local_listen(boot_path, err, sizeof err);
    if (boot_listen_fd < 0) {
        dprintf(ready_fd, "%s\n", err);
        return -1;
    }
    crest_loop_watch(boot_listen_fd, POLLIN, on_boot_socket, NULL);
    crestd.hosts = calloc((size_t)boot_hosts.count + 1, sizeof *crestd.hosts);
    crestd.hosts[0] = strdup(crestd.hostname);
    crestd.ndaemons = 1;
    for (int i = 0; i < boot_hosts.count; i++)
        if (host_daemon(boot_hosts.host[i].name) < 0)
            crestd.hosts[crestd.ndaemons++] = strdup(boot_hosts.host[i].name);
    crestd.daemons_up = 1;
    tree_setup();
    if (crestd.ndaemons == 1)
        tree_is_ready();
    return 0;
}
