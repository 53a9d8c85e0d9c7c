/* mpi_misc.c — the smaller parts, at any number of ranks:
 * MPI_Comm_split_type (the ranks of one host, by processor name),
 * MPI_Comm_create_group (disjoint groups at the same time), the group
 * constructors (ranges, union, intersection, difference), external32
 * packing (byte for byte, sizes, round trips), MPI_Status_set_elements(_x)
 * and MPI_Status_set_cancelled read back by the queries, MPI_Get_count's
 * MPI_UNDEFINED, MPI_Pcontrol, MPI_Get_version against mpi.h, and the
 * error classes under MPI_ERRORS_RETURN.
 * Prints "misc ok (N ranks)" on rank 0 when everything held. */
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void split_type(void)
{
    char names[size][MPI_MAX_PROCESSOR_NAME], mine[MPI_MAX_PROCESSOR_NAME] = "";
    int len;
    MPI_Get_processor_name(mine, &len);
    MPI_Allgather(mine, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, names, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, MPI_COMM_WORLD);
    int same = 0, my_index = 0;
    for (int r = 0; r < size; r++)
        if (!strcmp(names[r], mine)) {
            same++;
            if (r > rank)
                my_index++; /* key -rank: the highest world rank comes first */
        }
    MPI_Comm node;
    CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, -rank, MPI_INFO_NULL, &node) == MPI_SUCCESS,
          "Comm_split_type");
    int nsize = -1, nrank = -1;
    MPI_Comm_size(node, &nsize);
    MPI_Comm_rank(node, &nrank);
    CHECK(nsize == same, "split_type: %d ranks, %d on this host", nsize, same);
    CHECK(nrank == my_index, "split_type: rank %d, want %d (ordered by key)", nrank, my_index);
    int sum = 0;
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, node); /* it works */
    MPI_Comm_free(&node);
    MPI_Comm none = MPI_COMM_WORLD;
    MPI_Comm_split_type(MPI_COMM_WORLD, rank % 2 ? MPI_UNDEFINED : MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &none);
    CHECK((rank % 2) == (none == MPI_COMM_NULL), "split_type with MPI_UNDEFINED");
    if (none != MPI_COMM_NULL)
        MPI_Comm_free(&none);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, 12345, 0, MPI_INFO_NULL, &none) == MPI_ERR_ARG, "a bad split_type");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
}

