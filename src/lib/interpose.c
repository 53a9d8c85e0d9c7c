/* interpose.c — wrappers that keep the application from taking libcrest's
 * stop signal away (by a handler or by blocking it), and that keep glibc's
 * mutexes usable by their owner after a restart gave it a new thread id. */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "libcrest_internal.h"

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef int (*sigmask_fn)(int, const sigset_t *, sigset_t *);
typedef int (*mutex_fn)(pthread_mutex_t *);
typedef int (*mutex_timed_fn)(pthread_mutex_t *, const struct timespec *);
typedef int (*cond_wait_fn)(pthread_cond_t *, pthread_mutex_t *);
typedef int (*cond_timedwait_fn)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);

/* Exported, so that they stand in for the C library's functions. */
#define INTERPOSED __attribute__((visibility("default")))

/* The C library's own functions. Each starts as a stand-in that resolves
 * them all (a constructor of another library may lock a mutex before ours
 * runs), so that the wrappers' common path is a flag test and a jump. */
static int lazy_mutex_lock(pthread_mutex_t *m);
static int lazy_mutex_trylock(pthread_mutex_t *m);
static int lazy_mutex_unlock(pthread_mutex_t *m);
static int lazy_mutex_timedlock(pthread_mutex_t *m, const struct timespec *t);
static int lazy_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
static int lazy_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t);

typedef int (*close_fn)(int);
typedef int (*close_range_fn)(unsigned, unsigned, int);
typedef int (*dup3_fn)(int, int, int);
static close_fn real_close;
static close_range_fn real_close_range;
static dup3_fn real_dup3;
static sigaction_fn real_sigaction;
static sigmask_fn real_sigprocmask, real_pthread_sigmask;
static mutex_fn real_mutex_lock = lazy_mutex_lock, real_mutex_trylock = lazy_mutex_trylock,
                real_mutex_unlock = lazy_mutex_unlock;
static mutex_timed_fn real_mutex_timedlock = lazy_mutex_timedlock;
static cond_wait_fn real_cond_wait = lazy_cond_wait;
static cond_timedwait_fn real_cond_timedwait = lazy_cond_timedwait;

/* What the application asked for our signal; it believes it holds it. */
static struct sigaction app_action;

#define MAX_OLD_TIDS 8
/* This thread's tids before each restart (newest last). */
static __thread int32_t old_tids[MAX_OLD_TIDS] CREST_TLS;
static __thread int nold_tids CREST_TLS;

static void *next_symbol(const char *name, const char *version)
{
    void *p = version ? dlvsym(RTLD_NEXT, name, version) : NULL;
    p = p ? p : dlsym(RTLD_NEXT, name);
    if (!p) {
        static const char msg[] = "crest: the C library lacks a function libcrest needs\n";
        write(2, msg, sizeof msg - 1);
        _exit(127);
    }
    return p;
}

void crest_interpose_init(void)
{
    real_close = (close_fn)next_symbol("close", NULL);
    real_close_range = (close_range_fn)next_symbol("close_range", NULL);
    real_dup3 = (dup3_fn)next_symbol("dup3", NULL);
    real_sigaction = (sigaction_fn)next_symbol("sigaction", NULL);
    real_sigprocmask = (sigmask_fn)next_symbol("sigprocmask", NULL);
    real_pthread_sigmask = (sigmask_fn)next_symbol("pthread_sigmask", NULL);
    real_mutex_lock = (mutex_fn)next_symbol("pthread_mutex_lock", NULL);
    real_mutex_trylock = (mutex_fn)next_symbol("pthread_mutex_trylock", NULL);
    real_mutex_unlock = (mutex_fn)next_symbol("pthread_mutex_unlock", NULL);
    real_mutex_timedlock = (mutex_timed_fn)next_symbol("pthread_mutex_timedlock", NULL);
    /* the 2.3.2 versions are the ones a program built today links against */
    real_cond_wait = (cond_wait_fn)next_symbol("pthread_cond_wait", "GLIBC_2.3.2");
    real_cond_timedwait = (cond_timedwait_fn)next_symbol("pthread_cond_timedwait", "GLIBC_2.3.2");
}

