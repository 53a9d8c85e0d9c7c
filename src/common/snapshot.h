/* snapshot.h — a job's snapshot on disk: one image per rank and a manifest,
 * committed atomically inside a checkpoint directory.
 *
 *   DIR/snapshot.000007/          a committed snapshot (sequence 7)
 *       manifest                  text, "key value" lines (below)
 *       rank-00000.img ...        one image per rank
 *   DIR/snapshot.000008.tmp/      one being written (never trusted)
 *   DIR/latest -> snapshot.000007 moves only after a commit
 *
 * mpirun writes the images' directory, then commits: the manifest is
 * written as manifest.tmp, fsync'ed and renamed; the directory is renamed
 * from .tmp to its final name and DIR fsync'ed; `latest` is replaced by a
 * rename; then snapshots older than the newest `keep` are removed.
 *
 * The manifest, one "key value" per line (the value is the rest of the
 * line; \\ \n \t \r and \xNN stand for backslash, control characters, bytes
 * that are not UTF-8 and a leading or trailing space, and for any space
 * inside the host and image fields of a rank line; " / " below separates
 * lines):
 *   format 1                     always the first line
 *   crest_version 0.1
 *   job 42  /  seq 7
 *   taken 1714564800  /  taken_utc 2024-05-01 12:00:00 UTC (for people only)
 *   total_ns N  /  quiesce_ns N  /  bytes N
 *   cwd /home/me/run
 *   argc 2  /  arg 0 ./sim  /  arg 1 input\x20
 *   nranks 2
 *   rank 0 host node1 image rank-00000.img bytes B checksum 0x1234abcd write_ns W quiesce_ns Q
 *   rank 1 ...
 * Keys (and rank fields) this crest does not know are skipped, so that a
 * later release may add some without a new format number.
 *
 * Every failure is one line in err: what failed, on what, what to do. */
#ifndef CREST_SNAPSHOT_H
#define CREST_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#define SNAPSHOT_FORMAT 1       /* manifest format; a restart refuses others */
#define SNAPSHOT_HOST_MAX 256

struct snapshot_rank {
    int rank;
    char host[SNAPSHOT_HOST_MAX]; /* where it ran */
    char image[64];               /* file name inside the snapshot: rank-NNNNN.img */
    uint64_t bytes;               /* image size */
    uint32_t checksum;            /* the image header's CRC32C (it covers the rest) */
    uint64_t write_ns;            /* request to image committed, at the rank */
    uint64_t quiesce_ns;          /* channels drained and threads stopped */
};

struct snapshot_manifest {
    unsigned format;              /* SNAPSHOT_FORMAT */
    char crest_version[32];       /* "0.1" */
    uint32_t job;                 /* the runtime's job id when taken */
    uint64_t seq;                 /* sequence number inside its directory */
    int64_t taken;                /* CLOCK_REALTIME seconds at commit */
    uint64_t total_ns;            /* request to commit */
    uint64_t quiesce_ns;          /* slowest rank's quiesce */
    uint64_t bytes;               /* sum of the images */
    char cwd[4096];               /* mpirun's working directory */
    int argc;
    char **argv;                  /* the job's program and arguments */
    int nranks;
    struct snapshot_rank *ranks;  /* nranks entries, in rank order */
};

/* The next sequence number in dir (1 + the highest committed or partial
 * one; 1 when none).  dir is created (with parents, mode 0700) if missing.
 * Returns 0, or -1 with err. */
int snapshot_next_seq(const char *dir, uint64_t *seq, char *err, size_t errlen);

/* Creates DIR/snapshot.SEQ.tmp (mode 0700) and puts its absolute path in
 * tmpdir.  Returns 0, or -1 with err. */
int snapshot_begin(const char *dir, uint64_t seq, char *tmpdir, size_t tmplen, char *err,
                   size_t errlen);

/* Writes the manifest into tmpdir and commits it as described above, then
 * prunes to the newest keep snapshots (keep <= 0: prune nothing).  On
 * success final gets the committed snapshot's absolute path.  On failure
 * nothing that was committed before changes. */
int snapshot_commit(const char *dir, const char *tmpdir, const struct snapshot_manifest *m,
                    int keep, char *final, size_t finallen, char *err, size_t errlen);

/* Removes a partial snapshot (a failed checkpoint): the manifest, the
 * images (rank-N.img, and rank-N.img.tmp.PID a rank was still writing),
 * then the directory.  Anything else in it is left, and so is the
 * directory (one line on stderr says so).  Pruning removes the same way. */
void snapshot_abandon(const char *tmpdir);

/* Resolves path to a committed snapshot directory: a snapshot directory
 * itself, a checkpoint directory (its `latest`; the newest committed
 * snapshot if `latest` is gone), or a manifest file.  snapdir is absolute;
 * a .tmp snapshot is refused.
 * Returns 0 and the directory in snapdir, or -1 with err (also when DIR
 * has no committed snapshot yet, or does not exist: then *none is set to
 * 1, if none is given; else it is 0). */
int snapshot_resolve(const char *path, char *snapdir, size_t len, int *none, char *err,
                     size_t errlen);

/* Reads snapdir/manifest into m (free it with snapshot_free).  Refuses an
 * unknown format, a missing key, rank or argument lines missing, repeated
 * or out of order, and anything that does not parse, naming the file and
 * the line.  On failure m holds nothing to free. */
int snapshot_load(const char *snapdir, struct snapshot_manifest *m, char *err, size_t errlen);
void snapshot_free(struct snapshot_manifest *m);

/* Checks every image of a loaded snapshot: present, of the recorded size,
 * a valid image header whose CRC is the recorded checksum.  With full, also
 * reads every page and checks its checksums.  Every image is checked, even
 * after a bad one; progress, when given, is called after each with ok = 1
 * and what = "ok", or ok = 0 and what = that image's error line, which
 * starts with "rank N: ".  Returns
 * 0, or -1 with err naming the first bad image. */
int snapshot_verify(const char *snapdir, const struct snapshot_manifest *m, int full,
                    void (*progress)(int rank, int ok, const char *what, void *arg), void *arg,
                    char *err, size_t errlen);

#endif
