/* pending.c — signals pending across the checkpoint: one sent to a worker
 * thread alone (pthread_kill), one to the main thread alone (raise), one to
 * the process (kill). All are blocked while the checkpoints are taken, then
 * unblocked; each handler records the thread it ran in.
 *
 * usage: pending TENTHS_OF_SECONDS
 * A restarted run that lost a pending signal prints a count of 0. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile sig_atomic_t worker_usr1, main_usr2, any_winch;
static pthread_t main_thread, worker_thread;

static void on_usr1(int sig)
{
    (void)sig;
    if (pthread_equal(pthread_self(), worker_thread))
        worker_usr1++;
}

static void on_usr2(int sig)
{
    (void)sig;
    if (pthread_equal(pthread_self(), main_thread))
        main_usr2++;
}

static void on_winch(int sig)
{
    (void)sig;
    any_winch++;
}

static long tenths;

static void wait_blocked(void)
{
    for (long i = 0; i < tenths; i++)
        usleep(100000);
}

static void *worker(void *arg)
{
    (void)arg;
    wait_blocked();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL); /* SIGUSR1 arrives here, now */
    return NULL;
}

int main(int argc, char **argv)
{
    tenths = argc > 1 ? atol(argv[1]) : 30;
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, on_usr2);
    signal(SIGWINCH, on_winch);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGWINCH);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the worker inherits the mask */
    main_thread = pthread_self();
    if (pthread_create(&worker_thread, NULL, worker, NULL))
        return 2;
    pthread_kill(worker_thread, SIGUSR1);
    raise(SIGUSR2);
    kill(getpid(), SIGWINCH);
    wait_blocked();
    pthread_join(worker_thread, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGWINCH);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    printf("worker SIGUSR1 %d, main SIGUSR2 %d, process SIGWINCH %d\n", (int)worker_usr1,
           (int)main_usr2, (int)any_winch);
    return worker_usr1 == 1 && main_usr2 == 1 && any_winch == 1 ? 0 : 1;
}
