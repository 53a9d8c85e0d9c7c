/* mpirun.c — mpirun / mpiexec: starts a parallel job and stands for it on
 * the user's terminal.  The work is done by the daemons: mpirun hands the
 * job to the root crestd (its own child, or the one of a `crest boot`),
 * then relays stdio, signals and, at the end, the job's exit code. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../runtime/conn.h"
#include "../runtime/hosts.h"
#include "../runtime/launch.h"
#include "../runtime/loop.h"
#include "../runtime/runtime_dir.h"
#include "../runtime/schema.h"
#include "../runtime/wire.h"
#include "../common/snapshot.h"
#include "mpirun_ckpt.h"

extern char **environ;

#define STDIN_WINDOW (1u << 20) /* stdin bytes on their way to rank 0 before we stop reading */
#define JOB_TAG_OUTPUT 1u

struct options {
    int np;
    int map_by_node;
    int tag_output;
    const char *hostlist;
    const char *hostfile;
    char **setenv;  /* -x VAR=value */
    int nsetenv;
    char **argv;
    /* checkpointing */
    const char *ckpt_dir;
    int keep;
    int64_t interval_ms;
    int ckpt_signal;
    int on_term;
    int no_checkpoint;        /* do not load libcrest into the ranks */
    const char *restart;      /* a snapshot to restart (crest restart SNAPSHOT) */
    const char *resume;       /* restart from this directory's latest, or start */
    const char *schema;       /* a restart's images mapped to hosts */
};

/* mpirun's state; single-threaded, owned by main's loop. */
static struct crest_conn *runtime;
static pid_t root_pid;
static uint32_t job_id;
static int accepted, done, exit_code = 1;
static int tag_output;
static int stdin_open = -1;      /* fd being read for rank 0, -1 when none */
static uint64_t stdin_sent, stdin_acked; /* bytes sent toward rank 0, and gone there */
static int stdout_gone;          /* our stdout's reader went away (EPIPE) */
static int interrupts;
static const char *progname = "mpirun";
static int ckpt_signal = SIGUSR1;
static int checkpoint_on_term;
static int ended_by_checkpoint;  /* the job was ended on a committed snapshot */

void mpirun_say(const char *fmt, ...)
{
    char line[2048];
    int n = snprintf(line, sizeof line, "%s: ", progname);
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    if (write(2, line, (size_t)n) < 0) {
    }
}

