/* blocking.c — threads that spend their time blocked in system calls.
 *
 * usage: blocking ITERATIONS [pipe]
 * The main thread, ITERATIONS times: nanosleep 1 ms, poll for 3 ms (must
 * time out), pthread_cond_timedwait 2 ms on a condition nobody signals (must
 * time out); every 10th iteration it wakes a helper W blocked in
 * pthread_cond_wait(), which acknowledges each wake.  A helper S sleeps in
 * 50 ms nanosleeps until told to stop.  A helper P sits in poll():
 *   default: poll() on no descriptors with a 20 ms timeout, until told to stop;
 *   "pipe":  the process's own pipes are used: the main thread polls an empty
 *            pipe, and P is blocked in poll() with no timeout on a second
 *            pipe, into which the main thread writes one byte every 10th
 *            iteration (so bytes may be in flight at a checkpoint).
 * EINTR from poll and nanosleep is handled by retrying (nanosleep with the
 * remaining time).  Prints the counts at the end.
 *
 * First thing, it writes "crest-test: program started" on stderr: a process
 * restarted from an image resumes and must not write it again. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int wake_pipe[2], empty_pipe[2];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER; /* never signalled */
static pthread_cond_t to_w = PTHREAD_COND_INITIALIZER, from_w = PTHREAD_COND_INITIALIZER;
static long w_request, w_done;
static volatile int stop_s, stop_p;
static int use_pipes;
static long p_bytes, w_wakes, s_naps;
static int unexpected;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L}, rem;
    while (nanosleep(&ts, &rem) != 0) {
        if (errno != EINTR) {
            perror("nanosleep");
            exit(1);
        }
        ts = rem;
    }
}

static void *thread_p(void *arg)
{
    (void)arg;
    if (!use_pipes) {
        while (!stop_p) {
            int r = poll(NULL, 0, 20);
            if (r < 0 && errno != EINTR) {
                perror("poll in P");
                exit(1);
            }
        }
        return NULL;
    }
    for (;;) {
        struct pollfd pfd = {wake_pipe[0], POLLIN, 0};
        int r = poll(&pfd, 1, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r != 1) {
            fprintf(stderr, "poll in P: %d %s\n", r, strerror(errno));
            exit(1);
        }
        char c;
        ssize_t n = read(wake_pipe[0], &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != 1) {
            fprintf(stderr, "read in P: %zd\n", n);
            exit(1);
        }
        if (c == 'q')
            return NULL;
        p_bytes++;
    }
}

static void *thread_w(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (w_request == w_done)
            pthread_cond_wait(&to_w, &lock);
        if (w_request < 0)
            break;
        w_done = w_request;
        w_wakes++;
        pthread_cond_signal(&from_w);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *thread_s(void *arg)
{
    (void)arg;
    while (!stop_s) {
        sleep_ms(50);
        s_naps++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    fputs("crest-test: program started\n", stderr); /* a resumed process never says this */
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "pipe") != 0)) {
        fprintf(stderr, "usage: blocking ITERATIONS [pipe]\n");
        return 2;
    }
    long iterations = strtol(argv[1], NULL, 10);
    use_pipes = argc == 3;
    if (use_pipes && (pipe(wake_pipe) != 0 || pipe(empty_pipe) != 0)) {
        perror("pipe");
        return 1;
    }
    pthread_t tp, tw, ts;
    if (pthread_create(&tp, NULL, thread_p, NULL) || pthread_create(&tw, NULL, thread_w, NULL) ||
        pthread_create(&ts, NULL, thread_s, NULL)) {
        fprintf(stderr, "pthread_create failed\n");
        return 1;
    }
    long poll_timeouts = 0, cond_timeouts = 0, wakes = 0;
    for (long i = 0; i < iterations; i++) {
        sleep_ms(1);

        struct pollfd pfd = {use_pipes ? empty_pipe[0] : -1, POLLIN, 0};
        int r;
        do
            r = poll(&pfd, 1, 3);
        while (r < 0 && errno == EINTR);
        if (r == 0)
            poll_timeouts++;
        else
            unexpected++;

        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_nsec += 2 * 1000 * 1000;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&lock);
        do
            r = pthread_cond_timedwait(&never, &lock, &dl);
        while (r == 0); /* spurious wake-up: wait out the deadline */
        pthread_mutex_unlock(&lock);
        if (r == ETIMEDOUT)
            cond_timeouts++;
        else
            unexpected++;

        if (i % 10 == 9) {
            char c = 'w';
            while (use_pipes && write(wake_pipe[1], &c, 1) != 1)
                if (errno != EINTR) {
                    perror("write");
                    return 1;
                }
            pthread_mutex_lock(&lock);
            w_request = ++wakes;
            pthread_cond_signal(&to_w);
            while (w_done != w_request)
                pthread_cond_wait(&from_w, &lock);
            pthread_mutex_unlock(&lock);
        }
    }
    char q = 'q';
    stop_p = 1;
    while (use_pipes && write(wake_pipe[1], &q, 1) != 1)
        if (errno != EINTR) {
            perror("write");
            return 1;
        }
    pthread_mutex_lock(&lock);
    w_request = -1;
    pthread_cond_signal(&to_w);
    pthread_mutex_unlock(&lock);
    stop_s = 1;
    if (pthread_join(tp, NULL) || pthread_join(tw, NULL) || pthread_join(ts, NULL)) {
        fprintf(stderr, "pthread_join failed\n");
        return 1;
    }
    printf("blocking iterations=%ld poll_timeouts=%ld cond_timeouts=%ld unexpected=%d\n", iterations,
           poll_timeouts, cond_timeouts, unexpected);
    printf("helpers cond_wakes=%ld sleeper_stopped=%d\n", w_wakes, s_naps > 0);
    if (use_pipes)
        printf("pipe bytes=%ld\n", p_bytes);
    return unexpected ? 1 : 0;
}
