/* daemon_tree.c — crestd's place in the tree of daemons: launching and
 * accepting its children, the connection to its parent, and passing
 * messages up to the root and down to the daemons below. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crestd.h"
#include "loop.h"
#include "tree.h"

static void tree_closed(struct crest_conn *c, const char *why);
static void tree_trusted(struct crest_conn *c);
static const struct crest_conn_ops tree_ops = { tree_message, tree_closed, tree_trusted };

static struct child_daemon *child_of_index(int index)
{
    for (int i = 0; i < crestd.nchildren; i++)
        if (crestd.children[i].index == index)
            return &crestd.children[i];
    return NULL;
}

static struct child_daemon *child_of_conn(struct crest_conn *c)
{
    for (int i = 0; i < crestd.nchildren; i++)
        if (crestd.children[i].conn == c)
            return &crestd.children[i];
    return NULL;
}

/* ------------------------------------------------------------- sending */

/* At the root, messages "up" from its own ranks are handled from the loop,
 * not from inside the code that sends them: the root's handling may end
 * and free the very job that code is working on. */
struct up_message {
    struct up_message *next;
    uint16_t type;
    uint32_t job;
    size_t len;
    uint8_t data[];
};
static struct up_message *up_head, **up_tail = &up_head; /* the loop's thread owns it */
static uint64_t up_timer;

static void deliver_up(void *arg)
{
    up_timer = 0;
    while (up_head) {
        struct up_message *m = up_head;
        up_head = m->next;
        if (!up_head)
            up_tail = &up_head;
        root_message(m->type, m->job, m->data, m->len);
        free(m);
    }
}

void tree_send_up(uint16_t type, uint32_t job, struct crest_wbuf *b)
{
    if (crestd.index == 0) {
        if (b->failed)
            return;
        struct up_message *m = malloc(sizeof *m + b->len);
        if (!m)
            return;
        m->next = NULL;
        m->type = type;
        m->job = job;
        m->len = b->len;
        if (b->len)
            memcpy(m->data, b->data, b->len);
        *up_tail = m;
        up_tail = &m->next;
        if (!up_timer)
            up_timer = crest_loop_timer(0, deliver_up, NULL);
        return;
    }
    if (crestd.parent)
        crest_conn_send_wbuf(crestd.parent, type, job, b);
}

/* Handles a message that travels down, here. */
static void down_local(uint16_t type, uint32_t jobid, const uint8_t *p, size_t n)
{
    struct crest_rbuf r = crest_rbuf_of(p, n);
    struct job *j = job_find(jobid);
    switch (type) {
    case MSG_LAUNCH:
        job_launch(jobid, &r);
        break;
    case MSG_KILL_JOB:
        if (j)
            job_kill(j, (int)crest_rbuf_u32(&r));
        break;
    case MSG_SIGNAL:
        if (j)
            job_signal(j, (int)crest_rbuf_u32(&r));
        break;
    case MSG_STDIN:
        crest_rbuf_u32(&r); /* the target: this daemon */
        if (j) {
            size_t len;
            const uint8_t *data = crest_rbuf_bytes(&r, &len);
            if (!r.bad)
                job_stdin(j, data, len);
        }
        break;
    case MSG_KV_FENCE_DOWN:
        if (j)
            job_fence_down(j, p, n);
        break;
    case MSG_JOB_DONE:
        if (j)
            job_forget(j);
        break;
    case MSG_CKPT_PREPARE:
        if (j)
            ckpt_prepare(j, &r);
        break;
    case MSG_CKPT_GO:
        if (j)
            ckpt_go(j, &r);
        break;
    case MSG_CKPT_CANCEL:
        if (j)
            ckpt_cancel(j);
        break;
    case MSG_SHUTDOWN:
        tree_shutdown();
        break;
    default:
        crestd_log("ignored a message of type %u from the parent daemon", type);
    }
}

/* Sends a message down to every daemon below, and handles it here. */
void tree_broadcast(uint16_t type, uint32_t job, const void *p, size_t len)
{
    for (int i = 0; i < crestd.nchildren; i++)
        if (crestd.children[i].conn && crestd.children[i].up)
            crest_conn_send(crestd.children[i].conn, type, job, p, len);
    down_local(type, job, p, len);
}

