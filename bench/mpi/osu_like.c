/* osu_like.c — micro-benchmarks of an MPI library: point-to-point latency,
 * bandwidth and bidirectional bandwidth, and the collectives Allreduce,
 * Bcast, Alltoall and Barrier, each over message sizes that double from
 * the smallest to MAX bytes.
 *
 * usage: osu_like [-t MS] [-s MIN] [-m MAX] [-w WINDOW] BENCH...
 *   BENCH   latency bw bibw allreduce bcast alltoall barrier (any number,
 *           run in the order given, in one job)
 *   -t MS   time to spend timing each size (default 20); the iteration
 *           count of a size is derived from it, so small sizes run many
 *           iterations and large ones few (at least one per batch)
 *   -s MIN  smallest size in bytes (default: each benchmark's smallest,
 *           0 or 1 or 4 bytes); sizes then double from MIN
 *   -m MAX  largest size in bytes (default 4194304)
 *   -w W    messages in flight per round of bw and bibw (default 64)
 *
 * Rank 0 prints, for each benchmark and size, one line
 *   BENCH SIZE VALUE ITERS
 * (ITERS: timed iterations, all batches together)
 * VALUE is microseconds per operation (latency: half a round trip;
 * collectives: per call) or MB/s (10^6 bytes per second) for bw and bibw.
 * Lines starting with '#' describe the run (library, ranks, settings).
 *
 * The program uses only MPI-3 calls found in every MPI library, so the same
 * source builds against MPICH's ABI (and then runs on any library of that
 * ABI) and against Open MPI.  Timing uses the C library's monotonic clock,
 * not MPI_Wtime, so that every library is timed by the same clock.
 *
 * Point-to-point with N ranks: rank r < N/2 works with rank r + N/2, all
 * pairs at once (with 2 ranks, the usual single pair; with more, several
 * pairs compete for the cores and the memory).  bw and bibw report the sum
 * over pairs.
 *
 * How one size is measured: rank 0 first runs batches of 1, 2, 4, ...
 * iterations (the warm-up, which also sees to connections, buffers and
 * pages being set up) until a quarter of the time budget is used, then
 * picks the iteration count that fills the budget at the rate of the
 * fastest batch, and times that many in BATCHES equal batches: the median
 * batch is the figure (a batch that lost the CPU to another process does
 * not count).  Ranks agree on every count by plain sends from rank 0,
 * outside the timed spans, and meet before every batch at a
 * synchronisation of this program's own (also plain sends), so that the
 * collective being measured is never used to coordinate its own
 * measurement.  A batch's time is the longest any rank took: for
 * collectives whose calls can overlap (a Bcast root runs ahead), that is
 * the time for the whole batch to finish everywhere.  The data of every
 * size is checked once after its timed batches; a wrong byte aborts the
 * job. */
#define _POSIX_C_SOURCE 200809L
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TAG_DATA 1
#define TAG_ACK 2
#define TAG_CTRL 3
#define BATCHES 5          /* timed batches of a size (odd: one median) */
#define MAX_ITERS 1000000  /* iterations of one batch, however fast */

static int rank, nranks;
static double budget = 0.020; /* seconds of timed iterations per size */
static size_t max_size = (size_t)4 << 20;
static size_t min_size = 0; /* 0: each benchmark's own smallest */
static int window = 64;

/* Buffers, allocated once for the largest size and touched in advance, so
 * that no timed span pays for first use of memory. */
static char *sbuf, *rbuf;   /* rbuf: WINDOW slots for bw/bibw, NRANKS blocks for alltoall */
static size_t rbuf_len, sbuf_len;
static MPI_Request *reqs;
/* Real statuses rather than MPI_STATUSES_IGNORE: MPICH's header declares
 * the array with a size, and GCC then warns about the ignore value. */
static MPI_Status *stats;

