/* api.c — the public API of crest.h: callbacks and critical sections. */

#include <errno.h>
#include <pthread.h>
#include <stddef.h>

#include "libcrest_internal.h"

struct callback {
    crest_callback_fn fn;
    void *arg;
};

/* Registered callbacks; guarded by callbacks_lock. */
static struct callback callbacks[CREST_MAX_CALLBACKS];
static int ncallbacks;
static pthread_mutex_t callbacks_lock = PTHREAD_MUTEX_INITIALIZER;

__thread int crest_in_callback CREST_TLS;
static __thread int section_depth CREST_TLS;

int crest_register_callback(crest_callback_fn fn, void *arg)
{
    if (!fn) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&callbacks_lock);
    int id = ncallbacks < CREST_MAX_CALLBACKS ? ncallbacks++ : -1;
    if (id >= 0)
        callbacks[id] = (struct callback){fn, arg};
    pthread_mutex_unlock(&callbacks_lock);
    if (id < 0)
        errno = ENOSPC;
    return id;
}

int crest_unregister_callback(int id)
{
    pthread_mutex_lock(&callbacks_lock);
    int ok = id >= 0 && id < ncallbacks && callbacks[id].fn;
    if (ok)
        callbacks[id].fn = NULL;
    pthread_mutex_unlock(&callbacks_lock);
    if (!ok)
        errno = EINVAL;
    return ok ? 0 : -1;
}

void crest_run_callbacks(enum crest_event ev)
{
    struct callback copy[CREST_MAX_CALLBACKS];
    pthread_mutex_lock(&callbacks_lock);
    int n = ncallbacks;
    for (int i = 0; i < n; i++)
        copy[i] = callbacks[i];
    pthread_mutex_unlock(&callbacks_lock);
    crest_in_callback = 1;
    for (int i = 0; i < n; i++)
        if (copy[i].fn)
            copy[i].fn(ev, copy[i].arg);
    crest_in_callback = 0;
}

void crest_enter(void)
{
    /* a callback runs while sections are closed: it must not wait for itself */
    if (section_depth++ > 0 || crest_in_callback)
        return;
    for (;;) {
        atomic_fetch_add(&crest_rt.cs_inside, 1);
        int32_t pending = atomic_load(&crest_rt.cs_pending);
        if (!pending)
            return;
        /* a checkpoint is pending: step back out and wait for its end */
        if (atomic_fetch_sub(&crest_rt.cs_inside, 1) == 1)
            crest_futex_wake(&crest_rt.cs_inside);
        while (atomic_load(&crest_rt.cs_pending))
            crest_futex_wait(&crest_rt.cs_pending, 1, -1);
    }
}

void crest_leave(void)
{
    if (section_depth <= 0 || --section_depth > 0 || crest_in_callback)
        return;
    if (atomic_fetch_sub(&crest_rt.cs_inside, 1) == 1 && atomic_load(&crest_rt.cs_pending))
        crest_futex_wake(&crest_rt.cs_inside);
}

int crest_sections_close(int timeout_ms)
{
    atomic_store(&crest_rt.cs_pending, 1);
    for (int waited = 0;; waited += 50) {
        int32_t inside = atomic_load(&crest_rt.cs_inside);
        if (inside == 0)
            return 0;
        if (timeout_ms >= 0 && waited >= timeout_ms) {
            crest_sections_open();
            errno = ETIMEDOUT;
            return -1;
        }
        crest_futex_wait(&crest_rt.cs_inside, inside, 50);
    }
}

void crest_sections_open(void)
{
    atomic_store(&crest_rt.cs_pending, 0);
    crest_futex_wake(&crest_rt.cs_pending);
}

int crest_active(void)
{
    return crest_rt.active;
}

unsigned crest_restart_count(void)
{
    return crest_rt.restart_count;
}

int crest_checkpoint(const char *path, enum crest_mode mode, struct crest_result *res)
{
    if (!crest_rt.active) {
        errno = ENOSYS;
        return -1;
    }
    if (crest_in_callback || section_depth > 0) {
        errno = EDEADLK;
        return -1;
    }
    return crest_request_self(path, (int)mode, res);
}
