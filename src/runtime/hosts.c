/* hosts.c — hostfiles, -H lists and Slurm node lists into crest_hosts;
 * rank placement; is a host this machine. */
#include "hosts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WANT_HOSTFILE_LINE "want \"host\", \"host slots=N\" or \"host:N\""
#define WANT_HOST_LIST "want host names separated by commas, like a,b:2,c"
#define WANT_NODELIST "want Slurm's node list syntax, like node[01-04,07],gpu3"

static int say(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

const char *crest_quote_text(char *buf, size_t size, const char *s, size_t len, size_t shown_max)
{
    size_t o = 0;
    buf[o++] = '"';
    for (size_t i = 0; i < len && o + 8 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == shown_max) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (c < 0x20 || c >= 0x7f)
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
        else
            buf[o++] = (char)c;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

static const char *quoted(char *buf, size_t size, const char *s, size_t len)
{
    return crest_quote_text(buf, size, s, len, 60);
}

#define QUOTE_SIZE 256

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' ||
           c == '-' || c == '_';
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* A slot count of len bytes: 0 for 1..CREST_HOST_MAX_SLOTS, -1 when it is
 * not a positive decimal number, -2 when it is too large. */
static int parse_count(const char *s, size_t len, int *out)
{
    long v = 0;
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i]))
            return -1;
        if (v <= CREST_HOST_MAX_SLOTS)
            v = v * 10 + (s[i] - '0');
    }
    if (v == 0)
        return -1;
    if (v > CREST_HOST_MAX_SLOTS)
        return -2;
    *out = (int)v;
    return 0;
}

static int check_name(const char *name, size_t len, char *why, size_t whylen)
{
    char q[QUOTE_SIZE];
    if (len == 0)
        return say(why, whylen, "empty host name");
    if (len > CREST_HOST_NAME_MAX)
        return say(why, whylen, "host name %s is longer than %d characters",
                   quoted(q, sizeof q, name, len), CREST_HOST_NAME_MAX);
    for (size_t i = 0; i < len; i++) {
        if (is_name_char(name[i]))
            continue;
        unsigned char c = (unsigned char)name[i];
        char shown[8];
        if (c < 0x20 || c >= 0x7f)
            snprintf(shown, sizeof shown, "\\x%02x", c);
        else
            snprintf(shown, sizeof shown, "'%c'", c);
        return say(why, whylen,
                   "host name %s has the character %s (want letters, digits, '.', '-' and '_', "
                   "or an IPv6 address in brackets like [::1])",
                   quoted(q, sizeof q, name, len), shown);
    }
    /* ssh would take such a name for an option */
    if (name[0] == '-')
        return say(why, whylen, "host name %s starts with '-' (want a name like node01)",
                   quoted(q, sizeof q, name, len));
    return 0;
}

/* One host as written in a list or at the start of a hostfile line:
 * "name", "name:N", "[ipv6]" or "[ipv6]:N" (len bytes at item).  Sets name
 * (NUL-terminated, brackets removed) and *slots (0 when no :N). */
