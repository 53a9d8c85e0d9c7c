/* libcrest_internal.h — state shared by the parts of libcrest that run
 * inside the checkpointed process. */
#ifndef CREST_LIBCREST_INTERNAL_H
#define CREST_LIBCREST_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/image_format.h"
#include "crest.h"

#define CREST_MAX_THREADS 1024
#define CREST_MAX_CALLBACKS 64
#define CREST_MAX_EXCLUDES 16
#define CREST_DEFAULT_SIGNAL (SIGRTMAX - 2) /* CREST_SIGNAL overrides */

/* One stopped thread, filled in by the thread itself in the stop handler. */
struct crest_thread_slot {
    struct crest_rec_thread rec;
};

/* Handed over by the restarter: it writes this into the restored memory
 * before any restored thread runs. */
struct crest_restart_info {
    uint64_t magic;              /* CREST_RESTART_MAGIC once written */
    int32_t image_fd;            /* the image, still open */
    int32_t pid;                 /* the new pid */
    uint64_t blob_start, blob_len; /* the restarter's last stage: unmap me */
    char image_path[4096];
    int32_t kept_fd;             /* the restarting runtime's socket, or -1: it replaces
                                    whatever the image had at that number */
    int32_t reserved;
};
#define CREST_RESTART_MAGIC 0x5245535441525431ull

/* Ranges of this process that never go into an image (scratch memory of the
 * image writer). */
struct crest_range {
    uint64_t start, end;
};

/* The state of libcrest in this process.  Owned by the manager thread; the
 * fields other threads touch are atomics, as marked. */
struct crest_runtime {
    int active;
    int signal;                  /* the stop signal */
    pid_t pid;
    pid_t manager_tid;
    void *manager_stack;
    size_t manager_stack_size;
    int listen_fd;
    int client_fd;               /* connection of the request being served */
    int wake_fd[2];              /* self-requests wake the manager */
    char socket_path[108];

    /* stop protocol */
    _Atomic uint32_t gate;       /* 0 while threads must stay stopped */
    _Atomic int32_t slots_used;  /* slots handed out to stopping threads */
    _Atomic int32_t arrived;     /* threads stopped (futex word) */
    _Atomic int32_t departed;    /* threads that left the handler */
    _Atomic int32_t resumed;     /* restored threads ready (futex word) */
    _Atomic int stopping;        /* the stop signal is ours to take */
    struct crest_thread_slot slots[CREST_MAX_THREADS];

    /* critical sections */
    _Atomic int32_t cs_pending;  /* a checkpoint waits or runs (futex word) */
    _Atomic int32_t cs_inside;   /* threads inside a section (futex word) */

    /* glibc facts found at run time */
    int32_t tid_offset;          /* offset of the tid in struct pthread, -1 unknown */

    /* Memory the manager itself changes while it writes (libcrest's data and
     * the manager's stack): saved from a copy, so data and checksum agree. */
    struct crest_range volatile_ranges[2];

    struct crest_range excludes[CREST_MAX_EXCLUDES];
    int nexcludes;

    unsigned restart_count;
    /* the image this process was restarted from, whose pages it may still map */
    uint64_t image_dev, image_ino;
    struct crest_restart_info restart_info;
};

extern struct crest_runtime crest_rt;

/* context_switch.S: returns 0 when saving; "returns" 1 again when a restored
 * thread is resumed from the saved registers. */
int crest_context_save(struct crest_thread_context *ctx) __attribute__((returns_twice));

/* stop.c */
int crest_stop_install(void);
int crest_stop_threads(char *err, size_t errlen);    /* -1 on failure */
void crest_release_threads(void);
void crest_release_restored_threads(void);
int crest_find_tid_offset(void);

/* image_writer.c */
struct crest_write_result {
    uint64_t bytes;
    int error;          /* errno of what failed, 0 on success */
    const char *failed; /* what failed; the message is made once threads run */
};
void crest_write_image(const char *path, int sync, struct crest_write_result *res);
/* The hex number after key in a /proc status text (0 if absent). */
uint64_t crest_status_hex(const char *status, const char *key);

/* api.c */
void crest_run_callbacks(enum crest_event ev);
int crest_sections_close(int timeout_ms);
void crest_sections_open(void);
/* libcrest is loaded at start-up (preloaded or linked), never by dlopen, so
 * its thread-local variables can live in the static TLS block: one load
 * instead of a call to __tls_get_addr. */
#define CREST_TLS __attribute__((tls_model("initial-exec")))

extern __thread int crest_in_callback CREST_TLS;

/* manager.c */
int crest_manager_start(void);
void crest_manager_restart_entry(void);
int crest_request_self(const char *path, int mode, struct crest_result *res);

int crest_move_fd_high(int fd);
/* 1 when fd is one of libcrest's own descriptors */
int crest_own_fd(int fd);

/* restore_kernel_fds.c: eventfd, timerfd, signalfd, epoll from fdinfo text */
struct crest_rec_fd;
int crest_rebuild_kernel_fd(const struct crest_rec_fd *f, const char *path, const char *info);
void crest_fill_epoll(int epfd, const char *info);

/* restore_state.c: run by the manager after a restart */
void crest_restore_process_state(void);

/* interpose.c: the C library's own functions, past our wrappers */
struct sigaction;
int crest_real_sigaction(int sig, const struct sigaction *sa, struct sigaction *old);
void crest_interpose_init(void);
void crest_note_new_tid(int32_t old_tid);

/* warn.c: one line on stderr, "crest: process PID: ...", without stdio */
void crest_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* futex helpers */
void crest_futex_wait(_Atomic int32_t *word, int32_t val, long timeout_ms);
void crest_futex_wake(_Atomic int32_t *word);

#endif
