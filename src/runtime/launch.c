/* launch.c — starting crestd processes, locally or on other hosts. */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"

#define MAX_ARGS 64

void crest_launcher_from_env(struct crest_launcher *l)
{
    const char *want = getenv("CREST_LAUNCHER");
    const char *rsh = getenv("CREST_RSH");
    memset(l, 0, sizeof *l);
    if (want && !strcmp(want, "srun"))
        l->kind = CREST_LAUNCH_SRUN;
    else if (want && (!strcmp(want, "ssh") || !strcmp(want, "rsh")))
        l->kind = CREST_LAUNCH_RSH;
    else if (getenv("SLURM_JOB_ID") && !(rsh && *rsh))
        l->kind = CREST_LAUNCH_SRUN;
    else
        l->kind = CREST_LAUNCH_RSH;
    /* BatchMode: a host that would ask for a password fails at once with
     * a message instead of waiting on a prompt nobody sees. */
    snprintf(l->rsh, sizeof l->rsh, "%s", rsh && *rsh ? rsh : "ssh -x -oBatchMode=yes");
}

const char *crest_launcher_name(const struct crest_launcher *l)
{
    switch (l->kind) {
    case CREST_LAUNCH_FORK: return "fork";
    case CREST_LAUNCH_SRUN: return "srun";
    default: return l->rsh;
    }
}

/* Quotes s for a POSIX shell into dst (single quotes). */
static int shell_quote(char *dst, size_t len, const char *s)
{
    size_t o = 0;
    if (o + 1 >= len)
        return -1;
    dst[o++] = '\'';
    for (; *s; s++) {
        const char *piece = *s == '\'' ? "'\\''" : NULL;
        size_t n = piece ? strlen(piece) : 1;
        if (o + n + 2 >= len)
            return -1;
        if (piece)
            memcpy(dst + o, piece, n);
        else
            dst[o] = *s;
        o += n;
    }
    dst[o++] = '\'';
    dst[o] = 0;
    return 0;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

pid_t crest_launch_daemon(const struct crest_launcher *l, const char *host, const char *crestd_path,
                          char *const args[], const uint8_t *secret, int *out_fd, char *err, size_t errlen)
{
    char *argv[MAX_ARGS + 16];
    int argc = 0;
    char rsh_copy[sizeof l->rsh];
    static char remote_cmd[8192]; /* only used between here and exec/return */
    int nargs = 0;
    while (args[nargs])
        nargs++;
    if (nargs > MAX_ARGS) {
        snprintf(err, errlen, "too many arguments for crestd");
        return -1;
    }
    if (l->kind == CREST_LAUNCH_RSH) {
        snprintf(rsh_copy, sizeof rsh_copy, "%s", l->rsh);
        char *save = NULL;
        for (char *t = strtok_r(rsh_copy, " \t", &save); t && argc < 12; t = strtok_r(NULL, " \t", &save))
            argv[argc++] = t;
        if (argc == 0) {
            snprintf(err, errlen, "CREST_RSH is empty; set it to a command such as \"ssh\"");
            return -1;
        }
        argv[argc++] = (char *)host;
        /* ssh hands the remote side one string for its shell: quote each word. */
        size_t o = (size_t)snprintf(remote_cmd, sizeof remote_cmd, "exec ");
        char q[2048];
        const char *word = crestd_path;
        for (int i = -1; i < nargs; i++, word = args[i]) {
            if (shell_quote(q, sizeof q, word) || o + strlen(q) + 2 >= sizeof remote_cmd) {
                snprintf(err, errlen, "the crestd command line for %s is too long", host);
                return -1;
            }
            o += (size_t)snprintf(remote_cmd + o, sizeof remote_cmd - o, "%s ", q);
        }
        argv[argc++] = remote_cmd;
    } else {
        if (l->kind == CREST_LAUNCH_SRUN) {
            static char nodelist[300];
            snprintf(nodelist, sizeof nodelist, "--nodelist=%s", host);
            /* One task on that node, sharing the allocation with the job
             * steps to come and bound to no CPU: crestd forks the ranks. */
            const char *pre[] = { "srun", "--nodes=1", "--ntasks=1", nodelist, "--overlap",
                                  "--cpu-bind=none", "--kill-on-bad-exit=1", "--quiet" };
            for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
                argv[argc++] = (char *)pre[i];
        }
        argv[argc++] = (char *)crestd_path;
        for (int i = 0; i < nargs; i++)
            argv[argc++] = args[i];
    }
    argv[argc] = NULL;

    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC))
        goto fail_errno;
    if (pipe2(out, O_CLOEXEC)) {
        close(in[0]);
        close(in[1]);
        goto fail_errno;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        goto fail_errno;
    }
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        /* Away from the terminal's process group: Ctrl-C is mpirun's to
         * handle, and it ends the daemons in order. */
        setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    char line[2 * CREST_SECRET_LEN + 2];
    hex(secret, CREST_SECRET_LEN, line);
    strcat(line, "\n");
    /* 65 bytes fit in an empty pipe: this write does not block. */
    if (write(in[1], line, strlen(line)) != (ssize_t)strlen(line)) {
        /* the process died at once; its output says why */
    }
    close(in[1]);
    *out_fd = out[0];
    return pid;

fail_errno:
    snprintf(err, errlen, "cannot start crestd for %s: %s", host, strerror(errno));
    return -1;
}

int crest_read_secret(int fd, uint8_t *secret, char *err, size_t errlen)
{
    char line[2 * CREST_SECRET_LEN + 2];
    size_t got = 0;
    while (got < sizeof line) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, 30000) <= 0) {
            snprintf(err, errlen, "no secret arrived on standard input within 30 s");
            return -1;
        }
        ssize_t r = read(fd, line + got, sizeof line - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
        if (memchr(line, '\n', got))
            break;
    }
    if (got < 2 * CREST_SECRET_LEN + 1 || line[2 * CREST_SECRET_LEN] != '\n') {
        snprintf(err, errlen, "standard input did not hold the secret line crestd is started with");
        return -1;
    }
    for (int i = 0; i < CREST_SECRET_LEN; i++) {
        unsigned v;
        if (sscanf(line + 2 * i, "%2x", &v) != 1) {
            snprintf(err, errlen, "the secret line on standard input is not hexadecimal");
            return -1;
        }
        secret[i] = (uint8_t)v;
    }
    explicit_bzero(line, sizeof line);
    return 0;
}