static int lazy_mutex_lock(pthread_mutex_t *m)
{
    crest_interpose_init();
    return real_mutex_lock(m);
}

static int lazy_mutex_trylock(pthread_mutex_t *m)
{
    crest_interpose_init();
    return real_mutex_trylock(m);
}

static int lazy_mutex_unlock(pthread_mutex_t *m)
{
    crest_interpose_init();
    return real_mutex_unlock(m);
}

static int lazy_mutex_timedlock(pthread_mutex_t *m, const struct timespec *t)
{
    crest_interpose_init();
    return real_mutex_timedlock(m, t);
}

static int lazy_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    crest_interpose_init();
    return real_cond_wait(c, m);
}

static int lazy_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t)
{
    crest_interpose_init();
    return real_cond_timedwait(c, m, t);
}

int crest_real_sigaction(int sig, const struct sigaction *sa, struct sigaction *old)
{
    if (!real_sigaction)
        crest_interpose_init();
    return real_sigaction(sig, sa, old);
}

static int is_ours(int sig)
{
    return crest_rt.active && sig == crest_rt.signal;
}

INTERPOSED int sigaction(int sig, const struct sigaction *sa, struct sigaction *old)
{
    if (!real_sigaction)
        crest_interpose_init();
    if (!is_ours(sig))
        return real_sigaction(sig, sa, old);
    if (old)
        *old = app_action;
    if (sa)
        app_action = *sa;
    return 0;
}

INTERPOSED sighandler_t signal(int sig, sighandler_t handler)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    if (sigaction(sig, &sa, &old))
        return SIG_ERR;
    return old.sa_handler;
}

static const sigset_t *without_ours(int how, const sigset_t *set, sigset_t *copy)
{
    if (!set || !crest_rt.active || how == SIG_UNBLOCK || !sigismember(set, crest_rt.signal))
        return set;
    *copy = *set;
    sigdelset(copy, crest_rt.signal);
    return copy;
}

INTERPOSED int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    sigset_t copy;
    if (!real_sigprocmask)
        crest_interpose_init();
    return real_sigprocmask(how, without_ours(how, set, &copy), old);
}

INTERPOSED int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    sigset_t copy;
    if (!real_pthread_sigmask)
        crest_interpose_init();
    return real_pthread_sigmask(how, without_ours(how, set, &copy), old);
}

/* ---- libcrest's own descriptors ---- */

/* Programs that close every descriptor they do not know (daemons, shells,
 * MPI launchers) must not take the manager's away: closing one of them
 * is a no-op that reports success, and a dup2 onto one first moves it. */

int crest_own_fd(int fd)
{
    return fd >= 0 && crest_rt.active &&
           (fd == crest_rt.listen_fd || fd == crest_rt.wake_fd[0] || fd == crest_rt.wake_fd[1]);
}

INTERPOSED int close(int fd)
{
    if (!real_close)
        crest_interpose_init();
    if (crest_own_fd(fd))
        return 0;
    return real_close(fd);
}

INTERPOSED int close_range(unsigned first, unsigned last, int flags)
{
    if (!real_close_range)
        crest_interpose_init();
    int own[3] = {crest_rt.listen_fd, crest_rt.wake_fd[0], crest_rt.wake_fd[1]};
    unsigned from = first;
    /* the range minus our descriptors, lowest first */
    for (;;) {
        long next = -1;
        for (int i = 0; i < 3; i++)
            if (crest_own_fd(own[i]) && (unsigned)own[i] >= from && (unsigned)own[i] <= last &&
                (next < 0 || own[i] < next))
                next = own[i];
        if (next < 0)
            return from <= last ? real_close_range(from, last, flags) : 0;
        if ((unsigned)next > from && real_close_range(from, (unsigned)next - 1, flags))
            return -1;
        if ((unsigned)next == last)
            return 0;
        from = (unsigned)next + 1;
    }
}

