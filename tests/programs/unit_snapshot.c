/* unit_snapshot.c — unit tests of src/common/snapshot.c on real images:
 * commits with pruning (keep 2), partial snapshots left by failed or
 * running checkpoints, a foreign file in an old snapshot, the manifest's
 * round trip with arguments no shell would type, resolving the three kinds
 * of path, and every refusal with its message.  Prints each failure; exits
 * 1 if any.
 *
 * usage: unit_snapshot DIR IMAGE0 IMAGE1
 *   DIR (created) receives the checkpoint directories; afterwards
 *   DIR/ckpt/sub is a good checkpoint directory (latest: snapshot.000005)
 *   and DIR/v-flip/snapshot.000001
 *   a snapshot whose rank 1 image has a damaged page, for `crest info`. */
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_reader.h"

static int failures;
static const char *work, *images[2];

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

#define CHECK(cond, ...) \
    do {                 \
        if (!(cond))     \
            failed(__VA_ARGS__); \
    } while (0)

static int exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int exists(const char *fmt, ...)
{
    char p[PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p, sizeof p, fmt, ap);
    va_end(ap);
    struct stat st;
    return lstat(p, &st) == 0;
}

static void copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    char buf[1 << 16];
    ssize_t n;
    if (in < 0 || out < 0) {
        failed("cannot copy %s to %s: %s", from, to, strerror(errno));
        exit(1);
    }
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) {
            failed("cannot write %s", to);
            exit(1);
        }
    close(in);
    close(out);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f)) {
        failed("cannot write %s", path);
        exit(1);
    }
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strdup(buf);
}

/* The nasty command line and working directory of every snapshot here. */
static char *nasty_argv[] = {"./prog", "with space", "new\nline", "back\\slash",
                             "\xff\xfe not utf-8 \xc3\xa9 but this is", "", " lead and trail ",
                             "tab\there", "\x01\x7f" "ctl", "quote'\"", "\xc3", NULL};
#define NASTY_ARGC ((int)(sizeof nasty_argv / sizeof *nasty_argv) - 1)
static const char nasty_cwd[] = "/home/a user/run\nnumber 2\\x";

/* A manifest for the two images as they are now in snap (sizes and header
 * checksums read from them). */
static void fill_manifest(struct snapshot_manifest *m, uint64_t seq, const char *snap,
                          struct snapshot_rank ranks[2])
{
    memset(m, 0, sizeof *m);
    m->format = SNAPSHOT_FORMAT;
    m->job = 4242;
    m->seq = seq;
    m->taken = 1714564800 + (int64_t)seq;
    m->total_ns = 1500000000ull;
    m->quiesce_ns = 2500000;
    m->argc = NASTY_ARGC;
    m->argv = nasty_argv;
    snprintf(m->cwd, sizeof m->cwd, "%s", nasty_cwd);
    m->nranks = 2;
    m->ranks = ranks;
    for (int r = 0; r < 2; r++) {
        struct snapshot_rank *k = &ranks[r];
        memset(k, 0, sizeof *k);
        k->rank = r;
        snprintf(k->host, sizeof k->host, r ? "node two" : "node1");
        snprintf(k->image, sizeof k->image, "rank-%05d.img", r);
        char p[PATH_MAX], err[1024];
        snprintf(p, sizeof p, "%s/%s", snap, k->image);
        struct crest_image img;
        if (crest_image_open(&img, p, err, sizeof err)) {
            failed("the test image does not open: %s", err);
            exit(1);
        }
        k->bytes = img.actual_size;
        k->checksum = img.header.header_crc;
        k->write_ns = 900000000ull + (uint64_t)r;
        k->quiesce_ns = 300000ull + (uint64_t)r;
        m->bytes += k->bytes;
        crest_image_close(&img);
    }
}

/* Begins snapshot seq in dir, puts the images in (copies, or hard links
 * when link_only), commits it with keep; returns its final path (static). */
static const char *make_snapshot(const char *dir, uint64_t seq, int keep, int link_only,
                                 uint32_t xor_checksum1)
{
    static char final[PATH_MAX];
    char tmp[PATH_MAX], err[1024], p[PATH_MAX];
    if (snapshot_begin(dir, seq, tmp, sizeof tmp, err, sizeof err)) {
        failed("snapshot_begin %s %llu: %s", dir, (unsigned long long)seq, err);
        exit(1);
    }
    for (int r = 0; r < 2; r++) {
        snprintf(p, sizeof p, "%s/rank-%05d.img", tmp, r);
        if (!link_only || link(images[r], p))
            copy_file(images[r], p);
    }
    struct snapshot_manifest m;
    struct snapshot_rank ranks[2];
    fill_manifest(&m, seq, tmp, ranks);
    ranks[1].checksum ^= xor_checksum1;
    if (snapshot_commit(dir, tmp, &m, keep, final, sizeof final, err, sizeof err)) {
        failed("snapshot_commit %s: %s", tmp, err);
        exit(1);
    }
    return final;
}

