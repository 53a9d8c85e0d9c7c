/* mpi_p2p.c — point-to-point semantics, run at any number of ranks (some
 * parts need 2 or more).  Fails loudly: every failed check prints what was
 * wrong and the job ends with exit code 1 (MPI_Abort).  With argument
 * "big", also moves a 256 MiB message both ways.
 * Prints "p2p ok" on rank 0 when everything held. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int rank, size, failures;

#define CHECK(cond, ...)                                                                 \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "rank %d: FAILED %s:%d: ", rank, __FILE__, __LINE__);        \
            fprintf(stderr, __VA_ARGS__);                                                \
            fprintf(stderr, "\n");                                                       \
            failures++;                                                                  \
        }                                                                                \
    } while (0)

static unsigned char pattern(size_t i, int seed) { return (unsigned char)(i * 131 + (size_t)seed * 7 + (i >> 13)); }

static void fill(unsigned char *p, size_t n, int seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = pattern(i, seed);
}

static size_t first_bad(const unsigned char *p, size_t n, int seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern(i, seed))
            return i;
    return (size_t)-1;
}

/* Every size class, both orders: receive posted first, and send first. */
static void sizes(void)
{
    const size_t lens[] = { 0, 1, 7, 4096, 8191, 8192, 8193, 32768, 65535, 65536, 65537, 1 << 20, (1 << 22) + 3 };
    int peer = rank ^ 1;
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t n = lens[k];
        unsigned char *buf = malloc(n + 1);
        for (int order = 0; order < 2; order++) {
            int seed = (int)k * 2 + order;
            if (peer >= size) { /* no partner: only the barrier */
                MPI_Barrier(MPI_COMM_WORLD);
                continue;
            }
            MPI_Request req;
            MPI_Status st;
            int recv_first = order == 0;
            if (rank < peer) { /* sender */
                fill(buf, n, seed);
                /* send first: started before the receiver posts anything
                 * (a standard send of a large message may wait for it) */
                if (!recv_first)
                    MPI_Isend(buf, (int)n, MPI_BYTE, peer, 100 + (int)k, MPI_COMM_WORLD, &req);
                MPI_Barrier(MPI_COMM_WORLD);
                if (recv_first)
                    MPI_Send(buf, (int)n, MPI_BYTE, peer, 100 + (int)k, MPI_COMM_WORLD);
                else
                    MPI_Wait(&req, MPI_STATUS_IGNORE);
            } else {
                memset(buf, 0xee, n);
                if (recv_first)
                    MPI_Irecv(buf, (int)n, MPI_BYTE, peer, 100 + (int)k, MPI_COMM_WORLD, &req);
                MPI_Barrier(MPI_COMM_WORLD);
                if (recv_first)
                    MPI_Wait(&req, &st);
                else
                    MPI_Recv(buf, (int)n, MPI_BYTE, peer, 100 + (int)k, MPI_COMM_WORLD, &st);
                int count;
                MPI_Get_count(&st, MPI_BYTE, &count);
                CHECK((size_t)count == n, "%zu bytes (%s first): count %d", n, recv_first ? "receive" : "send", count);
                CHECK(st.MPI_SOURCE == peer && st.MPI_TAG == 100 + (int)k, "%zu bytes: source %d tag %d", n, st.MPI_SOURCE,
                      st.MPI_TAG);
                size_t bad = first_bad(buf, n, seed);
                CHECK(bad == (size_t)-1, "%zu bytes (%s first): wrong byte at %zu", n, recv_first ? "receive" : "send", bad);
            }
        }
        free(buf);
    }
}

