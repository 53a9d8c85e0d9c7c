/* posix_timers.c — two POSIX timers ticking across the checkpoint: one
 * notifying the process with SIGUSR1 and a value, one notifying a worker
 * thread alone (SIGEV_THREAD_ID) with SIGUSR2. The run ends once each has
 * ticked TICKS times; a timer lost at restart makes it hang.
 *
 * usage: posix_timers TICKS */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t process_ticks, worker_ticks, wrong_value, wrong_thread;
static pthread_t worker_thread;
static volatile int ticks_wanted;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    if (si->si_value.sival_int != 77)
        wrong_value++;
    process_ticks++;
}

static void on_usr2(int sig)
{
    (void)sig;
    if (!pthread_equal(pthread_self(), worker_thread))
        wrong_thread++;
    worker_ticks++;
}

static timer_t make_timer(int signo, int value, pid_t tid)
{
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = tid ? SIGEV_THREAD_ID : SIGEV_SIGNAL;
    sev.sigev_signo = signo;
    sev.sigev_value.sival_int = value;
    sev._sigev_un._tid = tid;
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, &sev, &t))
        exit(2);
    struct itimerspec its = {{0, 40000000}, {0, 40000000}};
    timer_settime(t, 0, &its, NULL);
    return t;
}

static volatile pid_t worker_tid;

static void *worker(void *arg)
{
    (void)arg;
    worker_tid = (pid_t)syscall(SYS_gettid);
    while (worker_ticks < ticks_wanted)
        usleep(5000);
    return NULL;
}

int main(int argc, char **argv)
{
    ticks_wanted = argc > 1 ? atoi(argv[1]) : 75;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGUSR2, on_usr2);
    /* SIGUSR1 goes to the main thread, SIGUSR2 only to the worker's timer */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    pthread_create(&worker_thread, NULL, worker, NULL);
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
    while (!worker_tid)
        usleep(1000);
    timer_t a = make_timer(SIGUSR1, 77, 0), b = make_timer(SIGUSR2, 0, worker_tid);
    while (process_ticks < ticks_wanted)
        usleep(5000);
    pthread_join(worker_thread, NULL);
    timer_delete(a);
    timer_delete(b);
    printf("posix timers: process ticks >= %d, worker ticks >= %d, wrong value %d, wrong thread %d\n",
           ticks_wanted, ticks_wanted, (int)wrong_value, (int)wrong_thread);
    return wrong_value || wrong_thread;
}
