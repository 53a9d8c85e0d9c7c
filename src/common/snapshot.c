/* snapshot.c — a job's snapshot directory: the manifest (writing, reading),
 * the atomic commit, pruning, and checking the images against the manifest. */
#include "snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crest.h"
#include "image_reader.h"

#define DAMAGED "the snapshot is damaged: restart from another snapshot of its directory"
#define MAX_ARGC (1 << 20)
#define MAX_RANKS (1 << 22)

static int say(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *err, size_t len, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ------------------------------------------------------------ names */

/* "snapshot.N" (*tmp = 0) or "snapshot.N.tmp" (*tmp = 1): 0 and its seq;
 * -1 for any other name. */
static int parse_snapshot_name(const char *name, uint64_t *seq, int *tmp)
{
    if (strncmp(name, "snapshot.", 9))
        return -1;
    const char *p = name + 9, *q = p;
    while (*q >= '0' && *q <= '9')
        q++;
    if (q == p || q - p > 19)
        return -1;
    if (*q == '\0')
        *tmp = 0;
    else if (!strcmp(q, ".tmp"))
        *tmp = 1;
    else
        return -1;
    *seq = strtoull(p, NULL, 10);
    return 0;
}

static int join(char *out, size_t len, const char *a, const char *b)
{
    return (size_t)snprintf(out, len, "%s/%s", a, b) < len ? 0 : -1;
}

/* Files this module (or a rank writing its image) puts in a snapshot: only
 * these are ever removed. */
static int is_own_file(const char *name)
{
    if (!strcmp(name, "manifest") || !strcmp(name, "manifest.tmp"))
        return 1;
    if (strncmp(name, "rank-", 5))
        return 0;
    const char *p = name + 5, *q = p;
    while (*q >= '0' && *q <= '9')
        q++;
    if (q == p || strncmp(q, ".img", 4))
        return 0;
    q += 4;
    if (*q == '\0')
        return 1;
    /* an image a rank was still writing: IMAGE.tmp.PID */
    if (strncmp(q, ".tmp.", 5) || !q[5])
        return 0;
    for (q += 5; *q; q++)
        if (*q < '0' || *q > '9')
            return 0;
    return 1;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

static int mkdir_parents(const char *dir, char *err, size_t errlen)
{
    char p[PATH_MAX];
    if ((size_t)snprintf(p, sizeof p, "%s", dir) >= sizeof p)
        return say(err, errlen, "checkpoint directory name too long: %.200s...", dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) && errno != EEXIST)
            return say(err, errlen, "cannot create %s: %s (create it or choose another checkpoint "
                       "directory)", p, strerror(errno));
        *s = '/';
    }
    if (mkdir(p, 0700) && errno != EEXIST)
        return say(err, errlen, "cannot create checkpoint directory %s: %s (create it or choose "
                   "another one)", p, strerror(errno));
    struct stat st;
    if (stat(p, &st) || !S_ISDIR(st.st_mode))
        return say(err, errlen, "%s is not a directory (choose another checkpoint directory)", p);
    return 0;
}

/* Highest seq among the entries of dir: committed (tmp_too = 0) or
 * committed and partial (tmp_too = 1); committed ones count only when they
 * hold a manifest if need_manifest.  0 when none. */
static int highest_seq(const char *dir, int tmp_too, int need_manifest, uint64_t *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    uint64_t best = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        uint64_t seq;
        int tmp;
        if (parse_snapshot_name(e->d_name, &seq, &tmp) || (tmp && !tmp_too) || seq <= best)
            continue;
        if (need_manifest && !tmp) {
            char m[PATH_MAX];
            struct stat st;
            if ((size_t)snprintf(m, sizeof m, "%s/%s/manifest", dir, e->d_name) >= sizeof m ||
                stat(m, &st) || !S_ISREG(st.st_mode))
                continue;
        }
        best = seq;
    }
    closedir(d);
    *out = best;
    return 0;
}

int snapshot_next_seq(const char *dir, uint64_t *seq, char *err, size_t errlen)
{
    if (mkdir_parents(dir, err, errlen))
        return -1;
    uint64_t hi;
    if (highest_seq(dir, 1, 0, &hi))
        return say(err, errlen, "cannot read checkpoint directory %s: %s (check its permissions)",
                   dir, strerror(errno));
    *seq = hi + 1;
    return 0;
}

