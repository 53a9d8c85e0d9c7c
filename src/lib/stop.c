/* stop.c — stopping every other thread of the process for an image, and
 * resuming them: after a continue, or as new threads after a restart.
 *
 * The manager sends each thread the stop signal with tgkill.  The handler
 * records what only the thread itself can see (its TLS base, robust-futex
 * list, signal mask, alternate stack), saves its callee-saved registers and
 * waits on a futex.  The kernel has already saved everything else of the
 * interrupted thread (all registers, FPU/AVX state, signal mask) in the
 * signal frame on the thread's stack, which is part of the image: a restored
 * thread resumes inside this handler and its return runs rt_sigreturn, which
 * brings the rest back exactly. */

#include <asm/prctl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "../common/maps_parse.h"
#include "libcrest_internal.h"

#define STOP_TIMEOUT_MS 10000

static pid_t raw_gettid(void) { return (pid_t)syscall(SYS_gettid); }

static uint64_t fs_base(void)
{
    uint64_t base = 0;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &base);
    return base;
}

/* The robust mutexes a thread holds carry its tid in their lock word; the
 * kernel marks them owner-dead at the thread's exit only if the word names
 * the exiting thread, so they must name the new tid. */
static void renumber_robust_mutex(struct robust_list *item, long futex_offset, pid_t old,
                                  pid_t now)
{
    _Atomic uint32_t *word = (_Atomic uint32_t *)((char *)item + futex_offset);
    uint32_t v = atomic_load(word);
    while ((v & FUTEX_TID_MASK) == (uint32_t)old &&
           !atomic_compare_exchange_weak(word, &v, (v & ~FUTEX_TID_MASK) | (uint32_t)now))
        ;
}

static void renumber_robust_mutexes(const struct crest_rec_thread *t, pid_t now)
{
    struct robust_list_head *head = (struct robust_list_head *)t->robust_head;
    if (!head || t->robust_len != sizeof *head)
        return;
    if (head->list_op_pending)
        renumber_robust_mutex(head->list_op_pending, head->futex_offset, t->tid, now);
    int n = 0; /* a corrupt list must not loop forever */
    for (struct robust_list *e = head->list.next; e && e != &head->list && n < 4096;
         e = e->next, n++)
        renumber_robust_mutex(e, head->futex_offset, t->tid, now);
}

/* Re-registers what the kernel keeps per thread and a new thread lacks. */
static void reattach_kernel_thread_state(const struct crest_rec_thread *t)
{
    renumber_robust_mutexes(t, raw_gettid());
    if (t->robust_head)
        syscall(SYS_set_robust_list, (void *)t->robust_head, (size_t)t->robust_len);
    if (__rseq_size > 0) {
        /* glibc registered an rseq area for this thread; the kernel of the
         * new thread knows nothing of it. The signature is glibc's. */
        void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
        ((struct rseq *)area)->cpu_id = RSEQ_CPU_ID_UNINITIALIZED;
        syscall(SYS_rseq, area, crest_rseq_registered_size(), 0, RSEQ_SIG);
    }
}

/* A handler makes the kernel end some blocking calls with EINTR instead of
 * restarting them (sleeps, poll, select, epoll_wait, pause, sigsuspend).
 * That stop was ours, not the application's: send the thread back into the
 * call.  glibc loads the call number right before the syscall instruction
 * (mov $nr, %eax; syscall), which is how the call is recognised. */
