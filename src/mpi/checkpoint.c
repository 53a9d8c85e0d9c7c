/* checkpoint.c — the library under libcrest: found at run time (never
 * linked), critical sections around every MPI call, windows in waits, and
 * the callback that drains, closes and rebuilds the channels.
 *
 * A checkpoint's manager thread closes the sections, then runs our
 * callback with every application thread held outside the library: in
 * crest_enter at the start of an MPI call or at a wait's window, or in a
 * wait's blocking system call (which touches no library state).  libcrest
 * opens the sections again before it runs the CONTINUE, RESTART or ABORT
 * callbacks, so a gate of our own keeps the application's threads out
 * from the CHECKPOINT callback until the channels are rebuilt. */
#include <dlfcn.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "crest.h"
#include "mpi_impl.h"
#include "rank_client.h"

/* libcrest's API, looked up in MPI_Init; set once, before any section. */
static struct {
    int (*active)(void);
    int (*register_callback)(crest_callback_fn, void *);
    void (*enter)(void);
    void (*leave)(void);
    unsigned (*restart_count)(void);
} crest;

/* MPI calls this thread is inside of (only the outermost one enters). */
static __thread int depth __attribute__((tls_model("initial-exec")));

/* 1 from the CHECKPOINT callback until the channels are back (futex word). */
static _Atomic int gate;

static void gate_wait(void)
{
    while (atomic_load_explicit(&gate, memory_order_acquire)) {
        crest.leave();
        while (atomic_load_explicit(&gate, memory_order_acquire))
            syscall(SYS_futex, &gate, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0);
        crest.enter();
    }
}

static void gate_open(void)
{
    atomic_store_explicit(&gate, 0, memory_order_release);
    syscall(SYS_futex, &gate, FUTEX_WAKE_PRIVATE, 1 << 30, NULL, NULL, 0);
}

void mpi_section_enter(void)
{
    if (depth++ == 0) {
        crest.enter();
        gate_wait();
    }
}

void mpi_section_leave(void)
{
    if (--depth == 0)
        crest.leave();
}

void mpi_window_slow(void)
{
    if (depth == 0 || quiesce_active) /* the checkpoint's own thread, or a drain (channel cycle) */
        return;
    crest.leave();
    crest.enter();
    gate_wait();
}

int mpi_block_begin(void)
{
    if (!mpi_state.sections || depth == 0 || quiesce_active)
        return 0;
    crest.leave();
    return 1;
}

void mpi_block_end(int left)
{
    if (!left)
        return;
    crest.enter();
    gate_wait();
}

int mpi_ckpt_restarted(void)
{
    return crest.restart_count && crest.restart_count() > 0;
}

void mpi_ckpt_setup(void)
{
    crest.active = (int (*)(void))dlsym(RTLD_DEFAULT, "crest_active");
    crest.register_callback = (int (*)(crest_callback_fn, void *))dlsym(RTLD_DEFAULT, "crest_register_callback");
    crest.enter = (void (*)(void))dlsym(RTLD_DEFAULT, "crest_enter");
    crest.leave = (void (*)(void))dlsym(RTLD_DEFAULT, "crest_leave");
    crest.restart_count = (unsigned (*)(void))dlsym(RTLD_DEFAULT, "crest_restart_count");
    if (crest.active && crest.register_callback && crest.enter && crest.leave && crest.restart_count &&
        crest.active())
        mpi_state.sections = 1;
}

static void on_event(enum crest_event ev, void *arg)
{
    switch (ev) {
    case CREST_EVENT_CHECKPOINT:
        atomic_store_explicit(&gate, 1, memory_order_release);
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
        gate_open();
        break;
    }
}

void mpi_ckpt_ready(void)
{
    if (!mpi_state.sections)
        return;
    if (crest.register_callback(on_event, NULL) < 0)
        mpi_fatal(MPI_ERR_OTHER, "cannot register the MPI library's checkpoint callback with libcrest");
    crest_rank_ready();
}
