/* mpirun_ckpt.h — mpirun as the coordinator of its job's checkpoints
 * (mpirun_ckpt.c): requests come from `crest checkpoint JOB` (over the
 * local socket mpirun-PID.sock), from a signal, from a timer, or from
 * SIGTERM with --checkpoint-on-term; snapshots are committed here. */
#ifndef CREST_MPIRUN_CKPT_H
#define CREST_MPIRUN_CKPT_H

#include <limits.h>
#include <stdint.h>

#include "../runtime/conn.h"

/* mpirun's exit code after it ended the job on a committed snapshot
 * (--term, --checkpoint-on-term). */
#define MPIRUN_EXIT_CHECKPOINTED 85

/* How the job goes on after its images are written. */
enum job_ckpt_mode { JOB_CKPT_CONTINUE = 0, JOB_CKPT_STOP = 1, JOB_CKPT_TERM = 2 };

struct ckpt_config {
    char dir[PATH_MAX];     /* where snapshots go (absolute) */
    int keep;               /* committed snapshots kept; 0: all */
    int64_t interval_ms;    /* periodic checkpoints; 0: none */
    int signal;             /* the signal that asks for one (SIGUSR1 default); 0: none */
    int on_term;            /* SIGTERM takes a snapshot, then ends the job */
    int argc;               /* the job's command line, for the manifest */
    char **argv;
    char cwd[PATH_MAX];
};

/* Opens mpirun-PID.sock in the runtime directory and keeps the config.
 * Returns 0, or -1 after one line on stderr. */
int ckpt_init(const struct ckpt_config *cfg, struct crest_conn *runtime);
/* The runtime accepted the job: its id and rank count. */
void ckpt_job_accepted(uint32_t job, int nranks);
/* A message from the runtime about checkpoints; 1 when it was one. */
int ckpt_runtime_message(const struct crest_wire_header *h, const uint8_t *p);
/* Asks for a checkpoint (queued behind a running one); origin names the
 * asker in messages ("SIGUSR1", "the interval", ...). */
void ckpt_request(enum job_ckpt_mode mode, const char *origin);
/* The job ended or the runtime is gone: a running checkpoint fails. */
void ckpt_job_ended(void);
/* Removes the socket. */
void ckpt_cleanup(void);

/* Provided by mpirun.c: end the job at once after a committed snapshot
 * (its ranks are stopped), and exit with MPIRUN_EXIT_CHECKPOINTED. */
void mpirun_end_after_checkpoint(void);
/* Provided by mpirun.c: one line on stderr, "mpirun: ..." */
void mpirun_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Provided by mpirun.c: send a signal to every rank. */
void mpirun_signal_job(int sig);

#endif
