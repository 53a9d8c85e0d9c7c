/* mpi_coll_misc.c — MPI test of what the collectives must get right
 * beyond their results:
 *   - argument errors return the right error class under MPI_ERRORS_RETURN,
 *     send nothing, and leave the communicator usable;
 *   - the application's own messages, sent before and received after
 *     collectives (with MPI_ANY_SOURCE/MPI_ANY_TAG), are never taken by a
 *     collective, and probes never see collective traffic;
 *   - long sequences of collectives with changing roots, alternating
 *     between MPI_COMM_WORLD and a duplicate of it, stay matched;
 *   - MPI_BOTTOM with absolute-address datatypes, MPI_COMM_SELF;
 *   - large messages (megabytes).
 * With the argument "fatal", calls MPI_Bcast with a bad root under the
 * default handler instead: the job must end with a message naming the call.
 *
 * usage: mpi_coll_misc [fatal] */
#include "mpi_coll_common.h"

/* Running on MPICH, to check the test itself: MPICH does not detect
 * several of the errors (MPI does not require it), so those are skipped. */
static int on_mpich;

static void expect_class(int rc, int want, const char *what)
{
    int cls = -1;
    checks++;
    if (rc == MPI_SUCCESS) {
        failed("%s succeeded; want error class %d", what, want);
        return;
    }
    MPI_Error_class(rc, &cls);
    if (cls != want)
        failed("%s: error class %d, want %d", what, cls, want);
}

static void errors(void)
{
    int r = world_rank, n = world_size, buf[8] = {0}, out[8] = {0};
    snprintf(where, sizeof where, "argument errors");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    expect_class(MPI_Bcast(buf, -1, MPI_INT, 0, MPI_COMM_WORLD), MPI_ERR_COUNT, "MPI_Bcast with count -1");
    expect_class(MPI_Bcast(buf, 1, MPI_INT, n, MPI_COMM_WORLD), MPI_ERR_ROOT, "MPI_Bcast with root = size");
    expect_class(MPI_Bcast(MPI_IN_PLACE, 1, MPI_INT, 0, MPI_COMM_WORLD), MPI_ERR_BUFFER, "MPI_Bcast of MPI_IN_PLACE");
    expect_class(MPI_Bcast(buf, 1, MPI_DATATYPE_NULL, 0, MPI_COMM_WORLD), MPI_ERR_TYPE,
                 "MPI_Bcast of MPI_DATATYPE_NULL");
    MPI_Datatype uncommitted;
    MPI_Type_contiguous(2, MPI_INT, &uncommitted);
    expect_class(MPI_Allgather(buf, 1, uncommitted, out, 1, uncommitted, MPI_COMM_WORLD), MPI_ERR_TYPE,
                 "MPI_Allgather of an uncommitted type");
    MPI_Type_free(&uncommitted);
    expect_class(MPI_Allreduce(buf, out, 1, MPI_INT, MPI_OP_NULL, MPI_COMM_WORLD), MPI_ERR_OP,
                 "MPI_Allreduce with MPI_OP_NULL");
    expect_class(MPI_Allreduce(buf, out, 4, MPI_BYTE, MPI_SUM, MPI_COMM_WORLD), MPI_ERR_OP,
                 "MPI_Allreduce of MPI_SUM on MPI_BYTE");
    expect_class(MPI_Allreduce(buf, out, 1, MPI_DOUBLE_INT, MPI_SUM, MPI_COMM_WORLD), MPI_ERR_OP,
                 "MPI_Allreduce of MPI_SUM on MPI_DOUBLE_INT");
    expect_class(MPI_Allreduce(buf, out, 1, MPI_INT, MPI_REPLACE, MPI_COMM_WORLD), MPI_ERR_OP,
                 "MPI_Allreduce with MPI_REPLACE");
    expect_class(MPI_Allreduce(buf, buf, 2, MPI_INT, MPI_SUM, MPI_COMM_WORLD), MPI_ERR_BUFFER,
                 "MPI_Allreduce with sendbuf == recvbuf");
    expect_class(MPI_Allreduce(buf, MPI_IN_PLACE, 2, MPI_INT, MPI_SUM, MPI_COMM_WORLD), MPI_ERR_BUFFER,
                 "MPI_Allreduce into MPI_IN_PLACE");
    expect_class(MPI_Reduce_scatter(buf, out, NULL, MPI_INT, MPI_SUM, MPI_COMM_WORLD), MPI_ERR_ARG,
                 "MPI_Reduce_scatter with recvcounts NULL");
    expect_class(MPI_Barrier(MPI_COMM_NULL), MPI_ERR_COMM, "MPI_Barrier on MPI_COMM_NULL");
    if (n > 1 && r != 0) { /* only where it is wrong: the root would go on */
        expect_class(MPI_Reduce(MPI_IN_PLACE, NULL, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD), MPI_ERR_BUFFER,
                     "MPI_Reduce with MPI_IN_PLACE at a non-root");
        expect_class(MPI_Gather(MPI_IN_PLACE, 1, MPI_INT, NULL, 1, MPI_INT, 0, MPI_COMM_WORLD), MPI_ERR_BUFFER,
                     "MPI_Gather with MPI_IN_PLACE at a non-root");
    }
    /* nothing was sent: a probe finds nothing, and collectives still work */
    int flag = 1;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
    if (flag)
        failed("a message is waiting after refused calls");
    int one = 1, sum = 0;
    EXPECT_OK(MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD));
    if (sum != n)
        failed("MPI_Allreduce after the errors gave %d, want %d", sum, n);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
}

