/* signals.c — interval timers, signal handlers, the signal mask, a pending
 * signal and the alternate signal stack, all across a checkpoint.
 *
 * usage: signals WORK_UNITS REAL_TICKS PROF_TICKS [ALARM_BLOCKED_UNITS]
 *        (e.g. 2500 450 600)
 *  - ITIMER_REAL every 10 ms, SIGALRM handler counts ticks and disarms the
 *    timer itself at REAL_TICKS, so the count ends exactly there;
 *  - ITIMER_PROF every 5 ms, SIGPROF handler likewise at PROF_TICKS;
 *  - SIGUSR1 handler (SA_SIGINFO|SA_ONSTACK) on an alternate stack; the
 *    program sends itself SIGUSR1 with raise() and kill() at fixed work
 *    units; the handler checks si_code, si_pid and that it runs on the
 *    alternate stack;
 *  - SIGUSR2 blocked for the whole run and sent once at the start with
 *    kill(getpid()), so it stays pending; unblocked at the end.
 *  - with ALARM_BLOCKED_UNITS: SIGALRM is blocked during the first that many
 *    work units, so the real timer expires once, its SIGALRM stays pending
 *    and the kernel re-arms the timer only when the signal is taken after
 *    the unblocking (a checkpoint in that window sees it_value 0).
 * The program does WORK_UNITS units of computing, then keeps computing until
 * both tick counts are reached, and prints what it counted.
 *
 * First thing, it writes "crest-test: program started" on stderr: a process
 * restarted from an image resumes and must not write it again. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t real_ticks, prof_ticks, usr1_count, usr1_bad, usr2_count;
static int real_limit, prof_limit;
static char *altstack;
#define ALTSTACK_SIZE (256 * 1024)

static void on_alrm(int sig)
{
    (void)sig;
    if (real_ticks < real_limit && ++real_ticks == real_limit) {
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_REAL, &off, NULL);
    }
}

static void on_prof(int sig)
{
    (void)sig;
    if (prof_ticks < prof_limit && ++prof_ticks == prof_limit) {
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_PROF, &off, NULL);
    }
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char here;
    int bad = 0;
    if (sig != SIGUSR1)
        bad = 1;
    if (si->si_code != SI_TKILL && si->si_code != SI_USER)
        bad = 1;
    if (si->si_pid != getpid())
        bad = 1;
    if (&here < altstack || &here >= altstack + ALTSTACK_SIZE)
        bad = 1;
    if (bad)
        usr1_bad++;
    usr1_count++;
}

static void on_usr2(int sig)
{
    (void)sig;
    usr2_count++;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static uint64_t work_unit(uint64_t h)
{
    for (int k = 0; k < 400000; k++)
        h = mix(h + (uint64_t)k);
    return h;
}

static void install(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) {
        perror("sigaction");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    fputs("crest-test: program started\n", stderr); /* a resumed process never says this */
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: signals WORK_UNITS REAL_TICKS PROF_TICKS [ALARM_BLOCKED_UNITS]\n");
        return 2;
    }
    long alarm_blocked = argc == 5 ? strtol(argv[4], NULL, 10) : 0;
    long units = strtol(argv[1], NULL, 10);
    real_limit = atoi(argv[2]);
    prof_limit = atoi(argv[3]);

    altstack = malloc(ALTSTACK_SIZE);
    stack_t ss = {.ss_sp = altstack, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
    if (!altstack || sigaltstack(&ss, NULL) != 0) {
        perror("sigaltstack");
        return 1;
    }
    install(SIGALRM, on_alrm);
    install(SIGPROF, on_prof);
    install(SIGUSR2, on_usr2);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) != 0) {
        perror("sigaction");
        return 1;
    }

    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    if (sigprocmask(SIG_BLOCK, &block, NULL) != 0) {
        perror("sigprocmask");
        return 1;
    }
    kill(getpid(), SIGUSR2);

    struct itimerval real = {{0, 10000}, {0, 10000}}, prof = {{0, 5000}, {0, 5000}};
    if (setitimer(ITIMER_REAL, &real, NULL) != 0 || setitimer(ITIMER_PROF, &prof, NULL) != 0) {
        perror("setitimer");
        return 1;
    }

    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    if (alarm_blocked > 0)
        sigprocmask(SIG_BLOCK, &alrm, NULL);
    int alarm_was_pending = -1;

    uint64_t h = 1;
    int raised = 0, killed = 0;
    for (long u = 0; u < units; u++) {
        if (alarm_blocked > 0 && u == alarm_blocked) {
            sigset_t p;
            sigpending(&p);
            alarm_was_pending = sigismember(&p, SIGALRM) == 1;
            sigprocmask(SIG_UNBLOCK, &alrm, NULL);
        }
        h = work_unit(h);
        if (u % 7 == 3) {
            if (raise(SIGUSR1) != 0) {
                perror("raise");
                return 1;
            }
            raised++;
        }
        if (u % 11 == 5) {
            if (kill(getpid(), SIGUSR1) != 0) {
                perror("kill");
                return 1;
            }
            killed++;
        }
    }
    /* keep the CPU busy until both counts are reached; if that takes long,
     * say on stderr which count is stuck */
    uint64_t spin = 0;
    time_t last = time(NULL);
    while (real_ticks < real_limit || prof_ticks < prof_limit) {
        spin = mix(spin + 1);
        if ((spin & 0xfffff) == 0 && time(NULL) - last >= 5) {
            struct itimerval r, q;
            getitimer(ITIMER_REAL, &r);
            getitimer(ITIMER_PROF, &q);
            fprintf(stderr, "signals: still waiting: real ticks %d/%d (timer value %ld.%06ld "
                            "interval %ld.%06ld), prof ticks %d/%d (value %ld.%06ld)\n",
                    (int)real_ticks, real_limit, (long)r.it_value.tv_sec, (long)r.it_value.tv_usec,
                    (long)r.it_interval.tv_sec, (long)r.it_interval.tv_usec, (int)prof_ticks,
                    prof_limit, (long)q.it_value.tv_sec, (long)q.it_value.tv_usec);
            last = time(NULL);
        }
    }
    (void)spin;

    struct itimerval left;
    getitimer(ITIMER_REAL, &left);
    int real_disarmed = left.it_value.tv_sec == 0 && left.it_value.tv_usec == 0;
    getitimer(ITIMER_PROF, &left);
    int prof_disarmed = left.it_value.tv_sec == 0 && left.it_value.tv_usec == 0;

    sigset_t pending, mask;
    sigpending(&pending);
    sigprocmask(SIG_BLOCK, NULL, &mask);
    int usr2_pending = sigismember(&pending, SIGUSR2) == 1;
    int usr2_blocked = sigismember(&mask, SIGUSR2) == 1;
    int usr2_before = usr2_count;
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    int usr2_after = usr2_count;

    stack_t cur;
    sigaltstack(NULL, &cur);
    int alt_ok = cur.ss_sp == altstack && cur.ss_size == ALTSTACK_SIZE && !(cur.ss_flags & SS_DISABLE);

    printf("signals units=%ld work=%016" PRIx64 "\n", units, h);
    printf("real ticks=%d disarmed=%d prof ticks=%d disarmed=%d\n", (int)real_ticks, real_disarmed,
           (int)prof_ticks, prof_disarmed);
    printf("usr1 sent=%d received=%d bad=%d altstack_ok=%d\n", raised + killed, (int)usr1_count,
           (int)usr1_bad, alt_ok);
    printf("usr2 pending=%d blocked=%d before=%d after=%d\n", usr2_pending, usr2_blocked, usr2_before,
           usr2_after);
    if (alarm_blocked > 0)
        printf("alarm blocked for %ld units, pending when unblocked=%d\n", alarm_blocked,
               alarm_was_pending);
    return 0;
}
