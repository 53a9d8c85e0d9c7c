/* mpi_persistent.c — persistent requests: Send_init, Bsend_init,
 * Ssend_init, Rsend_init, Recv_init, Start, Startall; inactive requests in
 * every completion call; Request_free of inactive and of active ones;
 * Cancel of a started receive, then reuse; error classes.  Prints
 * "persistent ok (N ranks)"; any failure: one line "FAIL ..." and exit 1. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank, size;

#define FAIL(...)                                                                                          \
    do {                                                                                                   \
        printf("FAIL rank %d line %d: ", rank, __LINE__);                                                  \
        printf(__VA_ARGS__);                                                                               \
        printf("\n");                                                                                      \
        fflush(stdout);                                                                                    \
        MPI_Abort(MPI_COMM_WORLD, 1);                                                                      \
    } while (0)
#define OK(call)                                                                                           \
    do {                                                                                                   \
        int rc_ = (call);                                                                                  \
        if (rc_ != MPI_SUCCESS)                                                                            \
            FAIL("%s returned %d", #call, rc_);                                                            \
    } while (0)

static void expect_empty(const MPI_Status *st, const char *what)
{
    int count = -1;
    MPI_Get_count(st, MPI_INT, &count);
    if (st->MPI_SOURCE != MPI_ANY_SOURCE || st->MPI_TAG != MPI_ANY_TAG || count != 0)
        FAIL("%s: status not empty (source %d tag %d count %d)", what, st->MPI_SOURCE, st->MPI_TAG, count);
}

static void expect_class(int rc, int want, const char *what)
{
    int cls = -1;
    if (rc == MPI_SUCCESS)
        FAIL("%s succeeded, want error class %d", what, want);
    MPI_Error_class(rc, &cls);
    if (cls != want)
        FAIL("%s: error class %d, want %d", what, cls, want);
}

/* A ring, restarted several times with new data each time: every mode. */
static void test_ring(int big)
{
    int n = big ? 100000 : 10; /* the large one goes by rendezvous */
    int right = (rank + 1) % size, left = (rank - 1 + size) % size;
    int *out = malloc(n * sizeof *out), *in = malloc(n * sizeof *in);
    /* room for two: the previous round's message may not have left the buffer yet */
    int bsize = 2 * (n * (int)sizeof(int) + MPI_BSEND_OVERHEAD);
    void *battach = malloc(bsize);
    OK(MPI_Buffer_attach(battach, bsize));
    MPI_Request q[2];
    for (int mode = 0; mode < 4; mode++) {
        OK(MPI_Recv_init(in, n, MPI_INT, left, 7 + mode, MPI_COMM_WORLD, &q[0]));
        switch (mode) {
        case 0: OK(MPI_Send_init(out, n, MPI_INT, right, 7 + mode, MPI_COMM_WORLD, &q[1])); break;
        case 1: OK(MPI_Ssend_init(out, n, MPI_INT, right, 7 + mode, MPI_COMM_WORLD, &q[1])); break;
        case 2: OK(MPI_Bsend_init(out, n, MPI_INT, right, 7 + mode, MPI_COMM_WORLD, &q[1])); break;
        case 3: OK(MPI_Rsend_init(out, n, MPI_INT, right, 7 + mode, MPI_COMM_WORLD, &q[1])); break;
        }
        for (int it = 0; it < 5; it++) {
            for (int i = 0; i < n; i++)
                out[i] = rank * 1000 + it * 10 + mode + i;
            memset(in, 0xff, n * sizeof *in);
            if (mode == 3) { /* ready mode: the receive is posted before anyone sends */
                OK(MPI_Start(&q[0]));
                OK(MPI_Barrier(MPI_COMM_WORLD));
                OK(MPI_Start(&q[1]));
            } else {
                OK(MPI_Startall(2, q));
            }
            MPI_Status st[2];
            if (it % 2)
                OK(MPI_Waitall(2, q, st));
            else {
                int flag = 0;
                while (!flag)
                    OK(MPI_Testall(2, q, &flag, st));
            }
            if (q[0] == MPI_REQUEST_NULL || q[1] == MPI_REQUEST_NULL)
                FAIL("a persistent request was set to MPI_REQUEST_NULL by completion");
            int count;
            MPI_Get_count(&st[0], MPI_INT, &count);
            if (st[0].MPI_SOURCE != left || st[0].MPI_TAG != 7 + mode || count != n)
                FAIL("mode %d: receive status source %d tag %d count %d", mode, st[0].MPI_SOURCE, st[0].MPI_TAG, count);
            for (int i = 0; i < n; i++)
                if (in[i] != left * 1000 + it * 10 + mode + i)
                    FAIL("mode %d round %d: element %d is %d", mode, it, i, in[i]);
            OK(MPI_Barrier(MPI_COMM_WORLD)); /* out is rewritten next round */
        }
        OK(MPI_Request_free(&q[0]));
        OK(MPI_Request_free(&q[1]));
        if (q[0] != MPI_REQUEST_NULL || q[1] != MPI_REQUEST_NULL)
            FAIL("Request_free left the handle");
    }
    void *b;
    int bs;
    OK(MPI_Buffer_detach(&b, &bs));
    free(battach);
    free(out);
    free(in);
}

