/* crestd.h — the node daemon's state, shared by its parts:
 *   daemon_main.c   arguments, signals, the loop
 *   daemon_tree.c   the tree of daemons: children, parent, routing
 *   daemon_job.c    the ranks of jobs on this host: fork, stdio, exits, kv
 *   daemon_root.c   the root's part: clients, placement, job accounting
 *
 * One daemon per host, single-threaded; `crestd` below is that daemon's
 * state and only the loop's thread touches it. */
#ifndef CREST_CRESTD_H
#define CREST_CRESTD_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "conn.h"
#include "launch.h"
#include "wire.h"

#define CRESTD_MAX_DAEMONS 4096
#define KILL_GRACE_MS 3000     /* SIGTERM, then SIGKILL after this */
#define PARTIAL_LINE_MS 300    /* an unterminated line is sent after this long idle */
#define BACKLOG_HIGH (8u << 20) /* stop reading producers above this */

struct child_daemon {
    int index;
    pid_t launcher_pid; /* crestd, ssh or srun we started; 0 once reaped */
    int out_fd;         /* its stdout+stderr */
    char out_tail[512]; /* last line it printed: the reason if it fails */
    size_t tail_len;
    struct crest_conn *conn;
    int up;
};

struct line_buffer {
    char *data;
    size_t len, cap;
    uint64_t timer;
};

struct rank_proc {
    struct job *job;
    int rank;
    pid_t pid;
    int out_fd, err_fd, in_fd;   /* our ends of its stdio pipes, -1 when closed */
    struct line_buffer out, err;
    struct crest_conn *conn;     /* its runtime socket (libmpi talks here) */
    int exited;
    int status;
    int in_fence;
    int finalized;
    /* stdin for rank 0: bytes waiting for the pipe to take them */
    char *in_buf;
    size_t in_len, in_off;
    int in_eof;
    int in_closed;               /* the rank closed its stdin */
    int exec_status_fd;          /* see start_rank; -1 once read */
    int exec_errno;
    int mpi_ready;               /* MPI_Init is done (MSG_RANK_READY) */
    /* a checkpoint in progress (daemon_ckpt.c) */
    int ckpt_fd;                 /* the rank's libcrest control socket, -1 when none */
    size_t ckpt_got;             /* reply bytes read so far */
    void *ckpt_reply;            /* struct crest_control_reply being read */
};

enum job_state { JOB_STARTING, JOB_RUNNING, JOB_ENDING, JOB_DONE };

struct job {
    uint32_t id;
    enum job_state state;
    int nranks;
    uint32_t *daemon_of_rank;
    char **argv, **envp;
    char program[PATH_MAX];  /* argv[0] found in the job's PATH */
    char cwd[PATH_MAX];
    uint32_t flags;          /* JOB_* */
    int64_t started_ms;      /* monotonic */
    int64_t started_realtime;/* seconds since the epoch */

    /* on this daemon */
    struct rank_proc *local;
    int nlocal;
    int local_running;
    uint64_t kill_timer;
    uint64_t launch_timer;    /* more local ranks to start (launch_more) */
    int next_to_start;
    int kill_signal_sent;

    /* key/value fence: pairs of this subtree gathered for the parent */
    struct crest_wbuf fence_pairs;
    uint32_t fence_npairs;
    int fence_local;          /* local ranks in the fence */
    int fence_children;       /* children that reported */
    struct crest_wbuf pending_puts; /* puts of local ranks since the last fence */
    uint32_t pending_nputs;

    uint64_t ckpt_seq;        /* the checkpoint prepared or running here, 0 when none */

    struct job *next;
};

#define JOB_TAG_OUTPUT 1u

struct crestd {
    int index;                  /* 0: root */
    int ndaemons;
    int fanout;
    char **hosts;               /* host name of each daemon index */
    char hostname[256];
    uint8_t secret[CREST_SECRET_LEN];
    char crestd_path[PATH_MAX];
    struct crest_launcher launcher;
    int boot;                   /* daemons stay up across jobs */

    struct crest_conn *parent;  /* NULL at the root */
    int listen_fd;
    int listen_port;
    struct child_daemon *children;
    int nchildren;

    int daemons_up;             /* root: daemons that reported up (itself included) */
    int tree_ready;
    int shutting_down;

    struct job *jobs;

};

extern struct crestd crestd;

/* daemon_tree.c */
void tree_setup(void);                 /* listen and launch children */
void tree_send_up(uint16_t type, uint32_t job, struct crest_wbuf *b);
void tree_send_to(int daemon, uint16_t type, uint32_t job, struct crest_wbuf *b);
void tree_broadcast(uint16_t type, uint32_t job, const void *p, size_t len);
void tree_message(struct crest_conn *c, const struct crest_wire_header *h, const uint8_t *p);
void tree_connect_parent(const char *addr);
void tree_shutdown(void);
void tree_child_output(struct child_daemon *ch);
int tree_reap_launcher(pid_t pid, int status);
void tree_backpressure(int paused);

/* daemon_job.c */
struct job *job_find(uint32_t id);
void job_launch(uint32_t id, struct crest_rbuf *r);     /* MSG_LAUNCH payload */
void job_kill(struct job *j, int sig);
void job_signal(struct job *j, int sig);
void job_stdin(struct job *j, const uint8_t *p, size_t n);
void job_forget(struct job *j);
int job_reap_rank(pid_t pid, int status);
void job_fence_down(struct job *j, const uint8_t *p, size_t n);
void job_fence_up(struct job *j, struct crest_rbuf *r);
void job_free(struct job *j);
void job_pause_output(int paused);
void jobs_kill_all(int sig);
int jobs_running(void);

/* daemon_ckpt.c */
void ckpt_prepare(struct job *j, struct crest_rbuf *r);
void ckpt_go(struct job *j, struct crest_rbuf *r);
void ckpt_cancel(struct job *j);
void ckpt_rank_gone(struct rank_proc *rp);   /* a rank ended: drop its part */

/* daemon_root.c */
int root_start(int starter_fd, const char *boot_hostfile, int ready_fd);
void root_message(uint16_t type, uint32_t job, const uint8_t *p, size_t n); /* arrived from below */
void root_backpressure(void);
void root_cleanup(void);

/* daemon_main.c */
void crestd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void crestd_exit(int code) __attribute__((noreturn));

#endif