int snapshot_begin(const char *dir, uint64_t seq, char *tmpdir, size_t tmplen, char *err,
                   size_t errlen)
{
    char abs[PATH_MAX];
    if (!realpath(dir, abs))
        return say(err, errlen, "cannot use checkpoint directory %s: %s (create it first)", dir,
                   strerror(errno));
    if ((size_t)snprintf(tmpdir, tmplen, "%s/snapshot.%06" PRIu64 ".tmp", abs, seq) >= tmplen)
        return say(err, errlen, "checkpoint directory name too long: %s", abs);
    if (mkdir(tmpdir, 0700))
        return say(err, errlen, "cannot create snapshot directory %s: %s (%s)", tmpdir,
                   strerror(errno),
                   errno == EEXIST ? "another checkpoint uses this sequence number; take it again"
                                   : "check the checkpoint directory's permissions and space");
    return 0;
}

/* ------------------------------------------------------------ escaping */

/* Length of the valid UTF-8 sequence (2 to 4 bytes) at s, else 0. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4;
    else
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    /* overlong forms, surrogates and code points above U+10FFFF */
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
        return 0;
    return n;
}

/* Writes s so that the line stays one line and every byte comes back:
 * backslash, control characters and bytes that are not valid UTF-8 become
 * \\ \n \t \r \xNN.  token: spaces too (the value sits between other
 * fields); otherwise only a leading or trailing space, which would be
 * invisible. */
static void put_escaped(FILE *f, const char *str, int token)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t len = strlen(str);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        size_t u;
        if (c == '\\')
            fputs("\\\\", f);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c == '\r')
            fputs("\\r", f);
        else if (c == ' ' && (token || i == 0 || i + 1 == len))
            fputs("\\x20", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else if (c < 0x80)
            fputc(c, f);
        else if ((u = utf8_len(s + i))) {
            fwrite(s + i, 1, u, f);
            i += u - 1;
        } else
            fprintf(f, "\\x%02x", c);
    }
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes the escaped text s[0..len) into out (at most outlen bytes with
 * the NUL).  Returns 0, or -1 with a reason in *why. */
