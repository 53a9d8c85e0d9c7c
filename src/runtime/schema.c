/* schema.c — application schemas ("HOST RANKS" lines) into a list of hosts
 * and the host of each rank. */
#include "schema.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#define WANT_LINE "want \"HOST RANKS\", like node01 0-3,8"
#define WANT_RANK "want N or N-M, separated by commas, like 0,2-3"
#define SHOWN_SIZE 200
#define MISSING_SHOWN_MAX 160 /* longest list of missing ranks in a message */

static int say(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* s[0..len) quoted for a message (hosts.h), cut short after 40 bytes. */
static const char *shown(char buf[SHOWN_SIZE], const char *s, size_t len)
{
    return crest_quote_text(buf, SHOWN_SIZE, s, len, 40);
}

struct schema {
    int nranks;
    struct crest_hosts *out;
    int host_cap;
    int *host_of_rank;
    int *line_of_rank; /* 0: the rank has not been given yet */
    /* out's hosts by name, without regard to case: open addressing,
     * entries are host index + 1, 0 is free */
    int *index;
    size_t index_cap;
};

static uint64_t name_hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        h = (h ^ c) * 1099511628211ULL;
    }
    return h;
}

/* The slot of index where name is, or the free slot where it would go. */
static size_t index_slot(const struct schema *st, const char *name)
{
    size_t mask = st->index_cap - 1, i = (size_t)name_hash(name) & mask;
    while (st->index[i] && strcasecmp(st->out->host[st->index[i] - 1].name, name) != 0)
        i = (i + 1) & mask;
    return i;
}

/* The index in out->host of host name, added with no ranks if new; -1 when
 * out of memory. */
static int find_or_add_host(struct schema *st, const char *name, char *why, size_t whylen)
{
    struct crest_hosts *out = st->out;
    if (2 * ((size_t)out->count + 1) > st->index_cap) {
        size_t cap = st->index_cap ? 2 * st->index_cap : 64;
        int *grown = calloc(cap, sizeof *grown);
        if (!grown)
            return say(why, whylen, "out of memory for %d hosts", out->count + 1);
        free(st->index);
        st->index = grown;
        st->index_cap = cap;
        for (int i = 0; i < out->count; i++)
            st->index[index_slot(st, out->host[i].name)] = i + 1;
    }
    size_t slot = index_slot(st, name);
    if (st->index[slot])
        return st->index[slot] - 1;
    if (out->count == st->host_cap) {
        int cap = st->host_cap ? 2 * st->host_cap : 8;
        struct crest_host *grown = realloc(out->host, (size_t)cap * sizeof *grown);
        if (!grown)
            return say(why, whylen, "out of memory for %d hosts", cap);
        out->host = grown;
        st->host_cap = cap;
    }
    struct crest_host *h = &out->host[out->count];
    memset(h, 0, sizeof *h);
    snprintf(h->name, sizeof h->name, "%s", name);
    h->slots = 0; /* counted as its ranks come */
    h->slots_given = 1;
    st->index[slot] = ++out->count;
    return out->count - 1;
}

/* A host as in a hostfile but without a slot count. */
static int parse_host(const char *host, size_t len, char name[CREST_HOST_NAME_MAX + 1], char *why,
                      size_t whylen)
{
    char q[SHOWN_SIZE];
    if (host[0] != '[' && memchr(host, ':', len))
        return say(why, whylen, "host %s has a ':' (a schema gives no slot counts, " WANT_LINE
                   "; an IPv6 address goes in brackets, like [::1])", shown(q, host, len));
    const char *close = host[0] == '[' ? memchr(host, ']', len) : NULL;
    if (close && close + 1 < host + len)
        return say(why, whylen, "unexpected %s after the IPv6 address (a schema gives no slot "
                   "counts; want \"[ipv6-address] RANKS\", like [::1] 0-3)",
                   shown(q, close + 1, (size_t)(host + len - close - 1)));
    int slots;
    return crest_host_parse_item(host, len, name, &slots, why, whylen);
}

/* The decimal digits at p (before end): how many there are; their value in
 * *v, which stops growing once above INT_MAX. */
static size_t digits(const char *p, const char *end, long long *v)
{
    size_t n = 0;
    *v = 0;
    for (; p + n < end && is_digit(p[n]); n++)
        if (*v <= INT_MAX)
            *v = *v * 10 + (p[n] - '0');
    return n;
}