static void check_latest(const char *dir, const char *want)
{
    char l[PATH_MAX], target[PATH_MAX];
    snprintf(l, sizeof l, "%s/latest", dir);
    ssize_t n = readlink(l, target, sizeof target - 1);
    if (n < 0) {
        failed("%s is not a symlink", l);
        return;
    }
    target[n] = '\0';
    CHECK(!strcmp(target, want), "%s -> %s, expected %s", l, target, want);
}

/* Runs snapshot_commit with stderr going into a file; returns what it said. */
static char *commit_capturing(const char *dir, uint64_t seq, int keep)
{
    char cap[PATH_MAX];
    snprintf(cap, sizeof cap, "%s/stderr.txt", work);
    fflush(stderr);
    int saved = dup(2), fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    make_snapshot(dir, seq, keep, 1, 0);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    return read_text(cap);
}

static void test_commit_and_prune(char *dir)
{
    char err[1024], tmp[PATH_MAX];
    uint64_t seq = 0;
    CHECK(snapshot_next_seq(dir, &seq, err, sizeof err) == 0 && seq == 1,
          "next_seq on a new directory: seq %llu, %s", (unsigned long long)seq, err);
    struct stat st;
    CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
          "next_seq did not create %s with mode 0700", dir);
    const char *f = make_snapshot(dir, 1, 2, 1, 0);
    char want[PATH_MAX];
    snprintf(want, sizeof want, "%s/snapshot.000001", dir);
    CHECK(!strcmp(f, want), "first commit went to %s, expected %s", f, want);
    CHECK(!exists("%s/snapshot.000001.tmp", dir), "the .tmp directory is still there");
    CHECK(exists("%s/snapshot.000001/manifest", dir), "no manifest in snapshot 1");
    CHECK(!exists("%s/snapshot.000001/manifest.tmp", dir), "manifest.tmp left in snapshot 1");
    check_latest(dir, "snapshot.000001");

    /* a checkpoint that failed half way: images being written, no commit */
    CHECK(snapshot_next_seq(dir, &seq, err, sizeof err) == 0 && seq == 2, "next_seq after 1: %llu",
          (unsigned long long)seq);
    CHECK(snapshot_begin(dir, 2, tmp, sizeof tmp, err, sizeof err) == 0, "begin 2: %s", err);
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/rank-00000.img.tmp.12345", tmp);
    write_text(p, "partial");
    snprintf(p, sizeof p, "%s/manifest.tmp", tmp);
    write_text(p, "format 1\n");
    CHECK(snapshot_begin(dir, 2, tmp, sizeof tmp, err, sizeof err) == -1 && strstr(err, "snapshot.000002.tmp"),
          "a second begin of the same seq is not refused: %s", err);
    CHECK(snapshot_next_seq(dir, &seq, err, sizeof err) == 0 && seq == 3,
          "next_seq must count the partial snapshot: %llu", (unsigned long long)seq);

    make_snapshot(dir, 3, 2, 1, 0);
    CHECK(!exists("%s/snapshot.000002.tmp", dir), "the stale snapshot.000002.tmp was not removed");
    CHECK(exists("%s/snapshot.000001/manifest", dir) && exists("%s/snapshot.000003/manifest", dir),
          "keep 2 must keep snapshots 1 and 3");
    check_latest(dir, "snapshot.000003");

    /* a file someone put in the oldest snapshot; a checkpoint still running
     * (seq 5) while 4 commits */
    snprintf(p, sizeof p, "%s/snapshot.000001/notes.txt", dir);
    write_text(p, "my notes\n");
    char running[PATH_MAX];
    CHECK(snapshot_begin(dir, 5, running, sizeof running, err, sizeof err) == 0, "begin 5: %s", err);
    snprintf(p, sizeof p, "%s/rank-00000.img.tmp.999", running);
    write_text(p, "being written");
    char *said = commit_capturing(dir, 4, 2);
    CHECK(exists("%s/snapshot.000001/notes.txt", dir), "the foreign file was removed");
    CHECK(!exists("%s/snapshot.000001/manifest", dir) && !exists("%s/snapshot.000001/rank-00000.img", dir),
          "the pruned snapshot 1 still has its manifest or images");
    CHECK(said && strstr(said, "snapshot.000001") && strstr(said, "notes.txt") &&
              strchr(said, '\n') == said + strlen(said) - 1,
          "pruning must say once, in one line, that snapshot 1 was kept for notes.txt; it said: %s",
          said ? said : "(nothing)");
    free(said);
    CHECK(exists("%s/snapshot.000003/manifest", dir) && exists("%s/snapshot.000004/manifest", dir),
          "keep 2 must keep snapshots 3 and 4");
    CHECK(exists("%s/snapshot.000005.tmp/rank-00000.img.tmp.999", dir),
          "the running checkpoint's snapshot.000005.tmp was touched");
    check_latest(dir, "snapshot.000004");

    /* the running one commits: 3 goes entirely, 1 stays (quietly) */
    snprintf(p, sizeof p, "%s/rank-00000.img.tmp.999", running);
    unlink(p);
    rmdir(running);
    said = commit_capturing(dir, 5, 2);
    CHECK(!exists("%s/snapshot.000003", dir), "the oldest snapshot 3 was not removed");
    CHECK(exists("%s/snapshot.000004/manifest", dir) && exists("%s/snapshot.000005/manifest", dir),
          "keep 2 must keep snapshots 4 and 5");
    CHECK(exists("%s/snapshot.000001/notes.txt", dir), "the kept directory went away");
    CHECK(said && !said[0], "the second prune must be quiet about the kept directory; it said: %s",
          said ? said : "?");
    free(said);
    check_latest(dir, "snapshot.000005");
    CHECK(!exists("%s/.latest.tmp.%d", dir, (int)getpid()), "the temporary symlink is left");

    /* a commit whose manifest does not match its directory is refused and
     * leaves everything as it was */
    CHECK(snapshot_begin(dir, 6, tmp, sizeof tmp, err, sizeof err) == 0, "begin 6: %s", err);
    for (int r = 0; r < 2; r++) {
        snprintf(p, sizeof p, "%s/rank-%05d.img", tmp, r);
        CHECK(link(images[r], p) == 0, "link %s", p);
    }
    struct snapshot_manifest m;
    struct snapshot_rank ranks[2];
    fill_manifest(&m, 7, tmp, ranks);
    char final[PATH_MAX];
    CHECK(snapshot_commit(dir, tmp, &m, 2, final, sizeof final, err, sizeof err) == -1 &&
              strstr(err, "snapshot.000006.tmp") && !strchr(err, '\n'),
          "a commit with seq 7 into snapshot 6's directory: %s", err);
    check_latest(dir, "snapshot.000005");
    snapshot_abandon(tmp);
    CHECK(!exists("%s", tmp), "snapshot_abandon left %s", tmp);
    CHECK(snapshot_next_seq(dir, &seq, err, sizeof err) == 0 && seq == 6,
          "next_seq after 5: %llu", (unsigned long long)seq);
}