/* Sends a message whose payload starts with the target daemon's index. */
void tree_send_to(int daemon, uint16_t type, uint32_t job, struct crest_wbuf *b)
{
    if (b->failed)
        return;
    if (daemon == crestd.index) {
        down_local(type, job, b->data, b->len);
        return;
    }
    int hop = crest_tree_next_hop(crestd.index, daemon, crestd.fanout);
    struct child_daemon *ch = hop >= 0 ? child_of_index(hop) : NULL;
    if (ch && ch->conn)
        crest_conn_send_wbuf(ch->conn, type, job, b);
}

/* ------------------------------------------------------------- receiving */

static void send_tree_info(struct child_daemon *ch)
{
    struct crest_wbuf b = { 0 };
    crest_wbuf_u32(&b, (uint32_t)crestd.ndaemons);
    crest_wbuf_u32(&b, (uint32_t)crestd.fanout);
    crest_wbuf_u32(&b, (uint32_t)crestd.boot);
    crest_wbuf_u32(&b, (uint32_t)crestd.launcher.kind);
    crest_wbuf_str(&b, crestd.launcher.rsh);
    crest_wbuf_str(&b, crestd.crestd_path);
    for (int i = 0; i < crestd.ndaemons; i++)
        crest_wbuf_str(&b, crestd.hosts[i]);
    crest_conn_send_wbuf(ch->conn, MSG_TREE, 0, &b);
    crest_wbuf_free(&b);
}

static void report_failed(int index, const char *why)
{
    struct crest_wbuf b = { 0 };
    crest_wbuf_u32(&b, (uint32_t)index);
    crest_wbuf_str(&b, why);
    tree_send_up(MSG_DAEMON_FAILED, 0, &b);
    crest_wbuf_free(&b);
}

static void from_child(struct crest_conn *c, const struct crest_wire_header *h, const uint8_t *p)
{
    struct child_daemon *ch = child_of_conn(c);
    if (!ch) {
        /* A trusted connection that has not said who it is yet. */
        struct crest_rbuf r = crest_rbuf_of(p, h->length);
        int index = (int)crest_rbuf_u32(&r);
        char host[256];
        crest_rbuf_str(&r, host, sizeof host);
        struct child_daemon *want = r.bad || h->type != MSG_HELLO ? NULL : child_of_index(index);
        if (!want || want->conn) {
            crestd_log("closed a connection from %s: it claimed to be daemon %d, which is not an awaited child of this daemon",
                       c->peer, index);
            crest_conn_close(c);
            return;
        }
        want->conn = c;
        want->up = 1;
        c->owner = want;
        snprintf(c->peer, sizeof c->peer, "crestd on %s", crestd.hosts[index]);
        send_tree_info(want);
        return;
    }
    if (h->type == MSG_KV_FENCE_UP) {
        struct job *j = job_find(h->job);
        struct crest_rbuf r = crest_rbuf_of(p, h->length);
        if (j)
            job_fence_up(j, &r);
        return;
    }
    /* Everything else from below travels on to the root. */
    if (crestd.index == 0)
        root_message(h->type, h->job, p, h->length);
    else if (crestd.parent)
        crest_conn_send(crestd.parent, h->type, h->job, p, h->length);
}

