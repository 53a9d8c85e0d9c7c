/* unit_hosts.c — unit tests of src/runtime/hosts.c: -H lists, hostfiles
 * (written under the directory given as argv[1]), Slurm node lists, rank
 * placement by slot and by node with and without oversubscription, and
 * local host detection.  Prints each failure; exits 1 if any.
 *
 * usage: unit_hosts DIR */
#include "hosts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/* The hosts as "name=slots" words, '*' after slots that were given. */
static void describe(const struct crest_hosts *h, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < h->count && o < size; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s%s=%d%s", i ? " " : "", h->host[i].name,
                              h->host[i].slots, h->host[i].slots_given ? "*" : "");
}

/* After a failed parse: -1, out empty, err one non-empty line containing
 * every one of the NULL-terminated fragments. */
static void check_error(const char *what, int rc, const struct crest_hosts *out, const char *err,
                        const char *const *fragments)
{
    if (rc != -1) {
        char got[4096];
        describe(out, got, sizeof got);
        failed("%s: accepted (%s); must fail", what, got);
        return;
    }
    if (out->host != NULL || out->count != 0)
        failed("%s: failed but left hosts in *out", what);
    if (err[0] == '\0' || strchr(err, '\n'))
        failed("%s: the error must be one non-empty line, it is \"%s\"", what, err);
    for (const char *const *f = fragments; *f; f++)
        if (!strstr(err, *f))
            failed("%s: error \"%s\" does not say \"%s\"", what, err, *f);
}

#define FRAGMENTS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---------------------------------------------------------------- -H lists */

static void list_ok(const char *list, const char *want)
{
    struct crest_hosts h;
    char err[512], got[4096], what[600];
    snprintf(what, sizeof what, "host list \"%s\"", list);
    if (crest_hosts_parse_list(list, &h, err, sizeof err) != 0) {
        failed("%s: refused: %s", what, err);
        return;
    }
    describe(&h, got, sizeof got);
    if (strcmp(got, want) != 0)
        failed("%s: got %s, want %s", what, got, want);
    crest_hosts_free(&h);
}

static void list_bad(const char *list, const char *const *fragments)
{
    struct crest_hosts h = {(struct crest_host *)&h, 99}; /* must be reset */
    char err[512] = "", what[600];
    snprintf(what, sizeof what, "host list \"%s\"", list ? list : "(null)");
    int rc = crest_hosts_parse_list(list, &h, err, sizeof err);
    check_error(what, rc, &h, err, fragments);
    if (rc == 0)
        crest_hosts_free(&h);
}