int crest_host_parse_item(const char *item, size_t len, char name[CREST_HOST_NAME_MAX + 1],
                          int *slots, char *why, size_t whylen)
{
    char q[QUOTE_SIZE];
    const char *count = NULL;
    size_t name_len, count_len = 0;

    *slots = 0;
    if (len > 0 && item[0] == '[') {
        const char *close = memchr(item, ']', len);
        if (!close)
            return say(why, whylen, "%s has '[' without ']' (want [ipv6-address] or "
                       "[ipv6-address]:N)", quoted(q, sizeof q, item, len));
        name_len = (size_t)(close - item - 1);
        struct in6_addr a6;
        if (name_len < INET6_ADDRSTRLEN) {
            memcpy(name, item + 1, name_len);
            name[name_len] = '\0';
        }
        if (name_len >= INET6_ADDRSTRLEN || inet_pton(AF_INET6, name, &a6) != 1)
            return say(why, whylen, "%s is not an IPv6 address (want [ipv6-address] or "
                       "[ipv6-address]:N)", quoted(q, sizeof q, item, (size_t)(close - item + 1)));
        const char *rest = close + 1, *end = item + len;
        if (rest < end) {
            if (*rest != ':')
                return say(why, whylen, "unexpected %s after the IPv6 address (want [ipv6-address] "
                           "or [ipv6-address]:N)", quoted(q, sizeof q, rest, (size_t)(end - rest)));
            count = rest + 1;
            count_len = (size_t)(end - count);
        }
    } else {
        const char *colon = memchr(item, ':', len);
        name_len = colon ? (size_t)(colon - item) : len;
        if (colon && memchr(colon + 1, ':', len - name_len - 1))
            return say(why, whylen, "%s has several ':' (an IPv6 address goes in brackets, like "
                       "[::1] or [::1]:4)", quoted(q, sizeof q, item, len));
        if (check_name(item, name_len, why, whylen) < 0)
            return -1;
        memcpy(name, item, name_len);
        name[name_len] = '\0';
        if (colon) {
            count = colon + 1;
            count_len = len - name_len - 1;
        }
    }
    if (count) {
        int rc = parse_count(count, count_len, slots);
        if (rc == -1)
            return say(why, whylen, "%s is not a number of slots (want host:N with N >= 1)",
                       quoted(q, sizeof q, item, len));
        if (rc == -2)
            return say(why, whylen, "%s asks for more than %d slots on one host (want N <= %d)",
                       quoted(q, sizeof q, item, len), CREST_HOST_MAX_SLOTS, CREST_HOST_MAX_SLOTS);
    }
    return 0;
}

