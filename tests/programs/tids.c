/* tids.c — glibc's thread-id paths after a restart.
 *
 * usage: tids TRIGGER_SECONDS [robust]
 * Before the trigger (TRIGGER_SECONDS after start) the threads wait:
 *   A holds a recursive mutex (locked twice) and waits on a condition;
 *   B holds an error-checking mutex and waits on the same condition;
 *   C sleeps in a nanosleep loop until a SIGUSR1 handler has run in it;
 *   D and E wait on a barrier with the main thread;
 *   (robust) G holds a robust mutex and waits on the condition;
 *   the main thread sleeps in a nanosleep loop.
 * After the trigger every thread checks return codes of mutex operations,
 * pthread_kill, raise, barrier, pthread_join, pthread_self/pthread_equal,
 * sched_getcpu, (robust) owner-died detection.  An "ok" line goes to stdout
 * for each check that holds; a failed check writes "FAIL ..." to stderr and
 * makes the exit status 1.
 *
 * First thing, it writes "crest-test: program started" on stderr: a process
 * restarted from an image resumes and must not write it again. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m_rec, m_err, m_robust_held, m_robust_new;
static pthread_mutex_t ctl = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ctl_cond = PTHREAD_COND_INITIALIZER;
static int ready, phase;
static pthread_barrier_t bar;
static pthread_t th_a, th_b, th_c, th_d, th_e, th_g, main_self;
static volatile sig_atomic_t c_got_usr1;
static pthread_t usr1_self, usr2_self;
static pid_t usr1_tid, usr2_tid;
static int failures;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

/* Each thread collects its "ok" lines in its own log; the main thread prints
 * the logs in a fixed order, so stdout does not depend on scheduling. */
struct log {
    char text[4096];
    size_t len;
};
static struct log log_main, log_a, log_b, log_c, log_d, log_e, log_f, log_g, log_h;
static __thread struct log *my_log = &log_main;

static void flush_log(struct log *l)
{
    fwrite(l->text, 1, l->len, stdout);
    l->len = 0;
}

static pid_t tid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

static void check(int cond, const char *name, const char *fmt, ...)
{
    pthread_mutex_lock(&out_lock);
    if (cond) {
        struct log *l = my_log;
        int n = snprintf(l->text + l->len, sizeof l->text - l->len, "ok %s\n", name);
        if (n > 0 && (size_t)n < sizeof l->text - l->len)
            l->len += (size_t)n;
    } else {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "FAIL %s: ", name);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        failures++;
    }
    pthread_mutex_unlock(&out_lock);
}

static const char *err(int e)
{
    switch (e) {
    case 0: return "0";
    case EBUSY: return "EBUSY";
    case EPERM: return "EPERM";
    case EDEADLK: return "EDEADLK";
    case EOWNERDEAD: return "EOWNERDEAD";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ESRCH: return "ESRCH";
    case EINVAL: return "EINVAL";
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
    default: return strerror(e);
    }
}

static void mark_ready(void)
{
    pthread_mutex_lock(&ctl);
    ready++;
    pthread_cond_broadcast(&ctl_cond);
    pthread_mutex_unlock(&ctl);
}

static void wait_phase(int p)
{
    pthread_mutex_lock(&ctl);
    while (phase < p)
        pthread_cond_wait(&ctl_cond, &ctl);
    pthread_mutex_unlock(&ctl);
}

static void *thread_a(void *arg)
{
    (void)arg;
    my_log = &log_a;
    int r1 = pthread_mutex_lock(&m_rec), r2 = pthread_mutex_lock(&m_rec);
    mark_ready();
    wait_phase(1);
    int u1 = pthread_mutex_unlock(&m_rec), u2 = pthread_mutex_unlock(&m_rec);
    int u3 = pthread_mutex_unlock(&m_rec);
    check(r1 == 0 && r2 == 0, "recursive lock twice", "%s %s", err(r1), err(r2));
    check(u1 == 0 && u2 == 0, "recursive unlock twice by the holder", "%s %s", err(u1), err(u2));
    check(u3 == EPERM, "recursive unlock when not held is EPERM", "%s", err(u3));
    return (void *)1;
}