/* The application's messages on the same communicator are not the
 * collectives' business. */
static void user_traffic(void)
{
    int r = world_rank, n = world_size;
    snprintf(where, sizeof where, "user messages around collectives");
    int msg[4] = {r, 17, r * 3, -r}, got[4] = {0};
    MPI_Request req;
    MPI_Isend(msg, 4, MPI_INT, (r + 1) % n, 5, MPI_COMM_WORLD, &req);
    double x = r, s = 0;
    int a[64], b[64];
    for (int i = 0; i < 64; i++)
        a[i] = r * 64 + i;
    EXPECT_OK(MPI_Bcast(&x, 1, MPI_DOUBLE, n - 1, MPI_COMM_WORLD));
    EXPECT_OK(MPI_Allreduce(&x, &s, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
    EXPECT_OK(MPI_Alltoall(a, 64 / n > 0 ? 64 / n : 1, MPI_INT, b, 64 / n > 0 ? 64 / n : 1, MPI_INT, MPI_COMM_WORLD));
    EXPECT_OK(MPI_Barrier(MPI_COMM_WORLD));
    MPI_Status st;
    int flag = 0;
    for (int i = 0; i < 1000 && !flag; i++)
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (!flag)
        MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
    if (st.MPI_SOURCE != (r - 1 + n) % n || st.MPI_TAG != 5)
        failed("a probe found source %d tag %d, want the application's message from %d tag 5", st.MPI_SOURCE,
               st.MPI_TAG, (r - 1 + n) % n);
    MPI_Recv(got, 4, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
    int from = (r - 1 + n) % n;
    if (got[0] != from || got[1] != 17 || got[2] != from * 3 || st.MPI_TAG != 5)
        failed("received %d %d %d tag %d, want the message of rank %d", got[0], got[1], got[2], st.MPI_TAG, from);
    MPI_Wait(&req, MPI_STATUS_IGNORE);
    if (s != (double)n * (n - 1)) /* every x is the root's, n - 1 */
        failed("the allreduce in between gave %g", s);
}

/* Many collectives in a row with changing roots on two communicators. */
static void sequences(void)
{
    int r = world_rank, n = world_size;
    MPI_Comm dup;
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    for (int it = 0; it < 300; it++) {
        MPI_Comm c = it % 2 ? dup : MPI_COMM_WORLD;
        int root = (it * 7) % n, len = 1 + (it * 37) % 700;
        snprintf(where, sizeof where, "sequence step %d (root %d, %d ints)", it, root, len);
        int *v = malloc(sizeof(int) * (size_t)len), *w = malloc(sizeof(int) * (size_t)len * (size_t)n);
        for (int i = 0; i < len; i++)
            v[i] = r == root ? it * 1000 + i : -1;
        switch (it % 5) {
        case 0:
            EXPECT_OK(MPI_Bcast(v, len, MPI_INT, root, c));
            for (int i = 0; i < len; i++)
                if (v[i] != it * 1000 + i) {
                    failed("bcast value %d is %d", i, v[i]);
                    break;
                }
            break;
        case 1:
            for (int i = 0; i < len; i++)
                v[i] = r + i;
            EXPECT_OK(MPI_Reduce(v, w, len, MPI_INT, MPI_SUM, root, c));
            if (r == root)
                for (int i = 0; i < len; i++)
                    if (w[i] != n * (n - 1) / 2 + n * i) {
                        failed("reduce value %d is %d", i, w[i]);
                        break;
                    }
            break;
        case 2:
            for (int i = 0; i < len; i++)
                v[i] = r * 100000 + i;
            EXPECT_OK(MPI_Gather(v, len, MPI_INT, w, len, MPI_INT, root, c));
            if (r == root)
                for (int k = 0; k < n * len; k++)
                    if (w[k] != (k / len) * 100000 + k % len) {
                        failed("gathered value %d is %d", k, w[k]);
                        break;
                    }
            break;
        case 3:
            EXPECT_OK(MPI_Barrier(c));
            break;
        default:
            for (int i = 0; i < len; i++)
                v[i] = r + it;
            EXPECT_OK(MPI_Allreduce(MPI_IN_PLACE, v, len, MPI_INT, MPI_MAX, c));
            if (v[len - 1] != n - 1 + it)
                failed("allreduce max is %d", v[len - 1]);
        }
        free(v);
        free(w);
    }
    MPI_Comm_free(&dup);
}

static void bottom_and_self(void)
{
    int r = world_rank, n = world_size;
    snprintf(where, sizeof where, "MPI_BOTTOM");
    int data[3] = {r, r, r};
    MPI_Aint addr;
    MPI_Get_address(&data[1], &addr);
    int bl = 2;
    MPI_Datatype in = MPI_INT, abs_t;
    MPI_Type_create_struct(1, &bl, &addr, &in, &abs_t);
    MPI_Type_commit(&abs_t);
    if (r == 0)
        data[1] = 41, data[2] = 42;
    EXPECT_OK(MPI_Bcast(MPI_BOTTOM, 1, abs_t, 0, MPI_COMM_WORLD));
    if (data[0] != r || data[1] != 41 || data[2] != 42)
        failed("bcast to MPI_BOTTOM: %d %d %d", data[0], data[1], data[2]);
    int *all = malloc(sizeof(int) * 2 * (size_t)n);
    data[1] = r * 10;
    data[2] = r * 10 + 1;
    EXPECT_OK(MPI_Allgather(MPI_BOTTOM, 1, abs_t, all, 2, MPI_INT, MPI_COMM_WORLD));
    for (int i = 0; i < n; i++)
        if (all[2 * i] != i * 10 || all[2 * i + 1] != i * 10 + 1)
            failed("allgather from MPI_BOTTOM: rank %d's block is %d %d", i, all[2 * i], all[2 * i + 1]);
    free(all);
    MPI_Type_free(&abs_t);

    snprintf(where, sizeof where, "MPI_COMM_SELF");
    double x[3] = {1, 2, 3}, y[3] = {0};
    int c[1] = {3};
    EXPECT_OK(MPI_Barrier(MPI_COMM_SELF));
    EXPECT_OK(MPI_Bcast(x, 3, MPI_DOUBLE, 0, MPI_COMM_SELF));
    EXPECT_OK(MPI_Allreduce(x, y, 3, MPI_DOUBLE, MPI_SUM, MPI_COMM_SELF));
    if (y[2] != 3)
        failed("allreduce on MPI_COMM_SELF gave %g", y[2]);
    EXPECT_OK(MPI_Reduce_scatter(x, y, c, MPI_DOUBLE, MPI_MAX, MPI_COMM_SELF));
    EXPECT_OK(MPI_Exscan(x, y, 3, MPI_DOUBLE, MPI_SUM, MPI_COMM_SELF));
    EXPECT_OK(MPI_Alltoall(x, 3, MPI_DOUBLE, y, 3, MPI_DOUBLE, MPI_COMM_SELF));
    if (y[0] != 1 || y[1] != 2)
        failed("alltoall on MPI_COMM_SELF gave %g %g", y[0], y[1]);
}

static void large(void)
{
    int r = world_rank, n = world_size;
    size_t nb = 4u << 20; /* 4 MiB bcast */
    snprintf(where, sizeof where, "MPI_Bcast of 4 MiB");
    unsigned char *b = malloc(nb);
    for (size_t i = 0; i < nb; i++)
        b[i] = r == n / 2 ? (unsigned char)(i * 7 + 3) : 0;
    EXPECT_OK(MPI_Bcast(b, (int)nb, MPI_BYTE, n / 2, MPI_COMM_WORLD));
    for (size_t i = 0; i < nb; i++)
        if (b[i] != (unsigned char)(i * 7 + 3)) {
            failed("byte %zu is %d", i, b[i]);
            break;
        }
    free(b);

    int count = 1 << 20; /* 8 MiB of doubles */
    snprintf(where, sizeof where, "MPI_Allreduce of %d doubles", count);
    double *x = malloc(sizeof(double) * (size_t)count), *y = malloc(sizeof(double) * (size_t)count);
    for (int i = 0; i < count; i++)
        x[i] = (double)(r + 1) * (i % 1000);
    EXPECT_OK(MPI_Allreduce(x, y, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
    for (int i = 0; i < count; i++)
        if (y[i] != (double)n * (n + 1) / 2 * (i % 1000)) {
            failed("element %d is %g", i, y[i]);
            break;
        }
    free(x);
    free(y);

    int block = 65536; /* ints to each rank: 256 KiB */
    snprintf(where, sizeof where, "MPI_Alltoall of %d ints a block", block);
    int *s = malloc(sizeof(int) * (size_t)block * (size_t)n), *t = malloc(sizeof(int) * (size_t)block * (size_t)n);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < block; i++)
            s[(size_t)j * block + i] = r * 1000003 + j * 7 + i;
    EXPECT_OK(MPI_Alltoall(s, block, MPI_INT, t, block, MPI_INT, MPI_COMM_WORLD));
    for (int j = 0; j < n; j++)
        for (int i = 0; i < block; i++)
            if (t[(size_t)j * block + i] != j * 1000003 + r * 7 + i) {
                failed("value %d from rank %d differs", i, j);
                j = n;
                break;
            }
    free(s);
    free(t);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len;
    MPI_Get_library_version(version, &len);
    on_mpich = strncmp(version, "MPICH", 5) == 0;
    if (argc > 1 && strcmp(argv[1], "fatal") == 0) {
        int x = 0;
        MPI_Bcast(&x, 1, MPI_INT, world_size + 2, MPI_COMM_WORLD);
        printf("rank %d: MPI_Bcast with a bad root returned under MPI_ERRORS_ARE_FATAL\n", world_rank);
        MPI_Finalize();
        return 3;
    }
    if (!on_mpich)
        errors();
    user_traffic();
    sequences();
    bottom_and_self();
    large();
    if (world_rank == 0)
        printf("mpi_coll_misc: %d calls checked on rank 0, %d ranks, %s\n", checks, world_size,
               failures ? "FAILURES" : "all correct");
    MPI_Finalize();
    return failures ? 1 : 0;
}
