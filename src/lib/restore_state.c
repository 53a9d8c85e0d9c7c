/* restore_state.c — what the manager brings back after a restart, in the
 * restored process itself with the C library working: open files (pipes and
 * kernel objects included), the working directory, umask, interval and POSIX
 * timers, pending signals.  Memory, threads and signal handlers are already
 * back (the restarter did that). */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../common/image_reader.h"
#include "libcrest_internal.h"

/* An fd whose peer is gone: reads see end-of-file, writes EPIPE. */
static int dead_end(int writable)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
        return -1;
    close(sv[1]);
    if (!writable)
        shutdown(sv[0], SHUT_WR);
    return sv[0];
}

static int reopen(const struct crest_rec_fd *f, const char *path)
{
    int flags = (int)f->open_flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY);
    switch (f->kind) {
    case CREST_FD_FILE: {
        int fd = open(path, flags | O_NOCTTY);
        if (fd < 0) {
            crest_warn("cannot reopen fd %d (%s): %s; it now reads end-of-file", f->fd, path,
                       strerrordesc_np(errno));
            return dead_end(0);
        }
        struct stat st;
        if (!fstat(fd, &st) && (uint64_t)st.st_size != f->size)
            crest_warn("fd %d (%s) changed size since the checkpoint (%llu -> %llu bytes)", f->fd,
                       path, (unsigned long long)f->size, (unsigned long long)st.st_size);
        if (!(f->open_flags & O_APPEND))
            lseek(fd, (off_t)f->offset, SEEK_SET);
        return fd;
    }
    case CREST_FD_DIR:
    case CREST_FD_DEVICE:
    case CREST_FD_TTY: {
        int fd = open(path, flags | O_NOCTTY);
        if (fd < 0 && f->kind == CREST_FD_TTY)
            fd = open("/dev/tty", flags | O_NOCTTY);
        if (fd < 0) {
            crest_warn("cannot reopen fd %d (%s): %s; it now reads end-of-file", f->fd, path,
                       strerrordesc_np(errno));
            return dead_end(0);
        }
        if (f->kind == CREST_FD_DIR)
            lseek(fd, (off_t)f->offset, SEEK_SET);
        return fd;
    }
    case CREST_FD_OTHER:
        crest_warn("fd %d (%s) is a kind of descriptor crest does not restore; it now reads "
             "end-of-file", f->fd, path);
        return dead_end((f->open_flags & O_ACCMODE) != O_RDONLY);
    default:
        crest_warn("fd %d (%s) was connected to a process that is not part of this restart; "
             "it now reads end-of-file", f->fd, path);
        return dead_end((f->open_flags & O_ACCMODE) != O_RDONLY);
    }
}