static void *thread_b(void *arg)
{
    (void)arg;
    my_log = &log_b;
    int r1 = pthread_mutex_lock(&m_err);
    mark_ready();
    wait_phase(1);
    int r2 = pthread_mutex_lock(&m_err);
    int u1 = pthread_mutex_unlock(&m_err), u2 = pthread_mutex_unlock(&m_err);
    check(r1 == 0, "errorcheck lock", "%s", err(r1));
    check(r2 == EDEADLK, "errorcheck relock by the holder is EDEADLK", "%s", err(r2));
    check(u1 == 0, "errorcheck unlock by the holder", "%s", err(u1));
    check(u2 == EPERM, "errorcheck unlock when not held is EPERM", "%s", err(u2));
    return (void *)2;
}

static void on_usr1(int sig)
{
    (void)sig;
    usr1_self = pthread_self();
    usr1_tid = tid();
    c_got_usr1 = 1;
}

static void on_usr2(int sig)
{
    (void)sig;
    usr2_self = pthread_self();
    usr2_tid = tid();
}

static void *thread_c(void *arg)
{
    my_log = arg;
    mark_ready();
    struct timespec ts = {0, 10 * 1000 * 1000};
    long naps = 0;
    while (!c_got_usr1 && naps < 6000) { /* at most about a minute */
        nanosleep(&ts, NULL);
        naps++;
    }
    check(c_got_usr1, "pthread_kill delivered", "no SIGUSR1 within a minute");
    if (c_got_usr1) {
        check(pthread_equal(usr1_self, pthread_self()), "pthread_kill handler ran in the target",
              "handler ran in another thread");
        check(usr1_tid == tid(), "pthread_kill handler tid", "handler tid %d, thread tid %d",
              (int)usr1_tid, (int)tid());
    }
    return (void *)3;
}

static void *thread_de(void *arg)
{
    long which = (long)arg;
    my_log = which == 4 ? &log_d : &log_e;
    mark_ready();
    int r = pthread_barrier_wait(&bar);
    pthread_t me = which == 4 ? th_d : th_e;
    check(r == 0 || r == PTHREAD_BARRIER_SERIAL_THREAD, which == 4 ? "barrier D" : "barrier E",
          "%s", err(r));
    check(pthread_equal(pthread_self(), me), which == 4 ? "pthread_self D" : "pthread_self E",
          "pthread_self differs from the handle pthread_create gave");
    return (void *)(which + (r == PTHREAD_BARRIER_SERIAL_THREAD ? 100 : 0));
}

static void *thread_g(void *arg)
{
    (void)arg;
    my_log = &log_g;
    int r = pthread_mutex_lock(&m_robust_held);
    check(r == 0, "robust lock", "%s", err(r));
    mark_ready();
    wait_phase(1);
    return (void *)7; /* exits holding m_robust_held */
}

static void *thread_f(void *arg)
{
    (void)arg;
    my_log = &log_f;
    int r = pthread_mutex_lock(&m_robust_new);
    check(r == 0, "robust lock in a new thread", "%s", err(r));
    return (void *)6; /* exits holding m_robust_new */
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void init_mutex(pthread_mutex_t *m, int type, int robust)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, type);
    if (robust)
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
}

static int join_expect(pthread_t t, long want, const char *name)
{
    void *ret = NULL;
    int r = pthread_join(t, &ret);
    check(r == 0 && (long)ret == want, name, "pthread_join %s, value %ld (want %ld)", err(r),
          (long)ret, want);
    return r;
}

