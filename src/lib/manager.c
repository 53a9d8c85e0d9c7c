/* manager.c — the libcrest manager thread: it owns the control socket,
 * serves checkpoint requests (from `crest checkpoint` or from the process
 * itself) and brings the process back to life after a restart. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../common/control_protocol.h"
#include "libcrest_internal.h"

#define MANAGER_STACK_SIZE (256u << 10)
#define SECTION_TIMEOUT_MS 30000

struct crest_runtime crest_rt = {.listen_fd = -1, .client_fd = -1, .wake_fd = {-1, -1},
                                 .tid_offset = -1};

/* The stack the manager starts on after a restart (its old frames are gone). */
char crest_manager_restart_stack[64 << 10] __attribute__((aligned(64)));
char *const crest_manager_restart_stack_end =
    crest_manager_restart_stack + sizeof crest_manager_restart_stack;

/* A checkpoint the process asked for itself; guarded by self_lock, the
 * result is published through self_done (futex word). */
static pthread_mutex_t self_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    struct crest_control_request req;
    struct crest_control_reply reply;
    _Atomic int32_t done;   /* 0 waiting, 1 continued/failed, 2 restarted */
    _Atomic int32_t queued;
} self_request;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- the checkpoint itself ---- */

/* Takes the image asked for and fills in rep. With a reply_fd, the reply is
 * sent from here as soon as the image is safe: before the process ends
 * (--term) or stops (--stop), so that no thread runs in between. */
static void checkpoint(const struct crest_control_request *req, struct crest_control_reply *rep,
                       int reply_fd)
{
    uint64_t t0 = now_ns();
    char err[256];
    memset(rep, 0, sizeof *rep);
    rep->magic = CREST_CONTROL_MAGIC;
    /* Critical sections first: callbacks (a communication library draining
     * its channels, say) run with every thread held outside them. */
    if (crest_sections_close(SECTION_TIMEOUT_MS)) {
        rep->error = ETIMEDOUT;
        snprintf(rep->message, sizeof rep->message,
                 "a critical section (crest_enter) stayed open for %d s; no image was taken",
                 SECTION_TIMEOUT_MS / 1000);
        return;
    }
    crest_run_callbacks(CREST_EVENT_CHECKPOINT);
    if (crest_stop_threads(err, sizeof err)) {
        rep->error = EAGAIN;
        snprintf(rep->message, sizeof rep->message, "%s; no image was taken", err);
        crest_sections_open();
        crest_run_callbacks(CREST_EVENT_ABORT);
        return;
    }
    rep->quiesce_nanoseconds = now_ns() - t0;
    rep->threads = (uint32_t)atomic_load(&crest_rt.slots_used) + 1;
    int offset = crest_find_tid_offset();
    if (offset >= 0)
        crest_rt.tid_offset = offset;
    struct crest_write_result wres;
    crest_write_image(req->path, !(req->flags & CREST_REQ_NO_SYNC), &wres);
    rep->nanoseconds = now_ns() - t0;
    rep->bytes = wres.bytes;
    if (wres.error) {
        crest_release_threads();
        crest_sections_open();
        rep->error = wres.error;
        snprintf(rep->message, sizeof rep->message, "%s: %s (image %s)", wres.failed,
                 strerror(wres.error), req->path);
        crest_run_callbacks(CREST_EVENT_ABORT);
        return;
    }
    if (req->mode == CREST_MODE_TERM) {
        /* Nothing of the process may run again: an exit handler would write
         * what the restarted process writes once more. */
        if (reply_fd >= 0)
            send(reply_fd, rep, sizeof *rep, MSG_NOSIGNAL);
        syscall(SYS_kill, crest_rt.pid, SIGKILL);
        for (;;)
            pause();
    }
    if (req->mode == CREST_MODE_STOP) {
        /* The process stops as it was imaged: the threads are still held
         * here, and are released only once it is continued. */
        if (reply_fd >= 0)
            send(reply_fd, rep, sizeof *rep, MSG_NOSIGNAL);
        kill(crest_rt.pid, SIGSTOP);
    }
    crest_release_threads();
    crest_sections_open();
    crest_run_callbacks(CREST_EVENT_CONTINUE);
}

/* ---- control socket ---- */

