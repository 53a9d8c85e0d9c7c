/* mpi_ckpt.c — an MPI job to checkpoint in the middle of anything: each
 * phase keeps the ranks in one kind of state for a while (computing with
 * no MPI call; blocked in Recv, Wait or Waitany for a sender that computes
 * first; ANY_SOURCE receives pending; large rendezvous transfers under
 * way; skewed Bcast, Allreduce and Alltoall; synchronous sends unmatched
 * for long; communicators from Comm_split used on; sequence-numbered
 * traffic between all pairs).  What it prints depends only on the data, so
 * a run with checkpoints (continued or restarted) prints exactly what an
 * uninterrupted run prints; any lost, duplicated, reordered or corrupted
 * message ends it with one line and exit status 1.
 *
 * usage: mpi_ckpt MODE [ROUNDS [LARGE_MIB [WORK]]]
 *   MODE: compute block anysrc large coll ssend split traffic, or all;
 *         post: compute, then more computing after MPI_Finalize
 *   ROUNDS (default 4): repetitions of each phase
 *   LARGE_MIB (default 64): size of the large messages
 *   WORK (default 100): compute per step, in units of about a millisecond */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank, size, rounds = 4, large_mib = 64, work = 100;
static const char *phase = "start";
static MPI_Comm by_parity, by_pair; /* split before anything else */

static void fail(const char *fmt, int a, int b, int c)
{
    char msg[256];
    snprintf(msg, sizeof msg, fmt, a, b, c);
    fprintf(stderr, "mpi_ckpt: rank %d, phase %s: %s\n", rank, phase, msg);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

/* Deterministic compute, about units milliseconds; no MPI call. */
static uint64_t compute(int units)
{
    volatile double x = 1.0;
    uint64_t h = 0;
    for (int u = 0; u < units; u++) {
        for (int i = 0; i < 150000; i++)
            x = x * 1.0000001 + 1e-9;
        h = mix(h, (uint64_t)(x * 1e6));
    }
    return h;
}

static uint64_t sum_all(uint64_t v, MPI_Comm comm)
{
    unsigned long long in = v, out = 0;
    MPI_Allreduce(&in, &out, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
    return out;
}

static void report(uint64_t local)
{
    uint64_t total = sum_all(local, MPI_COMM_WORLD);
    if (rank == 0)
        printf("phase %s: %016llx\n", phase, (unsigned long long)total);
    fflush(stdout);
}

static unsigned char byte_of(size_t i, int from, int to, int seq)
{
    return (unsigned char)(i * 131 + (size_t)from * 17 + (size_t)to * 29 + (size_t)seq * 7 + (i >> 12));
}

static void fill(unsigned char *b, size_t n, int from, int to, int seq)
{
    for (size_t i = 0; i < n; i++)
        b[i] = byte_of(i, from, to, seq);
}

static uint64_t check(const unsigned char *b, size_t n, int from, int to, int seq)
{
    uint64_t h = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != byte_of(i, from, to, seq))
            fail("message from rank %d (seq %d) differs at byte %d", from, seq, (int)i);
        if ((i & 4095) == 0)
            h = mix(h, b[i]);
    }
    return mix(h, n);
}

/* Ranks computing for a long time with no MPI call. */
static void phase_compute(void)
{
    uint64_t h = 0;
    for (int r = 0; r < rounds; r++) {
        h = mix(h, compute(work * 5));
        uint64_t all = sum_all(h, MPI_COMM_WORLD);
        h = mix(h, all);
    }
    report(h);
}