static void die(const char *bench, size_t size, const char *what)
{
    fprintf(stderr, "osu_like: rank %d: %s, size %zu: %s\n", rank, bench, size, what);
    MPI_Abort(MPI_COMM_WORLD, 1);
    exit(1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *alloc_touched(size_t len)
{
    void *p = NULL;
    if (posix_memalign(&p, 4096, len ? len : 1))
        die("setup", len, "out of memory");
    memset(p, 0, len);
    return p;
}

/* ------------------------------------------------------------------
 * Coordination by plain sends from and to rank 0: never timed. */

/* Rank 0's value of V, on every rank. */
static long agree(long v)
{
    if (rank == 0) {
        for (int r = 1; r < nranks; r++)
            MPI_Send(&v, 1, MPI_LONG, r, TAG_CTRL, MPI_COMM_WORLD);
    } else {
        MPI_Recv(&v, 1, MPI_LONG, 0, TAG_CTRL, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
    return v;
}

/* Every rank has arrived before any leaves. */
static void meet(void)
{
    char b = 0;
    if (rank == 0) {
        for (int r = 1; r < nranks; r++)
            MPI_Recv(&b, 0, MPI_CHAR, r, TAG_CTRL, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        for (int r = 1; r < nranks; r++)
            MPI_Send(&b, 0, MPI_CHAR, r, TAG_CTRL, MPI_COMM_WORLD);
    } else {
        MPI_Send(&b, 0, MPI_CHAR, 0, TAG_CTRL, MPI_COMM_WORLD);
        MPI_Recv(&b, 0, MPI_CHAR, 0, TAG_CTRL, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
}

/* The largest T of all ranks, at rank 0. */
static double longest(double t)
{
    if (rank == 0) {
        for (int r = 1; r < nranks; r++) {
            double o;
            MPI_Recv(&o, 1, MPI_DOUBLE, r, TAG_CTRL, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (o > t)
                t = o;
        }
    } else {
        MPI_Send(&t, 1, MPI_DOUBLE, 0, TAG_CTRL, MPI_COMM_WORLD);
    }
    return t;
}

/* ------------------------------------------------------------------
 * Point-to-point.  Ranks without a partner (odd N) only take part in the
 * coordination. */

static int pairs(void) { return nranks / 2; }
static int partner(void)
{
    int h = nranks / 2;
    if (rank < h)
        return rank + h;
    if (rank < 2 * h)
        return rank - h;
    return -1;
}
static int leads(void) { return rank < nranks / 2; }

/* A byte that depends on the position, the size and who sent it, so that a
 * stale buffer or a message from the wrong size or rank does not pass. */
static unsigned char pattern(size_t i, size_t size, int from)
{
    return (unsigned char)(i * 131u + size * 7u + (unsigned)from * 29u + 1u);
}

static void fill(char *p, size_t len, size_t size, int from)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (char)pattern(i, size, from);
}

static void check(const char *bench, const char *p, size_t len, size_t size, int from)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)p[i] != pattern(i, size, from)) {
            char what[96];
            snprintf(what, sizeof what, "wrong data at byte %zu (from rank %d)", i, from);
            die(bench, size, what);
        }
}

static double run_latency(size_t size, long iters)
{
    int peer = partner();
    if (peer < 0)
        return 0;
    double t0 = now();
    for (long i = 0; i < iters; i++) {
        if (leads()) {
            MPI_Send(sbuf, (int)size, MPI_CHAR, peer, TAG_DATA, MPI_COMM_WORLD);
            MPI_Recv(rbuf, (int)size, MPI_CHAR, peer, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(rbuf, (int)size, MPI_CHAR, peer, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(sbuf, (int)size, MPI_CHAR, peer, TAG_DATA, MPI_COMM_WORLD);
        }
    }
    return now() - t0;
}

/* One round: the sender posts WINDOW sends, the receiver WINDOW receives
 * into separate slots; the receiver's ack says it has them all, so a round
 * is complete delivery of the window, not just its hand-over to the
 * library. */
static double run_bw(size_t size, long iters)
{
    int peer = partner();
    if (peer < 0)
        return 0;
    char ack = 0;
    double t0 = now();
    for (long i = 0; i < iters; i++) {
        if (leads()) {
            for (int w = 0; w < window; w++)
                MPI_Isend(sbuf, (int)size, MPI_CHAR, peer, TAG_DATA, MPI_COMM_WORLD, &reqs[w]);
            MPI_Waitall(window, reqs, stats);
            MPI_Recv(&ack, 1, MPI_CHAR, peer, TAG_ACK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            for (int w = 0; w < window; w++)
                MPI_Irecv(rbuf + (size_t)w * size, (int)size, MPI_CHAR, peer, TAG_DATA, MPI_COMM_WORLD, &reqs[w]);
            MPI_Waitall(window, reqs, stats);
            MPI_Send(&ack, 1, MPI_CHAR, peer, TAG_ACK, MPI_COMM_WORLD);
        }
    }
    return now() - t0;
}

/* Both partners receive and send a window at once. */
static double run_bibw(size_t size, long iters)
{
    int peer = partner();
    if (peer < 0)
        return 0;
    double t0 = now();
    for (long i = 0; i < iters; i++) {
        for (int w = 0; w < window; w++)
            MPI_Irecv(rbuf + (size_t)w * size, (int)size, MPI_CHAR, peer, TAG_DATA, MPI_COMM_WORLD, &reqs[w]);
        for (int w = 0; w < window; w++)
            MPI_Isend(sbuf, (int)size, MPI_CHAR, peer, TAG_DATA, MPI_COMM_WORLD, &reqs[window + w]);
        MPI_Waitall(2 * window, reqs, stats);
    }
    return now() - t0;
}

/* ------------------------------------------------------------------
 * Collectives on MPI_COMM_WORLD; Bcast from rank 0. */

static double run_allreduce(size_t size, long iters)
{
    int count = (int)(size / sizeof(float));
    double t0 = now();
    for (long i = 0; i < iters; i++)
        MPI_Allreduce(sbuf, rbuf, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    return now() - t0;
}

static double run_bcast(size_t size, long iters)
{
    /* The root sends from sbuf, the others receive into rbuf: the root's
     * data stays intact for the check. */
    char *buf = rank == 0 ? sbuf : rbuf;
    double t0 = now();
    for (long i = 0; i < iters; i++)
        MPI_Bcast(buf, (int)size, MPI_CHAR, 0, MPI_COMM_WORLD);
    return now() - t0;
}

static double run_alltoall(size_t size, long iters)
{
    double t0 = now();
    for (long i = 0; i < iters; i++)
        MPI_Alltoall(sbuf, (int)size, MPI_CHAR, rbuf, (int)size, MPI_CHAR, MPI_COMM_WORLD);
    return now() - t0;
}

static double run_barrier(size_t size, long iters)
{
    (void)size;
    double t0 = now();
    for (long i = 0; i < iters; i++)
        MPI_Barrier(MPI_COMM_WORLD);
    return now() - t0;
}

/* ------------------------------------------------------------------
 * Data set up before and checked after each size. */

/* Allreduce adds, over ranks, element i of every rank: rank r contributes
 * (r + 1) + i % 16, all small integers, so the float sum is exact. */
static float reduce_in(int r, size_t i) { return (float)(r + 1) + (float)(i % 16); }

static void prepare(const char *bench, size_t size)
{
    if (!strcmp(bench, "allreduce")) {
        float *f = (float *)sbuf;
        for (size_t i = 0; i < size / sizeof(float); i++)
            f[i] = reduce_in(rank, i);
        memset(rbuf, 0, size);
    } else if (!strcmp(bench, "alltoall")) {
        /* Block j goes to rank j. */
        for (int j = 0; j < nranks; j++)
            fill(sbuf + (size_t)j * size, size, size, rank * nranks + j);
        memset(rbuf, 0, (size_t)nranks * size);
    } else if (!strcmp(bench, "bcast")) {
        if (rank == 0)
            fill(sbuf, size, size, 0);
        memset(rbuf, 0, size);
    } else if (strcmp(bench, "barrier")) {
        fill(sbuf, size, size, rank);
        memset(rbuf, 0, !strcmp(bench, "latency") ? size : (size_t)window * size);
    }
}

static void verify(const char *bench, size_t size)
{
    if (!strcmp(bench, "allreduce")) {
        const float *f = (const float *)rbuf;
        float base = (float)nranks * (float)(nranks + 1) / 2;
        for (size_t i = 0; i < size / sizeof(float); i++)
            if (f[i] != base + (float)nranks * (float)(i % 16))
                die(bench, size, "wrong sum");
    } else if (!strcmp(bench, "alltoall")) {
        for (int j = 0; j < nranks; j++)
            check(bench, rbuf + (size_t)j * size, size, size, j * nranks + rank);
    } else if (!strcmp(bench, "bcast")) {
        if (rank != 0)
            check(bench, rbuf, size, size, 0);
    } else if (!strcmp(bench, "latency")) {
        if (partner() >= 0)
            check(bench, rbuf, size, size, partner());
    } else if (!strcmp(bench, "bw")) {
        if (partner() >= 0 && !leads()) {
            check(bench, rbuf, size, size, partner());
            check(bench, rbuf + (size_t)(window - 1) * size, size, size, partner());
        }
    } else if (!strcmp(bench, "bibw")) {
        if (partner() >= 0) {
            check(bench, rbuf, size, size, partner());
            check(bench, rbuf + (size_t)(window - 1) * size, size, size, partner());
        }
    }
}

/* ------------------------------------------------------------------ */

struct bench {
    const char *name;
    double (*run)(size_t, long);
    size_t first;    /* smallest size */
    int p2p;
};

static const struct bench benches[] = {
    { "latency", run_latency, 0, 1 },
    { "bw", run_bw, 1, 1 },
    { "bibw", run_bibw, 1, 1 },
    { "allreduce", run_allreduce, sizeof(float), 0 },
    { "bcast", run_bcast, 1, 0 },
    { "alltoall", run_alltoall, 1, 0 },
    { "barrier", run_barrier, 0, 0 },
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Measures one size; returns the value printed (rank 0 only). */
static double measure(const struct bench *b, size_t size, long *iters_out)
{
    prepare(b->name, size);
    /* Warm-up, doubling the batch until a quarter of the budget is used.
     * The rate of the fastest batch sets the count: on a shared machine
     * a batch that lost the CPU would otherwise shrink the timed run to a
     * few iterations. */
    long k = 1, done = 0;
    double spent = 0, per = 0;
    for (;;) {
        meet();
        double t = longest(b->run(size, k));
        long next = 0;
        if (rank == 0) {
            spent += t;
            done += k;
            if (per == 0 || t / (double)k < per)
                per = t / (double)k;
            if (spent < budget / 4 && done < MAX_ITERS)
                next = 2 * k;
        }
        if (!(k = agree(next)))
            break;
    }
    /* The timed run, in BATCHES equal batches; the median batch counts,
     * so that one preempted batch does not move the figure. */
    long iters = 0;
    if (rank == 0) {
        double want = per > 0 ? budget / per / BATCHES : MAX_ITERS;
        iters = want > MAX_ITERS ? MAX_ITERS : want < 1 ? 1 : (long)want;
    }
    iters = agree(iters);
    double per_batch[BATCHES];
    for (int i = 0; i < BATCHES; i++) {
        meet();
        per_batch[i] = longest(b->run(size, iters)) / (double)iters;
    }
    verify(b->name, size);
    qsort(per_batch, BATCHES, sizeof per_batch[0], cmp_double);
    double t = per_batch[BATCHES / 2];
    *iters_out = iters * BATCHES;
    if (!strcmp(b->name, "latency"))
        return t / 2 * 1e6;
    if (!strcmp(b->name, "bw"))
        return (double)pairs() * (double)size * window / t / 1e6;
    if (!strcmp(b->name, "bibw"))
        return 2.0 * pairs() * (double)size * window / t / 1e6;
    return t * 1e6;
}

static void usage(void)
{
    if (rank == 0)
        fprintf(stderr, "usage: osu_like [-t MS] [-s MIN] [-m MAX] [-w WINDOW] "
                        "latency|bw|bibw|allreduce|bcast|alltoall|barrier...\n");
    MPI_Finalize();
    exit(2);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);

    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (i + 1 >= argc)
            usage();
        if (!strcmp(argv[i], "-t"))
            budget = atof(argv[++i]) / 1000;
        else if (!strcmp(argv[i], "-s"))
            min_size = (size_t)strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "-m"))
            max_size = (size_t)strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "-w"))
            window = atoi(argv[++i]);
        else
            usage();
    }
    if (i == argc || budget <= 0 || window < 1 || max_size < 1 || max_size > INT32_MAX / 2 || min_size > max_size)
        usage();
    const struct bench *todo[16];
    int ntodo = 0;
    int need_window = 0, p2p = 0;
    for (; i < argc; i++) {
        const struct bench *b = NULL;
        for (size_t j = 0; j < sizeof benches / sizeof benches[0]; j++)
            if (!strcmp(argv[i], benches[j].name))
                b = &benches[j];
        if (!b || ntodo == 16)
            usage();
        todo[ntodo++] = b;
        need_window |= !strcmp(b->name, "bw") || !strcmp(b->name, "bibw");
        p2p |= b->p2p;
    }
    if (p2p && nranks < 2) {
        if (rank == 0)
            fprintf(stderr, "osu_like: point-to-point benchmarks need at least 2 ranks\n");
        MPI_Finalize();
        return 2;
    }

    /* alltoall sends one block to each rank; bw/bibw receive a window. */
    sbuf_len = max_size * (size_t)nranks;
    rbuf_len = max_size * (size_t)(need_window && window > nranks ? window : nranks);
    sbuf = alloc_touched(sbuf_len);
    rbuf = alloc_touched(rbuf_len);
    reqs = calloc((size_t)2 * (size_t)window, sizeof *reqs);
    stats = calloc((size_t)2 * (size_t)window, sizeof *stats);
    if (!reqs || !stats)
        die("setup", 0, "out of memory");

    if (rank == 0) {
        char lib[MPI_MAX_LIBRARY_VERSION_STRING];
        int len = 0;
        MPI_Get_library_version(lib, &len);
        char *nl = strchr(lib, '\n');
        if (nl)
            *nl = 0;
        printf("# library: %s\n", lib);
        printf("# ranks: %d, budget: %.0f ms per size, window: %d, sizes up to %zu\n", nranks, budget * 1000,
               window, max_size);
        printf("# columns: bench size value(us, or MB/s for bw and bibw) iterations\n");
        fflush(stdout);
    }
    for (int t = 0; t < ntodo; t++) {
        const struct bench *b = todo[t];
        size_t last = !strcmp(b->name, "barrier") ? 0 : max_size;
        size_t size = !last ? 0 : min_size > b->first ? min_size : b->first;
        for (;;) {
            long iters;
            double v = measure(b, size, &iters);
            if (rank == 0) {
                printf("%s %zu %.3f %ld\n", b->name, size, v, iters);
                fflush(stdout);
            }
            if (size >= last)
                break;
            size = size ? size * 2 : 1;
        }
    }
    meet();
    free(stats);
    free(reqs);
    free(rbuf);
    free(sbuf);
    MPI_Finalize();
    return 0;
}