static int make_control_dir(char *dir, size_t len)
{
    if (crest_control_dir(dir, len))
        return -1;
    if (mkdir(dir, 0700) && errno != EEXIST)
        return -1;
    struct stat st;
    if (lstat(dir, &st) || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
        (st.st_mode & 077)) {
        fprintf(stderr, "crest: control directory %s is not a private directory of uid %u; "
                        "checkpointing is off (fix its owner/mode or set CREST_RUNTIME_DIR)\n",
                dir, (unsigned)getuid());
        return -1;
    }
    return 0;
}

static int open_control_socket(void)
{
    char dir[256];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (make_control_dir(dir, sizeof dir) ||
        crest_control_socket_path(crest_rt.pid, sa.sun_path, sizeof sa.sun_path))
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    unlink(sa.sun_path); /* a stale socket of an earlier process with this pid */
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 8)) {
        close(fd);
        return -1;
    }
    memcpy(crest_rt.socket_path, sa.sun_path, sizeof crest_rt.socket_path);
    crest_rt.listen_fd = crest_move_fd_high(fd);
    return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0)
            return -1;
        ssize_t n = recv(fd, (char *)buf + got, len - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

static void serve_client(int fd)
{
    struct ucred cred;
    socklen_t clen = sizeof cred;
    struct crest_control_request req;
    struct crest_control_reply rep;
    memset(&rep, 0, sizeof rep);
    rep.magic = CREST_CONTROL_MAGIC;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) ||
        (cred.uid != getuid() && cred.uid != 0))
        return; /* only the owner (or root) may ask */
    if (read_full(fd, &req, sizeof req))
        return;
    req.path[sizeof req.path - 1] = 0;
    if (req.magic != CREST_CONTROL_MAGIC || req.version != CREST_CONTROL_VERSION) {
        rep.error = EPROTO;
        snprintf(rep.message, sizeof rep.message,
                 "the request speaks control protocol %u, this process speaks %u; "
                 "use the crest of the version that started it",
                 req.version, CREST_CONTROL_VERSION);
    } else if (req.path[0] != '/' || req.mode > CREST_MODE_TERM) {
        rep.error = EINVAL;
        snprintf(rep.message, sizeof rep.message, "malformed request (path must be absolute)");
    } else {
        crest_rt.client_fd = fd;
        checkpoint(&req, &rep, fd);
        crest_rt.client_fd = -1;
    }
    if (rep.error || req.mode == CREST_MODE_CONTINUE)
        send(fd, &rep, sizeof rep, MSG_NOSIGNAL); /* else checkpoint() sent it */
}

static void serve_self_request(void)
{
    char c;
    while (read(crest_rt.wake_fd[0], &c, 1) == 1)
        ;
    if (!atomic_load(&self_request.queued))
        return;
    atomic_store(&self_request.queued, 0);
    checkpoint(&self_request.req, &self_request.reply, -1);
    atomic_store(&self_request.done, 1);
    crest_futex_wake(&self_request.done);
}