static int unescape(const char *s, size_t len, char *out, size_t outlen, const char **why)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\\') {
            if (i + 1 >= len) {
                *why = "a backslash at the end of a value";
                return -1;
            }
            char e = s[++i];
            if (e == '\\')
                c = '\\';
            else if (e == 'n')
                c = '\n';
            else if (e == 't')
                c = '\t';
            else if (e == 'r')
                c = '\r';
            else if (e == 'x' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
                c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
                i += 2;
                if (!c) {
                    *why = "an escaped NUL byte (\\x00)";
                    return -1;
                }
            } else {
                *why = "an unknown escape (only \\\\ \\n \\t \\r \\xNN exist)";
                return -1;
            }
        }
        if (o + 1 >= outlen) {
            *why = "a value too long";
            return -1;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

/* ------------------------------------------------------------ checks */

/* A manifest that commit may write and load accepts. */
static int check_manifest(const struct snapshot_manifest *m, char *why, size_t len)
{
    if (m->argc < 1 || m->argc > MAX_ARGC || !m->argv)
        return say(why, len, "a command line of %d arguments", m->argc);
    for (int i = 0; i < m->argc; i++)
        if (!m->argv[i])
            return say(why, len, "argument %d is missing", i);
    if (m->nranks < 1 || m->nranks > MAX_RANKS || !m->ranks)
        return say(why, len, "%d ranks", m->nranks);
    for (int r = 0; r < m->nranks; r++) {
        const struct snapshot_rank *k = &m->ranks[r];
        if (k->rank != r)
            return say(why, len, "entry %d is rank %d (ranks must be in order from 0)", r, k->rank);
        if (!k->image[0] || k->image[0] == '.' || strchr(k->image, '/') ||
            strlen(k->image) >= sizeof k->image)
            return say(why, len, "rank %d has the image name '%s' (a plain file name is needed)",
                       r, k->image);
        if (!memchr(k->host, '\0', sizeof k->host))
            return say(why, len, "rank %d's host name is not terminated", r);
    }
    return 0;
}

/* ------------------------------------------------------------ writing */

static char *manifest_text(const struct snapshot_manifest *m, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    char utc[64] = "?";
    time_t t = (time_t)m->taken;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(utc, sizeof utc, "%Y-%m-%d %H:%M:%S UTC", &tm);
    fprintf(f, "format %u\n", SNAPSHOT_FORMAT);
    fputs("crest_version ", f);
    if (m->crest_version[0])
        put_escaped(f, m->crest_version, 1);
    else
        fprintf(f, "%d.%d", CREST_VERSION_MAJOR, CREST_VERSION_MINOR);
    fprintf(f, "\njob %" PRIu32 "\nseq %" PRIu64 "\ntaken %" PRId64 "\ntaken_utc %s\n", m->job,
            m->seq, m->taken, utc);
    fprintf(f, "total_ns %" PRIu64 "\nquiesce_ns %" PRIu64 "\nbytes %" PRIu64 "\ncwd ",
            m->total_ns, m->quiesce_ns, m->bytes);
    put_escaped(f, m->cwd, 0);
    fprintf(f, "\nargc %d\n", m->argc);
    for (int i = 0; i < m->argc; i++) {
        fprintf(f, "arg %d ", i);
        put_escaped(f, m->argv[i], 0);
        fputc('\n', f);
    }
    fprintf(f, "nranks %d\n", m->nranks);
    for (int r = 0; r < m->nranks; r++) {
        const struct snapshot_rank *k = &m->ranks[r];
        fprintf(f, "rank %d host ", k->rank);
        put_escaped(f, k->host[0] ? k->host : "?", 1);
        fputs(" image ", f);
        put_escaped(f, k->image, 1);
        fprintf(f, " bytes %" PRIu64 " checksum 0x%08" PRIx32 " write_ns %" PRIu64
                   " quiesce_ns %" PRIu64 "\n", k->bytes, k->checksum, k->write_ns, k->quiesce_ns);
    }
    if (fclose(f)) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* tmpdir/manifest.tmp written, synced, renamed to manifest; tmpdir synced. */
static int write_manifest(const char *tmpdir, const struct snapshot_manifest *m, char *err,
                          size_t errlen)
{
    char tmp[PATH_MAX], final[PATH_MAX];
    if (join(tmp, sizeof tmp, tmpdir, "manifest.tmp") || join(final, sizeof final, tmpdir, "manifest"))
        return say(err, errlen, "snapshot directory name too long: %s", tmpdir);
    size_t len;
    char *text = manifest_text(m, &len);
    if (!text)
        return say(err, errlen, "out of memory for the manifest of %s", tmpdir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        free(text);
        return say(err, errlen, "cannot create %s: %s (check the checkpoint directory)", tmp,
                    strerror(errno));
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    free(text);
    if (done < len || fsync(fd)) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return say(err, errlen, "cannot write %s: %s (free some space in the checkpoint "
                    "directory and take the checkpoint again)", tmp, strerror(e));
    }
    close(fd);
    if (rename(tmp, final)) {
        int e = errno;
        unlink(tmp);
        return say(err, errlen, "cannot rename %s to manifest: %s", tmp, strerror(e));
    }
    if (fsync_dir(tmpdir))
        return say(err, errlen, "cannot sync %s: %s (check the file system)", tmpdir,
                   strerror(errno));
    return 0;
}

/* ------------------------------------------------------------ removal */

/* Removes the files this module knows inside snap, then snap itself.  A
 * directory holding anything else is kept, with one line on stderr (only
 * while it still held its manifest, so a kept directory is reported once). */
static void remove_snapshot(const char *snap)
{
    DIR *d = opendir(snap);
    if (!d)
        return;
    char foreign[NAME_MAX + 1] = "", p[PATH_MAX];
    int had_manifest = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        struct stat st;
        if (join(p, sizeof p, snap, e->d_name) || lstat(p, &st))
            continue;
        if (S_ISREG(st.st_mode) && is_own_file(e->d_name)) {
            had_manifest |= !strcmp(e->d_name, "manifest");
            unlink(p);
        } else if (!foreign[0])
            snprintf(foreign, sizeof foreign, "%s", e->d_name);
    }
    closedir(d);
    if (!foreign[0]) {
        if (rmdir(snap) && errno != ENOENT)
            fprintf(stderr, "crest: cannot remove old snapshot %s: %s (remove it by hand)\n",
                    snap, strerror(errno));
    } else if (had_manifest) {
        fprintf(stderr, "crest: kept the directory of old snapshot %s: it holds '%s', which "
                "crest did not write (its images are removed; remove the rest by hand)\n",
                snap, foreign);
    }
}

void snapshot_abandon(const char *tmpdir)
{
    if (tmpdir && tmpdir[0])
        remove_snapshot(tmpdir);
}

static int cmp_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Keeps the newest keep committed snapshots of dir (and `committed`, the
 * one just made, in any case); removes partial ones older than it. */
static void prune(const char *dir, uint64_t committed, int keep)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    size_t n = 0, cap = 0;
    uint64_t *done = NULL; /* committed seqs with a manifest */
    char p[PATH_MAX];
    struct dirent *e;
    /* first pass: partial ones go now; committed ones are collected */
    while ((e = readdir(d))) {
        uint64_t seq;
        int tmp;
        struct stat st;
        if (parse_snapshot_name(e->d_name, &seq, &tmp) || seq == committed ||
            join(p, sizeof p, dir, e->d_name) || lstat(p, &st) || !S_ISDIR(st.st_mode))
            continue;
        if (tmp) {
            if (seq < committed)
                remove_snapshot(p);
            continue;
        }
        char m[PATH_MAX];
        if ((size_t)snprintf(m, sizeof m, "%s/manifest", p) >= sizeof m || lstat(m, &st)) {
            /* a directory kept by an earlier prune: tried again quietly */
            if (seq < committed)
                remove_snapshot(p);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            uint64_t *g = realloc(done, cap * sizeof *g);
            if (!g)
                break;
            done = g;
        }
        done[n++] = seq;
    }
    closedir(d);
    if (n)
        qsort(done, n, sizeof *done, cmp_desc);
    /* the one just committed is one of the keep */
    size_t kept = 1;
    for (size_t i = 0; i < n; i++) {
        if (kept < (size_t)keep) {
            kept++;
            continue;
        }
        snprintf(p, sizeof p, "%s/snapshot.%06" PRIu64, dir, done[i]);
        remove_snapshot(p);
    }
    free(done);
}