INTERPOSED void closefrom(int lowfd)
{
    close_range((unsigned)(lowfd < 0 ? 0 : lowfd), ~0u, 0);
}

static void make_room(int newfd)
{
    if (!crest_own_fd(newfd))
        return;
    int moved = fcntl(newfd, F_DUPFD_CLOEXEC, newfd + 1);
    if (moved < 0)
        return;
    if (newfd == crest_rt.listen_fd)
        crest_rt.listen_fd = moved;
    else if (newfd == crest_rt.wake_fd[0])
        crest_rt.wake_fd[0] = moved;
    else
        crest_rt.wake_fd[1] = moved;
}

INTERPOSED int dup2(int oldfd, int newfd)
{
    if (!real_dup3)
        crest_interpose_init();
    if (oldfd == newfd)
        return fcntl(oldfd, F_GETFD) < 0 ? -1 : newfd;
    make_room(newfd);
    return real_dup3(oldfd, newfd, 0);
}

INTERPOSED int dup3(int oldfd, int newfd, int flags)
{
    if (!real_dup3)
        crest_interpose_init();
    make_room(newfd);
    return real_dup3(oldfd, newfd, flags);
}

/* ---- mutex owners after a restart ---- */

void crest_note_new_tid(int32_t old_tid)
{
    if (nold_tids == MAX_OLD_TIDS) {
        memmove(old_tids, old_tids + 1, sizeof old_tids - sizeof old_tids[0]);
        nold_tids--;
    }
    old_tids[nold_tids++] = old_tid;
}

/* A mutex remembers its owner's tid: error-checking and recursive ones in
 * __owner, robust and priority-inheriting ones also in the lock word the
 * kernel reads. One this thread locked before a restart still names its old
 * tid: hand it to the new one before glibc looks. */
#define LOCK_TID_MASK 0x3fffffff
#define KIND_ROBUST 16
#define KIND_PRIO_INHERIT 32

static __attribute__((noinline)) void adopt_mutex(pthread_mutex_t *m)
{
    if (!nold_tids || !m)
        return;
    int owner = __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED);
    int kind = __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED);
    int in_word = kind & (KIND_ROBUST | KIND_PRIO_INHERIT);
    int lock = __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED);
    for (int i = 0; i < nold_tids; i++) {
        int old = old_tids[i];
        if (owner != old && !(in_word && (lock & LOCK_TID_MASK) == old))
            continue;
        /* a thread of this process may have been given the old number since */
        if (syscall(SYS_tgkill, getpid(), old, 0) == 0)
            return;
        int now = (int)syscall(SYS_gettid);
        if (in_word)
            while ((lock & LOCK_TID_MASK) == old &&
                   !__atomic_compare_exchange_n(&m->__data.__lock, &lock,
                                                (lock & ~LOCK_TID_MASK) | now, 0,
                                                __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
                ;
        if (owner == old)
            __atomic_compare_exchange_n(&m->__data.__owner, &owner, now, 0, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED);
        return;
    }
}

/* Runs in front of every mutex call of the program: one test of a flag in
 * the common case. */
static inline void before_mutex_call(pthread_mutex_t *m)
{
    if (__builtin_expect(crest_rt.restart_count != 0, 0))
        adopt_mutex(m);
}

INTERPOSED int pthread_mutex_lock(pthread_mutex_t *m)
{
    before_mutex_call(m);
    return real_mutex_lock(m);
}

INTERPOSED int pthread_mutex_trylock(pthread_mutex_t *m)
{
    before_mutex_call(m);
    return real_mutex_trylock(m);
}

INTERPOSED int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *t)
{
    before_mutex_call(m);
    return real_mutex_timedlock(m, t);
}

INTERPOSED int pthread_mutex_unlock(pthread_mutex_t *m)
{
    before_mutex_call(m);
    return real_mutex_unlock(m);
}

INTERPOSED int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    before_mutex_call(m);
    return real_cond_wait(c, m);
}

INTERPOSED int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t)
{
    before_mutex_call(m);
    return real_cond_timedwait(c, m, t);
}