static int usage(FILE *to)
{
    fprintf(to,
            "usage: %s [-np N | -n N] [-H HOST[:SLOTS],... | --hostfile FILE] [-x VAR[=VALUE]]...\n"
            "              [--map-by slot|node] [--tag-output] PROG [ARG...]\n"
            "  -np, -n N          start N processes (default: one per slot)\n"
            "  -H, --host LIST    hosts and their slots, e.g. node1:4,node2:4\n"
            "  --hostfile FILE    one host a line: \"host\", \"host slots=N\" or \"host:N\"\n"
            "  -x VAR[=VALUE]     set VAR for every process (the environment is passed on anyway)\n"
            "  --map-by slot|node fill each host's slots in turn (slot), or round-robin (node)\n"
            "  --tag-output       prefix each output line with [rank]\n"
            "Checkpoints (see crest(1)): crest checkpoint PID, or SIGUSR1 to mpirun, takes one.\n"
            "  --checkpoint-dir DIR       where snapshots go (default ./crest-ckpt.PID)\n"
            "  --checkpoint-interval T    take one every T (e.g. 90s, 10m, 2h)\n"
            "  --keep N                   keep the newest N snapshots (default: all)\n"
            "  --checkpoint-on-term       SIGTERM takes a snapshot, then ends the job (exit 85)\n"
            "  --checkpoint-signal SIG    the signal that asks for a snapshot (default USR1; none)\n"
            "  --resume DIR               restart from DIR's latest snapshot if any, else start;\n"
            "                             snapshots go to DIR\n"
            "  --schema FILE              (a restart) lines \"HOST RANKS\": where each image goes\n"
            "  --no-checkpoint            do not load libcrest into the processes\n"
            "Other hosts are reached with ssh (CREST_RSH overrides the command), or srun inside\n"
            "a Slurm allocation. Inside a `crest boot`, its daemons are used. See crest(1).\n",
            progname);
    return to == stderr ? 2 : 0;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static void end_job_on_sigpipe(void);

/* Writes our stdout or stderr; when its reader is gone, the job ends as a
 * pipeline's writer would (`mpirun ... | head`). */
static void output_bytes(int fd, const void *p, size_t n)
{
    if (stdout_gone && fd == 1)
        return;
    if (write_all(fd, p, n) < 0 && errno == EPIPE && fd == 1) {
        stdout_gone = 1;
        end_job_on_sigpipe();
    }
}


/* Writes a rank's output.  Whole lines arrive in one piece; an unfinished
 * line (a prompt) arrives alone.  While one rank's line is unfinished on a
 * stream, output of another rank first ends it with a newline: lines are
 * never mixed, and the rest of the unfinished one comes as a line of its
 * own.  With --tag-output every line starts with "[rank] ". */
static void output(int rank, int stream, const uint8_t *p, size_t n)
{
    static int open_rank[3] = { -1, -1, -1 }; /* per stream: rank with an unfinished line */
    int s = stream == 2 ? 2 : 1;
    int fd = s;
    if (n == 0)
        return;
    size_t lines = 2;
    for (size_t i = 0; i < n; i++)
        lines += p[i] == '\n';
    char *buf = malloc(n + lines * 16 + 1);
    if (!buf)
        return;
    size_t o = 0;
    int at_start = 1;
    if (open_rank[s] == rank)
        at_start = 0;
    else if (open_rank[s] >= 0)
        buf[o++] = '\n';
    for (size_t i = 0; i < n; i++) {
        if (at_start && tag_output)
            o += (size_t)sprintf(buf + o, "[%d] ", rank);
        at_start = 0;
        buf[o++] = (char)p[i];
        if (p[i] == '\n')
            at_start = 1;
    }
    open_rank[s] = p[n - 1] == '\n' ? -1 : rank;
    output_bytes(fd, buf, o);
    free(buf);
}

/* Waits up to ms for child pid to exit (SIGCHLD is blocked: it is taken
 * here with sigtimedwait, so no time is lost to polling). */
static void wait_child(pid_t pid, int ms)
{
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    int64_t deadline = crest_now_ms() + ms;
    while (waitpid(pid, NULL, WNOHANG) == 0) {
        int64_t left = deadline - crest_now_ms();
        if (left <= 0)
            return;
        struct timespec ts = { left / 1000, (left % 1000) * 1000000 };
        sigtimedwait(&chld, NULL, &ts);
    }
}

static void finish(int code)
{
    ckpt_cleanup();
    /* Wait for our root daemon: once it is gone, so is the whole tree. */
    if (root_pid > 0)
        wait_child(root_pid, 5000);
    exit(code);
}

void mpirun_end_after_checkpoint(void)
{
    ended_by_checkpoint = 1;
    uint32_t s = SIGKILL;
    /* The ranks are stopped: a SIGTERM would wait for them to go on.  The
     * first request ends the job, the second kills at once. */
    if (runtime) {
        crest_conn_send(runtime, MSG_KILL_JOB, job_id, &s, sizeof s);
        crest_conn_send(runtime, MSG_KILL_JOB, job_id, &s, sizeof s);
    }
}

void mpirun_signal_job(int sig)
{
    uint32_t s = (uint32_t)sig;
    if (runtime)
        crest_conn_send(runtime, MSG_SIGNAL, job_id, &s, sizeof s);
}

static void on_message(struct crest_conn *c, const struct crest_wire_header *h, const uint8_t *p)
{
    struct crest_rbuf r = crest_rbuf_of(p, h->length);
    if (ckpt_runtime_message(h, p))
        return;
    switch (h->type) {
    case MSG_ACCEPTED: /* the ranks are being started */
        accepted = 1;
        job_id = h->job;
        if (stdin_open < 0)
            crest_conn_send(c, MSG_STDIN, job_id, NULL, 0); /* rank 0 reads EOF */
        ckpt_job_accepted(job_id, (int)crest_rbuf_u32(&r));
        return;
    case MSG_REFUSED:
        mpirun_say("%.*s", (int)h->length, (const char *)p);
        done = 1;
        exit_code = 1;
        return;
    case MSG_STDIO: {
        int rank = (int)crest_rbuf_u32(&r);
        int stream = (int)crest_rbuf_u32(&r);
        size_t n;
        const uint8_t *data = crest_rbuf_bytes(&r, &n);
        if (!r.bad && rank >= 0)
            output(rank, stream, data, n);
        return;
    }
    case MSG_NOTICE:
        mpirun_say("%.*s", (int)h->length, (const char *)p);
        return;
    case MSG_STDIN_ACK: {
        stdin_acked += crest_rbuf_u64(&r);
        if (crest_rbuf_u32(&r) && stdin_open >= 0) { /* rank 0 closed its stdin */
            crest_loop_unwatch(stdin_open);
            stdin_open = -1;
        }
        return;
    }
    case MSG_JOB_DONE: {
        exit_code = (int)crest_rbuf_u32(&r);
        char reason[1024];
        crest_rbuf_str(&r, reason, sizeof reason);
        ckpt_job_ended();
        if (ended_by_checkpoint)
            exit_code = MPIRUN_EXIT_CHECKPOINTED; /* the ranks were killed on purpose */
        else if (!r.bad && reason[0] && !stdout_gone) /* a pipeline's early end is no news */
            mpirun_say("%s", reason);
        done = 1;
        return;
    }
    }
}

static void on_closed(struct crest_conn *c, const char *why)
{
    runtime = NULL;
    ckpt_job_ended();
    if (!done) {
        mpirun_say("lost the connection to the runtime (%s); the job's processes are being ended", why);
        done = 1;
        exit_code = 1;
    }
}

static const struct crest_conn_ops ops = { on_message, on_closed, NULL };

/* ------------------------------------------------------------- stdin, signals */

static void stop_stdin(void)
{
    if (stdin_open < 0)
        return;
    crest_loop_unwatch(stdin_open);
    stdin_open = -1;
    if (runtime)
        crest_conn_send(runtime, MSG_STDIN, job_id, NULL, 0); /* EOF for rank 0 */
}

static void on_stdin(void *arg, int fd, short revents)
{
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        stop_stdin();
        return;
    }
    if (runtime)
        crest_conn_send(runtime, MSG_STDIN, job_id, buf, (size_t)n);
    stdin_sent += (uint64_t)n;
}

