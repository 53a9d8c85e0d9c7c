/* restore_kernel_fds.c — eventfd, timerfd, signalfd and epoll descriptors
 * rebuilt after a restart from what /proc/PID/fdinfo said of them at the
 * checkpoint: the counter, the timer's remaining time and interval, the
 * signal mask, the watched descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "libcrest_internal.h"

/* The text after "key" in info, or NULL. */
static const char *after(const char *info, const char *key)
{
    const char *p = strstr(info, key);
    return p ? p + strlen(key) : NULL;
}

static int rebuild_eventfd(const struct crest_rec_fd *f, const char *info)
{
    const char *count = after(info, "eventfd-count:");
    const char *sem = after(info, "eventfd-semaphore:");
    uint64_t value = count ? strtoull(count, NULL, 16) : 0;
    int flags = EFD_CLOEXEC | ((f->open_flags & O_NONBLOCK) ? EFD_NONBLOCK : 0) |
                (sem && atoi(sem) ? EFD_SEMAPHORE : 0);
    int fd = eventfd(0, flags);
    if (fd >= 0 && value && write(fd, &value, sizeof value) != (ssize_t)sizeof value) {
        close(fd);
        return -1;
    }
    return fd;
}

static int rebuild_timerfd(const struct crest_rec_fd *f, const char *info)
{
    const char *clock = after(info, "clockid:");
    const char *value = after(info, "it_value: (");
    const char *interval = after(info, "it_interval: (");
    if (!clock || !value || !interval)
        return -1;
    int fd = timerfd_create(atoi(clock), TFD_CLOEXEC | ((f->open_flags & O_NONBLOCK) ? TFD_NONBLOCK : 0));
    if (fd < 0)
        return -1;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    sscanf(value, "%ld, %ld", &its.it_value.tv_sec, &its.it_value.tv_nsec);
    sscanf(interval, "%ld, %ld", &its.it_interval.tv_sec, &its.it_interval.tv_nsec);
    /* the time it had left, from now; an expiry not yet read comes again soon */
    if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
        its.it_value = its.it_interval;
    if ((its.it_value.tv_sec || its.it_value.tv_nsec) && timerfd_settime(fd, 0, &its, NULL)) {
        close(fd);
        return -1;
    }
    return fd;
}

static int rebuild_signalfd(const struct crest_rec_fd *f, const char *info)
{
    const char *mask = after(info, "sigmask:");
    if (!mask)
        return -1;
    uint64_t bits = strtoull(mask, NULL, 16);
    sigset_t set;
    sigemptyset(&set);
    for (int sig = 1; sig <= 64; sig++)
        if (bits & (1ull << (sig - 1)))
            sigaddset(&set, sig);
    return signalfd(-1, &set, SFD_CLOEXEC | ((f->open_flags & O_NONBLOCK) ? SFD_NONBLOCK : 0));
}

int crest_rebuild_kernel_fd(const struct crest_rec_fd *f, const char *path, const char *info)
{
    if (!info)
        return -1;
    if (!strcmp(path, "anon_inode:[eventfd]"))
        return rebuild_eventfd(f, info);
    if (!strcmp(path, "anon_inode:[timerfd]"))
        return rebuild_timerfd(f, info);
    if (!strcmp(path, "anon_inode:[signalfd]"))
        return rebuild_signalfd(f, info);
    if (!strcmp(path, "anon_inode:[eventpoll]"))
        return epoll_create1(EPOLL_CLOEXEC); /* its watches come once all fds are back */
    return -1;
}

void crest_fill_epoll(int epfd, const char *info)
{
    for (const char *p = info; (p = strstr(p, "tfd:")); p++) {
        int tfd;
        unsigned events;
        unsigned long long data;
        if (sscanf(p, "tfd: %d events: %x data: %llx", &tfd, &events, &data) != 3)
            continue;
        struct epoll_event ev = {.events = events, .data.u64 = data};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev) && errno != EEXIST)
            crest_warn("epoll fd %d cannot watch fd %d again: %s", epfd, tfd,
                       strerrordesc_np(errno));
    }
}
