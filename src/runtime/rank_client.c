/* rank_client.c — the rank's side of the runtime socket. */
#include "rank_client.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wire.h"

struct pair {
    int rank;
    char *key;
    void *value;
    size_t len;
};

/* The process's view of the exchange; the library serializes callers. */
static int rt_fd = -1;
static struct pair *pairs;
static size_t npairs, cap_pairs;

static int env_int(const char *name, int dflt)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : dflt;
}

int crest_rank_init(struct crest_rank_info *info)
{
    info->rank = env_int("CREST_RANK", 0);
    info->size = env_int("CREST_SIZE", 1);
    info->local_rank = env_int("CREST_LOCAL_RANK", 0);
    info->local_size = env_int("CREST_LOCAL_SIZE", 1);
    info->node = env_int("CREST_NODE", 0);
    info->job = (unsigned)env_int("CREST_JOB", 0);
    rt_fd = env_int("CREST_RT_FD", -1);
    if (rt_fd < 0 || !getenv("CREST_SIZE")) {
        rt_fd = -1;
        info->rank = 0;
        info->size = info->local_size = 1;
        return -1;
    }
    return 0;
}

static int send_all(const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = send(rt_fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int recv_all(void *p, size_t n)
{
    char *c = p;
    while (n) {
        ssize_t r = recv(rt_fd, c, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

static int send_msg(uint16_t type, struct crest_wbuf *b)
{
    if (rt_fd < 0 || (b && b->failed))
        return -1;
    struct crest_wire_header h = { b ? (uint32_t)b->len : 0, type, 0, 0 };
    if (send_all(&h, sizeof h))
        return -1;
    return b && b->len ? send_all(b->data, b->len) : 0;
}

int crest_rank_put(const char *key, const void *value, size_t len)
{
    if (rt_fd < 0) { /* a job of one: keep it here */
        if (npairs == cap_pairs) {
            size_t cap = cap_pairs ? cap_pairs * 2 : 16;
            struct pair *q = realloc(pairs, cap * sizeof *q);
            if (!q)
                return -1;
            pairs = q;
            cap_pairs = cap;
        }
        struct pair *p = &pairs[npairs];
        p->rank = 0;
        p->key = strdup(key);
        p->value = malloc(len ? len : 1);
        if (!p->key || !p->value)
            return -1;
        memcpy(p->value, value, len);
        p->len = len;
        npairs++;
        return 0;
    }
    struct crest_wbuf b = { 0 };
    crest_wbuf_str(&b, key);
    crest_wbuf_bytes(&b, value, len);
    int r = send_msg(MSG_KV_PUT, &b);
    crest_wbuf_free(&b);
    return r;
}

static int add_pairs(const uint8_t *p, size_t n)
{
    struct crest_rbuf r = crest_rbuf_of(p, n);
    uint32_t count = crest_rbuf_u32(&r);
    if (r.bad)
        return -1;
    if (npairs + count > cap_pairs) {
        size_t cap = cap_pairs ? cap_pairs : 16;
        while (cap < npairs + count)
            cap *= 2;
        struct pair *q = realloc(pairs, cap * sizeof *q);
        if (!q)
            return -1;
        pairs = q;
        cap_pairs = cap;
    }
    for (uint32_t i = 0; i < count; i++) {
        struct pair *pr = &pairs[npairs];
        pr->rank = (int)crest_rbuf_u32(&r);
        pr->key = crest_rbuf_strdup(&r);
        size_t len;
        const uint8_t *v = crest_rbuf_bytes(&r, &len);
        if (r.bad || !pr->key)
            return -1;
        pr->value = malloc(len ? len : 1);
        if (!pr->value)
            return -1;
        memcpy(pr->value, v, len);
        pr->len = len;
        npairs++;
    }
    return 0;
}

int crest_rank_fence(void)
{
    if (rt_fd < 0)
        return 0;
    if (send_msg(MSG_KV_FENCE, NULL))
        return -1;
    for (;;) {
        struct crest_wire_header h;
        if (recv_all(&h, sizeof h) || h.length > CREST_WIRE_MAX)
            return -1;
        uint8_t *p = malloc(h.length ? h.length : 1);
        if (!p || recv_all(p, h.length)) {
            free(p);
            return -1;
        }
        int done = h.type == MSG_KV_FENCE_DONE;
        int r = done ? add_pairs(p, h.length) : 0;
        free(p);
        if (done)
            return r;
    }
}

const void *crest_rank_get(int rank, const char *key, size_t *len)
{
    /* Newest first: a pair put again after an earlier fence wins. */
    for (size_t i = npairs; i > 0; i--) {
        struct pair *p = &pairs[i - 1];
        if (p->rank == rank && !strcmp(p->key, key)) {
            if (len)
                *len = p->len;
            return p->value;
        }
    }
    return NULL;
}

void crest_rank_abort(int code, const char *msg)
{
    struct crest_wbuf b = { 0 };
    crest_wbuf_u32(&b, (uint32_t)code);
    crest_wbuf_str(&b, msg ? msg : "");
    send_msg(MSG_ABORT, &b);
    crest_wbuf_free(&b);
}

void crest_rank_finalize(void)
{
    send_msg(MSG_RANK_FINALIZE, NULL);
}

void crest_rank_ready(void)
{
    send_msg(MSG_RANK_READY, NULL);
}