static void resume_interrupted_call(ucontext_t *uc)
{
    greg_t *g = uc->uc_mcontext.gregs;
    if (g[REG_RAX] != -EINTR)
        return;
    unsigned char code[7];
    struct iovec local = {code, sizeof code};
    struct iovec remote = {(void *)(g[REG_RIP] - (greg_t)sizeof code), sizeof code};
    if (process_vm_readv(crest_rt.pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof code)
        return;
    if (code[0] != 0xb8 || code[5] != 0x0f || code[6] != 0x05)
        return;
    int32_t nr;
    memcpy(&nr, code + 1, 4);
    switch (nr) {
    case SYS_nanosleep:
        if (g[REG_RSI]) /* the kernel left the time still to sleep there */
            g[REG_RDI] = g[REG_RSI];
        break;
    case SYS_clock_nanosleep:
        if (!(g[REG_RSI] & TIMER_ABSTIME) && g[REG_R10])
            g[REG_RDX] = g[REG_R10];
        break;
    case SYS_poll: case SYS_ppoll: case SYS_select: case SYS_pselect6: case SYS_epoll_wait:
    case SYS_epoll_pwait: case SYS_epoll_pwait2: case SYS_pause: case SYS_rt_sigsuspend:
    case SYS_rt_sigtimedwait:
        break;
    default:
        return;
    }
    g[REG_RAX] = nr;
    g[REG_RIP] -= 2;
}

static void stop_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    int saved_errno = errno;
    if (si->si_code != SI_TKILL || si->si_pid != crest_rt.pid ||
        !atomic_load(&crest_rt.stopping)) {
        errno = saved_errno;
        return; /* not a stop request of our manager */
    }
    int32_t index = atomic_fetch_add(&crest_rt.slots_used, 1);
    if (index >= CREST_MAX_THREADS) {
        atomic_fetch_add(&crest_rt.arrived, 1); /* counted, so the manager fails cleanly */
        crest_futex_wake(&crest_rt.arrived);
        while (atomic_load(&crest_rt.gate) == 0)
            crest_futex_wait((_Atomic int32_t *)&crest_rt.gate, 0, -1);
        atomic_fetch_add(&crest_rt.departed, 1);
        errno = saved_errno;
        return;
    }
    struct crest_thread_slot *volatile slot = &crest_rt.slots[index];
    ucontext_t *uc = ucv;
    struct crest_rec_thread *t = &slot->rec;
    memset(t, 0, sizeof *t);
    t->tid = raw_gettid();
    t->role = t->tid == crest_rt.pid ? CREST_THREAD_MAIN : CREST_THREAD_APP;
    t->fs_base = fs_base();
    void *head = NULL;
    size_t len = 0;
    if (syscall(SYS_get_robust_list, 0, &head, &len) == 0) {
        t->robust_head = (uint64_t)head;
        t->robust_len = len;
    }
    memcpy(&t->sigmask, &uc->uc_sigmask, sizeof t->sigmask);
    t->sigaltstack_sp = (uint64_t)uc->uc_stack.ss_sp;
    t->sigaltstack_size = uc->uc_stack.ss_size;
    t->sigaltstack_flags = (uint32_t)uc->uc_stack.ss_flags;

    if (crest_context_save(&slot->rec.ctx) == 0) {
        atomic_fetch_add(&crest_rt.arrived, 1);
        crest_futex_wake(&crest_rt.arrived);
        while (atomic_load(&crest_rt.gate) == 0)
            crest_futex_wait((_Atomic int32_t *)&crest_rt.gate, 0, -1);
    } else {
        /* A new kernel thread in a restored process; the restarter set our
         * TLS base and wrote our new tid into glibc's thread descriptor. */
        crest_note_new_tid(slot->rec.tid);
        reattach_kernel_thread_state(&slot->rec);
        for (int sig = 1; sig <= 64; sig++) /* pending again, until the mask lets them in */
            if (slot->rec.pending & (1ull << (sig - 1)))
                syscall(SYS_tgkill, getpid(), raw_gettid(), sig);
        atomic_fetch_add(&crest_rt.resumed, 1);
        crest_futex_wake(&crest_rt.resumed);
        while (atomic_load(&crest_rt.gate) == 0)
            crest_futex_wait((_Atomic int32_t *)&crest_rt.gate, 0, -1);
    }
    resume_interrupted_call(uc);
    atomic_fetch_add(&crest_rt.departed, 1);
    crest_futex_wake(&crest_rt.departed);
    errno = saved_errno;
}

int crest_stop_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = stop_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask); /* nothing of the app runs on top of a stopping thread */
    return crest_real_sigaction(crest_rt.signal, &sa, NULL);
}

/* Lists the thread ids of this process into tids; returns how many. */
static int list_threads(pid_t *tids, int max)
{
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[4096];
    int n = 0;
    for (;;) {
        long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (got <= 0)
            break;
        for (long off = 0; off < got;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            if (d->d_name[0] < '0' || d->d_name[0] > '9')
                continue;
            pid_t tid = 0;
            for (const char *p = d->d_name; *p; p++)
                tid = tid * 10 + (*p - '0');
            if (n < max)
                tids[n] = tid;
            n++;
        }
    }
    close(fd);
    return n;
}