/* A rank for a message: its value, or its digits when too large for that. */
static const char *rank_text(char buf[SHOWN_SIZE], long long v, const char *text, size_t len)
{
    if (v <= INT_MAX)
        snprintf(buf, SHOWN_SIZE, "%lld", v);
    else if (len <= 40)
        snprintf(buf, SHOWN_SIZE, "%.*s", (int)len, text);
    else
        snprintf(buf, SHOWN_SIZE, "%.37s...", text);
    return buf;
}

static const char *extent(char buf[SHOWN_SIZE], int nranks)
{
    if (nranks == 1)
        snprintf(buf, SHOWN_SIZE, "1 rank (0)");
    else
        snprintf(buf, SHOWN_SIZE, "%d ranks (0-%d)", nranks, nranks - 1);
    return buf;
}

/* One item of a rank list, s[0..e) with blanks trimmed: N or N-M, given to
 * host number host on line lineno. */
static int parse_rank_item(struct schema *st, const char *s, const char *e, int host, int lineno,
                           char *why, size_t whylen)
{
    char q[SHOWN_SIZE], r[SHOWN_SIZE], x[SHOWN_SIZE];
    long long lo, hi;
    const char *p = s, *hi_text;
    size_t n, hi_len;

    n = digits(p, e, &lo);
    if (n == 0)
        goto not_rank;
    hi = lo;
    hi_text = p;
    hi_len = n;
    p += n;
    while (p < e && is_blank(*p))
        p++;
    if (p < e) {
        if (*p != '-')
            goto not_rank;
        p++;
        while (p < e && is_blank(*p))
            p++;
        if (p + 1 < e && *p == '-' && digits(p + 1, e, &hi) == (size_t)(e - p - 1))
            return say(why, whylen, "range %s ends at a negative rank (the snapshot has %s)",
                       shown(q, s, (size_t)(e - s)), extent(x, st->nranks));
        n = digits(p, e, &hi);
        if (n == 0 || p + n != e)
            goto not_rank;
        hi_text = p;
        hi_len = n;
        if (hi < lo)
            return say(why, whylen, "range %s goes down (want N-M with N <= M)",
                       shown(q, s, (size_t)(e - s)));
    }
    if (hi >= st->nranks) {
        if (hi_text == s)
            return say(why, whylen, "rank %s is not in the snapshot, which has %s (use a schema "
                       "written for this snapshot)", rank_text(r, hi, hi_text, hi_len),
                       extent(x, st->nranks));
        return say(why, whylen, "rank %s (in the range %s) is not in the snapshot, which has %s "
                   "(use a schema written for this snapshot)", rank_text(r, hi, hi_text, hi_len),
                   shown(q, s, (size_t)(e - s)), extent(x, st->nranks));
    }
    for (int k = (int)lo; k <= (int)hi; k++) {
        int was = st->line_of_rank[k];
        if (was == lineno)
            return say(why, whylen, "rank %d is given twice on this line (want each rank once)", k);
        if (was) {
            const char *other = st->out->host[st->host_of_rank[k]].name;
            const char *here = st->out->host[host].name;
            return say(why, whylen, "rank %d is on line %d (host %s) and again on line %d (host %s) "
                       "(want each rank once: remove one of them)", k, was,
                       shown(q, other, strlen(other)), lineno, shown(x, here, strlen(here)));
        }
        st->line_of_rank[k] = lineno;
        st->host_of_rank[k] = host;
        st->out->host[host].slots++;
    }
    return 0;

not_rank:
    if (s + 1 < e && s[0] == '-' && digits(s + 1, e, &lo) == (size_t)(e - s - 1))
        return say(why, whylen, "rank -%s is negative (the snapshot has %s)",
                   rank_text(r, lo, s + 1, (size_t)(e - s - 1)), extent(x, st->nranks));
    return say(why, whylen, "%s is not a rank (" WANT_RANK ")", shown(q, s, (size_t)(e - s)));
}

