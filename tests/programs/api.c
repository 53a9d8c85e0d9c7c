/* api.c — the libcrest API (include/crest.h) used by a program linked with
 * -lcrest.
 *
 * usage: api IMAGE_PATH
 * Registers two callbacks (and a third that it unregisters), checks that a
 * checkpoint requested inside a critical section or from a callback fails
 * with EDEADLK, then checkpoints itself with crest_checkpoint() while a
 * helper thread is inside a critical section: the image must be taken only
 * after crest_leave() (the helper marks the end of its section in memory
 * just before leaving; right after crest_checkpoint returns, in the original
 * and in a restarted process alike, that mark must be there).  Prints the
 * events the callbacks saw and "continued" in the original process,
 * "restarted" when brought back from the image; the other lines are the same
 * in both.  Whether the callbacks ran while the section was still open is
 * reported on stderr only (the API does not say). */
#define _GNU_SOURCE
#include <crest.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct event {
    int cb;
    enum crest_event ev;
};
static struct event events[32];
static atomic_int nevents, after_events, third_called;
static atomic_int in_section, section_seen_held, cb_in_main_thread;
static atomic_int section_state; /* 1: inside, 2: about to leave */
static int cb_ckpt_rc = 1, cb_ckpt_errno;
static pthread_t main_thread;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int helper_inside;

static void record(int cb, enum crest_event ev)
{
    int i = atomic_fetch_add(&nevents, 1);
    if (i < 32)
        events[i] = (struct event){cb, ev};
    if (ev == CREST_EVENT_CONTINUE || ev == CREST_EVENT_RESTART || ev == CREST_EVENT_ABORT)
        atomic_fetch_add(&after_events, 1);
}

static void cb1(enum crest_event ev, void *arg)
{
    if (arg != (void *)0x1111)
        abort();
    if (ev == CREST_EVENT_CHECKPOINT) {
        if (atomic_load(&in_section))
            atomic_store(&section_seen_held, 1);
        if (pthread_equal(pthread_self(), main_thread))
            atomic_store(&cb_in_main_thread, 1);
    }
    record(1, ev);
}

static void cb2(enum crest_event ev, void *arg)
{
    if (arg != (void *)0x2222)
        abort();
    if (ev == CREST_EVENT_CHECKPOINT) {
        errno = 0;
        cb_ckpt_rc = crest_checkpoint(NULL, CREST_MODE_CONTINUE, NULL);
        cb_ckpt_errno = errno;
    }
    record(2, ev);
}

static void cb3(enum crest_event ev, void *arg)
{
    (void)ev;
    (void)arg;
    atomic_store(&third_called, 1);
}

static const char *ev_name(enum crest_event ev)
{
    switch (ev) {
    case CREST_EVENT_CHECKPOINT: return "checkpoint";
    case CREST_EVENT_CONTINUE: return "continue";
    case CREST_EVENT_RESTART: return "restart";
    case CREST_EVENT_ABORT: return "abort";
    }
    return "?";
}

