/* unit_schema.c — unit tests of src/runtime/schema.c: application schemas
 * (written under the directory given as argv[1]) mapping each rank of a
 * snapshot to a host, and every error they can have.  Prints each failure;
 * exits 1 if any.
 *
 * usage: unit_schema DIR */
#include "schema.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int failures;
static const char *dir;

static void failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failed(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failures++;
}

#define FRAGMENTS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void write_file(const char *path, const char *content, size_t len)
{
    FILE *f = fopen(path, "w");
    if (!f || fwrite(content, 1, len, f) != len || fclose(f) != 0) {
        printf("FAIL cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

/* "name=slots ... | h0 h1 ...": the hosts (with '!' after any whose
 * slots_given is not 1) and each rank's host index. */
static void describe(const struct crest_hosts *h, const int *host_of_rank, int nranks, char *buf,
                     size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < h->count && o < size; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s%s=%d%s", i ? " " : "", h->host[i].name,
                              h->host[i].slots, h->host[i].slots_given == 1 ? "" : "!");
    if (o < size)
        o += (size_t)snprintf(buf + o, size - o, " |");
    for (int r = 0; r < nranks && o < size; r++)
        o += (size_t)snprintf(buf + o, size - o, " %d", host_of_rank[r]);
}

static void schema_ok(const char *name, const char *content, int nranks, const char *want)
{
    char path[4096], err[512], got[4096];
    struct crest_hosts h;
    int map[64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_file(path, content, strlen(content));
    if (crest_schema_parse_file(path, nranks, &h, map, err, sizeof err) != 0) {
        failed("schema %s: refused: %s", name, err);
        return;
    }
    describe(&h, map, nranks, got, sizeof got);
    if (strcmp(got, want) != 0)
        failed("schema %s: got %s, want %s", name, got, want);
    crest_hosts_free(&h);
}

/* Writes the file (unless content is NULL) and expects the parse to fail
 * with -1, *out empty, one line of error naming "PATH:LINE: " (line > 0) or
 * "PATH" (line 0) and holding every fragment. */
static void schema_bad_at(const char *path, const char *content, int nranks, int line,
                          const char *const *fragments)
{
    char err[512] = "", prefix[4200];
    struct crest_hosts h = {(struct crest_host *)&h, 99}; /* must be reset */
    int *map = malloc((size_t)(nranks > 0 ? nranks : 1) * sizeof *map);
    if (!map) {
        printf("FAIL out of memory\n");
        exit(1);
    }
    if (content)
        write_file(path, content, strlen(content));
    int rc = crest_schema_parse_file(path, nranks, &h, map, err, sizeof err);
    free(map);
    if (rc != -1) {
        failed("schema %s: returned %d; must fail", path, rc);
        if (rc == 0)
            crest_hosts_free(&h);
        return;
    }
    if (h.host != NULL || h.count != 0)
        failed("schema %s: failed but left hosts in *out", path);
    if (err[0] == '\0' || strchr(err, '\n'))
        failed("schema %s: the error must be one non-empty line, it is \"%s\"", path, err);
    for (const char *const *f = fragments; *f; f++)
        if (!strstr(err, *f))
            failed("schema %s: error \"%s\" does not say \"%s\"", path, err, *f);
    if (line > 0)
        snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
    else
        snprintf(prefix, sizeof prefix, "%s", path);
    if (!strstr(err, prefix))
        failed("schema %s: error \"%s\" does not name \"%s\"", path, err, prefix);
}

static void schema_bad(const char *name, const char *content, int nranks, int line,
                       const char *const *fragments)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    schema_bad_at(path, content, nranks, line, fragments);
}

/* The error must be exactly lead + "PATH" + rest. */
static void schema_exact_error(const char *name, const char *content, int nranks, const char *lead,
                               const char *rest)
{
    char path[4096], err[512] = "", want[4700];
    struct crest_hosts h;
    int map[64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_file(path, content, strlen(content));
    snprintf(want, sizeof want, "%s%s%s", lead, path, rest);
    if (crest_schema_parse_file(path, nranks, &h, map, err, sizeof err) == 0) {
        failed("schema %s: accepted; must fail with %s", name, want);
        crest_hosts_free(&h);
    } else if (strcmp(err, want) != 0) {
        failed("schema %s:\n  error %s\n  want  %s", name, err, want);
    }
}

static void test_normal(void)
{
    schema_ok("one-host", "a 0-3\n", 4, "a=4 | 0 0 0 0");
    schema_ok("one-rank", "a 0\n", 1, "a=1 | 0");
    schema_ok("several", "a 0-1\nb 2-3\nc 4\n", 5, "a=2 b=2 c=1 | 0 0 1 1 2");
    schema_ok("interleaved", "a 0,2,4\nb 1,3,5\n", 6, "a=3 b=3 | 0 1 0 1 0 1");
    schema_ok("out-of-order", "b 3,1\na 2, 0\n", 4, "b=2 a=2 | 1 0 1 0");
    schema_ok("ranges", "a 0-2,6-7\nb 3-5\n", 8, "a=5 b=3 | 0 0 0 1 1 1 0 0");
    schema_ok("spaces", "  a\t0 - 2 , 5\t\nb 3 -4 ,6- 7 \n", 8, "a=4 b=4 | 0 0 0 1 1 0 1 1");
    schema_ok("two-lines", "a 0\nb 1\na 2\nb 3-4\n", 5, "a=2 b=3 | 0 1 0 1 1");
    schema_ok("comments",
              "# where the job restarts\n"
              "\n"
              "   \t  \n"
              "a 0,1   # two on a\n"
              "#b 2\n"
              "b 2#no space before the comment\r\n"
              "\tc\t3\n",
              4, "a=2 b=1 c=1 | 0 0 1 2");
    schema_ok("ipv6", "[::1] 0\n[fe80::2] 1-2\n[::1] 3\n", 4, "::1=2 fe80::2=2 | 0 1 1 0");
    schema_ok("ipv4", "10.0.0.1 0-1\n10.0.0.2 2\n", 3, "10.0.0.1=2 10.0.0.2=1 | 0 0 1");
    schema_ok("case", "Node1 0\nnode1 1\nNODE2 2\nnode2 3\nNODE1 4\n", 5,
              "Node1=3 NODE2=2 | 0 0 1 1 0");
    schema_ok("no-final-newline", "a 0\nb 1", 2, "a=1 b=1 | 0 1");
    schema_ok("leading-zeros", "a 00-01\nb 002\n", 3, "a=2 b=1 | 0 0 1");
    schema_ok("single-range", "a 1-1\nb 0\n", 2, "a=1 b=1 | 1 0");
    schema_ok("names", "host_x.example-1.org 0\n", 1, "host_x.example-1.org=1 | 0");

    char long_name[300], content[400], want[400];
    memset(long_name, 'n', 255);
    long_name[255] = '\0';
    snprintf(content, sizeof content, "%s 0\n", long_name);
    snprintf(want, sizeof want, "%s=1 | 0", long_name);
    schema_ok("long-name", content, 1, want);
}

/* A line of 100000 ranks one by one (about 590 KB), and 5000 hosts each
 * named twice, the second time in upper case. */
static void test_large(void)
{
    const int n = 100000;
    char path[4096], err[512];
    size_t cap = 16 + (size_t)n * 8, o = 0;
    char *text = malloc(cap);
    int *map = malloc((size_t)n * sizeof *map);
    if (!text || !map) {
        printf("FAIL out of memory\n");
        exit(1);
    }
    o += (size_t)snprintf(text + o, cap - o, "big ");
    for (int r = n - 1; r >= 0; r--)
        o += (size_t)snprintf(text + o, cap - o, "%d%s", r, r ? "," : "\n");
    snprintf(path, sizeof path, "%s/long-line", dir);
    write_file(path, text, o);
    struct crest_hosts h;
    if (crest_schema_parse_file(path, n, &h, map, err, sizeof err) != 0) {
        failed("schema long-line: refused: %s", err);
    } else {
        if (h.count != 1 || strcmp(h.host[0].name, "big") != 0 || h.host[0].slots != n)
            failed("schema long-line: got %d host(s), the first %s with %d slots; want big=%d",
                   h.count, h.count ? h.host[0].name : "-", h.count ? h.host[0].slots : 0, n);
        for (int r = 0; r < n; r++)
            if (map[r] != 0) {
                failed("schema long-line: rank %d on host %d, want 0", r, map[r]);
                break;
            }
        crest_hosts_free(&h);
    }

    /* the missing ranks of a long line: the list is cut short */
    o = (size_t)snprintf(text, cap, "big ");
    for (int r = 0; r < n; r += 2)
        o += (size_t)snprintf(text + o, cap - o, "%d%s", r, r + 2 < n ? "," : "\n");
    snprintf(path, sizeof path, "%s/long-missing", dir);
    write_file(path, text, o);
    schema_bad_at(path, NULL, n, 0,
                  FRAGMENTS("ranks 1,3,5,7,", ",...", "are missing", "50000 of the snapshot's 100000"));

    const int hosts = 5000;
    o = 0;
    for (int i = 0; i < hosts; i++)
        o += (size_t)snprintf(text + o, cap - o, "host%d %d\n", i, i);
    for (int i = 0; i < hosts; i++)
        o += (size_t)snprintf(text + o, cap - o, "HOST%d %d\n", i, hosts + i);
    snprintf(path, sizeof path, "%s/many-hosts", dir);
    write_file(path, text, o);
    if (crest_schema_parse_file(path, 2 * hosts, &h, map, err, sizeof err) != 0) {
        failed("schema many-hosts: refused: %s", err);
    } else {
        char want[64];
        if (h.count != hosts)
            failed("schema many-hosts: %d hosts, want %d", h.count, hosts);
        for (int i = 0; i < h.count && i < hosts; i++) {
            snprintf(want, sizeof want, "host%d", i);
            if (strcmp(h.host[i].name, want) != 0 || h.host[i].slots != 2 ||
                h.host[i].slots_given != 1 || map[i] != i || map[hosts + i] != i) {
                failed("schema many-hosts: host %d is %s=%d (given %d), ranks %d and %d on %d and "
                       "%d; want %s=2 with both", i, h.host[i].name, h.host[i].slots,
                       h.host[i].slots_given, i, hosts + i, map[i], map[hosts + i], want);
                break;
            }
        }
        crest_hosts_free(&h);
    }
    free(text);
    free(map);
}

static void test_errors(void)
{
    char path[4096];

    /* the file */
    snprintf(path, sizeof path, "%s/no-such-schema", dir);
    schema_bad_at(path, NULL, 4, 0, FRAGMENTS("cannot open schema", "No such file or directory",
                                              "check its path"));
    schema_bad_at(dir, NULL, 4, 0, FRAGMENTS("cannot read schema", "Is a directory"));
    schema_bad("empty", "", 4, 0, FRAGMENTS("has no hosts", "HOST RANKS", "4 ranks (0-3)"));
    schema_bad("only-comments", "# nothing yet\n\n   \n", 4, 0, FRAGMENTS("has no hosts"));
    schema_bad("no-ranks-wanted", "a 0\n", 0, 0, FRAGMENTS("cannot place 0 ranks"));

    /* hosts */
    schema_bad("bad-host", "a 0\nb/c 1\n", 2, 2,
               FRAGMENTS("\"b/c\"", "has the character '/'", "letters, digits"));
    schema_bad("dash-host", "-oProxyCommand 0\n", 1, 1, FRAGMENTS("starts with '-'"));
    schema_bad("slots-host", "a 0\nb:2 1-2\n", 3, 2,
               FRAGMENTS("host \"b:2\" has a ':'", "no slot counts", "HOST RANKS"));
    schema_bad("bare-ipv6", "::1 0\n", 1, 1, FRAGMENTS("has a ':'", "[::1]"));
    schema_bad("ipv6-slots", "[::1]:2 0\n", 1, 1,
               FRAGMENTS("unexpected \":2\" after the IPv6 address", "no slot counts"));
    schema_bad("ipv6-open", "[::1 0\n", 1, 1, FRAGMENTS("'[' without ']'"));
    schema_bad("ipv6-bad", "\n[zz::1] 0\n", 1, 2, FRAGMENTS("\"[zz::1]\" is not an IPv6 address"));
    schema_bad("host-byte", "caf\xc3\xa9 0\n", 1, 1, FRAGMENTS("\\xc3"));
    char long_name[300], content[400];
    memset(long_name, 'n', 256);
    long_name[256] = '\0';
    snprintf(content, sizeof content, "%s 0\n", long_name);
    schema_bad("long-host", content, 1, 1, FRAGMENTS("longer than 255 characters"));

    /* a host without ranks */
    schema_bad("no-ranks", "a 0\nb\n", 2, 2, FRAGMENTS("host \"b\" has no ranks", "HOST RANKS"));
    schema_bad("no-ranks-comment", "a 0\n\n[::1]   # later\n", 2, 3,
               FRAGMENTS("host \"[::1]\" has no ranks"));

    /* ranks that are not numbers */
    schema_bad("not-number", "a 0,x,2\n", 3, 1,
               FRAGMENTS("\"x\" is not a rank", "N or N-M", "separated by commas"));
    schema_bad("space-separated", "a 0 1 2\n", 3, 1, FRAGMENTS("\"0 1 2\" is not a rank"));
    schema_bad("slots-keyword", "a slots=2\n", 2, 1, FRAGMENTS("\"slots=2\" is not a rank"));
    schema_bad("half-range", "a 0\nb 1-\n", 2, 2, FRAGMENTS("\"1-\" is not a rank"));
    schema_bad("range-no-start", "a -\n", 2, 1, FRAGMENTS("\"-\" is not a rank"));
    schema_bad("three-part", "a 0-1-2\n", 3, 1, FRAGMENTS("\"0-1-2\" is not a rank"));
    schema_bad("fraction", "a 1.5\n", 3, 1, FRAGMENTS("\"1.5\" is not a rank"));
    schema_bad("ctrl-byte", "a 0,\x01\n", 2, 1, FRAGMENTS("\"\\x01\" is not a rank"));
    schema_bad("empty-item", "a 0,,1\n", 2, 1, FRAGMENTS("empty item", "\"0,,1\""));
    schema_bad("trailing-comma", "a 0,1,\n", 2, 1, FRAGMENTS("empty item"));
    schema_bad("leading-comma", "a ,0\n", 1, 1, FRAGMENTS("empty item"));

    /* negative ranks */
    schema_bad("negative", "a 0\nb -1\n", 2, 2, FRAGMENTS("rank -1 is negative", "2 ranks (0-1)"));
    schema_bad("negative-end", "a 0--2\n", 2, 1,
               FRAGMENTS("range \"0--2\" ends at a negative rank"));

    /* ranks past the snapshot */
    schema_exact_error("too-big", "a 0-7\nb 9\n", 8, "",
                       ":2: rank 9 is not in the snapshot, which has 8 ranks (0-7) (use a schema "
                       "written for this snapshot)");
    schema_bad("too-big-range", "a 0-4\nb 5-9\n", 8, 2,
               FRAGMENTS("rank 9 (in the range \"5-9\") is not in the snapshot, which has 8 ranks (0-7)"));
    schema_bad("too-big-one", "a 1\n", 1, 1, FRAGMENTS("rank 1 is not in the snapshot, which has 1 rank (0)"));
    schema_bad("equal-nranks", "a 0-3,4\n", 4, 1, FRAGMENTS("rank 4 is not in the snapshot"));
    schema_bad("huge", "a 99999999999999999999\n", 4, 1,
               FRAGMENTS("rank 99999999999999999999 is not in the snapshot"));
    schema_bad("int-max", "a 0-2147483648\n", 4, 1, FRAGMENTS("rank 2147483648 (in the range"));

    /* ranges that go down */
    schema_bad("down", "a 0-2\nb 5-3\n", 8, 2, FRAGMENTS("range \"5-3\" goes down", "N <= M"));
    schema_bad("down-spaces", "a 5 - 3\n", 8, 1, FRAGMENTS("range \"5 - 3\" goes down"));

    /* ranks given twice */
    schema_exact_error("twice", "a 0-3\nb 4\nc 2\n", 5, "",
                       ":3: rank 2 is on line 1 (host \"a\") and again on line 3 (host \"c\") "
                       "(want each rank once: remove one of them)");
    schema_bad("twice-same-host", "a 0\nb 1\n\nA 0\n", 2, 4,
               FRAGMENTS("rank 0 is on line 1 (host \"a\") and again on line 4 (host \"a\")"));
    schema_bad("twice-range", "a 0-3\nb 2-5\n", 6, 2, FRAGMENTS("rank 2 is on line 1", "line 2"));
    schema_bad("twice-one-line", "a 1,0-2\n", 3, 1, FRAGMENTS("rank 1 is given twice on this line"));

    /* ranks missing */
    schema_exact_error("missing", "a 0-3,6-8\n", 10, "schema ",
                       ": ranks 4-5,9 are missing (3 of the snapshot's 10; give each a host on "
                       "some line)");
    schema_exact_error("missing-one", "a 0-1\nb 3\n", 4, "schema ",
                       ": rank 2 is missing (give it a host on some line; the snapshot has 4 ranks "
                       "(0-3))");
    schema_bad("missing-first", "a 1-3\n", 4, 0, FRAGMENTS("rank 0 is missing"));
    schema_bad("missing-runs", "a 0-3\nb 6-7,10\n", 12, 0,
               FRAGMENTS("ranks 4-5,8-9,11 are missing", "5 of the snapshot's 12"));

    /* the first error is the one reported */
    schema_bad("first-error", "a 0\nb x\nc/d 1\n", 2, 2, FRAGMENTS("\"x\" is not a rank"));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR (a directory for the test schemas)\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "unit_schema: %s is not a directory\n", dir);
        return 2;
    }
    test_normal();
    test_large();
    test_errors();
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("schema: all checks passed\n");
    return 0;
}