static void end_job_on_sigpipe(void)
{
    if (!runtime || interrupts)
        return;
    interrupts = 1;
    uint32_t s = SIGPIPE;
    crest_conn_send(runtime, MSG_KILL_JOB, job_id, &s, sizeof s);
}

static void on_signal(void *arg, int fd, short revents)
{
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD) {
            if (root_pid > 0 && waitpid(root_pid, NULL, WNOHANG) == root_pid)
                root_pid = 0;
            continue;
        }
        if (!runtime)
            continue;
        if (sig == ckpt_signal && sig) {
            char origin[64];
            snprintf(origin, sizeof origin, "signal %s", sigabbrev_np(sig));
            ckpt_request(JOB_CKPT_CONTINUE, origin);
            continue;
        }
        if (sig == SIGTERM && checkpoint_on_term && !interrupts) {
            /* batch preemption: keep the work, then go */
            interrupts = 1;
            mpirun_say("SIGTERM: taking a snapshot, then ending the job (--checkpoint-on-term)");
            ckpt_request(JOB_CKPT_TERM, "SIGTERM");
            continue;
        }
        if (sig == SIGCONT) { /* a job stopped by crest checkpoint --stop goes on */
            mpirun_signal_job(SIGCONT);
            continue;
        }
        if (sig == SIGUSR2) {
            uint32_t s = (uint32_t)sig;
            crest_conn_send(runtime, MSG_SIGNAL, job_id, &s, sizeof s);
            continue;
        }
        /* SIGINT, SIGTERM, SIGHUP: end the job; a second one kills at once. */
        uint32_t s = ++interrupts > 1 ? SIGKILL : (uint32_t)sig;
        if (interrupts == 1)
            mpirun_say("ending the job on signal %d (%s)%s", sig, strsignal(sig),
                       isatty(2) ? "; again to kill at once" : "");
        crest_conn_send(runtime, MSG_KILL_JOB, job_id, &s, sizeof s);
    }
}

/* ------------------------------------------------------------- setting up */

static int is_one_of(const char *a, const char **names)
{
    for (; *names; names++)
        if (!strcmp(a, *names))
            return 1;
    return 0;
}

/* "90", "90s", "10m", "2h", "1d" -> milliseconds */
static int parse_duration(const char *v, int64_t *ms)
{
    char *end;
    double n = strtod(v, &end);
    double unit = 1000;
    if (!strcmp(end, "m") || !strcmp(end, "min"))
        unit = 60e3;
    else if (!strcmp(end, "h"))
        unit = 3600e3;
    else if (!strcmp(end, "d"))
        unit = 86400e3;
    else if (!strcmp(end, "ms"))
        unit = 1;
    else if (*end && strcmp(end, "s"))
        return -1;
    if (end == v || !(n > 0) || n * unit < 1 || n * unit > 1e13)
        return -1;
    *ms = (int64_t)(n * unit);
    return 0;
}

