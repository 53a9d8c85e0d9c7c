/* loop.c — the poll(2) event loop of crestd and mpirun.
 *
 * The watch and timer tables below belong to the one thread that runs the
 * loop; nothing else touches them. */
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct watch {
    int fd;
    short events;
    crest_fd_fn fn;
    void *arg;
};

struct timer {
    uint64_t id;
    int64_t when;
    crest_timer_fn fn;
    void *arg;
};

static struct watch *watches; /* owned by the loop's thread */
static int nwatches, capwatches;
static struct timer *timers;
static int ntimers, captimers;
static uint64_t next_timer_id = 1;

int64_t crest_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct watch *find(int fd)
{
    for (int i = 0; i < nwatches; i++)
        if (watches[i].fd == fd)
            return &watches[i];
    return NULL;
}

int crest_loop_watch(int fd, short events, crest_fd_fn fn, void *arg)
{
    struct watch *w = find(fd);
    if (!w) {
        if (nwatches == capwatches) {
            int cap = capwatches ? capwatches * 2 : 32;
            struct watch *p = realloc(watches, (size_t)cap * sizeof *p);
            if (!p)
                return -1;
            watches = p;
            capwatches = cap;
        }
        w = &watches[nwatches++];
    }
    w->fd = fd;
    w->events = events;
    w->fn = fn;
    w->arg = arg;
    return 0;
}

void crest_loop_set_events(int fd, short events)
{
    struct watch *w = find(fd);
    if (w)
        w->events = events;
}

void crest_loop_unwatch(int fd)
{
    struct watch *w = find(fd);
    if (w)
        w->fd = -1; /* compacted after dispatch, so indexes stay valid meanwhile */
}

uint64_t crest_loop_timer(int64_t ms, crest_timer_fn fn, void *arg)
{
    if (ntimers == captimers) {
        int cap = captimers ? captimers * 2 : 16;
        struct timer *p = realloc(timers, (size_t)cap * sizeof *p);
        if (!p)
            return 0;
        timers = p;
        captimers = cap;
    }
    struct timer *t = &timers[ntimers++];
    t->id = next_timer_id++;
    t->when = crest_now_ms() + ms;
    t->fn = fn;
    t->arg = arg;
    return t->id;
}

void crest_loop_cancel(uint64_t id)
{
    for (int i = 0; i < ntimers; i++)
        if (timers[i].id == id) {
            timers[i] = timers[--ntimers];
            return;
        }
}

static void run_due_timers(void)
{
    int64_t now = crest_now_ms();
    for (;;) {
        int due = -1;
        for (int i = 0; i < ntimers; i++)
            if (timers[i].when <= now && (due < 0 || timers[i].when < timers[due].when))
                due = i;
        if (due < 0)
            return;
        struct timer t = timers[due];
        timers[due] = timers[--ntimers];
        t.fn(t.arg);
    }
}

void crest_loop_run_once(int max_ms)
{
    int64_t wait = max_ms;
    int64_t now = crest_now_ms();
    for (int i = 0; i < ntimers; i++) {
        int64_t left = timers[i].when - now;
        if (left < 0)
            left = 0;
        if (wait < 0 || left < wait)
            wait = left;
    }
    static struct pollfd *pfd; /* reused from round to round */
    static size_t pfd_cap;
    size_t n = nwatches > 0 ? (size_t)nwatches : 0;
    if (n > pfd_cap) {
        struct pollfd *q = realloc(pfd, n * sizeof *q);
        if (!q)
            return;
        pfd = q;
        pfd_cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        pfd[i].fd = watches[i].fd;
        pfd[i].events = watches[i].events;
    }
    int r = poll(pfd, (nfds_t)n, (int)wait);
    if (r > 0) {
        for (int i = 0; i < (int)n; i++) {
            if (!pfd[i].revents || pfd[i].fd < 0)
                continue;
            /* The watch may have been removed or replaced by an earlier
             * callback of this round: dispatch only if it is still the
             * same descriptor at the same place. */
            if (i >= nwatches || watches[i].fd != pfd[i].fd)
                continue;
            watches[i].fn(watches[i].arg, pfd[i].fd, pfd[i].revents);
        }
    }
    run_due_timers();
    int j = 0;
    for (int i = 0; i < nwatches; i++)
        if (watches[i].fd >= 0)
            watches[j++] = watches[i];
    nwatches = j;
}