static void from_parent(const struct crest_wire_header *h, const uint8_t *p)
{
    if (h->type == MSG_TREE) {
        struct crest_rbuf r = crest_rbuf_of(p, h->length);
        int n = (int)crest_rbuf_u32(&r);
        crestd.fanout = (int)crest_rbuf_u32(&r);
        crestd.boot = (int)crest_rbuf_u32(&r);
        crestd.launcher.kind = (enum crest_launch_kind)crest_rbuf_u32(&r);
        crest_rbuf_str(&r, crestd.launcher.rsh, sizeof crestd.launcher.rsh);
        crest_rbuf_str(&r, crestd.crestd_path, sizeof crestd.crestd_path);
        if (r.bad || n < 1 || n > CRESTD_MAX_DAEMONS || crestd.fanout < 1 || crestd.index >= n) {
            crestd_log("the parent daemon sent a malformed tree description; exiting");
            crestd_exit(1);
        }
        crestd.ndaemons = n;
        crestd.hosts = calloc((size_t)n, sizeof *crestd.hosts);
        for (int i = 0; i < n && crestd.hosts; i++)
            crestd.hosts[i] = crest_rbuf_strdup(&r);
        if (!crestd.hosts || r.bad) {
            crestd_log("the parent daemon sent a malformed tree description; exiting");
            crestd_exit(1);
        }
        tree_setup();
        struct crest_wbuf b = { 0 };
        crest_wbuf_u32(&b, (uint32_t)crestd.index);
        tree_send_up(MSG_DAEMON_UP, 0, &b);
        crest_wbuf_free(&b);
        return;
    }
    uint32_t target = 0;
    if (h->type == MSG_STDIN) {
        struct crest_rbuf r = crest_rbuf_of(p, h->length);
        target = crest_rbuf_u32(&r);
        if ((int)target != crestd.index) {
            int hop = crest_tree_next_hop(crestd.index, (int)target, crestd.fanout);
            struct child_daemon *ch = hop >= 0 ? child_of_index(hop) : NULL;
            if (ch && ch->conn)
                crest_conn_send(ch->conn, h->type, h->job, p, h->length);
            return;
        }
        down_local(h->type, h->job, p, h->length);
        return;
    }
    /* Pass it on first: a shutdown ends this process. */
    for (int i = 0; i < crestd.nchildren; i++)
        if (crestd.children[i].conn && crestd.children[i].up)
            crest_conn_send(crestd.children[i].conn, h->type, h->job, p, h->length);
    if (h->type == MSG_SHUTDOWN)
        for (int i = 0; i < crestd.nchildren; i++)
            if (crestd.children[i].conn)
                crest_conn_drain(crestd.children[i].conn, 1000);
    down_local(h->type, h->job, p, h->length);
}

void tree_message(struct crest_conn *c, const struct crest_wire_header *h, const uint8_t *p)
{
    if (c == crestd.parent)
        from_parent(h, p);
    else
        from_child(c, h, p);
}

static void tree_trusted(struct crest_conn *c)
{
    if (c != crestd.parent)
        return; /* an accepted child: it speaks first */
    struct crest_wbuf b = { 0 };
    crest_wbuf_u32(&b, (uint32_t)crestd.index);
    crest_wbuf_str(&b, crestd.hostname);
    crest_wbuf_u32(&b, (uint32_t)getpid());
    crest_conn_send_wbuf(c, MSG_HELLO, 0, &b);
    crest_wbuf_free(&b);
}

static void tree_closed(struct crest_conn *c, const char *why)
{
    if (c == crestd.parent) {
        crestd.parent = NULL;
        if (!crestd.shutting_down)
            crestd_log("lost the connection to the parent daemon (%s); ending the ranks here", why);
        tree_shutdown();
        return;
    }
    struct child_daemon *ch = child_of_conn(c);
    if (!ch) {
        crestd_log("closed a connection from %s: %s", c->peer, why);
        return;
    }
    ch->conn = NULL;
    if (ch->up && !crestd.shutting_down) {
        char msg[512];
        snprintf(msg, sizeof msg, "lost the crestd of host %s (%s)", crestd.hosts[ch->index], why);
        report_failed(ch->index, msg);
    }
    ch->up = 0;
}

/* ------------------------------------------------------------- accepting */

static void on_accept(void *arg, int fd, short revents)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int s = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (s < 0)
        return;
    char peer[128] = "?";
    char hostbuf[64], portbuf[16];
    if (!getnameinfo((struct sockaddr *)&ss, sl, hostbuf, sizeof hostbuf, portbuf, sizeof portbuf,
                     NI_NUMERICHOST | NI_NUMERICSERV))
        snprintf(peer, sizeof peer, "%s:%s", hostbuf, portbuf);
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!crest_conn_new(s, CREST_CONN_ACCEPTED, crestd.secret, &tree_ops, NULL, peer))
        close(s);
}