/* ------------------------------------------------------------ commit */

/* The seq `latest` in dir points at, 0 when none. */
static uint64_t latest_seq(const char *dir)
{
    char l[PATH_MAX], target[PATH_MAX];
    if (join(l, sizeof l, dir, "latest"))
        return 0;
    ssize_t n = readlink(l, target, sizeof target - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    const char *base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
    uint64_t seq;
    int tmp;
    return parse_snapshot_name(base, &seq, &tmp) || tmp ? 0 : seq;
}

/* `latest` -> name, replaced by rename(2) so that it always exists. */
static int point_latest(const char *dir, const char *name, char *err, size_t errlen)
{
    char tmp[PATH_MAX], l[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s/.latest.tmp.%d", dir, (int)getpid()) >= sizeof tmp ||
        join(l, sizeof l, dir, "latest"))
        return say(err, errlen, "checkpoint directory name too long: %s", dir);
    unlink(tmp);
    if (symlink(name, tmp))
        return say(err, errlen, "cannot create symlink %s: %s (check the checkpoint directory)",
                   tmp, strerror(errno));
    if (rename(tmp, l)) {
        int e = errno;
        unlink(tmp);
        return say(err, errlen, "cannot replace %s: %s (remove it if it is not a symlink)", l,
                   strerror(e));
    }
    return 0;
}

int snapshot_commit(const char *dir, const char *tmpdir, const struct snapshot_manifest *m,
                    int keep, char *final, size_t finallen, char *err, size_t errlen)
{
    char why[512], absdir[PATH_MAX];
    if (check_manifest(m, why, sizeof why))
        return say(err, errlen, "cannot commit snapshot %s: %s (a bug in the caller)", tmpdir, why);
    if (!realpath(dir, absdir))
        return say(err, errlen, "cannot use checkpoint directory %s: %s", dir, strerror(errno));
    /* tmpdir must be DIR/snapshot.SEQ.tmp for the manifest's seq */
    const char *base = strrchr(tmpdir, '/') ? strrchr(tmpdir, '/') + 1 : tmpdir;
    uint64_t seq;
    int tmp;
    if (parse_snapshot_name(base, &seq, &tmp) || !tmp || seq != m->seq)
        return say(err, errlen, "cannot commit %s as snapshot %" PRIu64 ": not the directory "
                   "snapshot_begin made for it (a bug in the caller)", tmpdir, m->seq);
    char parent[PATH_MAX];
    struct stat a, b;
    snprintf(parent, sizeof parent, "%.*s", (int)(base - tmpdir), tmpdir);
    if (!parent[0])
        strcpy(parent, ".");
    if (stat(parent, &a) || stat(absdir, &b) || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
        return say(err, errlen, "cannot commit %s: it is not inside %s (a bug in the caller)",
                   tmpdir, absdir);
    char name[64], dst[PATH_MAX];
    snprintf(name, sizeof name, "snapshot.%06" PRIu64, seq);
    if (join(dst, sizeof dst, absdir, name))
        return say(err, errlen, "checkpoint directory name too long: %s", absdir);
    if (write_manifest(tmpdir, m, err, errlen))
        return -1;
    if (!lstat(dst, &a))
        return say(err, errlen, "cannot commit %s: %s exists already (another checkpoint used "
                   "sequence %" PRIu64 "; take the checkpoint again)", tmpdir, dst, seq);
    if (rename(tmpdir, dst))
        return say(err, errlen, "cannot rename %s to %s: %s (check the checkpoint directory)",
                   tmpdir, dst, strerror(errno));
    /* From here a failure moves the snapshot back to .tmp, so that what was
     * committed before stays as it was. */
    int e = 0;
    const char *what = NULL;
    if (fsync_dir(absdir)) {
        e = errno;
        what = "sync";
    } else if (latest_seq(absdir) <= seq) { /* never moves `latest` backwards */
        if (point_latest(absdir, name, err, errlen)) {
            rename(dst, tmpdir);
            return -1;
        }
        if (fsync_dir(absdir)) {
            e = errno;
            what = "sync";
        }
    }
    if (what) {
        rename(dst, tmpdir);
        return say(err, errlen, "cannot %s checkpoint directory %s: %s (check the file system)",
                   what, absdir, strerror(e));
    }
    if ((size_t)snprintf(final, finallen, "%s", dst) >= finallen)
        return say(err, errlen, "snapshot %s committed, but its name does not fit the buffer", dst);
    if (keep > 0)
        prune(absdir, seq, keep);
    return 0;
}

/* ------------------------------------------------------------ resolve */

static int has_manifest(const char *snap)
{
    char m[PATH_MAX];
    struct stat st;
    return !join(m, sizeof m, snap, "manifest") && !stat(m, &st) && S_ISREG(st.st_mode);
}

/* A directory named snapshot.N.tmp. */
static int is_partial(const char *path)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    uint64_t seq;
    int tmp;
    return !parse_snapshot_name(base, &seq, &tmp) && tmp;
}

/* A directory named snapshot.N. */
static int is_committed_name(const char *path)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    uint64_t seq;
    int tmp;
    return !parse_snapshot_name(base, &seq, &tmp) && !tmp;
}

