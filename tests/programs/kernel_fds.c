/* kernel_fds.c — an eventfd (semaphore mode, counter 5), a periodic
 * timerfd, a signalfd and an epoll descriptor watching the eventfd, all
 * open across the checkpoint; afterwards each must still work as before.
 *
 * usage: kernel_fds TENTHS_OF_SECONDS */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long tenths = argc > 1 ? atol(argv[1]) : 30;
    int e = eventfd(5, EFD_NONBLOCK | EFD_SEMAPHORE);
    int t = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec its = {{0, 50000000}, {0, 50000000}};
    timerfd_settime(t, 0, &its, NULL);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234abcd};
    epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int s = signalfd(-1, &mask, 0);
    if (e < 0 || t < 0 || ep < 0 || s < 0)
        return 2;
    for (long i = 0; i < tenths; i++)
        usleep(100000);

    struct epoll_event out = {0};
    int ready = epoll_wait(ep, &out, 1, 1000);
    int reads = 0;
    uint64_t v;
    while (read(e, &v, sizeof v) == (ssize_t)sizeof v && v == 1)
        reads++;
    int drained = errno == EAGAIN;
    uint64_t ticks = 0;
    int timer_ok = read(t, &ticks, sizeof ticks) == (ssize_t)sizeof ticks && ticks > 0;
    raise(SIGUSR1);
    struct signalfd_siginfo si;
    int sig_ok = read(s, &si, sizeof si) == (ssize_t)sizeof si && si.ssi_signo == SIGUSR1;
    printf("epoll ready %d data %llx; eventfd reads %d drained %d; timerfd %d; signalfd %d\n",
           ready, (unsigned long long)out.data.u64, reads, drained, timer_ok, sig_ok);
    return ready == 1 && reads == 5 && drained && timer_ok && sig_ok ? 0 : 1;
}