static int parse_signal(const char *v, int *sig)
{
    if (!strcmp(v, "none") || !strcmp(v, "0")) {
        *sig = 0;
        return 0;
    }
    char *end;
    long n = strtol(v, &end, 10);
    if (!*end && end != v) {
        *sig = (int)n;
    } else {
        if (!strncmp(v, "SIG", 3))
            v += 3;
        *sig = 0;
        for (int s = 1; s < NSIG; s++)
            if (sigabbrev_np(s) && !strcmp(sigabbrev_np(s), v))
                *sig = s;
    }
    /* these are the job's own: ending it, its stdio, its children */
    return *sig < 1 || *sig >= NSIG || *sig == SIGKILL || *sig == SIGSTOP || *sig == SIGINT ||
                   *sig == SIGTERM || *sig == SIGHUP || *sig == SIGCHLD || *sig == SIGPIPE ||
                   *sig == SIGCONT
               ? -1
               : 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof *o);
    o->ckpt_signal = SIGUSR1;
    o->setenv = calloc((size_t)argc, sizeof *o->setenv);
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-')
            break;
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
#define IS(...) is_one_of(a, (const char *[]){ __VA_ARGS__, NULL })
        if (IS("-h", "--help", "-help")) {
            usage(stdout);
            exit(0);
        }
        if (IS("-np", "--np", "-n", "--n", "-c")) {
            if (!v) goto missing;
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > (1 << 22)) {
                mpirun_say("%s wants a number of processes >= 1, got \"%s\"", a, v);
                return -1;
            }
            o->np = (int)n;
            i++;
        } else if (IS("-H", "--host", "-host", "-hosts", "--hosts")) {
            if (!v) goto missing;
            o->hostlist = v;
            i++;
        } else if (IS("--hostfile", "-hostfile", "--machinefile", "-machinefile", "-f")) {
            if (!v) goto missing;
            o->hostfile = v;
            i++;
        } else if (IS("-x")) {
            if (!v) goto missing;
            o->setenv[o->nsetenv++] = (char *)v;
            i++;
        } else if (IS("--map-by", "-map-by")) {
            if (!v) goto missing;
            if (!strcmp(v, "node"))
                o->map_by_node = 1;
            else if (strcmp(v, "slot") && strcmp(v, "core")) {
                mpirun_say("--map-by wants slot or node, got \"%s\"", v);
                return -1;
            }
            i++;
        } else if (IS("--bynode", "-bynode")) {
            o->map_by_node = 1;
        } else if (IS("--byslot", "-byslot")) {
            o->map_by_node = 0;
        } else if (IS("--tag-output", "-tag-output", "-l", "-prepend-rank", "--prepend-rank")) {
            o->tag_output = 1;
        } else if (IS("--checkpoint-dir")) {
            if (!v) goto missing;
            o->ckpt_dir = v;
            i++;
        } else if (IS("--checkpoint-interval")) {
            if (!v) goto missing;
            if (parse_duration(v, &o->interval_ms)) {
                mpirun_say("--checkpoint-interval wants a duration such as 90s, 10m or 2h, got \"%s\"", v);
                return -1;
            }
            i++;
        } else if (IS("--keep")) {
            if (!v) goto missing;
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 1000000) {
                mpirun_say("--keep wants a number of snapshots >= 1, got \"%s\"", v);
                return -1;
            }
            o->keep = (int)n;
            i++;
        } else if (IS("--checkpoint-on-term")) {
            o->on_term = 1;
        } else if (IS("--checkpoint-signal")) {
            if (!v) goto missing;
            if (parse_signal(v, &o->ckpt_signal)) {
                mpirun_say("--checkpoint-signal wants a signal such as USR1, SIGUSR2, 10 or none, got \"%s\"", v);
                return -1;
            }
            i++;
        } else if (IS("--no-checkpoint")) {
            o->no_checkpoint = 1;
        } else if (IS("--restart")) {
            if (!v) goto missing;
            o->restart = v;
            i++;
        } else if (IS("--schema")) {
            if (!v) goto missing;
            o->schema = v;
            i++;
        } else if (IS("--resume")) {
            if (!v) goto missing;
            o->resume = v;
            i++;
        } else if (IS("--oversubscribe", "-oversubscribe", "--allow-run-as-root")) {
            /* Oversubscription is always allowed; root may run jobs. */
        } else {
            mpirun_say("unknown option %s (see %s --help)", a, progname);
            return -1;
        }
