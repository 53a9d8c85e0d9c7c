/* wire.c — writing and reading the fields of runtime messages. */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

static int reserve(struct crest_wbuf *b, size_t n)
{
    if (b->failed)
        return -1;
    if (b->len + n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void crest_wbuf_raw(struct crest_wbuf *b, const void *p, size_t n)
{
    if (n == 0 || reserve(b, n))
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void crest_wbuf_u32(struct crest_wbuf *b, uint32_t v) { crest_wbuf_raw(b, &v, sizeof v); }
void crest_wbuf_u64(struct crest_wbuf *b, uint64_t v) { crest_wbuf_raw(b, &v, sizeof v); }

void crest_wbuf_bytes(struct crest_wbuf *b, const void *p, size_t n)
{
    if (n > CREST_WIRE_MAX) {
        b->failed = 1;
        return;
    }
    crest_wbuf_u32(b, (uint32_t)n);
    crest_wbuf_raw(b, p, n);
}

void crest_wbuf_str(struct crest_wbuf *b, const char *s) { crest_wbuf_bytes(b, s, s ? strlen(s) : 0); }

void crest_wbuf_free(struct crest_wbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static const uint8_t *take(struct crest_rbuf *r, size_t n)
{
    if (r->bad || r->left < n) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

uint32_t crest_rbuf_u32(struct crest_rbuf *r)
{
    uint32_t v = 0;
    const uint8_t *p = take(r, sizeof v);
    if (p)
        memcpy(&v, p, sizeof v);
    return v;
}

uint64_t crest_rbuf_u64(struct crest_rbuf *r)
{
    uint64_t v = 0;
    const uint8_t *p = take(r, sizeof v);
    if (p)
        memcpy(&v, p, sizeof v);
    return v;
}

const uint8_t *crest_rbuf_bytes(struct crest_rbuf *r, size_t *len)
{
    uint32_t n = crest_rbuf_u32(r);
    const uint8_t *p = take(r, n);
    *len = p ? n : 0;
    return p ? p : (const uint8_t *)"";
}

void crest_rbuf_str(struct crest_rbuf *r, char *dst, size_t dstlen)
{
    size_t n;
    const uint8_t *p = crest_rbuf_bytes(r, &n);
    if (r->bad || n >= dstlen || memchr(p, 0, n)) {
        r->bad = 1;
        if (dstlen)
            dst[0] = 0;
        return;
    }
    memcpy(dst, p, n);
    dst[n] = 0;
}

char *crest_rbuf_strdup(struct crest_rbuf *r)
{
    size_t n;
    const uint8_t *p = crest_rbuf_bytes(r, &n);
    if (r->bad || memchr(p, 0, n)) {
        r->bad = 1;
        return NULL;
    }
    char *s = malloc(n + 1);
    if (!s) {
        r->bad = 1;
        return NULL;
    }
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}