static int start_listening(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return -1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
    socklen_t al = sizeof a;
    if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 1024) ||
        getsockname(s, (struct sockaddr *)&a, &al)) {
        close(s);
        return -1;
    }
    crestd.listen_fd = s;
    crestd.listen_port = ntohs(a.sin_port);
    crest_loop_watch(s, POLLIN, on_accept, NULL);
    return 0;
}

/* The address of this host that `host` reaches it by: the source address
 * the kernel picks for a datagram to host. */
static int address_towards(const char *host, char *out, size_t len, char *err, size_t errlen)
{
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *res;
    int e = getaddrinfo(host, "9", &hints, &res);
    if (e) {
        snprintf(err, errlen, "cannot resolve host %s: %s", host, gai_strerror(e));
        return -1;
    }
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in me;
    socklen_t ml = sizeof me;
    int ok = s >= 0 && !connect(s, res->ai_addr, res->ai_addrlen) && !getsockname(s, (struct sockaddr *)&me, &ml);
    freeaddrinfo(res);
    if (s >= 0)
        close(s);
    if (!ok) {
        snprintf(err, errlen, "no route from %s to host %s", crestd.hostname, host);
        return -1;
    }
    inet_ntop(AF_INET, &me.sin_addr, out, (socklen_t)len);
    return 0;
}

static void on_child_output(void *arg, int fd, short revents)
{
    tree_child_output(arg);
}

void tree_child_output(struct child_daemon *ch)
{
    char buf[4096];
    ssize_t r = read(ch->out_fd, buf, sizeof buf);
    if (r <= 0) {
        if (r < 0 && errno == EINTR)
            return;
        crest_loop_unwatch(ch->out_fd);
        close(ch->out_fd);
        ch->out_fd = -1;
        return;
    }
    /* What a running child prints (its log lines) goes to our stderr as it
     * is.  Before it is up, what it (or ssh) says is only kept: its last
     * line becomes the reason in the one line reporting the failure. */
    if (ch->up && write(2, buf, (size_t)r) < 0) {
    }
    for (ssize_t i = 0; i < r; i++) {
        if (buf[i] == '\n') {
            if (ch->tail_len)
                ch->out_tail[ch->tail_len] = 0;
            ch->tail_len = 0;
            continue;
        }
        if (ch->tail_len == 0)
            ch->out_tail[0] = 0;
        if (ch->tail_len + 1 < sizeof ch->out_tail)
            ch->out_tail[ch->tail_len++] = buf[i];
    }
    if (ch->tail_len)
        ch->out_tail[ch->tail_len] = 0;
}

int tree_reap_launcher(pid_t pid, int status)
{
    for (int i = 0; i < crestd.nchildren; i++) {
        struct child_daemon *ch = &crestd.children[i];
        if (ch->launcher_pid != pid)
            continue;
        ch->launcher_pid = 0;
        if (ch->out_fd >= 0) /* take what it said last */
            while (ch->out_fd >= 0)
                tree_child_output(ch);
        if (!ch->up && !crestd.shutting_down) {
            char msg[1024];
            const char *how = crest_launcher_name(&crestd.launcher);
            if (WIFEXITED(status))
                snprintf(msg, sizeof msg, "cannot start crestd on host %s: %s exited with code %d%s%s",
                         crestd.hosts[ch->index], how, WEXITSTATUS(status), ch->out_tail[0] ? ": " : "",
                         ch->out_tail);
            else
                snprintf(msg, sizeof msg, "cannot start crestd on host %s: %s was killed by signal %d",
                         crestd.hosts[ch->index], how, WTERMSIG(status));
            report_failed(ch->index, msg);
        }
        return 1;
    }
    return 0;
}