/* Appends an entry (repeats are merged later); slots 0: not given. */
static int add_entry(struct crest_hosts *h, const char *name, int slots, char *why, size_t whylen)
{
    if (h->count >= CREST_HOSTS_MAX)
        return say(why, whylen, "more than %d hosts, the most crest handles", CREST_HOSTS_MAX);
    /* capacity: 8, then doubled whenever count reaches a power of two */
    if (h->count == 0 || (h->count >= 8 && (h->count & (h->count - 1)) == 0)) {
        size_t cap = h->count == 0 ? 8 : 2 * (size_t)h->count;
        struct crest_host *grown = realloc(h->host, cap * sizeof *grown);
        if (!grown)
            return say(why, whylen, "out of memory for %zu hosts", cap);
        h->host = grown;
    }
    struct crest_host *e = &h->host[h->count++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->slots = slots > 0 ? slots : 1;
    e->slots_given = slots > 0;
    return 0;
}

static int by_name_then_position(const void *a, const void *b)
{
    const struct crest_host *x = *(struct crest_host *const *)a, *y = *(struct crest_host *const *)b;
    int c = strcasecmp(x->name, y->name);
    if (c != 0)
        return c;
    return x < y ? -1 : x > y;
}

/* Merges every repeated name into its first entry, slots added up, keeping
 * the order of first appearance.  Sorting pointers keeps this n log n for
 * the long node lists of big allocations. */
static int merge_repeats(struct crest_hosts *h, char *why, size_t whylen)
{
    int n = h->count;
    if (n < 2)
        return 0;
    struct crest_host **sorted = malloc((size_t)n * sizeof *sorted);
    if (!sorted)
        return say(why, whylen, "out of memory for %d hosts", n);
    for (int i = 0; i < n; i++)
        sorted[i] = &h->host[i];
    qsort(sorted, (size_t)n, sizeof *sorted, by_name_then_position);
    for (int i = 0; i < n;) {
        struct crest_host *first = sorted[i];
        long total = first->slots;
        int j = i + 1;
        for (; j < n && strcasecmp(sorted[j]->name, first->name) == 0; j++) {
            total += sorted[j]->slots;
            sorted[j]->name[0] = '\0'; /* removed below */
        }
        if (total > CREST_HOST_MAX_SLOTS) {
            char q[QUOTE_SIZE];
            say(why, whylen, "host %s is given more than %d slots in all (want at most %d)",
                quoted(q, sizeof q, first->name, strlen(first->name)), CREST_HOST_MAX_SLOTS,
                CREST_HOST_MAX_SLOTS);
            free(sorted);
            return -1;
        }
        if (j > i + 1) {
            first->slots = (int)total;
            first->slots_given = 1;
        }
        i = j;
    }
    free(sorted);
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (h->host[i].name[0])
            h->host[kept++] = h->host[i];
    h->count = kept;
    return 0;
}

void crest_hosts_free(struct crest_hosts *h)
{
    free(h->host);
    h->host = NULL;
    h->count = 0;
}

/* The next blank-separated token of line[0..len) from *pos; 0 at the end. */
static int next_token(const char *line, size_t len, size_t *pos, const char **tok, size_t *toklen)
{
    size_t p = *pos;
    while (p < len && is_blank(line[p]))
        p++;
    if (p == len)
        return 0;
    size_t start = p;
    while (p < len && !is_blank(line[p]))
        p++;
    *tok = line + start;
    *toklen = p - start;
    *pos = p;
    return 1;
}

static int has_prefix(const char *tok, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(tok, prefix, n) == 0;
}

static int parse_hostfile_line(const char *line, size_t len, struct crest_hosts *h, char *why,
                               size_t whylen)
{
    char q[QUOTE_SIZE], name[CREST_HOST_NAME_MAX + 1];
    const char *hash = memchr(line, '#', len), *tok;
    size_t pos = 0, toklen;
    int slots;

    if (hash)
        len = (size_t)(hash - line);
    if (!next_token(line, len, &pos, &tok, &toklen))
        return 0;
    if (crest_host_parse_item(tok, toklen, name, &slots, why, whylen) < 0)
        return -1;
    while (next_token(line, len, &pos, &tok, &toklen)) {
        if (has_prefix(tok, toklen, "slots=")) {
            if (slots)
                return say(why, whylen, "slots given twice (" WANT_HOSTFILE_LINE ")");
            int rc = parse_count(tok + 6, toklen - 6, &slots);
            if (rc == -1)
                return say(why, whylen, "%s is not a number of slots (want slots=N with N >= 1)",
                           quoted(q, sizeof q, tok, toklen));
            if (rc == -2)
                return say(why, whylen, "%s asks for more than %d slots on one host (want N <= %d)",
                           quoted(q, sizeof q, tok, toklen), CREST_HOST_MAX_SLOTS,
                           CREST_HOST_MAX_SLOTS);
        } else if (has_prefix(tok, toklen, "max_slots=")) {
            /* Open MPI's limit on oversubscription: crest has none, but
             * the value must still make sense */
            int ignored;
            if (parse_count(tok + 10, toklen - 10, &ignored) == -1)
                return say(why, whylen, "%s is not a number (want max_slots=M with M >= 1)",
                           quoted(q, sizeof q, tok, toklen));
        } else if (memchr(tok, '=', toklen)) {
            return say(why, whylen, "unknown keyword %s (" WANT_HOSTFILE_LINE ")",
                       quoted(q, sizeof q, tok, toklen));
        } else {
            return say(why, whylen, "unexpected %s after the host name (one host a line; "
                       WANT_HOSTFILE_LINE ")", quoted(q, sizeof q, tok, toklen));
        }
    }
    return add_entry(h, name, slots, why, whylen);
}

int crest_hosts_parse_file(const char *path, struct crest_hosts *out, char *err, size_t errlen)
{
    char why[512];
    *out = (struct crest_hosts){0};
    FILE *f = fopen(path, "re");
    if (!f)
        return say(err, errlen, "cannot open hostfile %s: %s (check its path)", path, strerror(errno));
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
        if (parse_hostfile_line(line, len, out, why, sizeof why) < 0) {
            rc = say(err, errlen, "%s:%d: %s", path, lineno, why);
            break;
        }
    }
    if (rc == 0 && ferror(f))
        rc = say(err, errlen, "cannot read hostfile %s: %s (want a text file, one host a line)", path,
                 strerror(errno ? errno : EIO));
    free(line);
    fclose(f);
    if (rc == 0 && out->count == 0)
        rc = say(err, errlen, "hostfile %s has no hosts (want one host a line: \"host\", "
                 "\"host slots=N\" or \"host:N\")", path);
    if (rc == 0 && merge_repeats(out, why, sizeof why) < 0)
        rc = say(err, errlen, "%s: %s", path, why);
    if (rc < 0)
        crest_hosts_free(out);
    return rc;
}