static void groups(void)
{
    MPI_Group world, evens, odds, u, x, d, rev;
    MPI_Comm_group(MPI_COMM_WORLD, &world);
    int last = size - 1;
    int r_even[1][3] = { { 0, last, 2 } }, r_rev[1][3] = { { last, 0, -1 } };
    MPI_Group_range_incl(world, 1, r_even, &evens);
    MPI_Group_range_excl(world, 1, r_even, &odds);
    MPI_Group_range_incl(world, 1, r_rev, &rev);
    int ne, no, n;
    MPI_Group_size(evens, &ne);
    MPI_Group_size(odds, &no);
    CHECK(ne == (size + 1) / 2 && no == size / 2, "range_incl/excl sizes %d %d", ne, no);
    int *in = malloc(sizeof(int) * (size_t)size), *out = malloc(sizeof(int) * (size_t)size);
    for (int i = 0; i < size; i++)
        in[i] = i;
    MPI_Group_translate_ranks(evens, ne, in, world, out);
    for (int i = 0; i < ne; i++)
        CHECK(out[i] == 2 * i, "evens[%d] is world %d", i, out[i]);
    MPI_Group_translate_ranks(rev, size, in, world, out);
    for (int i = 0; i < size; i++)
        CHECK(out[i] == last - i, "reversed[%d] is world %d", i, out[i]);
    /* union: odds first, then the evens (the members of group2 not in group1) */
    MPI_Group_union(odds, evens, &u);
    MPI_Group_size(u, &n);
    CHECK(n == size, "union size %d", n);
    MPI_Group_translate_ranks(u, n, in, world, out);
    for (int i = 0; i < n; i++) {
        int want = i < no ? 2 * i + 1 : 2 * (i - no);
        CHECK(out[i] == want, "union[%d] is world %d, want %d", i, out[i], want);
    }
    /* intersection keeps group1's order */
    MPI_Group_intersection(rev, evens, &x);
    MPI_Group_size(x, &n);
    CHECK(n == ne, "intersection size %d", n);
    MPI_Group_translate_ranks(x, n, in, world, out);
    for (int i = 0; i + 1 < n; i++)
        CHECK(out[i] > out[i + 1] && out[i] % 2 == 0, "intersection order at %d", i);
    MPI_Group_difference(world, evens, &d);
    int cmp;
    MPI_Group_compare(d, odds, &cmp);
    CHECK(cmp == MPI_IDENT, "difference is not the odds (%d)", cmp);
    MPI_Group_free(&d);
    MPI_Group_difference(evens, world, &d);
    CHECK(d == MPI_GROUP_EMPTY, "evens minus world is not MPI_GROUP_EMPTY");
    MPI_Group_free(&u);
    MPI_Group_free(&x);
    MPI_Group_free(&rev);
    /* errors */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int bad[1][3] = { { 0, size, 1 } }, twice[2][3] = { { 0, 0, 1 }, { 0, last, 1 } };
    CHECK(MPI_Group_range_incl(world, 1, bad, &u) == MPI_ERR_RANK, "a range beyond the group");
    CHECK(MPI_Group_range_excl(world, 2, twice, &u) == MPI_ERR_RANK, "a rank in two ranges");
    CHECK(MPI_Group_union(world, MPI_GROUP_NULL, &u) == MPI_ERR_GROUP, "union with MPI_GROUP_NULL");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);

    /* MPI_Comm_create_group: the evens and the odds at the same time, each
     * collective over its own members only */
    MPI_Group mine = rank % 2 ? odds : evens;
    MPI_Comm c;
    CHECK(MPI_Comm_create_group(MPI_COMM_WORLD, mine, 7 + rank % 2, &c) == MPI_SUCCESS, "Comm_create_group");
    int csize, crank, sum = 0, want = 0;
    MPI_Comm_size(c, &csize);
    MPI_Comm_rank(c, &crank);
    CHECK(csize == (rank % 2 ? no : ne) && crank == rank / 2, "create_group: rank %d of %d", crank, csize);
    for (int r = rank % 2; r < size; r += 2)
        want += r;
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, c);
    CHECK(sum == want, "allreduce on the new communicator: %d, want %d", sum, want);
    /* and again from the new one: a group of its first member alone */
    MPI_Group cg, first;
    MPI_Comm_group(c, &cg);
    int zero = 0;
    MPI_Group_incl(cg, 1, &zero, &first);
    MPI_Comm solo = MPI_COMM_WORLD;
    if (crank == 0) {
        MPI_Comm_create_group(c, first, 0, &solo);
        MPI_Comm_size(solo, &n);
        CHECK(n == 1, "a group of one: size %d", n);
        MPI_Comm_free(&solo);
    }
    MPI_Comm_set_errhandler(c, MPI_ERRORS_RETURN);
    CHECK(MPI_Comm_create_group(c, world, 0, &solo) == (csize == size ? MPI_SUCCESS : MPI_ERR_GROUP),
          "a group with processes outside the communicator");
    if (csize == size)
        MPI_Comm_free(&solo);
    CHECK(MPI_Comm_create_group(c, cg, -1, &solo) == MPI_ERR_TAG, "a negative tag");
    MPI_Group_free(&cg);
    MPI_Group_free(&first);
    MPI_Comm_free(&c);
    MPI_Group_free(&evens);
    MPI_Group_free(&odds);
    MPI_Group_free(&world);
    free(in);
    free(out);
}

static int bytes_are(const unsigned char *p, const char *hex)
{
    for (size_t i = 0; hex[2 * i]; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        if (p[i] != v)
            return 0;
    }
    return 1;
}