static void *helper(void *arg)
{
    (void)arg;
    crest_enter();
    atomic_store(&in_section, 1);
    atomic_store(&section_state, 1);
    pthread_mutex_lock(&lock);
    helper_inside = 1;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    struct timespec ts = {0, 400 * 1000 * 1000};
    nanosleep(&ts, NULL);
    atomic_store(&in_section, 0);
    atomic_store(&section_state, 2);
    crest_leave();
    return NULL;
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

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: api IMAGE_PATH\n");
        return 2;
    }
    const char *path = argv[1];
    main_thread = pthread_self();
    int bad = 0;

    printf("active %d\n", crest_active());
    int id1 = crest_register_callback(cb1, (void *)0x1111);
    int id2 = crest_register_callback(cb2, (void *)0x2222);
    int id3 = crest_register_callback(cb3, NULL);
    printf("register %s\n", id1 >= 0 && id2 >= 0 && id3 >= 0 && id1 != id2 && id2 != id3 ? "ok" : "FAILED");
    printf("unregister %d\n", crest_unregister_callback(id3));

    crest_enter();
    errno = 0;
    int rc = crest_checkpoint(path, CREST_MODE_CONTINUE, NULL);
    int e = errno;
    crest_leave();
    printf("checkpoint inside a section: %s\n",
           rc == -1 && e == EDEADLK ? "EDEADLK" : "not refused");
    if (nevents != 0)
        printf("callbacks ran for a refused checkpoint: %d events\n", (int)nevents);

    /* data made before the checkpoint, used after it */
    size_t words = (size_t)8 << 20; /* 64 MiB */
    uint64_t *data = malloc(words * sizeof *data);
    if (!data)
        return 1;
    for (size_t i = 0; i < words; i++)
        data[i] = mix(i);

    pthread_t h;
    if (pthread_create(&h, NULL, helper, NULL) != 0)
        return 1;
    pthread_mutex_lock(&lock);
    while (!helper_inside)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);

    struct crest_result res;
    memset(&res, 0, sizeof res);
    errno = 0;
    rc = crest_checkpoint(path, CREST_MODE_CONTINUE, &res);
    e = errno;
    int state_at_return = atomic_load(&section_state);
    if (rc != CREST_CONTINUED && rc != CREST_RESTARTED) {
        fprintf(stderr, "api: crest_checkpoint returned %d: %s\n", rc, strerror(e));
        return 1;
    }
    if (rc == CREST_CONTINUED) {
        struct stat st;
        char abs[PATH_MAX];
        if (stat(path, &st) != 0 || (uint64_t)st.st_size != res.bytes) {
            fprintf(stderr, "api: result bytes %" PRIu64 " but the image has %lld\n", res.bytes,
                    (long long)st.st_size);
            bad = 1;
        }
        if (!realpath(path, abs) || strcmp(abs, res.path) != 0) {
            fprintf(stderr, "api: result path '%s', want '%s'\n", res.path, abs);
            bad = 1;
        }
        if (res.nanoseconds == 0) {
            fprintf(stderr, "api: result nanoseconds is 0\n");
            bad = 1;
        }
    }
    /* the events after the image may come from the callback thread a bit later */
    for (int i = 0; i < 1000 && atomic_load(&after_events) < 2; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    pthread_join(h, NULL);

    printf("checkpoint from a callback: %s\n",
           cb_ckpt_rc == -1 && cb_ckpt_errno == EDEADLK ? "EDEADLK" : "not refused");
    printf("image taken after the section was left: %s\n", state_at_return == 2 ? "yes" : "no");
    if (section_seen_held)
        fprintf(stderr, "api: note: the CHECKPOINT callbacks ran while a thread was inside a "
                        "critical section\n");
    printf("callbacks in their own thread: %s\n", cb_in_main_thread ? "no" : "yes");
    printf("unregistered callback called: %s\n", third_called ? "yes" : "no");
    /* before the image: in registration order; after: one event per callback */
    int n = atomic_load(&nevents) < 32 ? atomic_load(&nevents) : 32;
    printf("before:");
    for (int i = 0; i < n; i++)
        if (events[i].ev == CREST_EVENT_CHECKPOINT)
            printf(" %d", events[i].cb);
    printf("\nafter:");
    for (int cb = 1; cb <= 2; cb++)
        for (int i = 0; i < n; i++)
            if (events[i].cb == cb && events[i].ev != CREST_EVENT_CHECKPOINT)
                printf(" %d:%s", cb, ev_name(events[i].ev));
    printf("\n%s\n", rc == CREST_RESTARTED ? "restarted" : "continued");
    printf("restart_count %u\n", crest_restart_count());

    uint64_t sum = 0;
    for (size_t i = 0; i < words; i++)
        sum = mix(sum ^ data[i]);
    printf("result %016" PRIx64 "\n", sum);
    free(data);
    return bad;
}
