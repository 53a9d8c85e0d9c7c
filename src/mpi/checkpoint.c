/* checkpoint.c — the library under libcrest: found at run time (never
 * linked), the section every MPI call holds, windows in waits, and the
 * callback that drains, closes and rebuilds the channels.
 *
 * A checkpoint's manager thread runs our callback; it must find the
 * library's state to itself.  The library allows one thread inside at a
 * time (MPI_THREAD_SERIALIZED at most), so one word says whether a thread
 * is inside (`inside`), and one says that a checkpoint wants the library
 * (`pending`, set by the CHECKPOINT callback until the channels are back).
 * This is Dekker's handshake: the thread stores `inside` then loads
 * `pending`; the callback stores `pending` then loads `inside`.  Each side
 * needs a full fence between its store and its load — but the callback
 * runs once per checkpoint and an MPI call runs millions of times, so the
 * callback pays for both: membarrier(PRIVATE_EXPEDITED) makes every
 * running thread of the process execute a full fence, and the MPI call's
 * side is a compiler barrier only (where the kernel lacks membarrier, a
 * real fence).  A thread waiting for a peer leaves the library at every
 * round of its wait (a window) and around every blocking system call. */
#include <dlfcn.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "crest.h"
#include "mpi_impl.h"
#include "rank_client.h"

/* libcrest's API, looked up in MPI_Init; set once, before any section. */
static struct {
    int (*active)(void);
    int (*register_callback)(crest_callback_fn, void *);
    unsigned (*restart_count)(void);
} crest;

/* MPI calls this thread is inside of (only the outermost one counts). */
static __thread int depth __attribute__((tls_model("initial-exec")));
/* This thread runs our callback: its MPI work is the checkpoint's own. */
static __thread int in_callback __attribute__((tls_model("initial-exec")));

static _Atomic int inside;  /* futex word: a thread is in the library */
static _Atomic int pending; /* futex word: a checkpoint wants the library */
static int cheap_fence;     /* membarrier works: a compiler barrier suffices here */

static void futex_wait(_Atomic int *w, int val, const struct timespec *limit)
{
    syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, limit, NULL, 0);
}

static void futex_wake(_Atomic int *w)
{
    syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1 << 30, NULL, NULL, 0);
}

/* This thread is in the library from now on, and sees `pending` afresh. */
static inline void come_in(void)
{
    atomic_store_explicit(&inside, 1, memory_order_relaxed);
    if (cheap_fence)
        atomic_signal_fence(memory_order_seq_cst);
    else
        atomic_thread_fence(memory_order_seq_cst);
}

static void go_out(void)
{
    atomic_store_explicit(&inside, 0, memory_order_release);
    if (atomic_load_explicit(&pending, memory_order_relaxed))
        futex_wake(&inside);
}

/* A checkpoint is pending: step out until it is over. */
static void wait_checkpoint(void)
{
    while (atomic_load_explicit(&pending, memory_order_acquire)) {
        go_out();
        while (atomic_load_explicit(&pending, memory_order_acquire))
            futex_wait(&pending, 1, NULL);
        come_in();
    }
}

void mpi_section_enter(void)
{
    if (depth++ || in_callback)
        return;
    come_in();
    if (atomic_load_explicit(&pending, memory_order_relaxed))
        wait_checkpoint();
}

void mpi_section_leave(void)
{
    if (--depth || in_callback)
        return;
    go_out();
}

void mpi_window_slow(void)
{
    if (depth == 0 || in_callback || quiesce_active) /* a drain (channel cycle) runs here */
        return;
    if (atomic_load_explicit(&pending, memory_order_relaxed))
        wait_checkpoint();
}

int mpi_block_begin(void)
{
    if (!mpi_state.sections || depth == 0 || in_callback || quiesce_active)
        return 0;
    go_out();
    return 1;
}

void mpi_block_end(int left)
{
    if (!left)
        return;
    come_in();
    if (atomic_load_explicit(&pending, memory_order_relaxed))
        wait_checkpoint();
}

/* The callback's side of the handshake: once this returns, no thread is in
 * the library, and none comes in until `pending` is cleared. */
static void keep_threads_out(void)
{
    atomic_store_explicit(&pending, 1, memory_order_relaxed);
    if (cheap_fence)
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
    else
        atomic_thread_fence(memory_order_seq_cst);
    /* a short timeout: a wake-up lost between the two sides costs 1 ms */
    const struct timespec ms = { 0, 1000000 };
    while (atomic_load_explicit(&inside, memory_order_acquire))
        futex_wait(&inside, 1, &ms);
}

static void let_threads_in(void)
{
    atomic_store_explicit(&pending, 0, memory_order_release);
    futex_wake(&pending);
}

int mpi_ckpt_restarted(void)
{
    return crest.restart_count && crest.restart_count() > 0;
}

void mpi_ckpt_setup(void)
{
    crest.active = (int (*)(void))dlsym(RTLD_DEFAULT, "crest_active");
    crest.register_callback = (int (*)(crest_callback_fn, void *))dlsym(RTLD_DEFAULT, "crest_register_callback");
    crest.restart_count = (unsigned (*)(void))dlsym(RTLD_DEFAULT, "crest_restart_count");
    if (!crest.active || !crest.register_callback || !crest.restart_count || !crest.active())
        return;
    cheap_fence = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    mpi_state.sections = 1;
}

static void on_event(enum crest_event ev, void *arg)
{
    in_callback = 1;
    switch (ev) {
    case CREST_EVENT_CHECKPOINT:
        keep_threads_out();
        if (mpi_quiesce())
            mpi_fatal(MPI_ERR_OTHER, "cannot drain the channels for a checkpoint: the runtime (crestd) is gone");
        mpi_disconnect();
        break;
    case CREST_EVENT_CONTINUE:
    case CREST_EVENT_ABORT:
    case CREST_EVENT_RESTART:
        if (mpi_reconnect())
            mpi_fatal(MPI_ERR_OTHER, "cannot reconnect the channels after a %s",
                      ev == CREST_EVENT_RESTART ? "restart" : "checkpoint");
        let_threads_in();
        break;
    }
    in_callback = 0;
}

void mpi_ckpt_ready(void)
{
    if (!mpi_state.sections)
        return;
    if (crest.register_callback(on_event, NULL) < 0)
        mpi_fatal(MPI_ERR_OTHER, "cannot register the MPI library's checkpoint callback with libcrest");
    crest_rank_ready();
}