int crest_hosts_parse_list(const char *list, struct crest_hosts *out, char *err, size_t errlen)
{
    char q[QUOTE_SIZE], qi[QUOTE_SIZE], why[512], name[CREST_HOST_NAME_MAX + 1];
    *out = (struct crest_hosts){0};
    const char *p = list ? list : "";
    while (is_blank(*p))
        p++;
    if (*p == '\0')
        return say(err, errlen, "empty host list (" WANT_HOST_LIST ")");
    p = list;
    size_t list_len = strlen(list);
    for (int item = 1;; item++) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *start = p, *stop = end;
        while (start < stop && is_blank(*start))
            start++;
        while (stop > start && is_blank(stop[-1]))
            stop--;
        int slots;
        if (start == stop) {
            say(err, errlen, "host list %s: item %d is empty (" WANT_HOST_LIST ")",
                quoted(q, sizeof q, list, list_len), item);
            goto fail;
        }
        if (crest_host_parse_item(start, (size_t)(stop - start), name, &slots, why, sizeof why) < 0 ||
            add_entry(out, name, slots, why, sizeof why) < 0) {
            say(err, errlen, "host list %s: item %d %s: %s", quoted(q, sizeof q, list, list_len),
                item, quoted(qi, sizeof qi, start, (size_t)(stop - start)), why);
            goto fail;
        }
        if (*end == '\0')
            break;
        p = end + 1;
    }
    if (merge_repeats(out, why, sizeof why) < 0) {
        say(err, errlen, "host list %s: %s", quoted(q, sizeof q, list, list_len), why);
        goto fail;
    }
    return 0;
fail:
    crest_hosts_free(out);
    return -1;
}

/* ---------------------------------------------------------------- Slurm */