int snapshot_resolve(const char *path, char *snapdir, size_t len, int *none, char *err,
                     size_t errlen)
{
    if (none)
        *none = 0;
    struct stat st;
    if (stat(path, &st)) {
        if (errno == ENOENT) {
            if (none)
                *none = 1;
            return say(err, errlen, "no snapshot in %s: it does not exist (take a checkpoint "
                       "first, or give a snapshot directory)", path);
        }
        return say(err, errlen, "cannot use %s: %s", path, strerror(errno));
    }
    char abs[PATH_MAX], found[PATH_MAX];
    if (!realpath(path, abs))
        return say(err, errlen, "cannot use %s: %s", path, strerror(errno));
    if (S_ISREG(st.st_mode)) {
        char *slash = strrchr(abs, '/');
        if (strcmp(slash + 1, "manifest"))
            return say(err, errlen, "%s is a file but not a snapshot manifest (give a snapshot "
                       "directory, its manifest or a checkpoint directory)", path);
        *slash = '\0';
        if (!abs[0])
            strcpy(abs, "/");
        snprintf(found, sizeof found, "%s", abs);
    } else if (!S_ISDIR(st.st_mode)) {
        return say(err, errlen, "%s is neither a directory nor a manifest (give a snapshot "
                   "directory, its manifest or a checkpoint directory)", path);
    } else if (is_partial(abs)) {
        return say(err, errlen, "%s is a snapshot that was never committed (a checkpoint still "
                   "being taken, or a failed one): use a committed snapshot", abs);
    } else if (has_manifest(abs)) {
        snprintf(found, sizeof found, "%s", abs);
    } else if (is_committed_name(abs)) {
        return say(err, errlen, "%s has no manifest: not a complete snapshot (pruned, or "
                   "damaged; use another snapshot of its directory)", abs);
    } else {
        char l[PATH_MAX];
        if (join(l, sizeof l, abs, "latest"))
            return say(err, errlen, "path too long: %s", abs);
        if (!lstat(l, &st)) {
            if (!realpath(l, found) || !has_manifest(found))
                return say(err, errlen, "%s points at %s, which is not a complete snapshot "
                           "(give one of the snapshot.* directories of %s)", l,
                           realpath(l, found) ? found : "nothing", abs);
        } else {
            /* `latest` lost: the newest committed snapshot serves */
            uint64_t hi = 0;
            if (highest_seq(abs, 0, 1, &hi))
                return say(err, errlen, "cannot read %s: %s", abs, strerror(errno));
            if (!hi) {
                if (none)
                    *none = 1;
                return say(err, errlen, "no committed snapshot in %s yet (take a checkpoint "
                           "first, or give a snapshot directory)", abs);
            }
            if ((size_t)snprintf(found, sizeof found, "%s/snapshot.%06" PRIu64, abs, hi) >=
                sizeof found)
                return say(err, errlen, "path too long: %s", abs);
        }
    }
    if (is_partial(found))
        return say(err, errlen, "%s is a snapshot that was never committed (a checkpoint still "
                   "being taken, or a failed one): use a committed snapshot", found);
    if ((size_t)snprintf(snapdir, len, "%s", found) >= len)
        return say(err, errlen, "snapshot path too long: %s", found);
    return 0;
}