int main(int argc, char **argv)
{
    fputs("crest-test: program started\n", stderr); /* a resumed process never says this */
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "robust") != 0)) {
        fprintf(stderr, "usage: tids TRIGGER_SECONDS [robust]\n");
        return 2;
    }
    double trigger = now() + strtod(argv[1], NULL);
    int robust = argc == 3;
    main_self = pthread_self();
    init_mutex(&m_rec, PTHREAD_MUTEX_RECURSIVE, 0);
    init_mutex(&m_err, PTHREAD_MUTEX_ERRORCHECK, 0);
    init_mutex(&m_robust_held, PTHREAD_MUTEX_ERRORCHECK, 1);
    init_mutex(&m_robust_new, PTHREAD_MUTEX_NORMAL, 1);
    pthread_barrier_init(&bar, NULL, 3);
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, on_usr2);

    int nthreads = 5 + robust;
    if (pthread_create(&th_a, NULL, thread_a, NULL) || pthread_create(&th_b, NULL, thread_b, NULL) ||
        pthread_create(&th_c, NULL, thread_c, &log_c) ||
        pthread_create(&th_d, NULL, thread_de, (void *)4) ||
        pthread_create(&th_e, NULL, thread_de, (void *)5) ||
        (robust && pthread_create(&th_g, NULL, thread_g, NULL))) {
        fprintf(stderr, "pthread_create failed\n");
        return 1;
    }
    pthread_mutex_lock(&ctl);
    while (ready < nthreads)
        pthread_cond_wait(&ctl_cond, &ctl);
    pthread_mutex_unlock(&ctl);

    /* the checkpoints happen here */
    struct timespec nap = {0, 20 * 1000 * 1000};
    while (now() < trigger)
        nanosleep(&nap, NULL);

    check(tid() == getpid(), "main thread tid is the pid", "tid %d pid %d", (int)tid(), (int)getpid());
    check(pthread_equal(pthread_self(), main_self) && !pthread_equal(main_self, th_a),
          "pthread_self main", "pthread_self changed");
    int r = pthread_mutex_trylock(&m_rec);
    check(r == EBUSY, "recursive trylock while A holds it is EBUSY", "%s", err(r));
    r = pthread_mutex_trylock(&m_err);
    check(r == EBUSY, "errorcheck trylock while B holds it is EBUSY", "%s", err(r));
    r = pthread_mutex_unlock(&m_err);
    check(r == EPERM, "errorcheck unlock by a non-holder is EPERM", "%s", err(r));

    pthread_mutex_lock(&ctl);
    phase = 1;
    pthread_cond_broadcast(&ctl_cond);
    pthread_mutex_unlock(&ctl);

    join_expect(th_a, 1, "join A");
    join_expect(th_b, 2, "join B");
    flush_log(&log_main);
    flush_log(&log_a);
    flush_log(&log_b);
    int l1 = pthread_mutex_lock(&m_rec), l2 = pthread_mutex_lock(&m_rec);
    int u1 = pthread_mutex_unlock(&m_rec), u2 = pthread_mutex_unlock(&m_rec);
    check(l1 == 0 && l2 == 0 && u1 == 0 && u2 == 0, "recursive lock/unlock twice by main",
          "%s %s %s %s", err(l1), err(l2), err(u1), err(u2));
    l1 = pthread_mutex_lock(&m_err);
    l2 = pthread_mutex_lock(&m_err);
    u1 = pthread_mutex_unlock(&m_err);
    check(l1 == 0 && l2 == EDEADLK && u1 == 0, "errorcheck lock/relock/unlock by main", "%s %s %s",
          err(l1), err(l2), err(u1));

    r = pthread_kill(th_c, SIGUSR1);
    check(r == 0, "pthread_kill returns 0", "%s", err(r));
    join_expect(th_c, 3, "join C");
    flush_log(&log_c);

    r = raise(SIGUSR2);
    check(r == 0 && pthread_equal(usr2_self, main_self) && usr2_tid == tid(), "raise in main",
          "raise %d, handler in main %d, handler tid %d main tid %d", r,
          pthread_equal(usr2_self, main_self) != 0, (int)usr2_tid, (int)tid());
    r = pthread_kill(pthread_self(), 0);
    check(r == 0, "pthread_kill self signal 0", "%s", err(r));

    r = pthread_barrier_wait(&bar);
    int serial = r == PTHREAD_BARRIER_SERIAL_THREAD;
    check(r == 0 || serial, "barrier main", "%s", err(r));
    void *rd = NULL, *re = NULL;
    int jd = pthread_join(th_d, &rd), je = pthread_join(th_e, &re);
    serial += (long)rd > 100;
    serial += (long)re > 100;
    check(jd == 0 && je == 0 && (long)rd % 100 == 4 && (long)re % 100 == 5, "join D and E",
          "%s %s %ld %ld", err(jd), err(je), (long)rd, (long)re);
    check(serial == 1, "exactly one barrier serial thread", "%d", serial);
    flush_log(&log_main);
    flush_log(&log_d);
    flush_log(&log_e);

    r = pthread_join(pthread_self(), NULL);
    check(r == EDEADLK, "join self is EDEADLK", "%s", err(r));

    cpu_set_t orig, one;
    if (sched_getaffinity(0, sizeof orig, &orig) == 0) {
        int good = 1, tried = 0;
        for (int cpu = 0; cpu < CPU_SETSIZE && tried < 2; cpu++) {
            if (!CPU_ISSET(cpu, &orig))
                continue;
            tried++;
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            if (sched_setaffinity(0, sizeof one, &one) != 0)
                continue;
            sched_yield();
            int got = sched_getcpu();
            if (got != cpu) {
                fprintf(stderr, "sched_getcpu %d on cpu %d\n", got, cpu);
                good = 0;
            }
        }
        sched_setaffinity(0, sizeof orig, &orig);
        check(good, "sched_getcpu follows the cpu", "see above");
    }

    if (robust) {
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += 5;
        join_expect(th_g, 7, "join G");
        flush_log(&log_g);
        r = pthread_mutex_timedlock(&m_robust_held, &dl);
        check(r == EOWNERDEAD, "robust mutex held across the checkpoint: owner died", "%s", err(r));
        if (r == EOWNERDEAD) {
            r = pthread_mutex_consistent(&m_robust_held);
            int u = pthread_mutex_unlock(&m_robust_held);
            check(r == 0 && u == 0, "robust consistent and unlock", "%s %s", err(r), err(u));
        }
        pthread_t th_f;
        if (pthread_create(&th_f, NULL, thread_f, NULL) == 0) {
            join_expect(th_f, 6, "join F");
            flush_log(&log_main);
            flush_log(&log_f);
            clock_gettime(CLOCK_REALTIME, &dl);
            dl.tv_sec += 5;
            r = pthread_mutex_timedlock(&m_robust_new, &dl);
            check(r == EOWNERDEAD, "robust mutex of a thread created after: owner died", "%s",
                  err(r));
        } else {
            check(0, "pthread_create after the trigger", "failed");
        }
    }

    /* a thread created now gets a fresh tid; signal it and join it */
    pthread_t th_h;
    c_got_usr1 = 0;
    r = pthread_create(&th_h, NULL, thread_c, &log_h);
    check(r == 0, "pthread_create after the trigger", "%s", err(r));
    if (r == 0) {
        pthread_mutex_lock(&ctl);
        while (ready < nthreads + 1)
            pthread_cond_wait(&ctl_cond, &ctl);
        pthread_mutex_unlock(&ctl);
        r = pthread_kill(th_h, SIGUSR1);
        check(r == 0, "pthread_kill new thread", "%s", err(r));
        join_expect(th_h, 3, "join new thread");
        flush_log(&log_main);
        flush_log(&log_h);
    }
    flush_log(&log_main);
    fflush(stdout);
    if (failures) {
        fprintf(stderr, "tids: %d checks failed\n", failures);
        return 1;
    }
    printf("tids done\n");
    return 0;
}