/* A number in a bracket group: 1 to 9 digits from s to end. */
static int range_number(const char *s, const char *end, long *out)
{
    long v = 0;
    if (end - s < 1 || end - s > 9)
        return 0;
    for (; s < end; s++) {
        if (!is_digit(*s))
            return 0;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return 1;
}

/* Expands one node list item from its bracket group at rest (the name so
 * far in name[0..name_len)): each number of the group's ranges in turn,
 * then the groups after it, so the first group varies slowest. */
static int expand_node_item(const char *rest, const char *end, char *name, size_t name_len,
                            struct crest_hosts *h, char *why, size_t whylen)
{
    char q[QUOTE_SIZE];
    const char *open = rest;
    while (open < end && *open != '[' && *open != ']')
        open++;
    if (open < end && *open == ']')
        return say(why, whylen, "']' without '[' (" WANT_NODELIST ")");
    size_t literal = (size_t)(open - rest);
    if (name_len + literal > CREST_HOST_NAME_MAX)
        return say(why, whylen, "a host name is longer than %d characters", CREST_HOST_NAME_MAX);
    memcpy(name + name_len, rest, literal);
    name_len += literal;
    if (open == end) {
        if (check_name(name, name_len, why, whylen) < 0)
            return -1;
        name[name_len] = '\0';
        return add_entry(h, name, 0, why, whylen);
    }
    const char *close = open + 1;
    while (close < end && *close != ']' && *close != '[')
        close++;
    if (close == end)
        return say(why, whylen, "'[' without ']' (" WANT_NODELIST ")");
    if (*close == '[')
        return say(why, whylen, "'[' inside brackets (" WANT_NODELIST ")");
    if (close == open + 1)
        return say(why, whylen, "empty brackets \"[]\" (" WANT_NODELIST ")");

    /* the group: ranges "N" or "N-M" separated by commas */
    for (const char *r = open + 1; r < close;) {
        const char *r_end = memchr(r, ',', (size_t)(close - r));
        if (!r_end)
            r_end = close;
        const char *dash = memchr(r, '-', (size_t)(r_end - r));
        const char *lo_end = dash ? dash : r_end;
        long lo, hi;
        if (!range_number(r, lo_end, &lo) || (dash && !range_number(dash + 1, r_end, &hi)))
            return say(why, whylen, "%s in brackets is not a number or a range N-M ("
                       WANT_NODELIST ")", quoted(q, sizeof q, r, (size_t)(r_end - r)));
        if (!dash)
            hi = lo;
        /* the first number's digits, leading zeros included, set the width */
        int width = (int)(lo_end - r);
        if (hi < lo)
            return say(why, whylen, "range %s goes down (want N-M with N <= M)",
                       quoted(q, sizeof q, r, (size_t)(r_end - r)));
        for (long v = lo; v <= hi; v++) {
            char digits[16];
            int nd = snprintf(digits, sizeof digits, "%0*ld", width, v);
            if (name_len + (size_t)nd > CREST_HOST_NAME_MAX)
                return say(why, whylen, "a host name is longer than %d characters",
                           CREST_HOST_NAME_MAX);
            memcpy(name + name_len, digits, (size_t)nd);
            if (expand_node_item(close + 1, end, name, name_len + (size_t)nd, h, why, whylen) < 0)
                return -1;
        }
        r = r_end < close ? r_end + 1 : close;
        if (r_end < close && r == close)
            return say(why, whylen, "a ',' ends the brackets (" WANT_NODELIST ")");
    }
    return 0;
}

/* Sets the slots of h's entries (in node list order) from SLURM_TASKS_PER_NODE. */
static int apply_tasks_per_node(const char *tasks, struct crest_hosts *h, char *why, size_t whylen)
{
    char q[QUOTE_SIZE];
    long node = 0;
    for (const char *p = tasks;;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *paren = memchr(p, '(', (size_t)(end - p));
        const char *count_end = paren ? paren : end;
        int count, repeat = 1;
        int ok = parse_count(p, (size_t)(count_end - p), &count) == 0;
        if (ok && paren) {
            /* "N(xM)" */
            ok = end - paren >= 4 && paren[1] == 'x' && end[-1] == ')' &&
                 parse_count(paren + 2, (size_t)(end - 1 - (paren + 2)), &repeat) == 0;
        }
        if (!ok)
            return say(why, whylen, "%s is not a task count (want N or N(xM) with N, M >= 1, like 2(x3),1)",
                       quoted(q, sizeof q, p, (size_t)(end - p)));
        for (int i = 0; i < repeat; i++, node++) {
            if (node < h->count) {
                h->host[node].slots = count;
                h->host[node].slots_given = 1;
            }
        }
        if (*end == '\0')
            break;
        p = end + 1;
    }
    if (node != h->count)
        return say(why, whylen, "it counts tasks for %ld node(s), the node list has %d "
                   "(want both variables from the same allocation)", node, h->count);
    return 0;
}

int crest_hosts_from_slurm(const char *nodelist, const char *tasks_per_node,
                           struct crest_hosts *out, char *err, size_t errlen)
{
    char q[QUOTE_SIZE], why[512], name[CREST_HOST_NAME_MAX + 1];
    *out = (struct crest_hosts){0};
    if (!nodelist || !*nodelist)
        return say(err, errlen, "SLURM_JOB_NODELIST is empty or not set (run inside a Slurm "
                   "allocation, or give the hosts with -H or --hostfile)");
    size_t list_len = strlen(nodelist);
    const char *p = nodelist;
    for (;;) {
        /* an item ends at a comma outside brackets */
        const char *end = p;
        int depth = 0;
        while (*end && (depth > 0 || *end != ',')) {
            depth += *end == '[' ? 1 : *end == ']' ? -1 : 0;
            end++;
        }
        if (end == p) {
            say(why, sizeof why, "empty item between commas (" WANT_NODELIST ")");
            goto fail;
        }
        if (expand_node_item(p, end, name, 0, out, why, sizeof why) < 0)
            goto fail;
        if (*end == '\0')
            break;
        p = end + 1;
    }
    if (tasks_per_node && *tasks_per_node &&
        apply_tasks_per_node(tasks_per_node, out, why, sizeof why) < 0) {
        say(err, errlen, "SLURM_TASKS_PER_NODE %s: %s",
            quoted(q, sizeof q, tasks_per_node, strlen(tasks_per_node)), why);
        crest_hosts_free(out);
        return -1;
    }
    if (merge_repeats(out, why, sizeof why) < 0)
        goto fail;
    return 0;
fail:
    say(err, errlen, "SLURM_JOB_NODELIST %s: %s",
        quoted(q, sizeof q, nodelist, list_len), why);
    crest_hosts_free(out);
    return -1;
}

/* ---------------------------------------------------------------- mapping */

int crest_map_ranks(const struct crest_hosts *h, int nranks, enum crest_map_by by,
                    int *host_of_rank, char *err, size_t errlen)
{
    if (!h || h->count < 1)
        return say(err, errlen, "no hosts to place the ranks on (give hosts with -H or --hostfile)");
    if (nranks < 1)
        return say(err, errlen, "cannot place %d ranks (want at least 1)", nranks);
    long total = 0;
    for (int i = 0; i < h->count; i++) {
        if (h->host[i].slots < 1)
            return say(err, errlen, "host %s has %d slots (want at least 1)", h->host[i].name,
                       h->host[i].slots);
        total += h->host[i].slots;
    }

    if (by == CREST_MAP_BY_SLOT) {
        /* the slot layout over and over */
        for (int r = 0; r < nranks;)
            for (int i = 0; i < h->count && r < nranks; i++)
                for (int k = 0; k < h->host[i].slots && r < nranks; k++)
                    host_of_rank[r++] = i;
        return 0;
    }
    if (by != CREST_MAP_BY_NODE)
        return say(err, errlen, "unknown mapping policy %d", (int)by);

    /* rounds over the hosts that still have a free slot; the list of such
     * hosts shrinks as they fill, so each round costs only what it places */
    int *open = malloc((size_t)h->count * sizeof *open);
    if (!open)
        return say(err, errlen, "out of memory for %d hosts", h->count);
    int nopen = h->count, r = 0;
    long in_slots = nranks < total ? nranks : total;
    for (int i = 0; i < nopen; i++)
        open[i] = i;
    for (int round = 1; r < in_slots; round++) {
        int still = 0;
        for (int j = 0; j < nopen && r < in_slots; j++) {
            host_of_rank[r++] = open[j];
            if (h->host[open[j]].slots > round)
                open[still++] = open[j];
        }
        nopen = still;
    }
    free(open);
    for (; r < nranks; r++)
        host_of_rank[r] = (int)((r - total) % h->count);
    return 0;
}

/* ---------------------------------------------------------------- local hosts */

/* Only an address assigned to this machine (in this network namespace)
 * can be bound; others fail with EADDRNOTAVAIL. */
static int can_bind(const struct sockaddr *addr, socklen_t len)
{
    if (addr->sa_family == AF_INET) {
        in_addr_t a = ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr);
        if (IN_MULTICAST(a) || a == INADDR_BROADCAST) /* bindable, but not a host */
            return 0;
    } else if (addr->sa_family == AF_INET6) {
        if (IN6_IS_ADDR_MULTICAST(&((const struct sockaddr_in6 *)addr)->sin6_addr))
            return 0;
    } else {
        return 0;
    }
    int fd = socket(addr->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int bound = bind(fd, addr, len) == 0;
    close(fd);
    return bound;
}

static int any_address_local(const struct addrinfo *list)
{
    for (const struct addrinfo *ai = list; ai; ai = ai->ai_next)
        if (can_bind(ai->ai_addr, ai->ai_addrlen))
            return 1;
    return 0;
}

/* A name lookup in a thread of its own, so that a slow resolver costs at
 * most CREST_RESOLVE_TIMEOUT_MS; whichever of the two sides lets go last
 * frees it. */
struct lookup {
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    int done, refs, rc;
    struct addrinfo *result;
    char name[CREST_HOST_NAME_MAX + 1];
};

static void lookup_release(struct lookup *l)
{
    int last = --l->refs == 0;
    pthread_mutex_unlock(&l->lock);
    if (last) {
        if (l->result)
            freeaddrinfo(l->result);
        pthread_cond_destroy(&l->done_cond);
        pthread_mutex_destroy(&l->lock);
        free(l);
    }
}

static const struct addrinfo lookup_hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM};