/* ------------------------------------------------------------ loading */

struct parser {
    const char *file;
    unsigned line;
    char *err;
    size_t errlen;
};

static int bad(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct parser *p, const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return say(p->err, p->errlen, "%s line %u: %s (%s)", p->file, p->line, what, DAMAGED);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_i64(const char *s, int64_t *out)
{
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || errno || *end || !((*s >= '0' && *s <= '9') || *s == '-'))
        return -1;
    *out = v;
    return 0;
}

enum { K_CREST_VERSION, K_JOB, K_SEQ, K_TAKEN, K_TOTAL_NS, K_QUIESCE_NS, K_BYTES, K_CWD, K_ARGC,
       K_NRANKS, K_COUNT };
static const char *const key_names[K_COUNT] = {"crest_version", "job", "seq", "taken",
    "total_ns", "quiesce_ns", "bytes", "cwd", "argc", "nranks"};

/* One "rank N key value ..." line into m->ranks[*next]. */
static int parse_rank(struct parser *p, char *v, struct snapshot_manifest *m, int *next)
{
    char *save = NULL, *tok = strtok_r(v, " ", &save);
    uint64_t r;
    if (!tok || parse_u64(tok, INT_MAX, &r))
        return bad(p, "a rank line without a rank number");
    if ((int)r >= m->nranks)
        return bad(p, "rank %" PRIu64 ", but nranks is %d", r, m->nranks);
    if ((int)r < *next)
        return bad(p, "rank %" PRIu64 " appears twice", r);
    if ((int)r > *next)
        return bad(p, "rank %" PRIu64 " where rank %d was expected (rank lines are in order; "
                   "rank %d is missing)", r, *next, *next);
    struct snapshot_rank *k = &m->ranks[r];
    k->rank = (int)r;
    enum { F_HOST = 1, F_IMAGE = 2, F_BYTES = 4, F_CHECKSUM = 8, F_WRITE = 16, F_QUIESCE = 32 };
    static const char *const fields[] = {"host", "image", "bytes", "checksum", "write_ns",
                                         "quiesce_ns"};
    unsigned seen = 0;
    const char *why;
    while ((tok = strtok_r(NULL, " ", &save))) {
        char *val = strtok_r(NULL, " ", &save);
        if (!val)
            return bad(p, "rank %" PRIu64 ": '%s' has no value", r, tok);
        unsigned f = 0;
        for (unsigned i = 0; i < 6; i++)
            if (!strcmp(tok, fields[i]))
                f = 1u << i;
        if (!f)
            continue; /* a field a later crest adds */
        if (seen & f)
            return bad(p, "rank %" PRIu64 ": '%s' appears twice", r, tok);
        seen |= f;
        uint64_t x;
        if (f == F_HOST) {
            if (unescape(val, strlen(val), k->host, sizeof k->host, &why))
                return bad(p, "rank %" PRIu64 "'s host: %s", r, why);
        } else if (f == F_IMAGE) {
            if (unescape(val, strlen(val), k->image, sizeof k->image, &why))
                return bad(p, "rank %" PRIu64 "'s image: %s", r, why);
            if (!k->image[0] || k->image[0] == '.' || strchr(k->image, '/'))
                return bad(p, "rank %" PRIu64 "'s image '%s' is not a file name in the snapshot",
                           r, k->image);
        } else if (f == F_CHECKSUM) {
            char *end;
            errno = 0;
            unsigned long c = strncmp(val, "0x", 2) ? 0 : strtoul(val + 2, &end, 16);
            if (strncmp(val, "0x", 2) || !val[2] || errno || *end || c > UINT32_MAX)
                return bad(p, "rank %" PRIu64 "'s checksum '%s' is not 0x and 8 hex digits", r,
                           val);
            k->checksum = (uint32_t)c;
        } else {
            if (parse_u64(val, UINT64_MAX, &x))
                return bad(p, "rank %" PRIu64 "'s %s '%s' is not a number", r, tok, val);
            if (f == F_BYTES)
                k->bytes = x;
            else if (f == F_WRITE)
                k->write_ns = x;
            else
                k->quiesce_ns = x;
        }
    }
    for (unsigned i = 0; i < 6; i++)
        if (!(seen & (1u << i)))
            return bad(p, "rank %" PRIu64 " has no %s", r, fields[i]);
    (*next)++;
    return 0;
}