/* A progress callback: counts the calls, which must come in rank order. */
static void count(int rank, int ok, const char *what, void *arg)
{
    int *n = arg;
    char prefix[32];
    snprintf(prefix, sizeof prefix, "rank %d: ", rank);
    if (rank != *n || !what || (ok && strcmp(what, "ok")) ||
        (!ok && strncmp(what, prefix, strlen(prefix))))
        failed("progress called for rank %d (ok %d, '%s') as call %d", rank, ok, what, *n);
    (*n)++;
}

static void test_round_trip(const char *dir)
{
    char snap[PATH_MAX], err[1024];
    snprintf(snap, sizeof snap, "%s/snapshot.000005", dir);
    struct snapshot_manifest m;
    if (snapshot_load(snap, &m, err, sizeof err)) {
        failed("load of a good snapshot: %s", err);
        return;
    }
    struct snapshot_manifest w;
    struct snapshot_rank wr[2];
    fill_manifest(&w, 5, snap, wr);
    CHECK(m.format == SNAPSHOT_FORMAT && m.job == 4242 && m.seq == 5 && m.taken == w.taken &&
              m.total_ns == w.total_ns && m.quiesce_ns == w.quiesce_ns && m.bytes == w.bytes,
          "numbers differ after the round trip");
    CHECK(!strcmp(m.crest_version, "0.1"), "crest_version '%s'", m.crest_version);
    CHECK(!strcmp(m.cwd, nasty_cwd), "cwd differs: '%s'", m.cwd);
    CHECK(m.argc == NASTY_ARGC, "argc %d", m.argc);
    for (int i = 0; i < m.argc && i < NASTY_ARGC; i++)
        CHECK(!strcmp(m.argv[i], nasty_argv[i]), "argument %d differs: '%s'", i, m.argv[i]);
    CHECK(m.argv[m.argc] == NULL, "argv is not NULL-terminated");
    CHECK(m.nranks == 2, "nranks %d", m.nranks);
    for (int r = 0; r < m.nranks && r < 2; r++)
        CHECK(m.ranks[r].rank == r && !strcmp(m.ranks[r].host, wr[r].host) &&
                  !strcmp(m.ranks[r].image, wr[r].image) && m.ranks[r].bytes == wr[r].bytes &&
                  m.ranks[r].checksum == wr[r].checksum && m.ranks[r].write_ns == wr[r].write_ns &&
                  m.ranks[r].quiesce_ns == wr[r].quiesce_ns,
              "rank %d differs after the round trip", r);
    /* the file is one line per key, readable: no control bytes, no bytes
     * that are not UTF-8 */
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/manifest", snap);
    char *text = read_text(p);
    int lines = 0;
    for (char *s = text; s && *s; s++) {
        lines += *s == '\n';
        CHECK(*s == '\n' || (unsigned char)*s >= 0x20, "a control byte in the manifest");
        CHECK((unsigned char)*s != 0xff, "a raw 0xff byte in the manifest");
    }
    CHECK(lines == 12 + NASTY_ARGC + 2, "the manifest has %d lines, expected %d", lines,
          12 + NASTY_ARGC + 2);
    CHECK(text && strstr(text, "\nrank 1 host node\\x20two image rank-00001.img bytes "),
          "rank 1's line is not as documented");
    CHECK(text && strstr(text, "\narg 5 \n") && strstr(text, "\narg 2 new\\nline\n") &&
              strstr(text, "\\xff\\xfe not utf-8 \xc3\xa9 but this is\n") &&
              strstr(text, "\narg 6 \\x20lead and trail\\x20\n") && strstr(text, "\narg 10 \\xc3\n"),
          "the arguments are not escaped as documented:\n%s", text);
    CHECK(text && strstr(text, "\ntaken_utc 2024-05-01 12:00:05 UTC\n"), "no readable taken_utc line");
    free(text);
    int calls = 0;
    CHECK(snapshot_verify(snap, &m, 1, NULL, NULL, err, sizeof err) == 0, "full verify of a good snapshot: %s",
          err);
    CHECK(snapshot_verify(snap, &m, 0, count, &calls, err, sizeof err) == 0 && calls == 2,
          "quick verify of a good snapshot: %s (%d progress calls)", err, calls);
    snapshot_free(&m);
    CHECK(m.argv == NULL && m.ranks == NULL, "snapshot_free leaves pointers");
}