/* Blocked in Recv, Wait and Waitany while the sender computes first. */
static void phase_block(void)
{
    uint64_t h = 0;
    int partner = rank ^ 1;
    if (partner >= size) {
        report(0);
        return;
    }
    static const size_t lens[3] = { 64, 40000, 300000 };
    unsigned char *buf[4];
    for (int i = 0; i < 4; i++)
        buf[i] = malloc(lens[2]);
    for (int r = 0; r < rounds * 2; r++) {
        int sender = (rank & 1) == (r & 1);
        if (sender) {
            h = mix(h, compute(work * 2));
            for (int k = 0; k < 4; k++) {
                size_t n = lens[(k + r) % 3];
                fill(buf[k], n, rank, partner, r * 4 + k);
                MPI_Send(buf[k], (int)n, MPI_BYTE, partner, k, MPI_COMM_WORLD);
            }
        } else {
            MPI_Status st;
            MPI_Request q[3];
            size_t n0 = lens[r % 3];
            MPI_Recv(buf[0], (int)lens[2], MPI_BYTE, partner, 0, MPI_COMM_WORLD, &st);
            h = mix(h, check(buf[0], n0, partner, rank, r * 4));
            MPI_Irecv(buf[1], (int)lens[2], MPI_BYTE, partner, 1, MPI_COMM_WORLD, &q[0]);
            MPI_Wait(&q[0], &st);
            h = mix(h, check(buf[1], lens[(1 + r) % 3], partner, rank, r * 4 + 1));
            MPI_Irecv(buf[2], (int)lens[2], MPI_BYTE, partner, 2, MPI_COMM_WORLD, &q[1]);
            MPI_Irecv(buf[3], (int)lens[2], MPI_BYTE, partner, 3, MPI_COMM_WORLD, &q[2]);
            for (int got = 0; got < 2; got++) {
                int idx;
                MPI_Waitany(2, &q[1], &idx, &st);
                if (idx == MPI_UNDEFINED)
                    fail("Waitany found nothing (%d %d %d)", got, 0, 0);
                int k = idx + 2, count;
                MPI_Get_count(&st, MPI_BYTE, &count);
                if ((size_t)count != lens[(k + r) % 3] || st.MPI_TAG != k)
                    fail("Waitany: tag %d with %d bytes, want tag %d", st.MPI_TAG, count, k);
                h = mix(h, check(buf[k], (size_t)count, partner, rank, r * 4 + k));
            }
        }
    }
    for (int i = 0; i < 4; i++)
        free(buf[i]);
    report(h);
}

/* ANY_SOURCE receives pending while the senders compute. */
static void phase_anysrc(void)
{
    uint64_t h = 0;
    for (int r = 0; r < rounds; r++) {
        int root = r % size;
        if (rank == root) {
            int n = size - 1;
            MPI_Request *q = malloc(sizeof *q * (size_t)(n ? n : 1));
            int (*msg)[3] = malloc(sizeof *msg * (size_t)(n ? n : 1));
            for (int i = 0; i < n; i++)
                MPI_Irecv(msg[i], 3, MPI_INT, MPI_ANY_SOURCE, 5, MPI_COMM_WORLD, &q[i]);
            MPI_Status *st = malloc(sizeof *st * (size_t)(n ? n : 1));
            MPI_Waitall(n, q, st);
            uint64_t seen = 0, sum = 0;
            for (int i = 0; i < n; i++) {
                int src = st[i].MPI_SOURCE;
                if (src < 0 || src >= size || src == root || msg[i][0] != src || msg[i][1] != r ||
                    (seen >> src) & 1)
                    fail("ANY_SOURCE receive: source %d sent %d for round %d", src, msg[i][0], msg[i][1]);
                seen |= 1ull << src;
                sum += (uint64_t)msg[i][2];
            }
            h = mix(h, sum);
            free(q);
            free(msg);
            free(st);
        } else {
            uint64_t c = compute(work * (1 + (rank + r) % 3));
            int msg[3] = { rank, r, (int)(c & 0xffff) };
            MPI_Send(msg, 3, MPI_INT, root, 5, MPI_COMM_WORLD);
            h = mix(h, c);
        }
    }
    report(h);
}

/* Large rendezvous transfers around a ring, half way when a checkpoint
 * comes; every other round into a strided (non-contiguous) receive. */
static void phase_large(void)
{
    uint64_t h = 0;
    size_t n = (size_t)large_mib << 20;
    unsigned char *sb = malloc(n), *rb = malloc(n + n / 1024 + 4096);
    if (!sb || !rb)
        fail("out of memory for %d MiB", large_mib, 0, 0);
    MPI_Datatype strided;
    /* blocks of 1024 bytes with a gap of 1 byte: n/1024 blocks */
    MPI_Type_vector((int)(n / 1024), 1024, 1025, MPI_BYTE, &strided);
    MPI_Type_commit(&strided);
    int to = (rank + 1) % size, from = (rank + size - 1) % size;
    for (int r = 0; r < rounds; r++) {
        fill(sb, n, rank, to, r);
        MPI_Request q[2];
        int strided_rx = r & 1;
        if (strided_rx)
            MPI_Irecv(rb, 1, strided, from, 9, MPI_COMM_WORLD, &q[0]);
        else
            MPI_Irecv(rb, (int)n, MPI_BYTE, from, 9, MPI_COMM_WORLD, &q[0]);
        MPI_Isend(sb, (int)n, MPI_BYTE, to, 9, MPI_COMM_WORLD, &q[1]);
        h = mix(h, compute(work));
        MPI_Waitall(2, q, MPI_STATUSES_IGNORE);
        if (strided_rx) {
            for (size_t b = 0; b < n / 1024; b++)
                memmove(rb + b * 1024, rb + b * 1025, 1024);
        }
        h = mix(h, check(rb, n, from, rank, r));
    }
    MPI_Type_free(&strided);
    free(sb);
    free(rb);
    report(h);
}