/* Inactive requests: Wait/Test return at once with an empty status, the
 * array forms treat them as null. */
static void test_inactive(void)
{
    int x = 0;
    MPI_Request q[3];
    MPI_Status st;
    OK(MPI_Recv_init(&x, 1, MPI_INT, MPI_ANY_SOURCE, 3, MPI_COMM_WORLD, &q[0]));
    OK(MPI_Send_init(&x, 1, MPI_INT, rank, 3, MPI_COMM_WORLD, &q[1]));
    q[2] = MPI_REQUEST_NULL;
    st.MPI_SOURCE = st.MPI_TAG = 12345;
    OK(MPI_Wait(&q[0], &st));
    expect_empty(&st, "Wait on an inactive request");
    if (q[0] == MPI_REQUEST_NULL)
        FAIL("Wait on an inactive request freed it");
    int flag = 0, idx = 0, outc = 0, ind[3];
    OK(MPI_Test(&q[1], &flag, &st));
    if (!flag)
        FAIL("Test on an inactive request: flag 0");
    expect_empty(&st, "Test on an inactive request");
    OK(MPI_Waitany(3, q, &idx, &st));
    if (idx != MPI_UNDEFINED)
        FAIL("Waitany on inactive requests: index %d", idx);
    OK(MPI_Testany(3, q, &idx, &flag, &st));
    if (!flag || idx != MPI_UNDEFINED)
        FAIL("Testany on inactive requests: flag %d index %d", flag, idx);
    OK(MPI_Waitsome(3, q, &outc, ind, MPI_STATUSES_IGNORE));
    if (outc != MPI_UNDEFINED)
        FAIL("Waitsome on inactive requests: %d", outc);
    MPI_Status sts[3];
    OK(MPI_Waitall(3, q, sts));
    expect_empty(&sts[0], "Waitall on an inactive request");
    OK(MPI_Request_get_status(q[0], &flag, &st));
    if (!flag)
        FAIL("Request_get_status on an inactive request: flag 0");

    /* a send to self and the receive, through Waitany and Waitsome */
    x = 77;
    int y = 0;
    MPI_Request r;
    OK(MPI_Recv_init(&y, 1, MPI_INT, MPI_ANY_SOURCE, 3, MPI_COMM_WORLD, &r));
    OK(MPI_Start(&r));
    OK(MPI_Start(&q[1]));
    MPI_Request two[2] = {r, q[1]};
    int got = 0;
    while (got < 2) {
        OK(MPI_Waitsome(2, two, &outc, ind, sts));
        if (outc == MPI_UNDEFINED)
            FAIL("Waitsome said all inactive with %d of 2 done", got);
        got += outc;
    }
    if (y != 77)
        FAIL("send to self through persistent requests: %d", y);
    OK(MPI_Waitany(2, two, &idx, &st));
    if (idx != MPI_UNDEFINED)
        FAIL("Waitany after both completed: index %d", idx);
    OK(MPI_Request_free(&r));
    OK(MPI_Request_free(&q[0]));
    OK(MPI_Request_free(&q[1]));
}

/* Cancel of a started receive, then the same request used again; an
 * active send freed before it completes still delivers. */