static void test_resolve(const char *dir)
{
    char snap[PATH_MAX], want[PATH_MAX], p[PATH_MAX], err[1024];
    int none = -1;
    snprintf(want, sizeof want, "%s/snapshot.000005", dir);
    CHECK(snapshot_resolve(want, snap, sizeof snap, &none, err, sizeof err) == 0 && !strcmp(snap, want) &&
              none == 0, "resolve of a snapshot directory: %s", err);
    CHECK(snapshot_resolve(dir, snap, sizeof snap, &none, err, sizeof err) == 0 && !strcmp(snap, want),
          "resolve of a checkpoint directory gave %s: %s", snap, err);
    snprintf(p, sizeof p, "%s/manifest", want);
    CHECK(snapshot_resolve(p, snap, sizeof snap, &none, err, sizeof err) == 0 && !strcmp(snap, want),
          "resolve of a manifest gave %s: %s", snap, err);
    snprintf(p, sizeof p, "%s/empty", work);
    mkdir(p, 0700);
    CHECK(snapshot_resolve(p, snap, sizeof snap, &none, err, sizeof err) == -1 && none == 1 &&
              strstr(err, p) && !strchr(err, '\n'),
          "resolve of an empty directory: none %d, %s", none, err);
    char t[PATH_MAX];
    CHECK(snapshot_begin(p, 1, t, sizeof t, err, sizeof err) == 0, "begin in empty: %s", err);
    none = -1;
    CHECK(snapshot_resolve(p, snap, sizeof snap, &none, err, sizeof err) == -1 && none == 1,
          "resolve of a directory with only a partial snapshot: none %d, %s", none, err);
    none = -1;
    CHECK(snapshot_resolve(t, snap, sizeof snap, &none, err, sizeof err) == -1 && none == 0 &&
              strstr(err, "never committed"),
          "resolve of a .tmp snapshot: none %d, %s", none, err);
    snprintf(p, sizeof p, "%s/snapshot.000001", dir); /* kept by pruning: notes.txt only */
    none = -1;
    CHECK(snapshot_resolve(p, snap, sizeof snap, &none, err, sizeof err) == -1 && none == 0 &&
              strstr(err, "no manifest"),
          "resolve of a pruned snapshot directory: none %d, %s", none, err);
    snprintf(p, sizeof p, "%s/does-not-exist", work);
    none = -1;
    CHECK(snapshot_resolve(p, snap, sizeof snap, &none, err, sizeof err) == -1 && none == 1,
          "resolve of a missing directory: none %d, %s", none, err);
    none = -1;
    CHECK(snapshot_resolve(images[0], snap, sizeof snap, &none, err, sizeof err) == -1 && none == 0 &&
              strstr(err, "not a snapshot manifest"),
          "resolve of an image file: none %d, %s", none, err);
}