static void restore_fd(const struct crest_rec_fd *f, const char *path, const char *info,
                       int image_fd)
{
    if (f->fd <= 2)
        return; /* stdin/stdout/stderr are those of `crest restart` */
    if (f->fd == image_fd)
        return; /* cannot happen: the restarter chose a number the image does not use */
    int fd;
    if (f->kind == CREST_FD_OTHER && info) {
        fd = crest_rebuild_kernel_fd(f, path, info);
        if (fd < 0) {
            crest_warn("cannot rebuild fd %d (%s): %s; it now reads end-of-file", f->fd, path,
                       strerrordesc_np(errno));
            fd = dead_end(0);
        }
    } else {
        fd = reopen(f, path);
    }
    if (fd < 0)
        return;
    if (fd != f->fd) {
        if (dup3(fd, f->fd, (f->fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
            crest_warn("cannot place fd %d: %s", f->fd, strerrordesc_np(errno));
        close(fd);
    } else if (!(f->fd_flags & FD_CLOEXEC)) {
        fcntl(fd, F_SETFD, 0);
    }
}

/* Pipes with both ends in the process: made anew, with their contents. */
struct pipe_made {
    uint64_t ino;
    int end[2];
};

static int is_internal_pipe(const struct crest_image *img, uint64_t ino)
{
    int r = 0, w = 0;
    for (size_t i = 0; i < img->nfds; i++) {
        const struct crest_rec_fd *f = img->fds[i].rec;
        if (f->kind == CREST_FD_PIPE && f->ino == ino) {
            if ((f->open_flags & O_ACCMODE) == O_RDONLY)
                r = 1;
            else
                w = 1;
        }
    }
    return r && w;
}

static struct pipe_made *make_pipe(const struct crest_image *img, uint64_t ino, int above,
                                   struct pipe_made *made, size_t *nmade)
{
    for (size_t i = 0; i < *nmade; i++)
        if (made[i].ino == ino)
            return &made[i];
    int p[2];
    if (pipe2(p, O_CLOEXEC))
        return NULL;
    struct pipe_made *m = &made[(*nmade)++];
    m->ino = ino;
    /* above every descriptor still to be placed, so no placement lands on them */
    for (int e = 0; e < 2; e++) {
        m->end[e] = fcntl(p[e], F_DUPFD_CLOEXEC, above);
        close(p[e]);
    }
    for (size_t i = 0; i < img->nfds; i++) {
        const struct crest_rec_fd *f = img->fds[i].rec;
        if (f->kind != CREST_FD_PIPE || f->ino != ino)
            continue;
        if (f->pipe_size)
            fcntl(m->end[1], F_SETPIPE_SZ, (int)f->pipe_size);
        if (f->data_len &&
            write(m->end[1], img->fds[i].data, f->data_len) != (ssize_t)f->data_len)
            crest_warn("fd %d: the %u bytes that were in its pipe could not all be put back", f->fd,
                       f->data_len);
    }
    return m;
}

static void place(int from, const struct crest_rec_fd *f)
{
    if (dup3(from, f->fd, (f->fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
        crest_warn("cannot place fd %d: %s", f->fd, strerrordesc_np(errno));
    else
        fcntl(f->fd, F_SETFL, (int)f->open_flags & (O_NONBLOCK | O_APPEND | O_ASYNC));
}

/* The fdinfo text saved with an eventfd, timerfd, signalfd or epoll
 * descriptor, NUL-terminated in buf; NULL when there is none. */
static const char *kernel_fd_info(const struct crest_image_fd *d, char *buf, size_t len)
{
    if (d->rec->kind != CREST_FD_OTHER || !d->rec->data_len || d->rec->data_len >= len)
        return NULL;
    memcpy(buf, d->data, d->rec->data_len);
    buf[d->rec->data_len] = 0;
    return buf;
}

static void restore_fds(const struct crest_image *img, int image_fd)
{
    static char info[1 << 20]; /* owned by the manager */
    int above = image_fd;
    for (size_t i = 0; i < img->nfds; i++)
        if (img->fds[i].rec->fd > above)
            above = img->fds[i].rec->fd;
    above++;
    struct pipe_made made[256];
    size_t nmade = 0;
    for (size_t i = 0; i < img->nfds; i++) {
        const struct crest_rec_fd *f = img->fds[i].rec;
        if (f->fd <= 2 || f->fd == image_fd || f->dup_of >= 0 ||
            f->fd == crest_rt.restart_info.kept_fd)
            continue; /* stdin/stdout/stderr and the runtime's socket are those of
                         `crest restart`; dups below */
        if (f->kind == CREST_FD_PIPE && nmade < 256 && is_internal_pipe(img, f->ino)) {
            struct pipe_made *m = make_pipe(img, f->ino, above, made, &nmade);
            if (m)
                place(m->end[(f->open_flags & O_ACCMODE) != O_RDONLY], f);
            continue;
        }
        restore_fd(f, img->fds[i].path, kernel_fd_info(&img->fds[i], info, sizeof info),
                   image_fd);
    }
    for (size_t i = 0; i < nmade; i++) {
        close(made[i].end[0]);
        close(made[i].end[1]);
    }
    /* epoll descriptors watch again, now that what they watch is back */
    for (size_t i = 0; i < img->nfds; i++) {
        const struct crest_rec_fd *f = img->fds[i].rec;
        if (f->fd > 2 && f->dup_of < 0 && !strcmp(img->fds[i].path, "anon_inode:[eventpoll]") &&
            kernel_fd_info(&img->fds[i], info, sizeof info))
            crest_fill_epoll(f->fd, info);
    }
    /* dups share the open file (and its offset) with a lower descriptor */
    for (size_t i = 0; i < img->nfds; i++) {
        const struct crest_rec_fd *f = img->fds[i].rec;
        if (f->fd > 2 && f->fd != image_fd && f->dup_of >= 0 &&
            f->fd != crest_rt.restart_info.kept_fd &&
            dup3(f->dup_of, f->fd, (f->fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
            crest_warn("cannot place fd %d (a dup of fd %d): %s", f->fd, f->dup_of, strerrordesc_np(errno));
    }
}

/* The tid a thread has now, from the tid it had at the checkpoint: the
 * restarter wrote each thread's new tid into its glibc descriptor. */
static pid_t tid_now(pid_t then)
{
    int n = atomic_load(&crest_rt.slots_used);
    for (int i = 0; i < n && i < CREST_MAX_THREADS; i++) {
        const struct crest_rec_thread *t = &crest_rt.slots[i].rec;
        if (t->tid == then)
            return t->role == CREST_THREAD_MAIN ? getpid()
                   : crest_rt.tid_offset >= 0 ? *(volatile pid_t *)(t->fs_base + (uint64_t)crest_rt.tid_offset)
                                              : 0;
    }
    return 0;
}

#define PR_TIMER_CREATE_RESTORE_IDS 77 /* Linux 6.17: timer_create takes the id asked for */

/* POSIX timers come back under the ids the program holds. */
static void restore_timers(const struct crest_image *img)
{
    if (!img->ntimers)
        return;
    if (prctl(PR_TIMER_CREATE_RESTORE_IDS, 1, 0, 0, 0)) {
        crest_warn("this kernel cannot give timers back their ids (%s); %zu POSIX timer(s) are lost",
             strerrordesc_np(errno), img->ntimers);
        return;
    }
    for (size_t i = 0; i < img->ntimers; i++) {
        const struct crest_rec_timer *t = img->timers[i];
        struct sigevent sev;
        memset(&sev, 0, sizeof sev);
        sev.sigev_notify = t->notify;
        sev.sigev_signo = t->signo;
        sev.sigev_value.sival_ptr = (void *)(uintptr_t)t->sigval;
        if (t->notify & SIGEV_THREAD_ID) {
            sev._sigev_un._tid = tid_now(t->target_tid);
            if (!sev._sigev_un._tid) {
                crest_warn("POSIX timer %d notified thread %d, which is gone; it is lost", t->id,
                     t->target_tid);
                continue;
            }
        }
        int id = t->id;
        if (syscall(SYS_timer_create, t->clockid, &sev, &id) || id != t->id) {
            crest_warn("cannot re-create POSIX timer %d: %s", t->id, strerrordesc_np(errno));
            continue;
        }
        struct itimerspec its = {{t->interval_s, t->interval_ns}, {t->value_s, t->value_ns}};
        if (!its.it_value.tv_sec && !its.it_value.tv_nsec) /* expired, signal pending */
            its.it_value = its.it_interval;
        if ((its.it_value.tv_sec || its.it_value.tv_nsec) &&
            syscall(SYS_timer_settime, id, 0, &its, NULL))
            crest_warn("cannot re-arm POSIX timer %d: %s", t->id, strerrordesc_np(errno));
    }
    prctl(PR_TIMER_CREATE_RESTORE_IDS, 0, 0, 0, 0);
}

void crest_restore_process_state(void)
{
    struct crest_restart_info *ri = &crest_rt.restart_info;
    struct crest_image img;
    char err[512];
    if (crest_image_open_fd(&img, ri->image_fd, ri->image_path, err, sizeof err)) {
        crest_warn("%s; open files, timers and the working directory are not restored", err);
        close(ri->image_fd);
        return;
    }
    const struct crest_rec_process *proc = img.process;
    struct stat st;
    if (fstat(ri->image_fd, &st) == 0) {
        crest_rt.image_dev = st.st_dev;
        crest_rt.image_ino = st.st_ino;
    }
    restore_fds(&img, ri->image_fd);
    if (img.cwd && chdir(img.cwd))
        crest_warn("cannot enter the working directory %s: %s; it stays %s", img.cwd, strerrordesc_np(errno),
             "where `crest restart` ran");
    umask(proc->umask);
    const struct crest_rec_signals *s = img.signals;
    if (s) {
        for (int which = 0; which < 3; which++) {
            struct itimerval it = {
                {(time_t)s->itimer[which][0], (suseconds_t)s->itimer[which][1]},
                {(time_t)s->itimer[which][2], (suseconds_t)s->itimer[which][3]}};
            /* An expired periodic timer whose signal is still pending reads
             * as value 0: the kernel re-arms it only as the signal is taken.
             * Setting value 0 would disarm it for good. */
            if (!it.it_value.tv_sec && !it.it_value.tv_usec)
                it.it_value = it.it_interval;
            if (it.it_value.tv_sec || it.it_value.tv_usec)
                setitimer(which, &it, NULL);
        }
        /* A pending signal of a POSIX timer comes again from the re-armed
         * timer, with the value it carries; kill() would send it without. */
        uint64_t from_timers = 0;
        for (size_t i = 0; i < img.ntimers; i++)
            if (img.timers[i]->signo >= 1 && img.timers[i]->signo <= 64)
                from_timers |= 1ull << (img.timers[i]->signo - 1);
        for (int sig = 1; sig <= 64; sig++)
            if ((s->pending & ~from_timers & (1ull << (sig - 1))) && sig != crest_rt.signal)
                kill(getpid(), sig);
    }
    restore_timers(&img);
    crest_image_close(&img);
    close(ri->image_fd);
}
