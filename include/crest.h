/* crest.h — the libcrest API: checkpoint callbacks, critical sections and
 * self-checkpointing for programs that run under crest.
 *
 * A program gets libcrest either by being started with `crest run PROG`
 * (the library is preloaded) or by linking with -lcrest.  Every function
 * here is safe to call from any thread.  See libcrest(3). */
#ifndef CREST_H
#define CREST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef CREST_PUBLIC
#define CREST_PUBLIC __attribute__((visibility("default")))
#endif

#define CREST_VERSION_MAJOR 0
#define CREST_VERSION_MINOR 1

/* What a callback is told. CREST_EVENT_CHECKPOINT is delivered before the
 * image is taken; exactly one of CONTINUE or RESTART is delivered after. */
enum crest_event {
    CREST_EVENT_CHECKPOINT = 1, /* an image is about to be taken */
    CREST_EVENT_CONTINUE = 2,   /* the image is on disk, this process goes on */
    CREST_EVENT_RESTART = 3,    /* this process was brought back from an image */
    CREST_EVENT_ABORT = 4       /* the checkpoint failed; this process goes on */
};

typedef void (*crest_callback_fn)(enum crest_event event, void *arg);

/* Registers fn; callbacks run in registration order, in a dedicated thread
 * of libcrest. CREST_EVENT_CHECKPOINT callbacks run once no thread is inside
 * a critical section (and none can enter one) but before the other threads
 * are stopped, so they may still talk to them; crest_enter/crest_leave
 * inside a callback do not wait.
 * Returns an id (>= 0) for crest_unregister_callback, or -1 with errno. */
CREST_PUBLIC int crest_register_callback(crest_callback_fn fn, void *arg);
CREST_PUBLIC int crest_unregister_callback(int id);

/* Critical sections: while any thread is between crest_enter() and
 * crest_leave(), a checkpoint waits; once a checkpoint is pending, a thread
 * that calls crest_enter() waits until it is over.  Sections nest per thread. */
CREST_PUBLIC void crest_enter(void);
CREST_PUBLIC void crest_leave(void);

/* How the process goes on after its image is safe on disk. */
enum crest_mode {
    CREST_MODE_CONTINUE = 0, /* keep running (default) */
    CREST_MODE_STOP = 1,     /* stop with SIGSTOP; SIGCONT resumes it */
    CREST_MODE_TERM = 2      /* end with SIGKILL: no exit handler runs twice */
};

struct crest_result {
    uint64_t bytes;      /* size of the image file */
    uint64_t nanoseconds;/* time from request to image committed */
    char path[4096];     /* absolute path of the image */
};

#define CREST_CONTINUED 0 /* crest_checkpoint: image written, process went on */
#define CREST_RESTARTED 1 /* crest_checkpoint: returned in a restarted process */

/* Checkpoints the calling process into path (NULL: crest-PID.img in the
 * current directory).  Returns CREST_CONTINUED in the original process and
 * CREST_RESTARTED when the process is later restarted from the image; -1
 * with errno on failure (EDEADLK when called from a callback or inside a
 * critical section).  res may be NULL. */
CREST_PUBLIC int crest_checkpoint(const char *path, enum crest_mode mode, struct crest_result *res);

/* 1 when libcrest is active in this process (its manager thread runs). */
CREST_PUBLIC int crest_active(void);

/* How many times this process has been restarted from an image (0 if never). */
CREST_PUBLIC unsigned crest_restart_count(void);

#ifdef __cplusplus
}
#endif
#endif