/* A fresh checkpoint directory DIR/v-NAME with one committed snapshot (real
 * copies of the images); returns the snapshot's path (static). */
static const char *variant(const char *name, uint32_t xor_checksum1)
{
    char d[PATH_MAX], err[1024];
    uint64_t seq;
    snprintf(d, sizeof d, "%s/v-%s", work, name);
    if (snapshot_next_seq(d, &seq, err, sizeof err)) {
        failed("%s", err);
        exit(1);
    }
    return make_snapshot(d, seq, 2, 0, xor_checksum1);
}

/* Edits the manifest of snap: the line starting with `from` becomes `to`
 * ("" deletes it; a `to` starting with '+' is added after it). */
static void edit_manifest(const char *snap, const char *from, const char *to)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/manifest", snap);
    char *text = read_text(p), out[1 << 16];
    size_t o = 0;
    for (char *line = text, *nl; line && *line; line = nl + 1) {
        nl = strchr(line, '\n');
        *nl = '\0';
        int hit = !strncmp(line, from, strlen(from));
        if (!hit || to[0] == '+')
            o += (size_t)snprintf(out + o, sizeof out - o, "%s\n", line);
        if (hit && to[0])
            o += (size_t)snprintf(out + o, sizeof out - o, "%s\n", to + (to[0] == '+'));
    }
    write_text(p, out);
    free(text);
}

/* load of snap must fail with every fragment in one line; returns 0 if so. */
static void expect_load_refusal(const char *label, const char *snap, const char *const *frags)
{
    struct snapshot_manifest m;
    char err[1024] = "";
    if (snapshot_load(snap, &m, err, sizeof err) == 0) {
        failed("%s: the manifest is accepted", label);
        snapshot_free(&m);
        return;
    }
    CHECK(m.argv == NULL && m.ranks == NULL, "%s: a refused load leaves memory", label);
    CHECK(err[0] && !strchr(err, '\n'), "%s: not one line: %s", label, err);
    for (; *frags; frags++)
        CHECK(strstr(err, *frags), "%s: the message lacks '%s': %s", label, *frags, err);
    printf("ok %s: %s\n", label, err);
}

static void expect_verify(const char *label, const char *snap, int full, int want_rc,
                          const char *const *frags)
{
    struct snapshot_manifest m;
    char err[1024] = "";
    if (snapshot_load(snap, &m, err, sizeof err)) {
        failed("%s: load: %s", label, err);
        return;
    }
    int calls = 0;
    int rc = snapshot_verify(snap, &m, full, count, &calls, err, sizeof err);
    CHECK(calls == 2, "%s: %d progress calls, expected 2", label, calls);
    snapshot_free(&m);
    if (want_rc == 0) {
        CHECK(rc == 0, "%s: verify (full %d) refuses: %s", label, full, err);
        return;
    }
    if (rc == 0) {
        failed("%s: verify (full %d) accepts it", label, full);
        return;
    }
    CHECK(err[0] && !strchr(err, '\n'), "%s: not one line: %s", label, err);
    for (; *frags; frags++)
        CHECK(strstr(err, *frags), "%s: the message lacks '%s': %s", label, *frags, err);
    printf("ok %s: %s\n", label, err);
}