static void *lookup_thread(void *arg)
{
    struct lookup *l = arg;
    struct addrinfo *result = NULL;
    int rc = getaddrinfo(l->name, NULL, &lookup_hints, &result);
    pthread_mutex_lock(&l->lock);
    l->rc = rc;
    l->result = rc == 0 ? result : NULL;
    l->done = 1;
    pthread_cond_signal(&l->done_cond);
    lookup_release(l);
    return NULL;
}

/* 1 when name resolves in time to an address of this machine. */
static int name_resolves_here(const char *name)
{
    struct lookup *l = calloc(1, sizeof *l);
    if (!l)
        return 0;
    snprintf(l->name, sizeof l->name, "%s", name);
    l->refs = 2;
    pthread_condattr_t cattr;
    pthread_condattr_init(&cattr);
    pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->done_cond, &cattr);
    pthread_condattr_destroy(&cattr);

    /* the thread takes no signals: they stay with the caller's threads */
    pthread_attr_t attr;
    pthread_t tid;
    sigset_t all, old;
    sigfillset(&all);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int started = pthread_create(&tid, &attr, lookup_thread, l) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);

    if (!started) {
        /* no thread to spare: look it up here, unbounded */
        struct addrinfo *result = NULL;
        int local = getaddrinfo(name, NULL, &lookup_hints, &result) == 0 && any_address_local(result);
        if (result)
            freeaddrinfo(result);
        pthread_mutex_lock(&l->lock);
        l->refs = 1;
        lookup_release(l);
        return local;
    }

    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += CREST_RESOLVE_TIMEOUT_MS / 1000;
    deadline.tv_nsec += (long)(CREST_RESOLVE_TIMEOUT_MS % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    int local = 0;
    pthread_mutex_lock(&l->lock);
    while (!l->done)
        if (pthread_cond_timedwait(&l->done_cond, &l->lock, &deadline) == ETIMEDOUT)
            break;
    if (l->done && l->rc == 0)
        local = any_address_local(l->result);
    lookup_release(l);
    return local;
}