/* Collectives entered at different times: the ranks compute unequally. */
static void phase_coll(void)
{
    uint64_t h = 0;
    int nb = 1 << 18;
    int *b = malloc(sizeof *b * (size_t)nb);
    int *a2a_s = malloc(sizeof(int) * 1024 * (size_t)size), *a2a_r = malloc(sizeof(int) * 1024 * (size_t)size);
    for (int r = 0; r < rounds * 2; r++) {
        int root = r % size;
        h = mix(h, compute(work * ((rank + r) % size == 0 ? 3 : 0) + work / 4));
        if (rank == root)
            for (int i = 0; i < nb; i++)
                b[i] = i * 7 + r;
        MPI_Bcast(b, nb, MPI_INT, root, MPI_COMM_WORLD);
        for (int i = 0; i < nb; i += 997)
            if (b[i] != i * 7 + r)
                fail("Bcast: element %d is %d in round %d", i, b[i], r);
        h = mix(h, compute(work * ((rank + r + 1) % size == 0 ? 3 : 0)));
        long long v = (long long)rank * 1000 + r, s = 0;
        MPI_Allreduce(&v, &s, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
        if (s != 1000LL * size * (size - 1) / 2 + (long long)r * size)
            fail("Allreduce: %d in round %d (size %d)", (int)s, r, size);
        h = mix(h, (uint64_t)s);
        h = mix(h, compute(work * ((rank + r + 2) % size == 0 ? 3 : 0)));
        for (int p = 0; p < size; p++)
            for (int i = 0; i < 1024; i++)
                a2a_s[p * 1024 + i] = rank * 65536 + p * 1024 + i + r;
        MPI_Alltoall(a2a_s, 1024, MPI_INT, a2a_r, 1024, MPI_INT, MPI_COMM_WORLD);
        for (int p = 0; p < size; p++)
            for (int i = 0; i < 1024; i += 101)
                if (a2a_r[p * 1024 + i] != p * 65536 + rank * 1024 + i + r)
                    fail("Alltoall: from rank %d element %d wrong in round %d", p, i, r);
        h = mix(h, (uint64_t)a2a_r[size * 1024 - 1]);
    }
    free(b);
    free(a2a_s);
    free(a2a_r);
    report(h);
}

/* Synchronous sends that wait long for their receive. */
static void phase_ssend(void)
{
    uint64_t h = 0;
    int partner = rank ^ 1;
    if (partner >= size) {
        report(0);
        return;
    }
    unsigned char small[100], big[200000];
    for (int r = 0; r < rounds * 2; r++) {
        int sender = (rank & 1) == (r & 1);
        for (int k = 0; k < 2; k++) {
            unsigned char *b = k ? big : small;
            size_t n = k ? sizeof big : sizeof small;
            if (sender) {
                fill(b, n, rank, partner, r * 2 + k);
                MPI_Ssend(b, (int)n, MPI_BYTE, partner, 11 + k, MPI_COMM_WORLD);
            } else {
                h = mix(h, compute(work * 2));
                MPI_Recv(b, (int)n, MPI_BYTE, partner, 11 + k, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                h = mix(h, check(b, n, partner, rank, r * 2 + k));
            }
        }
    }
    report(h);
}

/* Communicators split at the start, used after checkpoints. */
static void phase_split(void)
{
    uint64_t h = 0;
    int prank, psize, qrank, qsize;
    MPI_Comm_rank(by_parity, &prank);
    MPI_Comm_size(by_parity, &psize);
    MPI_Comm_rank(by_pair, &qrank);
    MPI_Comm_size(by_pair, &qsize);
    for (int r = 0; r < rounds * 2; r++) {
        h = mix(h, compute(work / 2 + (rank % 3) * work / 2));
        long long v = rank + r, s = 0;
        MPI_Allreduce(&v, &s, 1, MPI_LONG_LONG, MPI_SUM, by_parity);
        h = mix(h, (uint64_t)s);
        int token = rank * 100 + r, got = -1;
        MPI_Sendrecv(&token, 1, MPI_INT, (qrank + 1) % qsize, 3, &got, 1, MPI_INT, (qrank + qsize - 1) % qsize, 3,
                     by_pair, MPI_STATUS_IGNORE);
        int expect = (qsize == 1 ? rank : (rank ^ 1)) * 100 + r;
        if (got != expect)
            fail("split communicator: got %d, want %d (round %d)", got, expect, r);
        h = mix(h, (uint64_t)got);
        MPI_Barrier(by_parity);
    }
    report(h);
}

/* Sequence-numbered messages between all pairs: none lost, duplicated or
 * out of order. */
static void phase_traffic(void)
{
    static const size_t lens[] = { 8, 1000, 20000, 100000 };
    uint64_t h = 0;
    int per = 16;
    size_t maxl = lens[3];
    int n = size * per;
    unsigned char *sb = malloc(maxl * (size_t)n), *rb = malloc(maxl * (size_t)n);
    MPI_Request *q = malloc(sizeof *q * (size_t)n * 2);
    MPI_Status *st = malloc(sizeof *st * (size_t)n * 2);
    for (int r = 0; r < rounds * 8; r++) {
        int k = 0;
        for (int p = 0; p < size; p++)
            for (int i = 0; i < per; i++, k++)
                MPI_Irecv(rb + maxl * (size_t)k, (int)maxl, MPI_BYTE, p, MPI_ANY_TAG, MPI_COMM_WORLD, &q[k]);
        for (int p = 0; p < size; p++)
            for (int i = 0; i < per; i++, k++) {
                int seq = r * per + i;
                size_t len = lens[(seq + p + rank) % 4];
                unsigned char *b = sb + maxl * (size_t)(k - n);
                fill(b, len, rank, p, seq);
                if (i % 5 == 4)
                    MPI_Issend(b, (int)len, MPI_BYTE, p, seq, MPI_COMM_WORLD, &q[k]);
                else
                    MPI_Isend(b, (int)len, MPI_BYTE, p, seq, MPI_COMM_WORLD, &q[k]);
            }
        if (r % 4 == 0)
            h = mix(h, compute(work / 2));
        MPI_Waitall(2 * n, q, st);
        k = 0;
        for (int p = 0; p < size; p++)
            for (int i = 0; i < per; i++, k++) {
                int seq = r * per + i, count;
                MPI_Get_count(&st[k], MPI_BYTE, &count);
                if (st[k].MPI_TAG != seq)
                    fail("from rank %d: message %d arrived where %d belongs", p, st[k].MPI_TAG, seq);
                if ((size_t)count != lens[(seq + rank + p) % 4])
                    fail("from rank %d: message %d has %d bytes", p, seq, count);
                h = mix(h, check(rb + maxl * (size_t)k, (size_t)count, p, rank, seq));
            }
    }
    free(sb);
    free(rb);
    free(q);
    free(st);
    report(h);
}

static const struct {
    const char *name;
    void (*run)(void);
} phases[] = {
    { "compute", phase_compute }, { "block", phase_block }, { "anysrc", phase_anysrc },
    { "large", phase_large },     { "coll", phase_coll },   { "ssend", phase_ssend },
    { "split", phase_split },     { "traffic", phase_traffic },
};

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const char *mode = argc > 1 ? argv[1] : "all";
    if (argc > 2)
        rounds = atoi(argv[2]);
    if (argc > 3)
        large_mib = atoi(argv[3]);
    if (argc > 4)
        work = atoi(argv[4]);
    if (size > 64 || rounds < 1 || large_mib < 1 || work < 0)
        fail("bad arguments (size %d, rounds %d, large %d MiB)", size, rounds, large_mib);
    MPI_Comm_split(MPI_COMM_WORLD, rank % 2, size - rank, &by_parity);
    MPI_Comm_split(MPI_COMM_WORLD, rank / 2, rank, &by_pair);
    /* everyone is up: a checkpoint may come from here on */
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
        printf("mpi_ckpt %s: %d ranks, %d rounds\n", mode, size, rounds);
        fflush(stdout);
    }
    int ran = 0, post = !strcmp(mode, "post");
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++)
        if (!strcmp(mode, "all") || !strcmp(mode, phases[i].name) || (post && i == 0)) {
            phase = phases[i].name;
            phases[i].run();
            ran++;
        }
    if (!ran)
        fail("no phase is called that (%d)", 0, 0, 0);
    phase = "end";
    MPI_Comm_free(&by_parity);
    MPI_Comm_free(&by_pair);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0)
        printf("mpi_ckpt ok\n");
    MPI_Finalize();
    if (post) {
        /* a checkpoint may come here too: the library takes part with
         * its transports closed */
        uint64_t h = compute(work * 30 * rounds);
        if (rank == 0)
            printf("after MPI_Finalize: %016llx\n", (unsigned long long)h);
    }
    return 0;
}
