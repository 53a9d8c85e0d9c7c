/* daemon_main.c — crestd, the node daemon: its arguments, its signals and
 * its event loop.  Started three ways:
 *   crestd --starter-fd N            by mpirun, as the root of one job's tree
 *   crestd --boot HOSTFILE --ready-fd N
 *                                    by crest boot, as the root of a boot
 *   crestd --parent ADDR:PORT --index I
 *                                    by its parent daemon (fork, ssh, srun),
 *                                    with the secret on standard input */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crestd.h"
#include "loop.h"

struct crestd crestd; /* this daemon's state: the loop's thread owns it */

void crestd_log(const char *fmt, ...)
{
    char line[1200];
    int n = snprintf(line, sizeof line, "crestd[%s]: ", crestd.hostname);
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

void crestd_exit(int code)
{
    if (crestd.index == 0)
        root_cleanup();
    exit(code);
}

static void on_signal(void *arg, int fd, short revents)
{
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo != SIGCHLD) {
            crestd_log("ending on signal %d (%s)", (int)si.ssi_signo, strsignal((int)si.ssi_signo));
            tree_shutdown();
        }
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        if (!job_reap_rank(pid, status))
            tree_reap_launcher(pid, status);
}

static int usage(void)
{
    fprintf(stderr, "crestd is started by mpirun and crest boot, not by hand (see crest(1)).\n");
    return 2;
}

/* Under AddressSanitizer (make sanitize): the process ends with its
 * tables still allocated, by design; leak reports would only be noise. */
__attribute__((visibility("default"), used)) const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}

int main(int argc, char **argv)
{
    const char *parent = NULL, *boot = NULL;
    int starter_fd = -1, ready_fd = -1;
    crestd.index = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--parent") && i + 1 < argc)
            parent = argv[++i];
        else if (!strcmp(argv[i], "--index") && i + 1 < argc)
            crestd.index = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--starter-fd") && i + 1 < argc)
            starter_fd = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--boot") && i + 1 < argc)
            boot = argv[++i];
        else if (!strcmp(argv[i], "--ready-fd") && i + 1 < argc)
            ready_fd = atoi(argv[++i]);
        else
            return usage();
    }
    if (!!parent + (starter_fd >= 0) + !!boot != 1 || (parent && crestd.index < 1))
        return usage();

    /* 0, 1 and 2 always open, so no pipe or socket of ours lands there. */
    for (int fd = open("/dev/null", O_RDWR); fd >= 0 && fd <= 2; fd = open("/dev/null", O_RDWR)) {
    }
    gethostname(crestd.hostname, sizeof crestd.hostname - 1);
    /* What a rank leaves running when it ends becomes ours, to be ended
     * with its job (see kill_leftovers). */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    crestd.listen_fd = -1;
    const char *fanout = getenv("CREST_TREE_FANOUT");
    crestd.fanout = fanout && atoi(fanout) > 0 ? atoi(fanout) : 16;
    ssize_t n = readlink("/proc/self/exe", crestd.crestd_path, sizeof crestd.crestd_path - 1);
    if (n > 0)
        crestd.crestd_path[n] = 0;

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) {
        crestd_log("cannot make a signalfd: %s", strerror(errno));
        return 1;
    }
    crest_loop_watch(sfd, POLLIN, on_signal, NULL);

    if (parent) {
        char err[256];
        if (crest_read_secret(0, crestd.secret, err, sizeof err)) {
            crestd_log("%s", err);
            return 1;
        }
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) {
            dup2(null, 0);
            close(null);
        }
        tree_connect_parent(parent);
    } else {
        if (getrandom(crestd.secret, sizeof crestd.secret, 0) != (ssize_t)sizeof crestd.secret) {
            crestd_log("cannot get random bytes for the job's secret: %s", strerror(errno));
            return 1;
        }
        if (boot)
            crest_launcher_from_env(&crestd.launcher);
        if (root_start(starter_fd, boot, ready_fd))
            return 1;
    }

    for (;;) {
        crest_loop_run_once(-1);
        crest_conn_reap();
        if (crestd.index == 0) {
            root_backpressure();
        } else if (crestd.parent) {
            int high = crest_conn_backlog(crestd.parent) > BACKLOG_HIGH;
            tree_backpressure(high);
            job_pause_output(high);
        }
    }
}