#undef IS
    }
    if (i >= argc && !o->restart) {
        mpirun_say("no program to run (see %s --help)", progname);
        return -1;
    }
    if (o->restart && i < argc) {
        mpirun_say("a restart runs the snapshot's program; %s is one argument too many", argv[i]);
        return -1;
    }
    if (!!o->hostlist + !!o->hostfile + !!o->schema > 1) {
        mpirun_say("give hosts with one of -H, --hostfile and --schema");
        return -1;
    }
    if (o->schema && !o->restart && !o->resume) {
        mpirun_say("--schema places a snapshot's images on hosts: use it with crest restart SNAPSHOT");
        return -1;
    }
    o->argv = argv + i;
    return 0;
missing:
    mpirun_say("%s wants a value (see %s --help)", argv[i], progname);
    return -1;
}

/* "LD_LIBRARY_PATH=<crest's lib>:<the old value>": a program built with
 * another MPICH-ABI library (MPICH's own mpicc) loads crest's libmpi. */
static char *library_path(void)
{
    char exe[PATH_MAX], lib[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    *slash = 0;
    snprintf(lib, sizeof lib, "%s/../lib", exe);
    char real[PATH_MAX];
    if (!realpath(lib, real))
        return NULL;
    const char *old = getenv("LD_LIBRARY_PATH");
    size_t len = strlen(real) + (old ? strlen(old) : 0) + 32;
    char *v = malloc(len);
    if (v)
        snprintf(v, len, "LD_LIBRARY_PATH=%s%s%s", real, old && *old ? ":" : "", old && *old ? old : "");
    return v;
}

/* "LD_PRELOAD=<crest's libcrest.so> <the old value>": every rank can be
 * checkpointed.  NULL when libcrest is not there. */
static char *preload(void)
{
    char exe[PATH_MAX], lib[PATH_MAX], real[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = 0;
    *strrchr(exe, '/') = 0;
    const char *env = getenv("CREST_LIB");
    snprintf(lib, sizeof lib, "%s", env && *env ? env : exe);
    if (!(env && *env))
        snprintf(lib, sizeof lib, "%s/../lib/libcrest.so", exe);
    if (!realpath(lib, real))
        return NULL;
    const char *old = getenv("LD_PRELOAD");
    if (old && strstr(old, real))
        return NULL; /* there already */
    size_t len = strlen(real) + (old ? strlen(old) : 0) + 16;
    char *v = malloc(len);
    if (v)
        snprintf(v, len, "LD_PRELOAD=%s%s%s", real, old && *old ? " " : "", old && *old ? old : "");
    return v;
}

/* The environment the ranks get: ours, with -x settings applied. */
static char **job_environment(const struct options *o, int with_libcrest, int *count)
{
    int n = 0;
    while (environ[n])
        n++;
    char **env = calloc((size_t)(n + o->nsetenv + 3), sizeof *env);
    if (!env)
        return NULL;
    int k = 0;
    char *libpath = library_path();
    if (libpath)
        env[k++] = libpath;
    char *pre = with_libcrest ? preload() : NULL;
    if (pre)
        env[k++] = pre;
    for (int i = 0; i < n; i++) {
        /* Not ours to pass on: the connection of a crest runtime we may
         * ourselves run under; the library path is set above. */
        if (!strncmp(environ[i], "CREST_RT_FD=", 12) || (libpath && !strncmp(environ[i], "LD_LIBRARY_PATH=", 16)) ||
            (pre && !strncmp(environ[i], "LD_PRELOAD=", 11)))
            continue;
        env[k++] = environ[i];
    }
    for (int s = 0; s < o->nsetenv; s++) {
        const char *x = o->setenv[s];
        const char *eq = strchr(x, '=');
        size_t name_len = eq ? (size_t)(eq - x) : strlen(x);
        char *entry;
        if (eq) {
            entry = (char *)x;
        } else {
            const char *val = getenv(x);
            if (!val)
                continue; /* -x of an unset variable: nothing to pass */
            entry = NULL;
            for (int i = 0; i < k; i++)
                if (!strncmp(env[i], x, name_len) && env[i][name_len] == '=')
                    entry = env[i];
            if (!entry)
                continue;
        }
        int replaced = 0;
        for (int i = 0; i < k; i++)
            if (!strncmp(env[i], x, name_len) && env[i][name_len] == '=') {
                env[i] = entry;
                replaced = 1;
            }
        if (!replaced)
            env[k++] = entry;
    }
    env[k] = NULL;
    *count = k;
    return env;
}

static int load_hosts(const struct options *o, struct crest_hosts *h)
{
    char err[1024];
    memset(h, 0, sizeof *h);
    if (o->hostfile) {
        if (crest_hosts_parse_file(o->hostfile, h, err, sizeof err)) {
            mpirun_say("%s", err);
            return -1;
        }
    } else if (o->hostlist) {
        if (crest_hosts_parse_list(o->hostlist, h, err, sizeof err)) {
            mpirun_say("%s", err);
            return -1;
        }
    } else if (getenv("SLURM_JOB_ID") && getenv("SLURM_JOB_NODELIST")) {
        /* SLURM_TASKS_PER_NODE counts the allocation's tasks, except in a
         * shell that srun started as a job step (`srun --pty bash`): srun
         * sets it to the step's own, like SLURM_STEP_TASKS_PER_NODE ("1"
         * for one shell on one node), and it no longer matches
         * SLURM_JOB_NODELIST.  There the allocation's CPUs per node (same
         * syntax) give the slots, a task's CPUs each.  (salloc's shell with
         * LaunchParameters=use_interactive_step is a step too, but keeps
         * the allocation's count.) */
        const char *tasks = getenv("SLURM_TASKS_PER_NODE");
        const char *step_tasks = getenv("SLURM_STEP_TASKS_PER_NODE");
        const char *job_cpus = getenv("SLURM_JOB_CPUS_PER_NODE");
        int per_task = 1;
        if (tasks && step_tasks && !strcmp(tasks, step_tasks) && job_cpus && *job_cpus) {
            const char *cpt = getenv("SLURM_CPUS_PER_TASK");
            tasks = job_cpus;
            per_task = cpt && atoi(cpt) > 1 ? atoi(cpt) : 1;
        }
        if (crest_hosts_from_slurm(getenv("SLURM_JOB_NODELIST"), tasks, h, err, sizeof err)) {
            mpirun_say("the Slurm allocation: %s", err);
            return -1;
        }
        for (int i = 0; per_task > 1 && i < h->count; i++)
            h->host[i].slots = h->host[i].slots > per_task ? h->host[i].slots / per_task : 1;
    }
    return 0;
}

/* Connects to the root daemon of a `crest boot`, if one runs; else starts
 * a root daemon of our own. Returns the connection's fd. */
static int connect_runtime(void)
{
    char dir[256], path[300], err[512];
    if (crest_runtime_dir(dir, sizeof dir, err, sizeof err)) {
        mpirun_say("%s", err);
        return -1;
    }
    snprintf(path, sizeof path, "%s/boot.sock", dir);
    const char *noboot = getenv("CREST_NO_BOOT");
    if (!(noboot && *noboot && strcmp(noboot, "0"))) {
        int s = crest_local_connect(path);
        if (s >= 0)
            return s;
    }
    char crestd_path[PATH_MAX];
    const char *env = getenv("CREST_CRESTD");
    if (env && *env) {
        snprintf(crestd_path, sizeof crestd_path, "%s", env);
    } else {
        ssize_t n = readlink("/proc/self/exe", crestd_path, sizeof crestd_path - 8);
        if (n <= 0) {
            mpirun_say("cannot find where mpirun is installed: %s", strerror(errno));
            return -1;
        }
        crestd_path[n] = 0;
        char *slash = strrchr(crestd_path, '/');
        strcpy(slash + 1, "crestd");
    }
    if (access(crestd_path, X_OK)) {
        mpirun_say("cannot run %s: %s (set CREST_CRESTD to the crestd program)", crestd_path, strerror(errno));
        return -1;
    }
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp)) {
        mpirun_say("cannot make a socket pair: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        mpirun_say("cannot fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* Its own process group: Ctrl-C is ours to turn into an orderly end. */
        setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int fd = dup(sp[1]); /* without close-on-exec */
        char fdarg[16];
        snprintf(fdarg, sizeof fdarg, "%d", fd);
        execl(crestd_path, "crestd", "--starter-fd", fdarg, (char *)NULL);
        fprintf(stderr, "%s: cannot run %s: %s\n", progname, crestd_path, strerror(errno));
        _exit(127);
    }
    close(sp[1]);
    root_pid = pid;
    return sp[0];
}

/* The crest command next to this mpirun. */
static int crest_command(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 8);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    strcpy(strrchr(buf, '/') + 1, "crest");
    return access(buf, X_OK);
}