/* name and self equal, or one of them is the other's first label. */
static int same_machine_name(const char *name, const char *self)
{
    if (strcasecmp(name, self) == 0)
        return 1;
    const char *self_dot = strchr(self, '.'), *name_dot = strchr(name, '.');
    if (self_dot && !name_dot && strlen(name) == (size_t)(self_dot - self) &&
        strncasecmp(name, self, (size_t)(self_dot - self)) == 0)
        return 1;
    if (name_dot && !self_dot && strlen(self) == (size_t)(name_dot - name) &&
        strncasecmp(name, self, (size_t)(name_dot - name)) == 0)
        return 1;
    return 0;
}

int crest_host_is_local(const char *name)
{
    char bare[CREST_HOST_NAME_MAX + 1];
    if (!name || !*name)
        return 0;
    size_t len = strlen(name);
    if (name[0] == '[' && len > 2 && name[len - 1] == ']') {
        name++;
        len -= 2;
    }
    if (len > CREST_HOST_NAME_MAX)
        return 0;
    memcpy(bare, name, len);
    bare[len] = '\0';

    if (strcasecmp(bare, "localhost") == 0)
        return 1;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, bare, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127)
        return 1;
    if (inet_pton(AF_INET6, bare, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6))
        return 1;

    char self[CREST_HOST_NAME_MAX + 1];
    if (gethostname(self, sizeof self) == 0) {
        self[sizeof self - 1] = '\0';
        if (self[0] && same_machine_name(bare, self))
            return 1;
    }

    /* an address literal needs no resolver */
    struct addrinfo hints = lookup_hints, *result = NULL;
    hints.ai_flags = AI_NUMERICHOST;
    int rc = getaddrinfo(bare, NULL, &hints, &result);
    if (rc == 0) {
        int local = any_address_local(result);
        freeaddrinfo(result);
        return local;
    }
    return name_resolves_here(bare);
}