static void test_lists(void)
{
    list_ok("a,b:2,c", "a=1 b=2* c=1");
    list_ok("a", "a=1");
    list_ok("a,a", "a=2*");               /* MPICH's -hosts a,a */
    list_ok("a:2,b,a:3,b", "a=5* b=2*");  /* repeats add up, first place kept */
    list_ok("c,a,b,a", "c=1 a=2* b=1");
    list_ok(" a , b:3 ", "a=1 b=3*");
    list_ok("Node1,node1", "Node1=2*");   /* names compare without case */
    list_ok("10.0.0.1:3,10.0.0.2", "10.0.0.1=3* 10.0.0.2=1");
    list_ok("[::1]:4,[fe80::1],host_x.example-1.org:1", "::1=4* fe80::1=1 host_x.example-1.org=1*");
    list_ok("a:007", "a=7*");
    list_ok("a:1000000", "a=1000000*");

    char long_name[300];
    memset(long_name, 'n', 255);
    long_name[255] = '\0';
    char want[320];
    snprintf(want, sizeof want, "%s=1", long_name);
    list_ok(long_name, want);
    memset(long_name, 'n', 256);
    long_name[256] = '\0';
    list_bad(long_name, FRAGMENTS("item 1", "longer than 255 characters"));

    list_bad("", FRAGMENTS("empty host list", "a,b:2,c"));
    list_bad("  ", FRAGMENTS("empty host list"));
    list_bad(NULL, FRAGMENTS("empty host list"));
    list_bad("a,,b", FRAGMENTS("\"a,,b\"", "item 2 is empty", "separated by commas"));
    list_bad("a,", FRAGMENTS("item 2 is empty"));
    list_bad(",a", FRAGMENTS("item 1 is empty"));
    list_bad("a,b:x,c", FRAGMENTS("\"a,b:x,c\"", "item 2 \"b:x\"", "\"b:x\" is not a number of slots",
                                  "want host:N with N >= 1"));
    list_bad("a:0", FRAGMENTS("item 1 \"a:0\"", "not a number of slots"));
    list_bad("a:", FRAGMENTS("\"a:\" is not a number of slots"));
    list_bad("a:-1", FRAGMENTS("not a number of slots"));
    list_bad("a:2x", FRAGMENTS("not a number of slots"));
    list_bad("a:1000001", FRAGMENTS("more than 1000000 slots"));
    list_bad("a:99999999999999999999", FRAGMENTS("more than 1000000 slots"));
    list_bad("a:1000000,a:1", FRAGMENTS("\"a\"", "more than 1000000 slots in all"));
    list_bad("a,b/c", FRAGMENTS("item 2 \"b/c\"", "has the character '/'", "letters, digits"));
    list_bad("a b", FRAGMENTS("has the character ' '"));
    list_bad("a\tb", FRAGMENTS("\\x09"));
    list_bad("caf\xc3\xa9", FRAGMENTS("\\xc3"));
    list_bad("-oProxyCommand", FRAGMENTS("starts with '-'"));
    list_bad("a,-x:2", FRAGMENTS("item 2", "starts with '-'"));
    list_bad("::1", FRAGMENTS("several ':'", "[::1]"));
    list_bad("a:1:2", FRAGMENTS("several ':'"));
    list_bad("[::1", FRAGMENTS("'[' without ']'"));
    list_bad("[zz::1]:2", FRAGMENTS("\"[zz::1]\" is not an IPv6 address"));
    list_bad("[]", FRAGMENTS("not an IPv6 address"));
    list_bad("[::1]x", FRAGMENTS("unexpected \"x\" after the IPv6 address"));
    list_bad("[::1]:x", FRAGMENTS("\"[::1]:x\" is not a number of slots"));
    list_bad(":2", FRAGMENTS("empty host name"));
}

/* ---------------------------------------------------------------- hostfiles */

