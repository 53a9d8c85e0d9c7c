/* cmd_boot.c — `crest boot HOSTFILE`, `crest halt`: daemons that stay up
 * across jobs, so each mpirun skips starting them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../runtime/local_client.h"
#include "../runtime/loop.h"
#include "../runtime/runtime_dir.h"
#include "commands.h"

static int boot_socket_path(char *path, size_t len)
{
    char dir[256], err[512];
    if (crest_runtime_dir(dir, sizeof dir, err, sizeof err)) {
        fprintf(stderr, "crest: %s\n", err);
        return -1;
    }
    snprintf(path, len, "%s/boot.sock", dir);
    return 0;
}

static int crestd_beside_us(char *buf, size_t len)
{
    const char *env = getenv("CREST_CRESTD");
    if (env && *env) {
        snprintf(buf, len, "%s", env);
        return 0;
    }
    ssize_t n = readlink("/proc/self/exe", buf, len - 8);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *slash = strrchr(buf, '/');
    strcpy(slash + 1, "crestd");
    return 0;
}

int crest_cmd_boot(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: crest boot HOSTFILE\n");
        return 2;
    }
    char hostfile[PATH_MAX], path[300], crestd[PATH_MAX];
    if (!realpath(argv[1], hostfile)) {
        fprintf(stderr, "crest boot: cannot read the hostfile %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (boot_socket_path(path, sizeof path))
        return 1;
    if (crestd_beside_us(crestd, sizeof crestd) || access(crestd, X_OK)) {
        fprintf(stderr, "crest boot: cannot find crestd next to crest (set CREST_CRESTD)\n");
        return 1;
    }
    char log[320];
    snprintf(log, sizeof log, "%.*s/boot.log", (int)(strrchr(path, '/') - path), path);
    int ready[2];
    if (pipe2(ready, O_CLOEXEC)) {
        fprintf(stderr, "crest boot: cannot make a pipe: %s\n", strerror(errno));
        return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        /* The root daemon outlives this command: its own session, stdio
         * to the boot's log. */
        setsid();
        int null = open("/dev/null", O_RDONLY);
        int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (null >= 0)
            dup2(null, 0);
        if (out >= 0) {
            dup2(out, 1);
            dup2(out, 2);
        }
        int fd = dup(ready[1]);
        char fdarg[16];
        snprintf(fdarg, sizeof fdarg, "%d", fd);
        if (fork() > 0)
            _exit(0); /* the daemon is not our child: nothing waits for it */
        execl(crestd, "crestd", "--boot", hostfile, "--ready-fd", fdarg, (char *)NULL);
        dprintf(fd, "cannot run %s: %s\n", crestd, strerror(errno));
        _exit(127);
    }
    close(ready[1]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    char reply[1200];
    size_t got = 0;
    int64_t deadline = crest_now_ms() + 120000;
    while (got < sizeof reply - 1) {
        struct pollfd p = { ready[0], POLLIN, 0 };
        int64_t left = deadline - crest_now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        ssize_t r = read(ready[0], reply + got, sizeof reply - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    reply[got] = 0;
    char *nl = strchr(reply, '\n');
    if (nl)
        *nl = 0;
    int n;
    if (sscanf(reply, "ok %d", &n) == 1) {
        printf("crest: booted %d host%s; mpirun now uses these daemons until crest halt\n", n, n == 1 ? "" : "s");
        return 0;
    }
    if (reply[0])
        fprintf(stderr, "crest boot: %s\n", reply);
    else
        fprintf(stderr, "crest boot: the root daemon ended without saying why; see its log, %s\n", log);
    return 1;
}

int crest_cmd_halt(int argc, char **argv)
{
    if (argc != 1) {
        fprintf(stderr, "usage: crest halt\n");
        return 2;
    }
    char path[300];
    if (boot_socket_path(path, sizeof path))
        return 1;
    int fd = crest_local_connect(path);
    if (fd < 0) {
        fprintf(stderr, "crest halt: no boot is running (nothing answers at %s)\n", path);
        return 1;
    }
    if (crest_send_message(fd, MSG_HALT, 0, NULL, 0)) {
        fprintf(stderr, "crest halt: cannot talk to the boot's root daemon: %s\n", strerror(errno));
        return 1;
    }
    /* The root daemon closes the connection once the tree is down. */
    struct crest_wire_header h;
    uint8_t *p;
    for (;;) {
        if (crest_read_message(fd, &h, &p, 30000)) {
            if (errno == ECONNRESET)
                break;
            fprintf(stderr, "crest halt: the daemons did not end within 30 s\n");
            return 1;
        }
        if (h.type == MSG_REFUSED) {
            fprintf(stderr, "crest halt: %s\n", (char *)p);
            free(p);
            return 1;
        }
        free(p);
    }
    printf("crest: halted the boot\n");
    return 0;
}
