/* cmd_checkpoint.c — `crest checkpoint PID`: ask the process's libcrest
 * manager for an image and report what it wrote. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../common/control_protocol.h"
#include "commands.h"
#include "crest.h"

static int say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "crest checkpoint: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static long owner_of(pid_t pid)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d", (int)pid);
    return stat(path, &st) ? -1 : (long)st.st_uid;
}

/* The state letter of /proc/PID/stat ('R', 'S', 'T', 'Z', ...), or 0. */
static char process_state(pid_t pid)
{
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = 0;
    const char *p = strrchr(stat, ')');
    return p && p[1] == ' ' ? p[2] : 0;
}

static void wait_gone(pid_t pid)
{
    for (int i = 0; i < 1000 && kill(pid, 0) == 0; i++) {
        if (process_state(pid) == 'Z')
            return; /* a zombie holds nothing but its exit status */
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
}

/* 1 when process pid has libcrest mapped. */
static int maps_libcrest(pid_t pid)
{
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f))
        found = strstr(line, "/libcrest.so") != NULL;
    if (f)
        fclose(f);
    return found;
}

static void wait_stopped(pid_t pid)
{
    for (int i = 0; i < 1000 && process_state(pid) != 'T'; i++) {
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
}

int crest_cmd_checkpoint(int argc, char **argv)
{
    const char *pid_arg = NULL, *out = NULL;
    int mode = CREST_MODE_CONTINUE, flags = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--term"))
            mode = CREST_MODE_TERM;
        else if (!strcmp(argv[i], "--stop"))
            mode = CREST_MODE_STOP;
        else if (!strcmp(argv[i], "--no-sync"))
            flags |= CREST_REQ_NO_SYNC;
        else if (argv[i][0] == '-' || pid_arg) {
            fprintf(stderr, "crest checkpoint: bad argument '%s' (usage: crest checkpoint PID|JOB "
                            "[-o FILE|DIR] [--term | --stop] [--no-sync])\n", argv[i]);
            return 2;
        } else
            pid_arg = argv[i];
    }
    if (!pid_arg) {
        fprintf(stderr, "crest checkpoint: no process id given\n");
        return 2;
    }
    int job = crest_checkpoint_job(pid_arg, out, mode, flags);
    if (job >= 0)
        return job;
    char *end;
    long pid = strtol(pid_arg, &end, 10);
    if (*end || pid <= 0 || pid > INT32_MAX)
        return say("'%s' is not a process id", pid_arg);
    long uid = owner_of((pid_t)pid);
    if (uid < 0)
        return say("no process %ld", pid);
    if (uid != (long)getuid() && getuid() != 0)
        return say("process %ld belongs to uid %ld, not to you (uid %u); run crest as that user",
                   pid, uid, (unsigned)getuid());

    char state = process_state((pid_t)pid);
    if (state == 'T' || state == 't')
        return say("process %ld is stopped; continue it first (kill -CONT %ld)", pid, pid);
    if (state == 'Z')
        return say("process %ld has exited (a zombie); there is nothing to checkpoint", pid);

    struct crest_control_request req;
    memset(&req, 0, sizeof req);
    req.magic = CREST_CONTROL_MAGIC;
    req.version = CREST_CONTROL_VERSION;
    req.mode = (uint32_t)mode;
    req.flags = (uint32_t)flags;
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return say("cannot tell the current directory: %s", strerror(errno));
    int n = !out ? snprintf(req.path, sizeof req.path, "%s/crest-%ld.img", cwd, pid)
            : out[0] == '/' ? snprintf(req.path, sizeof req.path, "%s", out)
                            : snprintf(req.path, sizeof req.path, "%s/%s", cwd, out);
    if (n < 0 || (size_t)n >= sizeof req.path)
        return say("image path too long");

    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (getuid() == 0 && uid != 0) {
        /* root checkpoints another user's process: that user's socket */
        char dir[80];
        snprintf(dir, sizeof dir, "/tmp/crest-%ld", uid);
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%ld.sock", dir, pid);
        if (getenv("CREST_RUNTIME_DIR"))
            crest_control_socket_path((pid_t)pid, sa.sun_path, sizeof sa.sun_path);
    } else if (crest_control_socket_path((pid_t)pid, sa.sun_path, sizeof sa.sun_path)) {
        return say("control socket path too long");
    }
    /* a process that has just started may have libcrest loaded but its
     * control socket not open yet: give it a moment */
    for (int i = 0; i < 200 && access(sa.sun_path, F_OK) && maps_libcrest((pid_t)pid); i++) {
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        if (errno == ENOENT || errno == ECONNREFUSED)
            return say("process %ld was not started with crest (no control socket %s); start "
                       "it with `crest run` or link it with -lcrest", pid, sa.sun_path);
        return say("cannot reach process %ld at %s: %s", pid, sa.sun_path, strerror(errno));
    }
    if (send(fd, &req, sizeof req, MSG_NOSIGNAL) != (ssize_t)sizeof req)
        return say("process %ld did not take the request: %s", pid, strerror(errno));
    struct crest_control_reply rep;
    size_t got = 0;
    while (got < sizeof rep) {
        ssize_t r = recv(fd, (char *)&rep + got, sizeof rep - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            /* the process wrote its image under this name; what it left is useless */
            char tmp[sizeof req.path + 32];
            snprintf(tmp, sizeof tmp, "%s.tmp.%ld", req.path, pid);
            unlink(tmp);
            return say("process %ld ended before its image was complete; no image at %s", pid,
                       req.path);
        }
        got += (size_t)r;
    }
    close(fd);
    if (rep.magic != CREST_CONTROL_MAGIC)
        return say("process %ld sent a malformed reply", pid);
    if (rep.error)
        return say("process %ld: %s", pid, rep.message);
    if (mode == CREST_MODE_TERM)
        wait_gone((pid_t)pid);
    if (mode == CREST_MODE_STOP)
        wait_stopped((pid_t)pid);
    double secs = (double)rep.nanoseconds / 1e9;
    printf("%s: %.1f MiB in %.3f s (%.2f GiB/s), %u threads, stopped after %.1f ms%s\n",
           req.path, (double)rep.bytes / (1 << 20), secs,
           secs > 0 ? (double)rep.bytes / (1 << 30) / secs : 0.0, rep.threads,
           (double)rep.quiesce_nanoseconds / 1e6,
           mode == CREST_MODE_TERM ? "; process ended" : mode == CREST_MODE_STOP ? "; process stopped" : "");
    return 0;
}