static void external32(void)
{
    unsigned char buf[256];
    MPI_Aint pos = 0, sz;
    int i = 0x01020304;
    long l = -2;
    short s = 0x0506;
    double dd = 1.0;
    long double ld = -2.0L;
    MPI_Pack_external("external32", &i, 1, MPI_INT, buf, sizeof buf, &pos);
    MPI_Pack_external("external32", &l, 1, MPI_LONG, buf, sizeof buf, &pos);
    MPI_Pack_external("external32", &s, 1, MPI_SHORT, buf, sizeof buf, &pos);
    MPI_Pack_external("external32", &dd, 1, MPI_DOUBLE, buf, sizeof buf, &pos);
    MPI_Pack_external("external32", &ld, 1, MPI_LONG_DOUBLE, buf, sizeof buf, &pos);
    CHECK(pos == 4 + 4 + 2 + 8 + 16, "packed %ld bytes", (long)pos);
    CHECK(bytes_are(buf, "01020304" "fffffffe" "0506" "3ff0000000000000" "c0000000000000000000000000000000"),
          "external32 bytes: %02x%02x%02x%02x %02x%02x%02x%02x ...", buf[0], buf[1], buf[2], buf[3], buf[4], buf[5],
          buf[6], buf[7]);
    MPI_Aint upos = 0;
    int i2;
    long l2;
    short s2;
    double d2;
    long double ld2;
    MPI_Unpack_external("external32", buf, pos, &upos, &i2, 1, MPI_INT);
    MPI_Unpack_external("external32", buf, pos, &upos, &l2, 1, MPI_LONG);
    MPI_Unpack_external("external32", buf, pos, &upos, &s2, 1, MPI_SHORT);
    MPI_Unpack_external("external32", buf, pos, &upos, &d2, 1, MPI_DOUBLE);
    MPI_Unpack_external("external32", buf, pos, &upos, &ld2, 1, MPI_LONG_DOUBLE);
    CHECK(upos == pos && i2 == i && l2 == l && s2 == s && d2 == dd && ld2 == ld, "external32 round trip");

    /* the standard's sizes */
    struct { MPI_Datatype t; MPI_Aint want; const char *name; } sizes[] = {
        { MPI_CHAR, 1, "MPI_CHAR" }, { MPI_LONG, 4, "MPI_LONG" }, { MPI_UNSIGNED_LONG, 4, "MPI_UNSIGNED_LONG" },
        { MPI_LONG_LONG, 8, "MPI_LONG_LONG" }, { MPI_WCHAR, 2, "MPI_WCHAR" }, { MPI_LONG_DOUBLE, 16, "MPI_LONG_DOUBLE" },
        { MPI_DOUBLE_INT, 12, "MPI_DOUBLE_INT" }, { MPI_LONG_INT, 8, "MPI_LONG_INT" }, { MPI_SHORT_INT, 6, "MPI_SHORT_INT" },
        { MPI_C_DOUBLE_COMPLEX, 16, "MPI_C_DOUBLE_COMPLEX" }, { MPI_AINT, 8, "MPI_AINT" }, { MPI_C_BOOL, 1, "MPI_C_BOOL" },
    };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        MPI_Pack_external_size("external32", 3, sizes[k].t, &sz);
        CHECK(sz == 3 * sizes[k].want, "external32 size of 3 %s: %ld", sizes[k].name, (long)sz);
    }

    /* a struct with padding, in a vector: no padding in external32 */
    struct rec { char c; int i; double d; } recs[4], back[4];
    int bl[3] = { 1, 1, 1 };
    MPI_Aint disp[3] = { offsetof(struct rec, c), offsetof(struct rec, i), offsetof(struct rec, d) };
    MPI_Datatype types[3] = { MPI_CHAR, MPI_INT, MPI_DOUBLE }, st, vec;
    MPI_Type_create_struct(3, bl, disp, types, &st);
    MPI_Type_vector(2, 1, 2, st, &vec); /* records 0 and 2 */
    MPI_Type_commit(&vec);
    MPI_Pack_external_size("external32", 1, vec, &sz);
    CHECK(sz == 26, "external32 size of the vector of structs: %ld", (long)sz);
    for (int k = 0; k < 4; k++)
        recs[k] = (struct rec){ (char)('a' + k), 1000 + k, k + 0.5 };
    memset(back, 0, sizeof back);
    pos = 0;
    MPI_Pack_external("external32", recs, 1, vec, buf, sizeof buf, &pos);
    CHECK(pos == 26 && buf[0] == 'a' && bytes_are(buf + 1, "000003e8" "3fe0000000000000") && buf[13] == 'c',
          "external32 of the vector of structs");
    upos = 0;
    MPI_Unpack_external("external32", buf, pos, &upos, back, 1, vec);
    CHECK(back[2].i == 1002 && back[2].d == 2.5 && back[0].c == 'a' && back[1].i == 0, "unpacked structs");
    MPI_Type_free(&vec);
    MPI_Type_free(&st);

    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    pos = 0;
    CHECK(MPI_Pack_external("native", &i, 1, MPI_INT, buf, sizeof buf, &pos) == MPI_ERR_UNSUPPORTED_DATAREP,
          "datarep \"native\"");
    CHECK(MPI_Pack_external("external32", &i, 1, MPI_INT, buf, 3, &pos) == MPI_ERR_TRUNCATE,
          "packing into too small a buffer");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
}

