/* launch_timer.c — times one start of a job launcher for bench/launch.sh.
 *
 * usage: launch_timer [-t SECONDS] [-e ERRFILE] [-x NAME=VALUE]... -- CMD [ARG...]
 *
 * Starts CMD with stdin from /dev/null, stdout to a pipe that this program
 * reads and stderr to ERRFILE (else ours), and prints one line:
 *
 *   first_ms=F exit_ms=X gone_ms=G eof_ms=E lines=L status=S left=K left_alive=A left_names=N timeout=T
 *
 *   first_ms   from just before fork to the arrival of the first complete
 *              line on CMD's stdout (-1: none arrived)
 *   exit_ms    to CMD's own exit (waitpid)
 *   gone_ms    to the moment the last process CMD started, directly or not,
 *              was gone: this program makes itself a child subreaper, so
 *              every process of the job that loses its parent becomes its
 *              child and is reaped here; when waitpid reports no child left,
 *              the whole job is torn down
 *   eof_ms     to end-of-file on the stdout pipe (every holder closed it)
 *   lines      newlines read from CMD's stdout
 *   status     CMD's exit code, or 128 + signal
 *   left       processes of the job still there (running or not yet reaped)
 *              when CMD itself had been reaped; left_alive counts those not
 *              yet zombies, left_names their names (comm), comma-separated
 *   timeout    1 if SECONDS (default 60) passed first: then every process
 *              still in the tree was killed, and the times are not valid
 *
 * -x sets a variable in CMD's environment only: done here rather than with
 * env(1), whose extra exec would fall inside the timed span.
 *
 * All times are CLOCK_MONOTONIC, in milliseconds with microsecond digits.
 * The clock starts before fork, so the figures include creating the
 * launcher's process, as a shell starting it would. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LEFT 4096

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
    fprintf(stderr, "launch_timer: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* Our children right now, from /proc: after the launcher is reaped these
 * are exactly the job's processes that outlived it (their descendants hang
 * below them). */
static int read_children(pid_t *out, int max)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/children", (long)getpid());
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0;
    long p;
    while (n < max && fscanf(f, "%ld", &p) == 1)
        out[n++] = (pid_t)p;
    fclose(f);
    return n;
}

/* comm and state letter of a process, from /proc/PID/stat. */
static int proc_info(pid_t pid, char *comm, size_t len, char *state)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    /* comm is in parentheses and may itself hold ')': take the last one. */
    char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
    if (!open_paren || !close_paren || close_paren < open_paren || close_paren[1] != ' ')
        return -1;
    size_t c = (size_t)(close_paren - open_paren - 1);
    if (c >= len)
        c = len - 1;
    memcpy(comm, open_paren + 1, c);
    comm[c] = 0;
    *state = close_paren[2];
    return 0;
}

/* Kills every child we have, repeatedly: killing one hands its own children
 * to us, which the next pass kills.  Only for a run past its time limit. */
static void kill_tree(pid_t launcher, int launcher_alive)
{
    static pid_t kids[MAX_LEFT];
    if (launcher_alive)
        kill(launcher, SIGKILL);
    for (int pass = 0; pass < 100; pass++) {
        int n = read_children(kids, MAX_LEFT);
        if (n <= 0)
            break;
        for (int i = 0; i < n; i++)
            kill(kids[i], SIGKILL);
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
        usleep(10000);
    }
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
}

