/* self_checkpoint.c — a program that takes part in its own checkpoints
 * through the libcrest API (crest.h, see libcrest(3)).
 *
 * usage: self_checkpoint [IMAGE]      (default: self_checkpoint.img)
 *
 * A worker thread moves units between two accounts, always inside a
 * critical section, so no image can ever show a unit taken from one
 * account and not yet added to the other.  The main thread lets it run for
 * a moment, then checkpoints the whole process into IMAGE and keeps
 * running.  crest_checkpoint() returns twice, in a sense: once now, in this
 * process (CREST_CONTINUED), and once more in every process later
 * restarted from IMAGE with `crest restart IMAGE` (CREST_RESTARTED).
 * Either way the program then stops the worker, checks that no unit was
 * lost and exits.
 *
 * A callback reports every checkpoint event on standard error.
 *
 * Build: make (see Makefile and README.md in this directory). */
#include <crest.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOTAL 1000000L

/* The two accounts; the worker changes them, inside critical sections. */
static long account[2] = {TOTAL, 0};
static long moves;
static atomic_int stop_worker;

static const char *event_name(enum crest_event ev)
{
    switch (ev) {
    case CREST_EVENT_CHECKPOINT: return "checkpoint (an image is about to be taken)";
    case CREST_EVENT_CONTINUE: return "continue (the image is on disk; we go on)";
    case CREST_EVENT_RESTART: return "restart (we were brought back from an image)";
    case CREST_EVENT_ABORT: return "abort (the checkpoint failed; we go on)";
    }
    return "unknown";
}

/* Runs in libcrest's own thread, while the worker and main thread still
 * run, so it may use stdio.  Before the image is taken it flushes every
 * stdio buffer: output still buffered would be in the image and printed a
 * second time by the restarted process. */
static void on_event(enum crest_event ev, void *arg)
{
    if (ev == CREST_EVENT_CHECKPOINT)
        fflush(NULL);
    fprintf(stderr, "[%s] event: %s\n", (const char *)arg, event_name(ev));
}

static void *worker(void *arg)
{
    (void)arg;
    unsigned seed = 1;
    while (!atomic_load(&stop_worker)) {
        seed = seed * 1103515245u + 12345u;
        int from = (seed >> 16) & 1;
        long n = (long)(seed >> 20) % 100;
        if (account[from] < n)
            continue;
        /* A checkpoint waits until the worker is out of this section, and
         * the worker waits here while a checkpoint runs. */
        crest_enter();
        account[from] -= n;
        account[!from] += n;
        moves++;
        crest_leave();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *image = argc > 1 ? argv[1] : "self_checkpoint.img";

    if (!crest_active()) {
        fprintf(stderr, "self_checkpoint: libcrest is not active (CREST_DISABLE set?)\n");
        return 1;
    }
    if (crest_register_callback(on_event, "self_checkpoint") < 0) {
        perror("self_checkpoint: crest_register_callback");
        return 1;
    }

    pthread_t th;
    if (pthread_create(&th, NULL, worker, NULL)) {
        fprintf(stderr, "self_checkpoint: cannot start the worker\n");
        return 1;
    }
    struct timespec moment = {0, 200 * 1000000}; /* let the worker work */
    nanosleep(&moment, NULL);

    printf("checkpointing into %s\n", image);
    struct crest_result res;
    int rc = crest_checkpoint(image, CREST_MODE_CONTINUE, &res);
    if (rc == CREST_CONTINUED) {
        printf("continued: the image %s holds %.1f MiB, written in %.1f ms\n", res.path,
               (double)res.bytes / (1 << 20), (double)res.nanoseconds / 1e6);
    } else if (rc == CREST_RESTARTED) {
        printf("restarted from %s (restart number %u)\n", res.path, crest_restart_count());
    } else {
        fprintf(stderr, "self_checkpoint: crest_checkpoint: %s\n", strerror(errno));
        return 1;
    }

    nanosleep(&moment, NULL); /* the worker goes on after the checkpoint too */
    atomic_store(&stop_worker, 1);
    pthread_join(th, NULL);
    long sum = account[0] + account[1];
    printf("%ld moves; accounts %ld + %ld = %ld (%s)\n", moves, account[0], account[1], sum,
           sum == TOTAL ? "nothing lost" : "UNITS LOST");
    return sum == TOTAL ? 0 : 1;
}