static int parse_line(struct schema *st, const char *line, size_t len, int lineno, char *why,
                      size_t whylen)
{
    char q[SHOWN_SIZE], name[CREST_HOST_NAME_MAX + 1];
    const char *hash = memchr(line, '#', len);
    if (hash)
        len = (size_t)(hash - line);
    const char *p = line, *end = line + len;
    while (p < end && is_blank(*p))
        p++;
    if (p == end)
        return 0;
    const char *host = p;
    while (p < end && !is_blank(*p))
        p++;
    size_t host_len = (size_t)(p - host);
    if (parse_host(host, host_len, name, why, whylen) < 0)
        return -1;
    while (p < end && is_blank(*p))
        p++;
    while (end > p && is_blank(end[-1]))
        end--;
    if (p == end)
        return say(why, whylen, "host %s has no ranks (" WANT_LINE ")",
                   shown(q, host, host_len));
    int h = find_or_add_host(st, name, why, whylen);
    if (h < 0)
        return -1;
    const char *list = p;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *item_end = comma ? comma : end, *s = p, *e = item_end;
        while (s < e && is_blank(*s))
            s++;
        while (e > s && is_blank(e[-1]))
            e--;
        if (s == e)
            return say(why, whylen, "an empty item in the rank list %s (" WANT_RANK ")",
                       shown(q, list, (size_t)(end - list)));
        if (parse_rank_item(st, s, e, h, lineno, why, whylen) < 0)
            return -1;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

/* The ranks without a line, as a compact list ("4-5,9"), cut short with
 * ",..." when long; returns how many there are. */
static int missing_ranks(const struct schema *st, char *buf, size_t size)
{
    int count = 0;
    size_t o = 0;
    buf[0] = '\0';
    for (int r = 0; r < st->nranks;) {
        if (st->line_of_rank[r]) {
            r++;
            continue;
        }
        int last = r;
        while (last + 1 < st->nranks && !st->line_of_rank[last + 1])
            last++;
        count += last - r + 1;
        if (o < MISSING_SHOWN_MAX && o < size) {
            const char *sep = o ? "," : "";
            if (last == r)
                o += (size_t)snprintf(buf + o, size - o, "%s%d", sep, r);
            else
                o += (size_t)snprintf(buf + o, size - o, "%s%d-%d", sep, r, last);
            if (o >= MISSING_SHOWN_MAX && o < size)
                o += (size_t)snprintf(buf + o, size - o, ",...");
        }
        r = last + 1;
    }
    return count;
}

int crest_schema_parse_file(const char *path, int nranks, struct crest_hosts *out, int *host_of_rank,
                            char *err, size_t errlen)
{
    char why[512], x[SHOWN_SIZE];
    struct schema st = {.nranks = nranks, .out = out, .host_of_rank = host_of_rank};
    *out = (struct crest_hosts){0};
    if (nranks < 1)
        return say(err, errlen, "schema %s: cannot place %d ranks (want a snapshot with at least "
                   "1 rank)", path, nranks);
    st.line_of_rank = calloc((size_t)nranks, sizeof *st.line_of_rank);
    if (!st.line_of_rank)
        return say(err, errlen, "schema %s: out of memory for %d ranks", path, nranks);
    FILE *f = fopen(path, "re");
    if (!f) {
        say(err, errlen, "cannot open schema %s: %s (check its path)", path, strerror(errno));
        free(st.line_of_rank);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0, rc = 0;
    errno = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        if (len > 0 && line[len - 1] == '\n')
            len--;
        if (parse_line(&st, line, len, lineno, why, sizeof why) < 0) {
            rc = say(err, errlen, "%s:%d: %s", path, lineno, why);
            break;
        }
    }
    if (rc == 0 && ferror(f))
        rc = say(err, errlen, "cannot read schema %s: %s (want a text file of \"HOST RANKS\" lines)",
                 path, strerror(errno ? errno : EIO));
    free(line);
    fclose(f);
    if (rc == 0 && out->count == 0)
        rc = say(err, errlen, "schema %s has no hosts (want one line per host, \"HOST RANKS\", like "
                 "node01 0-3; the snapshot has %s)", path, extent(x, nranks));
    if (rc == 0) {
        char list[MISSING_SHOWN_MAX + 64];
        int missing = missing_ranks(&st, list, sizeof list);
        if (missing == 1)
            rc = say(err, errlen, "schema %s: rank %s is missing (give it a host on some line; the "
                     "snapshot has %s)", path, list, extent(x, nranks));
        else if (missing > 1)
            rc = say(err, errlen, "schema %s: ranks %s are missing (%d of the snapshot's %d; give "
                     "each a host on some line)", path, list, missing, nranks);
    }
    free(st.index);
    free(st.line_of_rank);
    if (rc < 0)
        crest_hosts_free(out);
    return rc;
}