int main(int argc, char **argv)
{
    double limit_s = 60;
    const char *errfile = NULL;
    char *setenv_list[64];
    int nset = 0, i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        }
        if (i + 1 >= argc)
            break;
        if (!strcmp(argv[i], "-t"))
            limit_s = atof(argv[++i]);
        else if (!strcmp(argv[i], "-e"))
            errfile = argv[++i];
        else if (!strcmp(argv[i], "-x") && nset < 64)
            setenv_list[nset++] = argv[++i];
        else
            break;
    }
    if (i >= argc || limit_s <= 0) {
        fprintf(stderr, "usage: launch_timer [-t SECONDS] [-e ERRFILE] [-x NAME=VALUE]... -- CMD [ARG...]\n");
        return 2;
    }
    char **cmd = argv + i;

    /* Orphans of the job come to us rather than to init: we can tell when
     * the last one is gone, and name any that outlive the launcher. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1))
        die("PR_SET_CHILD_SUBREAPER");
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &chld, &old))
        die("sigprocmask");
    int sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0)
        die("signalfd");
    int out[2];
    if (pipe2(out, O_CLOEXEC))
        die("pipe");
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int errfd = errfile ? open(errfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    if (devnull < 0 || (errfile && errfd < 0))
        die(errfile ? errfile : "/dev/null");

    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        /* The mask is inherited across exec: the launcher must not start
         * with SIGCHLD blocked. */
        sigprocmask(SIG_SETMASK, &old, NULL);
        dup2(devnull, 0);
        dup2(out[1], 1);
        if (errfd >= 0)
            dup2(errfd, 2);
        for (int s = 0; s < nset; s++)
            putenv(setenv_list[s]);
        execvp(cmd[0], cmd);
        fprintf(stderr, "launch_timer: cannot run %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(devnull);
    if (errfd >= 0)
        close(errfd);

    double t_first = -1, t_exit = -1, t_gone = -1, t_eof = -1;
    long lines = 0;
    int status = -1, timed_out = 0, launcher_alive = 1, children_done = 0;
    int left = 0, left_alive = 0;
    char left_names[1024] = "";
    int pipe_fd = out[0];
    double deadline = t0 + limit_s * 1e3;
    static char buf[65536];
    static pid_t kids[MAX_LEFT];

    while (pipe_fd >= 0 || !children_done) {
        double remaining = deadline - now_ms();
        if (remaining <= 0) {
            timed_out = 1;
            break;
        }
        struct pollfd p[2] = { { .fd = pipe_fd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
        int r = poll(p, 2, (int)remaining + 1);
        if (r < 0 && errno != EINTR)
            die("poll");
        if (r <= 0)
            continue;
        if (p[0].revents) {
            ssize_t n = read(pipe_fd, buf, sizeof buf);
            if (n > 0) {
                for (ssize_t k = 0; k < n; k++)
                    if (buf[k] == '\n') {
                        if (t_first < 0)
                            t_first = now_ms();
                        lines++;
                    }
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                t_eof = now_ms();
                close(pipe_fd);
                pipe_fd = -1;
            }
        }
        if (p[1].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
            }
            for (;;) {
                int st;
                pid_t w = waitpid(-1, &st, WNOHANG);
                if (w > 0) {
                    if (w != pid)
                        continue; /* a reparented process of the job, gone */
                    t_exit = now_ms();
                    launcher_alive = 0;
                    status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                    /* Whatever is our child now outlived the launcher. */
                    int n = read_children(kids, MAX_LEFT);
                    for (int k = 0; k < n; k++) {
                        char comm[64], state = '?';
                        if (proc_info(kids[k], comm, sizeof comm, &state))
                            continue; /* gone in between */
                        left++;
                        if (state != 'Z')
                            left_alive++;
                        size_t used = strlen(left_names);
                        if (used + strlen(comm) + 8 < sizeof left_names)
                            snprintf(left_names + used, sizeof left_names - used, "%s%s:%c",
                                     used ? "," : "", comm, state);
                    }
                    continue;
                }
                if (w < 0 && errno == ECHILD && !launcher_alive) {
                    t_gone = now_ms();
                    children_done = 1;
                }
                break;
            }
        }
    }
    if (timed_out) {
        kill_tree(pid, launcher_alive);
        if (pipe_fd >= 0)
            close(pipe_fd);
    }
    printf("first_ms=%.3f exit_ms=%.3f gone_ms=%.3f eof_ms=%.3f lines=%ld status=%d left=%d left_alive=%d "
           "left_names=%s timeout=%d\n",
           t_first < 0 ? -1 : t_first - t0, t_exit < 0 ? -1 : t_exit - t0, t_gone < 0 ? -1 : t_gone - t0,
           t_eof < 0 ? -1 : t_eof - t0, lines, status, left, left_alive, left_names[0] ? left_names : "-",
           timed_out);
    return timed_out ? 1 : 0;
}