static void test_cancel_and_free(void)
{
    int x = -1;
    MPI_Request r;
    MPI_Status st;
    OK(MPI_Recv_init(&x, 1, MPI_INT, rank, 99, MPI_COMM_WORLD, &r));
    OK(MPI_Start(&r));
    OK(MPI_Cancel(&r));
    OK(MPI_Wait(&r, &st));
    int c = 0;
    OK(MPI_Test_cancelled(&st, &c));
    if (!c)
        FAIL("a started persistent receive was not cancelled");
    OK(MPI_Test_cancelled(&st, &c));
    int v = 5;
    OK(MPI_Start(&r));
    OK(MPI_Send(&v, 1, MPI_INT, rank, 99, MPI_COMM_WORLD));
    OK(MPI_Wait(&r, &st));
    OK(MPI_Test_cancelled(&st, &c));
    if (c || x != 5 || st.MPI_SOURCE != rank)
        FAIL("persistent receive after a cancel: cancelled %d value %d source %d", c, x, st.MPI_SOURCE);
    OK(MPI_Request_free(&r));

    /* freed while active */
    if (size > 1) {
        int right = (rank + 1) % size, left = (rank - 1 + size) % size, out = rank * 3, in = -1;
        OK(MPI_Ssend_init(&out, 1, MPI_INT, right, 4, MPI_COMM_WORLD, &r));
        OK(MPI_Start(&r));
        OK(MPI_Request_free(&r));
        OK(MPI_Recv(&in, 1, MPI_INT, left, 4, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        if (in != left * 3)
            FAIL("send freed while active delivered %d", in);
        OK(MPI_Barrier(MPI_COMM_WORLD));
    }
    /* MPI_PROC_NULL */
    OK(MPI_Recv_init(&x, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD, &r));
    OK(MPI_Start(&r));
    OK(MPI_Wait(&r, &st));
    if (st.MPI_SOURCE != MPI_PROC_NULL)
        FAIL("persistent receive from MPI_PROC_NULL: source %d", st.MPI_SOURCE);
    OK(MPI_Request_free(&r));
}

static void test_errors(void)
{
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int x = 0;
    MPI_Request r, s;
    expect_class(MPI_Send_init(&x, 1, MPI_INT, size, 0, MPI_COMM_WORLD, &r), MPI_ERR_RANK, "Send_init to rank size");
    expect_class(MPI_Recv_init(&x, -1, MPI_INT, 0, 0, MPI_COMM_WORLD, &r), MPI_ERR_COUNT, "Recv_init count -1");
    expect_class(MPI_Ssend_init(&x, 1, MPI_INT, 0, -5, MPI_COMM_WORLD, &r), MPI_ERR_TAG, "Ssend_init tag -5");
    expect_class(MPI_Rsend_init(&x, 1, MPI_DATATYPE_NULL, 0, 0, MPI_COMM_WORLD, &r), MPI_ERR_TYPE,
                 "Rsend_init MPI_DATATYPE_NULL");
    expect_class(MPI_Bsend_init(&x, 1, MPI_INT, 0, 0, MPI_COMM_NULL, &r), MPI_ERR_COMM, "Bsend_init MPI_COMM_NULL");
    OK(MPI_Recv_init(&x, 1, MPI_INT, rank, 11, MPI_COMM_WORLD, &r));
    OK(MPI_Start(&r));
    expect_class(MPI_Start(&r), MPI_ERR_REQUEST, "Start of an active request");
    OK(MPI_Isend(&x, 1, MPI_INT, rank, 11, MPI_COMM_WORLD, &s));
    expect_class(MPI_Start(&s), MPI_ERR_REQUEST, "Start of a nonpersistent request");
    OK(MPI_Wait(&s, MPI_STATUS_IGNORE));
    OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
    MPI_Request null = MPI_REQUEST_NULL;
    expect_class(MPI_Start(&null), MPI_ERR_REQUEST, "Start of MPI_REQUEST_NULL");
    /* Bsend_init with no attached buffer fails at the start */
    OK(MPI_Bsend_init(&x, 1, MPI_INT, rank, 12, MPI_COMM_WORLD, &s));
    expect_class(MPI_Start(&s), MPI_ERR_BUFFER, "Start of a Bsend_init with no buffer attached");
    OK(MPI_Request_free(&s));
    OK(MPI_Request_free(&r));
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    test_ring(0);
    test_ring(1);
    test_inactive();
    test_cancel_and_free();
    test_errors();
    OK(MPI_Barrier(MPI_COMM_WORLD));
    if (rank == 0)
        printf("persistent ok (%d ranks)\n", size);
    MPI_Finalize();
    return 0;
}
