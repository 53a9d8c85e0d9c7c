/* runtime_dir.c — the runtime's local sockets and job ids. */
#include "runtime_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/control_protocol.h"

int crest_runtime_dir(char *buf, size_t len, char *err, size_t errlen)
{
    if (crest_control_dir(buf, len)) {
        snprintf(err, errlen, "the runtime directory's path is too long (check CREST_RUNTIME_DIR)");
        return -1;
    }
    if (mkdir(buf, 0700) && errno != EEXIST) {
        snprintf(err, errlen, "cannot create the runtime directory %s: %s", buf, strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(buf, &st) || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "the runtime directory %s is not a directory", buf);
        return -1;
    }
    if (st.st_uid != getuid() || (st.st_mode & 077)) {
        snprintf(err, errlen, "the runtime directory %s must belong to you and have mode 0700 (it has %03o)",
                 buf, (unsigned)(st.st_mode & 0777));
        return -1;
    }
    return 0;
}

int crest_next_job_id(uint32_t *id, char *err, size_t errlen)
{
    char dir[256], path[300];
    if (crest_runtime_dir(dir, sizeof dir, err, errlen))
        return -1;
    snprintf(path, sizeof path, "%s/job-counter", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX)) {
        snprintf(err, errlen, "cannot use the job counter %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char text[32] = { 0 };
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    unsigned long last = n > 0 ? strtoul(text, NULL, 10) : 0;
    if (last >= 999999999ul)
        last = 0;
    *id = (uint32_t)last + 1;
    int len = snprintf(text, sizeof text, "%u\n", *id);
    if (pwrite(fd, text, (size_t)len, 0) != len || ftruncate(fd, len)) {
        snprintf(err, errlen, "cannot update the job counter %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd); /* releases the lock */
    return 0;
}

static int fill_addr(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof a->sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(a->sun_path, path);
    return 0;
}

int crest_local_connect(const char *path)
{
    struct sockaddr_un a;
    if (fill_addr(&a, path))
        return -1;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    if (connect(s, (struct sockaddr *)&a, sizeof a)) {
        int e = errno;
        close(s);
        errno = e;
        return -1;
    }
    return s;
}

int crest_local_listen(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un a;
    if (fill_addr(&a, path)) {
        snprintf(err, errlen, "the socket path %s is too long", path);
        return -1;
    }
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0) {
        snprintf(err, errlen, "cannot make a socket: %s", strerror(errno));
        return -1;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 && listen(s, 64) == 0)
            return s;
        if (errno != EADDRINUSE || attempt)
            break;
        /* Someone's socket is there: in use, or left by a process that died. */
        int probe = crest_local_connect(path);
        if (probe >= 0) {
            close(probe);
            errno = EADDRINUSE;
            break;
        }
        unlink(path);
    }
    snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
    close(s);
    return -1;
}

int crest_local_peer_is_us(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == getuid();
}