static int contains(const pid_t *set, int n, pid_t tid)
{
    for (int i = 0; i < n; i++)
        if (set[i] == tid)
            return 1;
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static pid_t signaled[CREST_MAX_THREADS]; /* owned by the manager */

/* 1 when thread tid sleeps in the kernel in futex(&gate, ...): from then on
 * it changes nothing in memory — neither its stack nor, through rseq, its
 * TLS — until it is released. */
static int parked(pid_t tid, const char *gate_hex)
{
    char path[64], text[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    long n = crest_read_proc_file(path, text, sizeof text - 1);
    if (n <= 0)
        return 0;
    text[n] = 0;
    char want[48];
    snprintf(want, sizeof want, "%d %s ", SYS_futex, gate_hex);
    return strncmp(text, want, strlen(want)) == 0;
}

/* A thread counted as arrived still runs a few instructions before it sleeps
 * on the gate; the image may be written only once every one sleeps. */
static int wait_until_parked(char *err, size_t errlen)
{
    char gate_hex[24];
    snprintf(gate_hex, sizeof gate_hex, "0x%lx", (unsigned long)&crest_rt.gate);
    int n = atomic_load(&crest_rt.slots_used);
    int64_t deadline = now_ms() + STOP_TIMEOUT_MS;
    char path[64], status[4096];
    for (int i = 0; i < n; i++) {
        pid_t tid = crest_rt.slots[i].rec.tid;
        /* signals only this thread has pending (blocked by its mask) */
        snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
        long len = crest_read_proc_file(path, status, sizeof status - 1);
        status[len > 0 ? len : 0] = 0;
        crest_rt.slots[i].rec.pending =
            crest_status_hex(status, "\nSigPnd:") & ~(1ull << (crest_rt.signal - 1));
        for (int spins = 0; !parked(tid, gate_hex); spins++) {
            if (now_ms() > deadline) {
                snprintf(err, errlen, "thread %d did not come to rest within %d s", (int)tid,
                         STOP_TIMEOUT_MS / 1000);
                return -1;
            }
            if (spins < 100)
                sched_yield();
            else
                usleep(1000);
        }
    }
    return 0;
}

int crest_stop_threads(char *err, size_t errlen)
{
    pid_t tids[CREST_MAX_THREADS];
    int nsignaled = 0;
    atomic_store(&crest_rt.gate, 0);
    atomic_store(&crest_rt.slots_used, 0);
    atomic_store(&crest_rt.arrived, 0);
    atomic_store(&crest_rt.departed, 0);
    atomic_store(&crest_rt.resumed, 0);
    atomic_store(&crest_rt.stopping, 1);
    /* Threads can start threads until they are stopped: list again until a
     * listing brings no new thread. */
    for (int round = 0;; round++) {
        int n = list_threads(tids, CREST_MAX_THREADS);
        if (n < 0 || n > CREST_MAX_THREADS) {
            snprintf(err, errlen, n < 0 ? "cannot list the threads of the process"
                                        : "the process has more than %d threads",
                     CREST_MAX_THREADS);
            goto fail;
        }
        int fresh = 0;
        for (int i = 0; i < n; i++) {
            if (tids[i] == crest_rt.manager_tid || contains(signaled, nsignaled, tids[i]))
                continue;
            if (syscall(SYS_tgkill, crest_rt.pid, tids[i], crest_rt.signal) == 0) {
                signaled[nsignaled++] = tids[i];
                fresh++;
            }
        }
        if (!fresh && round > 0)
            break;
        int64_t deadline = now_ms() + STOP_TIMEOUT_MS;
        for (;;) {
            int32_t got = atomic_load(&crest_rt.arrived);
            if (got >= nsignaled)
                break;
            if (now_ms() > deadline) {
                /* A thread that exited after the signal never arrives. */
                int alive = 0;
                pid_t late = 0;
                n = list_threads(tids, CREST_MAX_THREADS);
                for (int i = 0; i < nsignaled; i++)
                    if (contains(tids, n, signaled[i]))
                        alive++, late = signaled[i];
                if (got >= alive)
                    break;
                snprintf(err, errlen,
                         "thread %d did not stop within %d s (does it block signal %d? "
                         "set CREST_SIGNAL to a signal it leaves open)",
                         (int)late, STOP_TIMEOUT_MS / 1000, crest_rt.signal);
                goto fail;
            }
            crest_futex_wait(&crest_rt.arrived, got, 100);
        }
    }
    if (atomic_load(&crest_rt.slots_used) > CREST_MAX_THREADS) {
        snprintf(err, errlen, "the process has more than %d threads", CREST_MAX_THREADS);
        goto fail;
    }
    if (wait_until_parked(err, errlen))
        goto fail;
    return 0;
fail:
    crest_release_threads();
    return -1;
}

static void wait_departed(int32_t count)
{
    int32_t got;
    while ((got = atomic_load(&crest_rt.departed)) < count)
        crest_futex_wait(&crest_rt.departed, got, 100);
}

void crest_release_threads(void)
{
    int32_t count = atomic_load(&crest_rt.arrived);
    atomic_store(&crest_rt.stopping, 0);
    atomic_store(&crest_rt.gate, 1);
    crest_futex_wake((_Atomic int32_t *)&crest_rt.gate);
    wait_departed(count);
}

void crest_release_restored_threads(void)
{
    int32_t count = atomic_load(&crest_rt.slots_used);
    if (count > CREST_MAX_THREADS)
        count = CREST_MAX_THREADS;
    int32_t got;
    while ((got = atomic_load(&crest_rt.resumed)) < count)
        crest_futex_wait(&crest_rt.resumed, got, 100);
    atomic_store(&crest_rt.stopping, 0);
    atomic_store(&crest_rt.gate, 2);
    crest_futex_wake((_Atomic int32_t *)&crest_rt.gate);
    wait_departed(count);
}

/* The offset of the tid inside glibc's struct pthread is not public; find
 * it as the first offset where every stopped thread's descriptor (its TLS
 * base on x86-64) holds that thread's tid. */
int crest_find_tid_offset(void)
{
    int n = atomic_load(&crest_rt.slots_used);
    const unsigned char *self = (const unsigned char *)pthread_self();
    pid_t me = raw_gettid();
    for (int off = 0; off < 2048; off += 4) {
        int32_t v;
        memcpy(&v, self + off, 4);
        if (v != me)
            continue;
        int ok = 1;
        for (int i = 0; i < n && ok; i++) {
            memcpy(&v, (const unsigned char *)crest_rt.slots[i].rec.fs_base + off, 4);
            ok = v == crest_rt.slots[i].rec.tid;
        }
        if (ok)
            return off;
    }
    return -1;
}