static void write_file(const char *path, const char *content, size_t len)
{
    FILE *f = fopen(path, "w");
    if (!f || fwrite(content, 1, len, f) != len || fclose(f) != 0) {
        printf("FAIL cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static void file_ok(const char *name, const char *content, const char *want)
{
    char path[4096], err[512], got[4096];
    struct crest_hosts h;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_file(path, content, strlen(content));
    if (crest_hosts_parse_file(path, &h, err, sizeof err) != 0) {
        failed("hostfile %s: refused: %s", name, err);
        return;
    }
    describe(&h, got, sizeof got);
    if (strcmp(got, want) != 0)
        failed("hostfile %s: got %s, want %s", name, got, want);
    crest_hosts_free(&h);
}

/* Writes the file (len bytes, or strlen when len is 0) and expects its
 * parse to fail with an error starting "PATH:" + line and the fragments. */
static void file_bad_len(const char *name, const char *content, size_t len, int line,
                         const char *const *fragments)
{
    char path[4096], err[512] = "", prefix[4200], what[600];
    struct crest_hosts h = {NULL, 0};
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_file(path, content, len ? len : strlen(content));
    snprintf(what, sizeof what, "hostfile %s", name);
    int rc = crest_hosts_parse_file(path, &h, err, sizeof err);
    check_error(what, rc, &h, err, fragments);
    if (rc == 0) {
        crest_hosts_free(&h);
        return;
    }
    if (line > 0)
        snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
    else
        snprintf(prefix, sizeof prefix, "%s", path);
    if (!strstr(err, prefix))
        failed("%s: error \"%s\" does not name \"%s\"", what, err, prefix);
}

static void file_bad(const char *name, const char *content, int line, const char *const *fragments)
{
    file_bad_len(name, content, 0, line, fragments);
}

/* The error must be exactly "PATH" + rest. */
static void file_exact_error(const char *name, const char *content, const char *rest)
{
    char path[4096], err[512] = "", want[4700];
    struct crest_hosts h;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_file(path, content, strlen(content));
    snprintf(want, sizeof want, "%s%s", path, rest);
    if (crest_hosts_parse_file(path, &h, err, sizeof err) == 0) {
        failed("hostfile %s: accepted; must fail with %s", name, want);
        crest_hosts_free(&h);
    } else if (strcmp(err, want) != 0) {
        failed("hostfile %s:\n  error %s\n  want  %s", name, err, want);
    }
}

static void test_hostfiles(void)
{
    file_ok("basic", "a\nb slots=2\nc:3\n", "a=1 b=2* c=3*");
    file_ok("no-final-newline", "a\nb:2", "a=1 b=2*");
    file_ok("comments",
            "# the cluster\n"
            "\n"
            "   \t  \n"
            "  a  \n"
            "b slots=2   # two cores\n"
            "c:3#no space before the comment\n"
            "\td slots=4 max_slots=8\r\n"
            "a\n"
            "B\t slots=1 \n"
            "#e\n"
            "[::1]:2\n"
            "[fe80::2] slots=3\n",
            "a=2* b=3* c=3* d=4* ::1=2* fe80::2=3*");
    file_ok("max-slots-only", "a max_slots=4\n", "a=1");
    file_ok("keywords-any-order", "a max_slots=9 slots=3\n", "a=3*");
    file_ok("ipv4", "192.168.1.10 slots=2\n10.1.1.1\n", "192.168.1.10=2* 10.1.1.1=1");

    /* a very long comment line and a name of the longest length */
    char big[10000];
    size_t o = (size_t)snprintf(big, sizeof big, "#");
    memset(big + o, 'x', 8000);
    o += 8000;
    o += (size_t)snprintf(big + o, sizeof big - o, "\n");
    memset(big + o, 'h', 255);
    o += 255;
    snprintf(big + o, sizeof big - o, " slots=2\n");
    char want[300];
    memset(want, 'h', 255);
    snprintf(want + 255, sizeof want - 255, "=2*");
    file_ok("long-lines", big, want);

    /* the two messages of the runtime's documentation, word for word */
    file_exact_error("hosts.txt", "a\nb\nc slots=x\n",
                     ":3: \"slots=x\" is not a number of slots (want slots=N with N >= 1)");
    file_exact_error("hosts2.txt", "a\n# b\n\nc slots=2\nd foo=2\n",
                     ":5: unknown keyword \"foo=2\" (want \"host\", \"host slots=N\" or \"host:N\")");

    file_bad("cpu", "a\nb cpu=4\n", 2, FRAGMENTS("unknown keyword \"cpu=4\""));
    file_bad("two-hosts", "a b\n", 1,
             FRAGMENTS("unexpected \"b\" after the host name", "one host a line"));
    file_bad("slots-twice", "a:2 slots=3\n", 1, FRAGMENTS("slots given twice"));
    file_bad("slots-twice2", "a slots=2 slots=2\n", 1, FRAGMENTS("slots given twice"));
    file_bad("slots-zero", "a slots=0\n", 1, FRAGMENTS("\"slots=0\" is not a number of slots"));
    file_bad("slots-empty", "a slots=\n", 1, FRAGMENTS("\"slots=\" is not a number of slots"));
    file_bad("slots-negative", "a slots=-2\n", 1, FRAGMENTS("is not a number of slots"));
    file_bad("slots-big", "a slots=5000000\n", 1, FRAGMENTS("more than 1000000 slots"));
    file_bad("slots-space", "a slots = 2\n", 1, FRAGMENTS("unexpected \"slots\""));
    file_bad("max-slots-bad", "a max_slots=x\n", 1,
             FRAGMENTS("\"max_slots=x\" is not a number", "max_slots=M"));
    file_bad("colon-bad", "\n\na:x\n", 3,
             FRAGMENTS("\"a:x\" is not a number of slots (want host:N with N >= 1)"));
    file_bad("bad-char", "a\nno/de\n", 2, FRAGMENTS("host name \"no/de\" has the character '/'"));
    file_bad("comma", "a,b\n", 1, FRAGMENTS("has the character ','"));
    file_bad("dash", "-oProxyCommand=x\n", 1, FRAGMENTS("has the character '='"));
    file_bad("dash2", "-x\n", 1, FRAGMENTS("starts with '-'"));
    file_bad("ipv6-bare", "fe80::1\n", 1, FRAGMENTS("several ':'", "brackets"));
    file_bad("ipv6-bad", "[fe80::1::2]\n", 1, FRAGMENTS("not an IPv6 address"));
    file_bad_len("nul", "a\nb\0c\n", 6, 2, FRAGMENTS("\\x00"));
    file_bad("too-much", "a:1000000\nb\na\n", 0,
             FRAGMENTS("\"a\" is given more than 1000000 slots in all"));

    char longname[300];
    memset(longname, 'n', 256);
    snprintf(longname + 256, sizeof longname - 256, "\n");
    file_bad("name-too-long", longname, 1, FRAGMENTS("longer than 255 characters"));

    file_bad("empty", "", 0, FRAGMENTS("has no hosts", "one host a line"));
    file_bad("only-comments", "# nothing\n\n   # here\n", 0, FRAGMENTS("has no hosts"));

    /* a path that does not exist, and a directory */
    char path[4096], err[512] = "";
    struct crest_hosts h = {(struct crest_host *)&h, 5};
    snprintf(path, sizeof path, "%s/does-not-exist", dir);
    int rc = crest_hosts_parse_file(path, &h, err, sizeof err);
    check_error("missing hostfile", rc, &h, err,
                FRAGMENTS("cannot open hostfile", path, "No such file or directory"));
    snprintf(path, sizeof path, "%s/a-directory", dir);
    mkdir(path, 0700);
    rc = crest_hosts_parse_file(path, &h, err, sizeof err);
    check_error("directory as hostfile", rc, &h, err, FRAGMENTS(path));
}

/* ---------------------------------------------------------------- Slurm */

static void slurm_ok(const char *nodelist, const char *tasks, const char *want)
{
    struct crest_hosts h;
    char err[512], got[8192], what[600];
    snprintf(what, sizeof what, "Slurm nodes \"%s\" tasks \"%s\"", nodelist, tasks ? tasks : "(null)");
    if (crest_hosts_from_slurm(nodelist, tasks, &h, err, sizeof err) != 0) {
        failed("%s: refused: %s", what, err);
        return;
    }
    describe(&h, got, sizeof got);
    if (strcmp(got, want) != 0)
        failed("%s:\n  got  %s\n  want %s", what, got, want);
    crest_hosts_free(&h);
}

static void slurm_bad(const char *nodelist, const char *tasks, const char *const *fragments)
{
    struct crest_hosts h = {(struct crest_host *)&h, 7};
    char err[512] = "", what[600];
    snprintf(what, sizeof what, "Slurm nodes \"%s\" tasks \"%s\"", nodelist ? nodelist : "(null)",
             tasks ? tasks : "(null)");
    int rc = crest_hosts_from_slurm(nodelist, tasks, &h, err, sizeof err);
    check_error(what, rc, &h, err, fragments);
    if (rc == 0)
        crest_hosts_free(&h);
}

static void test_slurm(void)
{
    slurm_ok("node[01-04,07],gpu3,rack[1-2]-n[5-6]", NULL,
             "node01=1 node02=1 node03=1 node04=1 node07=1 gpu3=1 rack1-n5=1 rack1-n6=1 "
             "rack2-n5=1 rack2-n6=1");
    slurm_ok("node[01-04,07],gpu3,rack[1-2]-n[5-6]", "2(x3),1,1(x2),3,1(x3)",
             "node01=2* node02=2* node03=2* node04=1* node07=1* gpu3=1* rack1-n5=3* rack1-n6=1* "
             "rack2-n5=1* rack2-n6=1*");
    slurm_ok("gpu3", "4", "gpu3=4*");
    slurm_ok("gpu3", "", "gpu3=1");
    slurm_ok("n[8-10]", NULL, "n8=1 n9=1 n10=1");
    slurm_ok("n[08-10]", NULL, "n08=1 n09=1 n10=1");
    slurm_ok("n[098-101]", NULL, "n098=1 n099=1 n100=1 n101=1");
    slurm_ok("n[7]", "2", "n7=2*");
    slurm_ok("n[1-3,5,7-8]", "1(x6)", "n1=1* n2=1* n3=1* n5=1* n7=1* n8=1*");
    slurm_ok("a[1-2]b[1-2]c", NULL, "a1b1c=1 a1b2c=1 a2b1c=1 a2b2c=1");
    slurm_ok("[1-2]x", NULL, "1x=1 2x=1");
    slurm_ok("cn[1-2].cluster", "2,3", "cn1.cluster=2* cn2.cluster=3*");
    slurm_ok("a,b,a", NULL, "a=2* b=1");
    slurm_ok("a,b,a", "1,2,3", "a=4* b=2*");

    slurm_bad(NULL, NULL, FRAGMENTS("SLURM_JOB_NODELIST is empty or not set"));
    slurm_bad("", "1", FRAGMENTS("SLURM_JOB_NODELIST is empty or not set"));
    slurm_bad("node[01-", NULL, FRAGMENTS("SLURM_JOB_NODELIST \"node[01-\"", "'[' without ']'",
                                          "node[01-04,07]"));
    slurm_bad("node[01-02", NULL, FRAGMENTS("'[' without ']'"));
    slurm_bad("node]1", NULL, FRAGMENTS("']' without '['"));
    slurm_bad("node[1]]", NULL, FRAGMENTS("']' without '['"));
    slurm_bad("node[[1]]", NULL, FRAGMENTS("'[' inside brackets"));
    slurm_bad("node[]", NULL, FRAGMENTS("empty brackets"));
    slurm_bad("node[a-b]", NULL, FRAGMENTS("\"a-b\" in brackets is not a number or a range N-M"));
    slurm_bad("node[1-]", NULL, FRAGMENTS("\"1-\" in brackets is not a number"));
    slurm_bad("node[-3]", NULL, FRAGMENTS("not a number or a range"));
    slurm_bad("node[1-2-3]", NULL, FRAGMENTS("not a number or a range"));
    slurm_bad("node[,1]", NULL, FRAGMENTS("\"\" in brackets is not a number"));
    slurm_bad("node[1,]", NULL, FRAGMENTS("a ',' ends the brackets"));
    slurm_bad("node[5-2]", NULL, FRAGMENTS("range \"5-2\" goes down"));
    slurm_bad("node[1234567890]", NULL, FRAGMENTS("not a number"));
    slurm_bad("a,,b", NULL, FRAGMENTS("empty item between commas"));
    slurm_bad("a,", NULL, FRAGMENTS("empty item"));
    slurm_bad("no/de[1-2]", NULL, FRAGMENTS("host name \"no/de1\" has the character '/'"));
    slurm_bad("n[0-999999]", NULL, FRAGMENTS("more than 131072 hosts"));
    slurm_bad("node[1-4]", "2(x3", FRAGMENTS("SLURM_TASKS_PER_NODE \"2(x3\"",
                                             "\"2(x3\" is not a task count", "2(x3),1"));
    slurm_bad("node[1-4]", "2(3)", FRAGMENTS("\"2(3)\" is not a task count"));
    slurm_bad("node[1-4]", "2(x)", FRAGMENTS("\"2(x)\" is not a task count"));
    slurm_bad("node[1-4]", "x", FRAGMENTS("\"x\" is not a task count"));
    slurm_bad("node[1-4]", "0(x4)", FRAGMENTS("\"0(x4)\" is not a task count"));
    slurm_bad("node[1-4]", "2,,2", FRAGMENTS("\"\" is not a task count"));
    slurm_bad("node[1-4]", "2(x3)", FRAGMENTS("3 node(s), the node list has 4", "same allocation"));
    slurm_bad("node[1-4]", "2(x5)", FRAGMENTS("5 node(s), the node list has 4"));
    slurm_bad("node[1-4]", "1,1,1,1,1", FRAGMENTS("5 node(s)"));
}

/* ---------------------------------------------------------------- mapping */

static void make_hosts(struct crest_hosts *h, struct crest_host *storage, const int *slots, int n)
{
    for (int i = 0; i < n; i++) {
        snprintf(storage[i].name, sizeof storage[i].name, "h%d", i);
        storage[i].slots = slots[i];
        storage[i].slots_given = 1;
    }
    h->host = storage;
    h->count = n;
}

static void check_map(const char *what, const struct crest_hosts *h, int nranks,
                      enum crest_map_by by, const int *want)
{
    int got[256];
    char err[512], g[2048], w[2048];
    if (crest_map_ranks(h, nranks, by, got, err, sizeof err) != 0) {
        failed("%s: refused: %s", what, err);
        return;
    }
    size_t go = 0, wo = 0;
    for (int r = 0; r < nranks; r++) {
        go += (size_t)snprintf(g + go, sizeof g - go, "%d", got[r]);
        wo += (size_t)snprintf(w + wo, sizeof w - wo, "%d", want[r]);
    }
    if (strcmp(g, w) != 0)
        failed("%s:\n  got  %s\n  want %s", what, g, w);
}

static void test_mapping(void)
{
    struct crest_host storage[8];
    struct crest_hosts h;
    int want[256];

    /* 4 hosts of 2 slots */
    make_hosts(&h, storage, (const int[]){2, 2, 2, 2}, 4);
    for (int r = 0; r < 64; r++)
        want[r] = (r % 8) / 2; /* 0 0 1 1 2 2 3 3, again and again */
    check_map("64 ranks by slot on 4 hosts of 2 slots", &h, 64, CREST_MAP_BY_SLOT, want);
    check_map("8 ranks by slot on 4 hosts of 2 slots", &h, 8, CREST_MAP_BY_SLOT, want);
    check_map("5 ranks by slot on 4 hosts of 2 slots", &h, 5, CREST_MAP_BY_SLOT, want);
    for (int r = 0; r < 64; r++)
        want[r] = r % 4;
    check_map("64 ranks by node on 4 hosts of 2 slots", &h, 64, CREST_MAP_BY_NODE, want);
    check_map("8 ranks by node on 4 hosts of 2 slots", &h, 8, CREST_MAP_BY_NODE, want);
    check_map("3 ranks by node on 4 hosts of 2 slots", &h, 3, CREST_MAP_BY_NODE, want);
    check_map("1 rank by node", &h, 1, CREST_MAP_BY_NODE, want);
    check_map("1 rank by slot", &h, 1, CREST_MAP_BY_SLOT, want);

    /* uneven: a:3 b:1 c:2 (S = 6) */
    make_hosts(&h, storage, (const int[]){3, 1, 2}, 3);
    check_map("6 ranks by slot on 3,1,2 slots", &h, 6, CREST_MAP_BY_SLOT,
              (const int[]){0, 0, 0, 1, 2, 2});
    check_map("10 ranks by slot on 3,1,2 slots", &h, 10, CREST_MAP_BY_SLOT,
              (const int[]){0, 0, 0, 1, 2, 2, 0, 0, 0, 1});
    check_map("13 ranks by slot on 3,1,2 slots", &h, 13, CREST_MAP_BY_SLOT,
              (const int[]){0, 0, 0, 1, 2, 2, 0, 0, 0, 1, 2, 2, 0});
    check_map("6 ranks by node on 3,1,2 slots", &h, 6, CREST_MAP_BY_NODE,
              (const int[]){0, 1, 2, 0, 2, 0});
    check_map("4 ranks by node on 3,1,2 slots", &h, 4, CREST_MAP_BY_NODE,
              (const int[]){0, 1, 2, 0});
    check_map("10 ranks by node on 3,1,2 slots", &h, 10, CREST_MAP_BY_NODE,
              (const int[]){0, 1, 2, 0, 2, 0, 0, 1, 2, 0});

    /* a host full early, in the middle of the list */
    make_hosts(&h, storage, (const int[]){2, 1, 4, 1}, 4);
    check_map("8 ranks by node on 2,1,4,1 slots", &h, 8, CREST_MAP_BY_NODE,
              (const int[]){0, 1, 2, 3, 0, 2, 2, 2});
    check_map("11 ranks by node on 2,1,4,1 slots", &h, 11, CREST_MAP_BY_NODE,
              (const int[]){0, 1, 2, 3, 0, 2, 2, 2, 0, 1, 2});

    /* one host */
    make_hosts(&h, storage, (const int[]){1}, 1);
    check_map("3 ranks by node on one host of 1 slot", &h, 3, CREST_MAP_BY_NODE,
              (const int[]){0, 0, 0});
    check_map("3 ranks by slot on one host of 1 slot", &h, 3, CREST_MAP_BY_SLOT,
              (const int[]){0, 0, 0});

    /* refusals */
    int out[4];
    char err[512];
    make_hosts(&h, storage, (const int[]){2, 2}, 2);
    struct crest_hosts none = {NULL, 0};
    if (crest_map_ranks(&none, 2, CREST_MAP_BY_SLOT, out, err, sizeof err) != -1 ||
        !strstr(err, "no hosts"))
        failed("mapping onto no hosts must fail saying so (got \"%s\")", err);
    if (crest_map_ranks(&h, 0, CREST_MAP_BY_NODE, out, err, sizeof err) != -1 ||
        !strstr(err, "0 ranks"))
        failed("mapping 0 ranks must fail saying so (got \"%s\")", err);
    storage[1].slots = 0;
    if (crest_map_ranks(&h, 2, CREST_MAP_BY_NODE, out, err, sizeof err) != -1 ||
        !strstr(err, "h1"))
        failed("mapping onto a host of 0 slots must fail naming it (got \"%s\")", err);
}

/* ---------------------------------------------------------------- local hosts */

static void expect_local(const char *name, int want)
{
    int got = crest_host_is_local(name);
    if (got != want)
        failed("crest_host_is_local(\"%s\") is %s, want %s", name ? name : "(null)",
               got ? "1" : "0", want ? "1" : "0");
}

/* 1 when addr (IPv4 text) is assigned to an interface here. */
static int address_assigned(const char *text)
{
    struct ifaddrs *list, *ifa;
    struct in_addr a;
    int found = 0;
    if (inet_pton(AF_INET, text, &a) != 1 || getifaddrs(&list) != 0)
        return 0;
    for (ifa = list; ifa; ifa = ifa->ifa_next)
        if (ifa->ifa_addr && ifa->ifa_addr->sa_family == AF_INET &&
            ((struct sockaddr_in *)ifa->ifa_addr)->sin_addr.s_addr == a.s_addr)
            found = 1;
    freeifaddrs(list);
    return found;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_local(void)
{
    expect_local("localhost", 1);
    expect_local("LocalHost", 1);
    expect_local("127.0.0.1", 1);
    expect_local("127.5.6.7", 1);
    expect_local("::1", 1);
    expect_local("[::1]", 1);
    expect_local("0:0:0:0:0:0:0:1", 1);
    expect_local("", 0);
    expect_local(NULL, 0);
    expect_local("224.0.0.1", 0);       /* multicast: bindable, not a host */
    expect_local("255.255.255.255", 0); /* broadcast */
    expect_local("ff02::1", 0);

    char self[256];
    if (gethostname(self, sizeof self) != 0) {
        printf("FAIL gethostname: %s\n", strerror(errno));
        failures++;
        return;
    }
    self[sizeof self - 1] = '\0';
    expect_local(self, 1);
    char *dot = strchr(self, '.');
    char other[300];
    if (dot) {
        snprintf(other, sizeof other, "%.*s", (int)(dot - self), self);
        expect_local(other, 1); /* the short form of the machine's name */
    } else {
        snprintf(other, sizeof other, "%s.some-domain.example", self);
        expect_local(other, 1); /* the machine's name is the short form of this */
    }
    for (char *c = self; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    expect_local(self, 1);

    /* every IPv4 address of the interfaces here is local, found by binding */
    struct ifaddrs *list;
    int n_checked = 0;
    if (getifaddrs(&list) == 0) {
        for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
            if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET)
                continue;
            char text[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr, text, sizeof text);
            expect_local(text, 1);
            n_checked++;
        }
        freeifaddrs(list);
    }
    printf("# %d interface address(es) found local\n", n_checked);

    /* TEST-NET-1, assigned nowhere normally */
    if (address_assigned("192.0.2.1"))
        printf("# 192.0.2.1 is assigned here: not checked as a remote address\n");
    else
        expect_local("192.0.2.1", 0);
    expect_local("198.51.100.77", 0);
    expect_local("2001:db8::77", 0);
    expect_local("[2001:db8::77]", 0);

    /* a name that resolves nowhere: not local, and said quickly */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    expect_local("no-such-host.invalid", 0);
    expect_local("crest-no-such-host-4f1d2", 0);
    double took = seconds_since(&t0);
    double limit = 2 * (CREST_RESOLVE_TIMEOUT_MS / 1000.0 + 1);
    if (took > limit) {
        printf("FAIL two unresolvable names took %.1f s (want at most %.1f s)\n", took, limit);
        failures++;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR (a directory for the test hostfiles)\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "unit_hosts: %s is not a directory\n", dir);
        return 2;
    }
    test_lists();
    test_hostfiles();
    test_slurm();
    test_mapping();
    test_local();
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("hosts: all checks passed\n");
    return 0;
}