void tree_setup(void)
{
    int first = crest_tree_first_child(crestd.index, crestd.fanout);
    int n = 0;
    for (int c = first; c < first + crestd.fanout && c < crestd.ndaemons; c++)
        n++;
    if (n == 0)
        return;
    crestd.children = calloc((size_t)n, sizeof *crestd.children);
    if (!crestd.children || start_listening()) {
        crestd_log("cannot listen for daemons below this one: %s", strerror(errno));
        for (int c = first; c < first + n; c++)
            report_failed(c, "its parent daemon cannot listen for connections");
        return;
    }
    crestd.nchildren = n;
    for (int i = 0; i < n; i++) {
        struct child_daemon *ch = &crestd.children[i];
        ch->index = first + i;
        ch->out_fd = -1;
        const char *host = crestd.hosts[ch->index];
        char addr[64], err[512], parent_arg[96], index_arg[16];
        if (address_towards(host, addr, sizeof addr, err, sizeof err)) {
            report_failed(ch->index, err);
            continue;
        }
        snprintf(parent_arg, sizeof parent_arg, "%s:%d", addr, crestd.listen_port);
        snprintf(index_arg, sizeof index_arg, "%d", ch->index);
        char *args[] = { "--parent", parent_arg, "--index", index_arg, NULL };
        pid_t pid = crest_launch_daemon(&crestd.launcher, host, crestd.crestd_path, args, crestd.secret,
                                        &ch->out_fd, err, sizeof err);
        if (pid < 0) {
            report_failed(ch->index, err);
            continue;
        }
        ch->launcher_pid = pid;
        crest_loop_watch(ch->out_fd, POLLIN, on_child_output, ch);
    }
}

void tree_connect_parent(const char *addr)
{
    char host[128];
    snprintf(host, sizeof host, "%s", addr);
    char *colon = strrchr(host, ':');
    if (!colon) {
        crestd_log("--parent wants HOST:PORT, got \"%s\"", addr);
        crestd_exit(2);
    }
    *colon = 0;
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res;
    int e = getaddrinfo(host, colon + 1, &hints, &res);
    if (e) {
        crestd_log("cannot resolve the parent daemon's address %s: %s", addr, gai_strerror(e));
        crestd_exit(1);
    }
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, res->ai_addr, res->ai_addrlen)) {
        crestd_log("cannot connect to the parent daemon at %s: %s", addr, strerror(errno));
        crestd_exit(1);
    }
    freeaddrinfo(res);
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    crestd.parent = crest_conn_new(s, CREST_CONN_DIALED, crestd.secret, &tree_ops, NULL, addr);
    if (!crestd.parent) {
        crestd_log("out of memory");
        crestd_exit(1);
    }
}

void tree_backpressure(int paused)
{
    for (int i = 0; i < crestd.nchildren; i++)
        if (crestd.children[i].conn)
            crest_conn_pause_read(crestd.children[i].conn, paused);
}

/* Ends every rank here and every daemon below, then exits. */
void tree_shutdown(void)
{
    if (crestd.shutting_down)
        return;
    crestd.shutting_down = 1;
    jobs_kill_all(SIGKILL);
    /* The daemons below get the shutdown, and this one waits (a little)
     * until they and their launchers are gone: when the root exits, the
     * whole tree has. */
    int64_t deadline = crest_now_ms() + 3000;
    for (int i = 0; i < crestd.nchildren; i++) {
        struct child_daemon *ch = &crestd.children[i];
        if (!ch->conn)
            continue;
        crest_conn_drain(ch->conn, 1000);
        shutdown(ch->conn->fd, SHUT_WR);
        char sink[4096];
        while (crest_now_ms() < deadline) {
            struct pollfd p = { ch->conn->fd, POLLIN, 0 };
            if (poll(&p, 1, (int)(deadline - crest_now_ms())) <= 0)
                break;
            ssize_t r = read(ch->conn->fd, sink, sizeof sink);
            if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
                break;
        }
        crest_conn_close(ch->conn);
        ch->conn = NULL;
    }
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    for (int i = 0; i < crestd.nchildren; i++) {
        struct child_daemon *ch = &crestd.children[i];
        while (ch->launcher_pid > 0 && waitpid(ch->launcher_pid, NULL, WNOHANG) == 0) {
            int64_t left = deadline - crest_now_ms();
            if (left <= 0)
                break;
            /* SIGCHLD is blocked (crestd reads it from a signalfd): wait for it here. */
            struct timespec ts = { left / 1000, (left % 1000) * 1000000 };
            sigtimedwait(&chld, NULL, &ts);
        }
    }
    if (crestd.parent)
        crest_conn_close(crestd.parent);
    crestd.parent = NULL;
    crestd_exit(0);
}