/* Where snapshots go, what the manifest records, and, for a restart (or a
 * --resume that finds a snapshot), the snapshot to run: then o->argv
 * becomes the restarter of each rank.  0, or -1 after one line. */
static int setup_checkpointing(struct options *o, const char *cwd, struct ckpt_config *cc, int *restarting)
{
    static char snapdir[PATH_MAX];
    static struct snapshot_manifest m;
    static char crest[PATH_MAX];
    static char *restart_argv[5];
    char err[1400];
    memset(cc, 0, sizeof *cc);
    snapdir[0] = 0;
    *restarting = 0;
    if (o->resume || o->restart) {
        int none = 0;
        char found[PATH_MAX];
        if (snapshot_resolve(o->resume ? o->resume : o->restart, found, sizeof found, &none, err, sizeof err)) {
            if (!o->resume || !none) {
                mpirun_say("%s", err);
                return -1;
            }
        } else if (!realpath(found, snapdir)) {
            mpirun_say("cannot resolve %s: %s", found, strerror(errno));
            return -1;
        }
    }
    if (snapdir[0]) {
        if (snapshot_load(snapdir, &m, err, sizeof err) ||
            snapshot_verify(snapdir, &m, 0, NULL, NULL, err, sizeof err)) {
            mpirun_say("%s; not restarting", err);
            return -1;
        }
        if (o->np && o->np != m.nranks) {
            mpirun_say("the snapshot %s holds the images of %d ranks, but -np asks for %d; a restart runs one "
                       "process per image (leave -np out)", snapdir, m.nranks, o->np);
            return -1;
        }
        if (crest_command(crest, sizeof crest)) {
            mpirun_say("cannot find the crest command next to mpirun (%s); reinstall crest", crest);
            return -1;
        }
        o->np = m.nranks;
        *restarting = 1;
        restart_argv[0] = crest;
        restart_argv[1] = "restart";
        restart_argv[2] = "--rank";
        restart_argv[3] = snapdir;
        restart_argv[4] = NULL;
        o->argv = restart_argv;
        cc->argc = m.argc;
        cc->argv = m.argv;
        snprintf(cc->cwd, sizeof cc->cwd, "%s", m.cwd);
        if (!o->ckpt_dir && !o->resume) {
            /* the series goes on where it was: DIR of DIR/snapshot.N */
            char *slash = strrchr(snapdir, '/');
            if (slash && !strncmp(slash + 1, "snapshot.", 9)) {
                *slash = 0;
                snprintf(cc->dir, sizeof cc->dir, "%s", snapdir);
                *slash = '/';
            }
        }
    } else {
        cc->argv = o->argv;
        while (o->argv[cc->argc])
            cc->argc++;
        snprintf(cc->cwd, sizeof cc->cwd, "%s", cwd);
    }
    const char *dir = o->ckpt_dir ? o->ckpt_dir : o->resume;
    if (dir && dir[0] == '/')
        snprintf(cc->dir, sizeof cc->dir, "%s", dir);
    else if (dir)
        snprintf(cc->dir, sizeof cc->dir, "%s/%s", cwd, dir);
    else if (!cc->dir[0])
        snprintf(cc->dir, sizeof cc->dir, "%s/crest-ckpt.%d", cwd, (int)getpid());
    cc->keep = o->keep;
    cc->interval_ms = o->interval_ms;
    cc->signal = o->ckpt_signal;
    cc->on_term = o->on_term;
    if (snapdir[0] && o->resume)
        mpirun_say("resuming from %s", snapdir);
    return 0;
}