static int parse_line(struct parser *p, char *line, size_t len, struct snapshot_manifest *m,
                      unsigned *seen, int *next_arg, int *next_rank)
{
    char *sp = memchr(line, ' ', len);
    char *v = sp ? sp + 1 : line + len;
    size_t vlen = (size_t)(line + len - v);
    if (sp)
        *sp = '\0';
    const char *key = line, *why;
    uint64_t x;
    if (!strcmp(key, "format"))
        return bad(p, "a second format line");
    if (!strcmp(key, "arg")) {
        if (!(*seen & (1u << K_ARGC)))
            return bad(p, "an arg line before the argc line");
        char *sp2 = strchr(v, ' ');
        if (sp2)
            *sp2 = '\0';
        if (parse_u64(v, INT_MAX, &x))
            return bad(p, "an arg line without an argument number");
        if ((int)x >= m->argc)
            return bad(p, "argument %" PRIu64 ", but argc is %d", x, m->argc);
        if ((int)x != *next_arg)
            return bad(p, "argument %" PRIu64 " where argument %d was expected", x, *next_arg);
        const char *a = sp2 ? sp2 + 1 : "";
        size_t alen = strlen(a);
        char *s = malloc(alen + 1);
        if (!s)
            return bad(p, "out of memory");
        if (unescape(a, alen, s, alen + 1, &why)) {
            free(s);
            return bad(p, "argument %" PRIu64 ": %s", x, why);
        }
        m->argv[(*next_arg)++] = s;
        return 0;
    }
    if (!strcmp(key, "rank")) {
        if (!(*seen & (1u << K_NRANKS)))
            return bad(p, "a rank line before the nranks line");
        return parse_rank(p, v, m, next_rank);
    }
    int k = -1;
    for (int i = 0; i < K_COUNT; i++)
        if (!strcmp(key, key_names[i]))
            k = i;
    if (k < 0)
        return 0; /* informational (taken_utc) or added by a later crest */
    if (*seen & (1u << k))
        return bad(p, "'%s' appears twice", key);
    *seen |= 1u << k;
    switch (k) {
    case K_CREST_VERSION:
        if (unescape(v, vlen, m->crest_version, sizeof m->crest_version, &why))
            return bad(p, "crest_version: %s", why);
        return 0;
    case K_CWD:
        if (unescape(v, vlen, m->cwd, sizeof m->cwd, &why))
            return bad(p, "cwd: %s", why);
        return 0;
    case K_TAKEN:
        if (parse_i64(v, &m->taken))
            return bad(p, "taken '%s' is not a number of seconds", v);
        return 0;
    case K_ARGC:
        if (parse_u64(v, MAX_ARGC, &x) || !x)
            return bad(p, "argc '%s' is not a number from 1 to %d", v, MAX_ARGC);
        m->argc = (int)x;
        if (!(m->argv = calloc(x + 1, sizeof *m->argv)))
            return bad(p, "out of memory for %" PRIu64 " arguments", x);
        return 0;
    case K_NRANKS:
        if (parse_u64(v, MAX_RANKS, &x) || !x)
            return bad(p, "nranks '%s' is not a number from 1 to %d", v, MAX_RANKS);
        m->nranks = (int)x;
        if (!(m->ranks = calloc(x, sizeof *m->ranks)))
            return bad(p, "out of memory for %" PRIu64 " ranks", x);
        return 0;
    default:
        if (parse_u64(v, k == K_JOB ? UINT32_MAX : UINT64_MAX, &x))
            return bad(p, "%s '%s' is not a number", key, v);
        if (k == K_JOB)
            m->job = (uint32_t)x;
        else if (k == K_SEQ)
            m->seq = x;
        else if (k == K_TOTAL_NS)
            m->total_ns = x;
        else if (k == K_QUIESCE_NS)
            m->quiesce_ns = x;
        else
            m->bytes = x;
        return 0;
    }
}