/* Messages from one sender on one communicator and tag never overtake each other. */
static void order(void)
{
    if (size < 2)
        return;
    const int n = 2000;
    if (rank == 0) {
        MPI_Request *r = malloc(sizeof *r * n);
        int *v = malloc(sizeof *v * n);
        for (int i = 0; i < n; i++) {
            v[i] = i;
            /* mixed sizes: some eager, some rendezvous */
            MPI_Isend(&v[i], 1, MPI_INT, 1, i % 3, MPI_COMM_WORLD, &r[i]);
        }
        MPI_Waitall(n, r, MPI_STATUSES_IGNORE);
        free(r);
        free(v);
    } else if (rank == 1) {
        int last[3] = { -1, -1, -1 };
        for (int i = 0; i < n; i++) {
            int x;
            MPI_Status st;
            int tag = i % 2 ? MPI_ANY_TAG : (i / 2) % 3;
            MPI_Recv(&x, 1, MPI_INT, 0, tag, MPI_COMM_WORLD, &st);
            CHECK(x % 3 == st.MPI_TAG, "value %d came with tag %d", x, st.MPI_TAG);
            CHECK(x > last[st.MPI_TAG], "tag %d: %d after %d", st.MPI_TAG, x, last[st.MPI_TAG]);
            last[st.MPI_TAG] = x;
        }
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

/* Every rank sends to 0; 0 takes them with MPI_ANY_SOURCE. */
static void any_source(void)
{
    const int per = 50;
    if (rank == 0) {
        int *seen = calloc((size_t)size, sizeof *seen);
        for (int i = 0; i < per * (size - 1); i++) {
            int v[2];
            MPI_Status st;
            MPI_Recv(v, 2, MPI_INT, MPI_ANY_SOURCE, 7, MPI_COMM_WORLD, &st);
            CHECK(v[0] == st.MPI_SOURCE, "message of rank %d reported from %d", v[0], st.MPI_SOURCE);
            CHECK(v[1] == seen[v[0]], "rank %d: message %d arrived as number %d", v[0], v[1], seen[v[0]]);
            seen[v[0]]++;
        }
        for (int r = 1; r < size; r++)
            CHECK(seen[r] == per, "rank %d: %d messages", r, seen[r]);
        free(seen);
    } else {
        for (int i = 0; i < per; i++) {
            int v[2] = { rank, i };
            MPI_Send(v, 2, MPI_INT, 0, 7, MPI_COMM_WORLD);
        }
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

static void truncation(void)
{
    if (size < 2 || rank > 1)
        goto out;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    for (int big = 0; big < 2; big++) {
        int n = big ? 1 << 20 : 100;
        int *buf = calloc((size_t)n, sizeof *buf);
        if (rank == 0) {
            MPI_Send(buf, n, MPI_INT, 1, 9, MPI_COMM_WORLD);
        } else {
            MPI_Status st;
            int rc = MPI_Recv(buf, n / 2, MPI_INT, 0, 9, MPI_COMM_WORLD, &st);
            int cls;
            MPI_Error_class(rc, &cls);
            CHECK(cls == MPI_ERR_TRUNCATE, "receiving %d ints into %d: error class %d, want MPI_ERR_TRUNCATE", n, n / 2, cls);
        }
        free(buf);
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
out:
    MPI_Barrier(MPI_COMM_WORLD);
}

/* A synchronous send completes only once the receive has started. */
static void synchronous(void)
{
    if (size < 2 || rank > 1)
        goto out;
    for (int big = 0; big < 2; big++) {
        int n = big ? 1 << 18 : 4;
        int *buf = calloc((size_t)n, sizeof *buf);
        if (rank == 0) {
            double t = MPI_Wtime();
            MPI_Request r;
            int flag;
            MPI_Issend(buf, n, MPI_INT, 1, 11, MPI_COMM_WORLD, &r);
            usleep(100000);
            MPI_Test(&r, &flag, MPI_STATUS_IGNORE);
            CHECK(!flag, "Issend of %d ints completed before the receive was posted", n);
            MPI_Wait(&r, MPI_STATUS_IGNORE);
            t = MPI_Wtime() - t;
            CHECK(t > 0.25, "Ssend of %d ints completed after %.3f s, before the receive (posted after 0.3 s)", n, t);
            t = MPI_Wtime();
            MPI_Ssend(buf, n, MPI_INT, 1, 12, MPI_COMM_WORLD);
            t = MPI_Wtime() - t;
            CHECK(t > 0.25, "MPI_Ssend of %d ints returned after %.3f s, before the receive", n, t);
        } else {
            usleep(300000);
            MPI_Recv(buf, n, MPI_INT, 0, 11, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            usleep(300000);
            MPI_Recv(buf, n, MPI_INT, 0, 12, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        }
        free(buf);
    }
out:
    MPI_Barrier(MPI_COMM_WORLD);
}

/* Both sides Isend a large message to each other first: no deadlock. */
static void head_to_head(void)
{
    int peer = rank ^ 1;
    if (peer < size) {
        size_t n = 32u << 20;
        unsigned char *s = malloc(n), *r = malloc(n);
        fill(s, n, rank);
        MPI_Request q[2];
        MPI_Isend(s, (int)n, MPI_BYTE, peer, 13, MPI_COMM_WORLD, &q[0]);
        MPI_Irecv(r, (int)n, MPI_BYTE, peer, 13, MPI_COMM_WORLD, &q[1]);
        MPI_Waitall(2, q, MPI_STATUSES_IGNORE);
        CHECK(first_bad(r, n, peer) == (size_t)-1, "head-to-head 32 MiB: wrong data");
        free(s);
        free(r);
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

/* Progress while waiting on something else: rank 0 starts a large send
 * to 1, then blocks in a receive from 1 that 1 sends only after it got
 * the large message. */
static void progress_elsewhere(void)
{
    if (size < 2 || rank > 1)
        goto out;
    size_t n = 8u << 20;
    unsigned char *buf = malloc(n);
    int token = 0;
    if (rank == 0) {
        fill(buf, n, 5);
        MPI_Request r;
        MPI_Isend(buf, (int)n, MPI_BYTE, 1, 14, MPI_COMM_WORLD, &r);
        MPI_Recv(&token, 1, MPI_INT, 1, 15, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Wait(&r, MPI_STATUS_IGNORE);
        CHECK(token == 42, "token %d", token);
    } else {
        MPI_Recv(buf, (int)n, MPI_BYTE, 0, 14, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        CHECK(first_bad(buf, n, 5) == (size_t)-1, "8 MiB: wrong data");
        token = 42;
        MPI_Send(&token, 1, MPI_INT, 0, 15, MPI_COMM_WORLD);
    }
    free(buf);
out:
    MPI_Barrier(MPI_COMM_WORLD);
}

static void modes(void)
{
    int next = (rank + 1) % size, prev = (rank + size - 1) % size;
    int bufsize = 4 * (1 << 16) + 4 * MPI_BSEND_OVERHEAD;
    void *attached = malloc((size_t)bufsize);
    MPI_Buffer_attach(attached, bufsize);
    for (int mode = 0; mode < 4; mode++) {
        for (int n = 1; n <= 1 << 16; n *= 16) {
            int *s = malloc(sizeof *s * (size_t)n), *r = malloc(sizeof *r * (size_t)n);
            for (int i = 0; i < n; i++)
                s[i] = rank * 1000003 + i + mode;
            MPI_Request req;
            MPI_Irecv(r, n, MPI_INT, prev, 20 + mode, MPI_COMM_WORLD, &req);
            MPI_Barrier(MPI_COMM_WORLD); /* every receive is posted: a ready send is legal */
            switch (mode) {
            case 0: MPI_Send(s, n, MPI_INT, next, 20, MPI_COMM_WORLD); break;
            case 1: MPI_Ssend(s, n, MPI_INT, next, 21, MPI_COMM_WORLD); break;
            case 2: MPI_Bsend(s, n, MPI_INT, next, 22, MPI_COMM_WORLD); memset(s, 0, sizeof *s * (size_t)n); break;
            case 3: MPI_Rsend(s, n, MPI_INT, next, 23, MPI_COMM_WORLD); break;
            }
            MPI_Wait(&req, MPI_STATUS_IGNORE);
            for (int i = 0; i < n; i++)
                if (r[i] != prev * 1000003 + i + mode) {
                    CHECK(0, "mode %d, %d ints: element %d is %d", mode, n, i, r[i]);
                    break;
                }
            free(s);
            free(r);
        }
    }
    void *detached;
    int dsize;
    MPI_Buffer_detach(&detached, &dsize);
    CHECK(detached == attached && dsize == bufsize, "MPI_Buffer_detach gave back %p/%d", detached, dsize);
    free(attached);
    MPI_Barrier(MPI_COMM_WORLD);
}

static void probes(void)
{
    if (size < 2 || rank > 1)
        goto out;
    if (rank == 0) {
        int v[300];
        for (int i = 0; i < 300; i++)
            v[i] = i;
        MPI_Send(v, 300, MPI_INT, 1, 30, MPI_COMM_WORLD);
        MPI_Send(v, 17, MPI_INT, 1, 31, MPI_COMM_WORLD);
        MPI_Send(v, 5, MPI_INT, 1, 32, MPI_COMM_WORLD);
    } else {
        MPI_Status st;
        MPI_Probe(0, 30, MPI_COMM_WORLD, &st);
        int count;
        MPI_Get_count(&st, MPI_INT, &count);
        CHECK(count == 300 && st.MPI_TAG == 30, "probe: count %d tag %d", count, st.MPI_TAG);
        int *buf = malloc(sizeof *buf * (size_t)count);
        MPI_Recv(buf, count, MPI_INT, 0, 30, MPI_COMM_WORLD, &st);
        CHECK(buf[299] == 299, "probe then receive: wrong data");
        free(buf);
        MPI_Message msg;
        MPI_Mprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &msg, &st);
        MPI_Get_count(&st, MPI_INT, &count);
        CHECK(count == 17 && st.MPI_TAG == 31, "mprobe: count %d tag %d", count, st.MPI_TAG);
        int flag = 0;
        MPI_Message msg2;
        MPI_Status st2;
        while (!flag)
            MPI_Improbe(0, 32, MPI_COMM_WORLD, &flag, &msg2, &st2);
        int a[17], b[5];
        MPI_Mrecv(a, 17, MPI_INT, &msg, &st);
        CHECK(msg == MPI_MESSAGE_NULL && a[16] == 16, "mrecv");
        MPI_Request r;
        MPI_Imrecv(b, 5, MPI_INT, &msg2, &r);
        MPI_Wait(&r, &st);
        CHECK(b[4] == 4 && st.MPI_TAG == 32, "imrecv");
        MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        CHECK(!flag, "iprobe found a message that was already received");
        /* a cancelled receive */
        MPI_Irecv(a, 1, MPI_INT, 0, 999, MPI_COMM_WORLD, &r);
        MPI_Cancel(&r);
        MPI_Wait(&r, &st);
        MPI_Test_cancelled(&st, &flag);
        CHECK(flag, "a cancelled receive is not reported cancelled");
    }
out:
    MPI_Barrier(MPI_COMM_WORLD);
}

static void completion(void)
{
    int peer = rank ^ 1;
    if (peer >= size)
        goto out;
    enum { N = 8 };
    int s[N], r[N];
    MPI_Request q[N];
    for (int i = 0; i < N; i++) {
        s[i] = rank * 100 + i;
        MPI_Irecv(&r[i], 1, MPI_INT, peer, 40 + i, MPI_COMM_WORLD, &q[i]);
    }
    for (int i = N - 1; i >= 0; i--)
        MPI_Send(&s[i], 1, MPI_INT, peer, 40 + i, MPI_COMM_WORLD);
    int done = 0, idx[N], out;
    MPI_Status st[N];
    int index;
    MPI_Waitany(N, q, &index, &st[0]);
    CHECK(index >= 0 && index < N && r[index] == peer * 100 + index, "waitany: index %d", index);
    done++;
    while (done < N) {
        MPI_Waitsome(N, q, &out, idx, st);
        CHECK(out != MPI_UNDEFINED && out >= 1, "waitsome: outcount %d", out);
        for (int k = 0; k < out; k++)
            CHECK(r[idx[k]] == peer * 100 + idx[k] && st[k].MPI_TAG == 40 + idx[k], "waitsome: index %d", idx[k]);
        done += out;
    }
    MPI_Waitsome(N, q, &out, idx, st);
    CHECK(out == MPI_UNDEFINED, "waitsome on null requests: %d", out);
    int flag;
    MPI_Testany(N, q, &index, &flag, MPI_STATUS_IGNORE);
    CHECK(flag && index == MPI_UNDEFINED, "testany on null requests");
    MPI_Testall(N, q, &flag, MPI_STATUSES_IGNORE);
    CHECK(flag, "testall on null requests");
out:
    MPI_Barrier(MPI_COMM_WORLD);
}

static void sendrecv(void)
{
    int next = (rank + 1) % size, prev = (rank + size - 1) % size;
    int v = rank, got = -1;
    MPI_Status st;
    MPI_Sendrecv(&v, 1, MPI_INT, next, 50, &got, 1, MPI_INT, prev, 50, MPI_COMM_WORLD, &st);
    CHECK(got == prev && st.MPI_SOURCE == prev, "sendrecv got %d from %d", got, st.MPI_SOURCE);
    double d[3] = { rank, rank + .5, rank + .25 };
    MPI_Sendrecv_replace(d, 3, MPI_DOUBLE, next, 51, prev, 51, MPI_COMM_WORLD, &st);
    CHECK(d[0] == prev && d[1] == prev + .5 && d[2] == prev + .25, "sendrecv_replace");
    MPI_Send(&v, 1, MPI_INT, MPI_PROC_NULL, 52, MPI_COMM_WORLD);
    MPI_Recv(&got, 1, MPI_INT, MPI_PROC_NULL, 52, MPI_COMM_WORLD, &st);
    int count;
    MPI_Get_count(&st, MPI_INT, &count);
    CHECK(st.MPI_SOURCE == MPI_PROC_NULL && st.MPI_TAG == MPI_ANY_TAG && count == 0, "receive from MPI_PROC_NULL");
    MPI_Barrier(MPI_COMM_WORLD);
}

/* A strided datatype, eager and rendezvous sizes. */
static void vectors(void)
{
    int peer = rank ^ 1;
    if (peer >= size)
        goto out;
    for (int n = 10; n <= 100000; n *= 100) {
        MPI_Datatype col;
        MPI_Type_vector(n, 1, 3, MPI_DOUBLE, &col);
        MPI_Type_commit(&col);
        double *m = malloc(sizeof *m * (size_t)n * 3), *c = malloc(sizeof *c * (size_t)n);
        for (int i = 0; i < 3 * n; i++)
            m[i] = rank * 1e6 + i;
        MPI_Sendrecv(m + 1, 1, col, peer, 60, c, n, MPI_DOUBLE, peer, 60, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        for (int i = 0; i < n; i++)
            if (c[i] != peer * 1e6 + 3 * i + 1) {
                CHECK(0, "vector of %d: element %d is %g", n, i, c[i]);
                break;
            }
        MPI_Type_free(&col);
        free(m);
        free(c);
    }
out:
    MPI_Barrier(MPI_COMM_WORLD);
}

static void errors(void)
{
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int v = 0, cls;
    MPI_Error_class(MPI_Send(&v, 1, MPI_INT, size, 0, MPI_COMM_WORLD), &cls);
    CHECK(cls == MPI_ERR_RANK, "send to rank %d: class %d", size, cls);
    MPI_Error_class(MPI_Send(&v, 1, MPI_INT, 0, -5, MPI_COMM_WORLD), &cls);
    CHECK(cls == MPI_ERR_TAG, "tag -5: class %d", cls);
    MPI_Error_class(MPI_Send(&v, -1, MPI_INT, 0, 0, MPI_COMM_WORLD), &cls);
    CHECK(cls == MPI_ERR_COUNT, "count -1: class %d", cls);
    MPI_Error_class(MPI_Send(&v, 1, (MPI_Datatype)0x12345, 0, 0, MPI_COMM_WORLD), &cls);
    CHECK(cls == MPI_ERR_TYPE, "bad datatype: class %d", cls);
    MPI_Error_class(MPI_Send(&v, 1, MPI_INT, 0, 0, (MPI_Comm)0x1234), &cls);
    CHECK(cls == MPI_ERR_COMM, "bad communicator: class %d", cls);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
}

static void communicators(void)
{
    MPI_Comm dup, half;
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    int res;
    MPI_Comm_compare(MPI_COMM_WORLD, dup, &res);
    CHECK(res == MPI_CONGRUENT, "compare world with its dup: %d", res);
    MPI_Comm_split(MPI_COMM_WORLD, rank % 2, -rank, &half);
    int hr, hs;
    MPI_Comm_rank(half, &hr);
    MPI_Comm_size(half, &hs);
    CHECK(hs == (size + 1 - rank % 2) / 2, "split: size %d", hs);
    /* key -rank: the order is reversed */
    MPI_Group wg, hg;
    MPI_Comm_group(MPI_COMM_WORLD, &wg);
    MPI_Comm_group(half, &hg);
    int zero = 0, w;
    MPI_Group_translate_ranks(hg, 1, &zero, wg, &w);
    int top = (size - 1) - ((size - 1) % 2 != rank % 2);
    CHECK(w == top, "rank 0 of my half is world rank %d, want %d", w, top);
    /* traffic on dup does not match traffic on world */
    int peer = rank ^ 1;
    if (peer < size) {
        int a = rank, b = -1, c = -1;
        MPI_Request r[2];
        MPI_Irecv(&b, 1, MPI_INT, peer, 5, dup, &r[0]);
        MPI_Irecv(&c, 1, MPI_INT, peer, 5, MPI_COMM_WORLD, &r[1]);
        int x = a + 1000;
        MPI_Send(&x, 1, MPI_INT, peer, 5, MPI_COMM_WORLD);
        MPI_Send(&a, 1, MPI_INT, peer, 5, dup);
        MPI_Waitall(2, r, MPI_STATUSES_IGNORE);
        CHECK(b == peer && c == peer + 1000, "messages crossed communicators: %d %d", b, c);
    }
    MPI_Group_free(&wg);
    MPI_Group_free(&hg);
    MPI_Comm_free(&half);
    MPI_Comm_free(&dup);
    CHECK(dup == MPI_COMM_NULL, "MPI_Comm_free did not set MPI_COMM_NULL");
    MPI_Barrier(MPI_COMM_WORLD);
}

static void huge(void)
{
    int peer = rank ^ 1;
    if (peer < size) {
        size_t n = 256u << 20;
        unsigned char *s = malloc(n), *r = malloc(n);
        if (!s || !r) {
            CHECK(0, "no memory for 256 MiB");
            return;
        }
        fill(s, n, rank + 3);
        MPI_Sendrecv(s, (int)n, MPI_BYTE, peer, 70, r, (int)n, MPI_BYTE, peer, 70, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        CHECK(first_bad(r, n, peer + 3) == (size_t)-1, "256 MiB: wrong data");
        free(s);
        free(r);
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

int main(int argc, char **argv)
{
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    CHECK(provided >= MPI_THREAD_FUNNELED, "MPI_Init_thread provided %d", provided);
    sizes();
    order();
    any_source();
    truncation();
    synchronous();
    head_to_head();
    progress_elsewhere();
    modes();
    probes();
    completion();
    sendrecv();
    vectors();
    errors();
    communicators();
    if (argc > 1 && !strcmp(argv[1], "big"))
        huge();
    int total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0) {
        if (total)
            printf("p2p FAILED: %d check(s)\n", total);
        else
            printf("p2p ok (%d ranks)\n", size);
    }
    MPI_Finalize();
    return total ? 1 : 0;
}
