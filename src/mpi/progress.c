/* progress.c — the progress engine: polls the transports and advances
 * what is in flight; and waits for an event without burning a core that
 * another rank needs (spin briefly, then yield, then sleep in the
 * transports' wait: poll(2) on sockets, a futex for shared memory). */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "mpi_impl.h"

#define SPIN_ROUNDS 2000  /* polls before yielding, when cores are not oversubscribed */
#define YIELD_ROUNDS 50   /* yields before sleeping */
#define MAX_POLL_FDS 1024

struct step {
    int (*fn)(void *);
    void *arg;
};
/* Registered nonblocking operations; owned by the library's active thread. */
static struct step *steps;
static int nsteps, capsteps;
static const struct transport *active[3];
static int nactive;
static int oversubscribed = -1;

void progress_use_transport(const struct transport *t)
{
    for (int i = 0; i < nactive; i++)
        if (active[i] == t)
            return;
    active[nactive++] = t;
}

void progress_forget_transports(void)
{
    nactive = 0;
    oversubscribed = -1; /* a restart may have brought the rank to another host */
}

void progress_register(int (*fn)(void *), void *arg)
{
    if (nsteps == capsteps) {
        int cap = capsteps ? capsteps * 2 : 16;
        struct step *p = realloc(steps, (size_t)cap * sizeof *p);
        if (!p)
            mpi_fatal(MPI_ERR_NO_MEM, "out of memory in the progress engine");
        steps = p;
        capsteps = cap;
    }
    steps[nsteps].fn = fn;
    steps[nsteps].arg = arg;
    nsteps++;
}

int progress_poll(void)
{
    int n = 0;
    for (int i = 0; i < nactive; i++)
        n += active[i]->progress();
    n += p2p_progress();
    /* A step returns nonzero when it is finished and leaves the list. */
    for (int i = 0; i < nsteps;) {
        if (steps[i].fn(steps[i].arg)) {
            steps[i] = steps[--nsteps];
            n++;
        } else {
            i++;
        }
    }
    return n;
}

static void sleep_in_transports(void)
{
    struct pollfd fds[MAX_POLL_FDS];
    int nfds = 0;
    void (*sleeper)(int) = NULL;
    for (int i = 0; i < nactive; i++) {
        if (active[i]->poll_fds)
            nfds += active[i]->poll_fds(fds + nfds, MAX_POLL_FDS - nfds);
        else if (active[i]->sleep)
            sleeper = active[i]->sleep;
    }
    /* The sleeps are outside the checkpoint's critical section: the
     * descriptors may be closed meanwhile (poll then ends at its timeout
     * at the latest); the shared memory transport opens its own window. */
    if (nfds && sleeper) {
        /* Sockets and shared memory at once: short naps on the sockets,
         * shared memory checked in between. */
        int left = mpi_block_begin();
        poll(fds, (nfds_t)nfds, 1);
        mpi_block_end(left);
    } else if (nfds) {
        int left = mpi_block_begin();
        poll(fds, (nfds_t)nfds, 100);
        mpi_block_end(left);
    } else if (sleeper) {
        sleeper(100);
    } else {
        sched_yield();
    }
}

void progress_wait(volatile int *flag)
{
    if (oversubscribed < 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        oversubscribed = cpus > 0 && mpi_state.local_size > cpus;
    }
    int idle = 0;
    int spin = oversubscribed ? 20 : SPIN_ROUNDS;
    /* Operations advanced by registered steps (nonblocking collectives)
     * move on in every wait, even one that is over at once (a blocking
     * eager send). */
    if (*flag && nsteps)
        progress_poll();
    while (!*flag) {
        if (progress_poll()) {
            idle = 0;
        } else {
            idle++;
            if (idle < spin)
                __builtin_ia32_pause();
            else if (idle < spin + YIELD_ROUNDS)
                sched_yield();
            else
                sleep_in_transports();
        }
        /* A safe point of every round: a checkpoint may run here (the
         * loop checks the flag again).  Not when the poll just finished
         * the wait: a message found costs no window. */
        if (!*flag)
            mpi_window();
    }
}

void progress_wait_briefly(void)
{
    /* Called after a poll found nothing: give the core away for a moment.
     * The caller checks its condition again afterwards: a checkpoint may
     * run in between. */
    static int idle;
    mpi_window();
    if (++idle < 50) {
        sched_yield();
        return;
    }
    idle = 0;
    sleep_in_transports();
}