int snapshot_load(const char *snapdir, struct snapshot_manifest *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    char path[PATH_MAX];
    if (join(path, sizeof path, snapdir, "manifest"))
        return say(err, errlen, "snapshot path too long: %s", snapdir);
    FILE *f = fopen(path, "re");
    if (!f)
        return say(err, errlen, "cannot read snapshot manifest %s: %s (%s)", path,
                   strerror(errno), errno == ENOENT ? "not a committed snapshot: give another"
                                                    : "check its permissions");
    struct parser p = {path, 0, err, errlen};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned seen = 0;
    int next_arg = 0, next_rank = 0, rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        p.line++;
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        else {
            rc = bad(&p, "the last line is cut short (no newline)");
            break;
        }
        if (strlen(line) != (size_t)n) {
            rc = bad(&p, "a NUL byte");
            break;
        }
        if (p.line == 1) {
            /* the format first, so that a newer manifest is refused for
             * what it is and not for what this crest cannot parse */
            uint64_t fmt;
            if (strncmp(line, "format ", 7) || parse_u64(line + 7, UINT32_MAX, &fmt)) {
                rc = bad(&p, "no 'format N' line first: not a crest snapshot manifest");
                break;
            }
            m->format = (unsigned)fmt;
            if (fmt != SNAPSHOT_FORMAT) {
                rc = say(err, errlen, "%s line 1: manifest format %" PRIu64 "; this crest reads "
                         "format %u (use the crest release that took the snapshot)", path, fmt,
                         SNAPSHOT_FORMAT);
                break;
            }
            continue;
        }
        if ((rc = parse_line(&p, line, (size_t)n, m, &seen, &next_arg, &next_rank)))
            break;
    }
    if (!rc && ferror(f))
        rc = say(err, errlen, "cannot read %s: %s", path, strerror(errno));
    free(line);
    fclose(f);
    if (!rc) {
        p.line++; /* what is missing is missing at the end */
        if (p.line == 1)
            rc = bad(&p, "the manifest is empty");
        for (int k = 0; !rc && k < K_COUNT; k++)
            if (!(seen & (1u << k)))
                rc = bad(&p, "no '%s' line", key_names[k]);
        if (!rc && next_arg < m->argc)
            rc = bad(&p, "argument %d is missing (argc is %d)", next_arg, m->argc);
        if (!rc && next_rank < m->nranks)
            rc = bad(&p, "rank %d is missing (nranks is %d)", next_rank, m->nranks);
    }
    if (rc)
        snapshot_free(m);
    return rc;
}

void snapshot_free(struct snapshot_manifest *m)
{
    if (m->argv)
        for (int i = 0; i < m->argc; i++)
            free(m->argv[i]);
    free(m->argv);
    free(m->ranks);
    m->argv = NULL;
    m->ranks = NULL;
    m->argc = m->nranks = 0;
}

/* ------------------------------------------------------------ verify */

/* One image against its rank entry: 0, or -1 with err. */
static int verify_one(const char *snapdir, const struct snapshot_rank *k, int full, char *err,
                      size_t errlen)
{
    char path[PATH_MAX];
    if (join(path, sizeof path, snapdir, k->image))
        return say(err, errlen, "snapshot path too long: %s", snapdir);
    struct stat st;
    if (stat(path, &st))
        return say(err, errlen, "rank %d: image %s is %s (%s)", k->rank, path,
                   errno == ENOENT ? "missing" : strerror(errno), DAMAGED);
    if ((uint64_t)st.st_size != k->bytes)
        return say(err, errlen, "rank %d: image %s has %llu bytes, the manifest records %" PRIu64
                   " (%s)", k->rank, path, (unsigned long long)st.st_size, k->bytes, DAMAGED);
    struct crest_image img;
    char why[1024];
    int rc = 0;
    if (crest_image_open(&img, path, why, sizeof why))
        rc = say(err, errlen, "rank %d: %s", k->rank, why);
    else if (img.header.header_crc != k->checksum)
        rc = say(err, errlen, "rank %d: image %s is not the one the manifest records (header "
                 "checksum 0x%08" PRIx32 ", manifest 0x%08" PRIx32 "; %s)", k->rank, path,
                 img.header.header_crc, k->checksum, DAMAGED);
    else if (full && crest_image_verify_data(&img, why, sizeof why))
        rc = say(err, errlen, "rank %d: %s", k->rank, why);
    crest_image_close(&img);
    return rc;
}

int snapshot_verify(const char *snapdir, const struct snapshot_manifest *m, int full,
                    void (*progress)(int rank, int ok, const char *what, void *arg), void *arg,
                    char *err, size_t errlen)
{
    int rc = 0;
    char one[1536];
    for (int r = 0; r < m->nranks; r++) {
        int bad_one = verify_one(snapdir, &m->ranks[r], full, one, sizeof one);
        if (bad_one && !rc)
            rc = say(err, errlen, "%s", one);
        if (progress)
            progress(m->ranks[r].rank, !bad_one, bad_one ? one : "ok", arg);
    }
    return rc;
}