static void test_refusals(void)
{
    char s[PATH_MAX], p[PATH_MAX];
    snprintf(s, sizeof s, "%s", variant("format", 0));
    edit_manifest(s, "format ", "format 2");
    snprintf(p, sizeof p, "%s/manifest", s);
    expect_load_refusal("unknown format", s, (const char *const[]){p, "line 1", "format 2", "release", NULL});

    snprintf(s, sizeof s, "%s", variant("norank", 0));
    edit_manifest(s, "rank 1 ", "");
    snprintf(p, sizeof p, "%s/manifest", s);
    expect_load_refusal("missing rank line", s,
                        (const char *const[]){p, "line 25", "rank 1 is missing", "another snapshot", NULL});

    snprintf(s, sizeof s, "%s", variant("duprank", 0));
    edit_manifest(s, "rank 0 ", "+rank 0 host x image rank-00000.img bytes 1 checksum 0x1 write_ns 1 quiesce_ns 1");
    expect_load_refusal("duplicate rank", s, (const char *const[]){"line 25", "rank 0 appears twice", NULL});

    snprintf(s, sizeof s, "%s", variant("order", 0));
    edit_manifest(s, "rank 0 ", "");
    edit_manifest(s, "rank 1 ", "+rank 0 host x image rank-00000.img bytes 1 checksum 0x1 write_ns 1 quiesce_ns 1");
    expect_load_refusal("rank out of order", s,
                        (const char *const[]){"line 24", "rank 1 where rank 0 was expected", NULL});

    snprintf(s, sizeof s, "%s", variant("nokey", 0));
    edit_manifest(s, "cwd ", "");
    expect_load_refusal("missing key", s, (const char *const[]){"line 25", "no 'cwd' line", NULL});

    snprintf(s, sizeof s, "%s", variant("escape", 0));
    edit_manifest(s, "arg 1 ", "arg 1 bad\\q");
    expect_load_refusal("bad escape", s, (const char *const[]){"line 13", "argument 1", "escape", NULL});

    /* the images */
    snprintf(s, sizeof s, "%s", variant("trunc", 0));
    snprintf(p, sizeof p, "%s/rank-00001.img", s);
    struct stat st;
    stat(p, &st);
    CHECK(truncate(p, st.st_size - 4096) == 0, "truncate %s", p);
    expect_verify("truncated image", s, 0, -1, (const char *const[]){p, "rank 1: image", "bytes", NULL});

    snprintf(s, sizeof s, "%s", variant("flip", 0));
    snprintf(p, sizeof p, "%s/rank-00001.img", s);
    {
        struct crest_image img;
        char err[1024];
        if (crest_image_open(&img, p, err, sizeof err)) {
            failed("flip: %s", err);
            return;
        }
        uint64_t off = img.header.header_size + img.header.data_bytes / 2;
        crest_image_close(&img);
        int fd = open(p, O_RDWR);
        unsigned char c;
        if (fd < 0 || pread(fd, &c, 1, (off_t)off) != 1) {
            failed("cannot read %s", p);
            return;
        }
        c = (unsigned char)~c;
        CHECK(pwrite(fd, &c, 1, (off_t)off) == 1, "cannot write %s", p);
        close(fd);
    }
    expect_verify("flipped page byte, quick", s, 0, 0, NULL);
    expect_verify("flipped page byte, full", s, 1, -1, (const char *const[]){p, "rank 1: ", "page data", NULL});

    snprintf(s, sizeof s, "%s", variant("checksum", 0x10));
    snprintf(p, sizeof p, "%s/rank-00001.img", s);
    expect_verify("header checksum differs", s, 0, -1,
                  (const char *const[]){p, "rank 1: image", "not the one the manifest records", NULL});

    snprintf(s, sizeof s, "%s", variant("missing", 0));
    snprintf(p, sizeof p, "%s/rank-00000.img", s);
    unlink(p);
    expect_verify("missing image", s, 1, -1, (const char *const[]){p, "rank 0: image", "missing", NULL});
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: unit_snapshot DIR IMAGE0 IMAGE1\n");
        return 2;
    }
    work = argv[1];
    images[0] = argv[2];
    images[1] = argv[3];
    if (mkdir(work, 0700) && errno != EEXIST) {
        fprintf(stderr, "cannot create %s: %s\n", work, strerror(errno));
        return 2;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/ckpt/sub", work); /* parents are created too */
    test_commit_and_prune(dir);
    test_round_trip(dir);
    test_resolve(dir);
    test_refusals();
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    printf("all snapshot checks passed\n");
    return 0;
}