static void statuses(void)
{
    MPI_Status st;
    int n;
    MPI_Count nx;
    memset(&st, 0, sizeof st);
    MPI_Status_set_elements(&st, MPI_INT, 5);
    MPI_Get_count(&st, MPI_INT, &n);
    CHECK(n == 5, "Get_count after Status_set_elements: %d", n);
    MPI_Get_count(&st, MPI_DOUBLE, &n);
    CHECK(n == MPI_UNDEFINED, "20 bytes as doubles: %d, want MPI_UNDEFINED", n);
    /* a struct {int, double}: 3 elements are one struct and an int */
    int bl[2] = { 1, 1 };
    MPI_Aint disp[2] = { 0, 8 };
    MPI_Datatype types[2] = { MPI_INT, MPI_DOUBLE }, t;
    MPI_Type_create_struct(2, bl, disp, types, &t);
    MPI_Type_commit(&t);
    MPI_Status_set_elements(&st, t, 3);
    MPI_Get_elements(&st, t, &n);
    CHECK(n == 3, "Get_elements after Status_set_elements(3): %d", n);
    MPI_Get_count(&st, t, &n);
    CHECK(n == MPI_UNDEFINED, "a partial struct counts MPI_UNDEFINED: %d", n);
    MPI_Status_set_elements(&st, t, 4);
    MPI_Get_count(&st, t, &n);
    CHECK(n == 2, "two structs: %d", n);
    MPI_Type_free(&t);
    MPI_Status_set_elements(&st, MPI_DOUBLE_INT, 3); /* a pair counts 2 */
    MPI_Get_elements(&st, MPI_DOUBLE_INT, &n);
    CHECK(n == 3, "elements of pairs: %d", n);
    MPI_Count big = (MPI_Count)5 << 30;
    MPI_Status_set_elements_x(&st, MPI_BYTE, big);
    MPI_Get_elements_x(&st, MPI_BYTE, &nx);
    CHECK(nx == big, "Status_set_elements_x: %lld", (long long)nx);
    MPI_Get_count(&st, MPI_BYTE, &n);
    CHECK(n == MPI_UNDEFINED, "a count beyond an int: %d", n);
    int flag = -1;
    MPI_Status_set_cancelled(&st, 1);
    MPI_Test_cancelled(&st, &flag);
    CHECK(flag == 1, "Status_set_cancelled(1)");
    MPI_Get_elements_x(&st, MPI_BYTE, &nx);
    CHECK(nx == big, "the cancelled flag changed the count");
    MPI_Status_set_cancelled(&st, 0);
    MPI_Test_cancelled(&st, &flag);
    CHECK(flag == 0, "Status_set_cancelled(0)");

    /* a real message: 3 ints received as doubles */
    int three[3] = { 1, 2, 3 };
    double got[4];
    MPI_Sendrecv(three, 3, MPI_INT, 0, 5, got, 4, MPI_DOUBLE, 0, 5, MPI_COMM_SELF, &st);
    MPI_Get_count(&st, MPI_DOUBLE, &n);
    CHECK(n == MPI_UNDEFINED, "12 bytes received as doubles: %d", n);
    MPI_Get_elements(&st, MPI_DOUBLE, &n);
    CHECK(n == MPI_UNDEFINED, "Get_elements of 12 bytes as doubles: %d", n);
    MPI_Get_count(&st, MPI_INT, &n);
    CHECK(n == 3, "12 bytes as ints: %d", n);

    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    CHECK(MPI_Status_set_elements(&st, MPI_DATATYPE_NULL, 1) == MPI_ERR_TYPE, "set_elements of MPI_DATATYPE_NULL");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int v = 0, sv = -1;
    MPI_Get_version(&v, &sv);
    CHECK(v == MPI_VERSION && sv == MPI_SUBVERSION, "MPI_Get_version %d.%d, mpi.h says %d.%d", v, sv, MPI_VERSION,
          MPI_SUBVERSION);
    CHECK(MPI_Pcontrol(0) == MPI_SUCCESS && MPI_Pcontrol(2, "extra", 3) == MPI_SUCCESS, "MPI_Pcontrol");
    split_type();
    groups();
    external32();
    statuses();
    int all = 0;
    MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (all) {
        if (rank == 0)
            fprintf(stderr, "%d check(s) failed\n", all);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (rank == 0)
        printf("misc ok (%d ranks)\n", size);
    MPI_Finalize();
    return 0;
}