static void manager_loop(void)
{
    for (;;) {
        struct pollfd p[2] = {{crest_rt.listen_fd, POLLIN, 0}, {crest_rt.wake_fd[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0)
            continue;
        if (p[1].revents)
            serve_self_request();
        if (p[0].revents & POLLIN) {
            int fd = accept4(crest_rt.listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) {
                serve_client(fd);
                close(fd);
            }
        }
    }
}

static void *manager_main(void *arg)
{
    (void)arg;
    crest_rt.manager_tid = (pid_t)syscall(SYS_gettid);
    manager_loop();
    return NULL;
}

static int open_wake_pipe(void)
{
    if (pipe2(crest_rt.wake_fd, O_CLOEXEC | O_NONBLOCK))
        return -1;
    crest_rt.wake_fd[0] = crest_move_fd_high(crest_rt.wake_fd[0]);
    crest_rt.wake_fd[1] = crest_move_fd_high(crest_rt.wake_fd[1]);
    return 0;
}

/* libcrest's descriptors live far above the program's, where the lowest free
 * number a program gets from open() never lands on them. */
int crest_move_fd_high(int fd)
{
    struct rlimit rl;
    int floor = 900;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1024)
        floor = (int)rl.rlim_cur * 3 / 4;
    if (fd < 0 || fd >= floor)
        return fd;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
    if (high < 0)
        return fd;
    close(fd);
    return high;
}

int crest_manager_start(void)
{
    crest_rt.pid = getpid();
    if (open_control_socket() || open_wake_pipe())
        return -1;
    pthread_attr_t attr;
    void *stack = mmap(NULL, MANAGER_STACK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return -1;
    crest_rt.manager_stack = stack;
    crest_rt.manager_stack_size = MANAGER_STACK_SIZE;
    crest_rt.volatile_ranges[1] = (struct crest_range){(uint64_t)stack,
                                                       (uint64_t)stack + MANAGER_STACK_SIZE};
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, stack, MANAGER_STACK_SIZE);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the manager takes no signal */
    pthread_t th;
    int rc = pthread_create(&th, &attr, manager_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (rc) {
        errno = rc;
        return -1;
    }
    crest_rt.active = 1;
    return 0;
}

/* ---- self-requests ---- */

int crest_request_self(const char *path, int mode, struct crest_result *res)
{
    pthread_mutex_lock(&self_lock);
    struct crest_control_request *req = &self_request.req;
    memset(req, 0, sizeof *req);
    req->magic = CREST_CONTROL_MAGIC;
    req->version = CREST_CONTROL_VERSION;
    req->mode = (uint32_t)mode;
    int n;
    if (!path || !*path) {
        char cwd[PATH_MAX];
        n = getcwd(cwd, sizeof cwd) ? snprintf(req->path, sizeof req->path, "%s/crest-%d.img",
                                              cwd, (int)getpid())
                                    : -1;
    } else if (path[0] == '/') {
        n = snprintf(req->path, sizeof req->path, "%s", path);
    } else {
        char cwd[PATH_MAX];
        n = getcwd(cwd, sizeof cwd) ? snprintf(req->path, sizeof req->path, "%s/%s", cwd, path) : -1;
    }
    if (n < 0 || (size_t)n >= sizeof req->path) {
        pthread_mutex_unlock(&self_lock);
        errno = ENAMETOOLONG;
        return -1;
    }
    atomic_store(&self_request.done, 0);
    atomic_store(&self_request.queued, 1);
    char c = 1;
    if (write(crest_rt.wake_fd[1], &c, 1) < 0 && errno != EAGAIN) {
        pthread_mutex_unlock(&self_lock);
        return -1;
    }
    while (atomic_load(&self_request.done) == 0)
        crest_futex_wait(&self_request.done, 0, -1);
    int done = atomic_load(&self_request.done);
    struct crest_control_reply rep = self_request.reply;
    pthread_mutex_unlock(&self_lock);
    if (res) {
        res->bytes = rep.bytes;
        res->nanoseconds = rep.nanoseconds;
        memcpy(res->path, req->path, sizeof res->path);
    }
    if (rep.error) {
        errno = rep.error;
        return -1;
    }
    return done == 2 ? CREST_RESTARTED : CREST_CONTINUED;
}

/* ---- after a restart ---- */

void crest_manager_restart_entry(void)
{
    crest_rt.pid = getpid();
    crest_rt.manager_tid = (pid_t)syscall(SYS_gettid);
    crest_rt.restart_count++;
    crest_rt.listen_fd = crest_rt.wake_fd[0] = crest_rt.wake_fd[1] = crest_rt.client_fd = -1;
    crest_restore_process_state();
    if (open_control_socket() || open_wake_pipe())
        crest_warn("cannot open a control socket after the restart (%s); it runs on but "
                   "cannot be checkpointed again", strerrordesc_np(errno));
    crest_release_restored_threads();
    /* every restored thread has left the restarter's code by now */
    if (crest_rt.restart_info.blob_len)
        munmap((void *)crest_rt.restart_info.blob_start, crest_rt.restart_info.blob_len);
    crest_sections_open();
    crest_run_callbacks(CREST_EVENT_RESTART);
    if (atomic_load(&self_request.done) == 0 && self_request.req.magic) {
        /* the image was taken for the process's own request: it returns now */
        memset(&self_request.reply, 0, sizeof self_request.reply);
        atomic_store(&self_request.done, 2);
        crest_futex_wake(&self_request.done);
    }
    manager_loop();
}