/* Under AddressSanitizer (make sanitize): the process ends with its
 * tables still allocated, by design; leak reports would only be noise. */
__attribute__((visibility("default"), used)) const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}

int main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/');
    progname = base ? base + 1 : argv[0];
    if (argc < 2)
        return usage(stderr);
    if (!strcmp(argv[1], "--version")) {
        printf("%s (crest) 0.1\n", progname);
        return 0;
    }
    /* 0, 1 and 2 always open (a closed stdin reads as empty), so that no
     * descriptor of ours lands there. */
    for (int fd = open("/dev/null", O_RDWR); fd >= 0 && fd <= 2; fd = open("/dev/null", O_RDWR)) {
    }
    struct options o;
    if (parse_args(argc, argv, &o))
        return 2;
    tag_output = o.tag_output;
    struct crest_hosts hosts;
    if (load_hosts(&o, &hosts))
        return 2;
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, "/");
    struct ckpt_config cc;
    int restarting;
    if (setup_checkpointing(&o, cwd, &cc, &restarting))
        return 2;
    ckpt_signal = cc.signal;
    checkpoint_on_term = cc.on_term;
    int *placement = NULL;
    if (o.schema) {
        char err[1024];
        if (!restarting) {
            mpirun_say("--schema places a snapshot's images, and %s holds no snapshot", o.resume);
            return 2;
        }
        placement = calloc((size_t)o.np, sizeof *placement);
        if (!placement || crest_schema_parse_file(o.schema, o.np, &hosts, placement, err, sizeof err)) {
            mpirun_say("%s", placement ? err : "out of memory");
            return 2;
        }
    }

    sigset_t set;
    sigemptyset(&set);
    int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR2, SIGCHLD, SIGCONT };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&set, sigs[i]);
    if (ckpt_signal)
        sigaddset(&set, ckpt_signal);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTTIN, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    crest_loop_watch(sfd, POLLIN, on_signal, NULL);

    int fd = connect_runtime();
    if (fd < 0)
        return 1;
    runtime = crest_conn_new(fd, CREST_CONN_TRUSTED, NULL, &ops, NULL, "crestd");
    if (!o.no_checkpoint && ckpt_init(&cc, runtime))
        return 1;

    int envc = 0;
    /* a restarter must not carry libcrest: the process it becomes has its own */
    char **env = job_environment(&o, !o.no_checkpoint && !restarting, &envc);
    struct crest_launcher launcher;
    crest_launcher_from_env(&launcher);
    struct crest_wbuf b = { 0 };
    crest_wbuf_u32(&b, (uint32_t)o.np);
    crest_wbuf_u32(&b, (uint32_t)o.map_by_node);
    crest_wbuf_u32(&b, o.tag_output ? JOB_TAG_OUTPUT : 0);
    crest_wbuf_u32(&b, (uint32_t)getpid());
    crest_wbuf_str(&b, cwd);
    int argcount = 0;
    while (o.argv[argcount])
        argcount++;
    crest_wbuf_u32(&b, (uint32_t)argcount);
    for (int i = 0; i < argcount; i++)
        crest_wbuf_str(&b, o.argv[i]);
    crest_wbuf_u32(&b, (uint32_t)envc);
    for (int i = 0; i < envc; i++)
        crest_wbuf_str(&b, env[i]);
    crest_wbuf_u32(&b, (uint32_t)hosts.count);
    for (int i = 0; i < hosts.count; i++) {
        crest_wbuf_str(&b, hosts.host[i].name);
        crest_wbuf_u32(&b, (uint32_t)hosts.host[i].slots);
        crest_wbuf_u32(&b, (uint32_t)hosts.host[i].slots_given);
    }
    crest_wbuf_u32(&b, (uint32_t)launcher.kind);
    crest_wbuf_str(&b, launcher.rsh);
    if (placement) {
        crest_wbuf_u32(&b, (uint32_t)o.np);
        for (int i = 0; i < o.np; i++)
            crest_wbuf_u32(&b, (uint32_t)placement[i]);
        free(placement);
    }
    if (!runtime || crest_conn_send_wbuf(runtime, MSG_SUBMIT, 0, &b)) {
        mpirun_say("cannot hand the job to crestd");
        return 1;
    }
    crest_wbuf_free(&b);
    free(env);
    crest_hosts_free(&hosts);

    /* stdin goes to rank 0; not read when we are in the background of a
     * terminal (reading would stop us). */
    int foreground = !isatty(0) || tcgetpgrp(0) == getpgrp();
    if (foreground && fcntl(0, F_GETFL) >= 0) {
        stdin_open = 0;
        crest_loop_watch(0, POLLIN, on_stdin, NULL);
    }
    while (!done) {
        if (stdin_open >= 0)
            crest_loop_set_events(0, accepted && runtime && stdin_sent - stdin_acked < STDIN_WINDOW ? POLLIN : 0);
        crest_loop_run_once(-1);
        crest_conn_reap();
    }
    finish(exit_code);
}
