/* mpi_attr.c — attribute caching and MPI_Info, at any number of ranks:
 * keyvals of communicators (MPI-2 and MPI-1 names), datatypes and windows;
 * copy callbacks at MPI_Comm_dup / MPI_Type_dup (null, dup, user, flag 0,
 * failing), delete callbacks at replacement, delete, free and
 * MPI_Finalize (MPI_COMM_SELF); keyvals freed while attributes remain; the
 * predefined attributes of MPI_COMM_WORLD; every MPI_Info call, the length
 * limits and MPI_INFO_ENV; error classes under MPI_ERRORS_RETURN.
 * Prints "attr ok (N ranks)" on rank 0 when everything held, and each
 * rank's own line "rank R: self attribute deleted" from the delete callback
 * MPI_Finalize runs.  "mpi_attr ckpt SECS": see ckpt_mode. */
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

/* What the callbacks saw. */
static int copies, deletes, last_deleted, extra_seen;

static int copy_plus_one(MPI_Comm comm, int keyval, void *extra, void *in, void *out, int *flag)
{
    (void)comm; (void)keyval;
    extra_seen = *(int *)extra;
    copies++;
    *(intptr_t *)out = (intptr_t)in + 1;
    *flag = 1;
    return MPI_SUCCESS;
}

static int copy_flag0(MPI_Comm comm, int keyval, void *extra, void *in, void *out, int *flag)
{
    (void)comm; (void)keyval; (void)extra; (void)in; (void)out;
    copies++;
    *flag = 0;
    return MPI_SUCCESS;
}

static int copy_fails(MPI_Comm comm, int keyval, void *extra, void *in, void *out, int *flag)
{
    (void)comm; (void)keyval; (void)extra; (void)in; (void)out; (void)flag;
    return MPI_ERR_OTHER;
}

static int delete_count(MPI_Comm comm, int keyval, void *value, void *extra)
{
    (void)comm; (void)keyval; (void)extra;
    deletes++;
    last_deleted = (int)(intptr_t)value;
    return MPI_SUCCESS;
}

static int delete_refuses(MPI_Comm comm, int keyval, void *value, void *extra)
{
    (void)comm; (void)keyval; (void)value; (void)extra;
    return MPI_ERR_OTHER;
}

static int type_copy(MPI_Datatype t, int keyval, void *extra, void *in, void *out, int *flag)
{
    (void)t; (void)keyval; (void)extra;
    copies++;
    *(intptr_t *)out = (intptr_t)in * 10;
    *flag = 1;
    return MPI_SUCCESS;
}

static int type_delete(MPI_Datatype t, int keyval, void *value, void *extra)
{
    (void)t; (void)keyval; (void)extra;
    deletes++;
    last_deleted = (int)(intptr_t)value;
    return MPI_SUCCESS;
}

static int self_delete(MPI_Comm comm, int keyval, void *value, void *extra)
{
    (void)keyval; (void)value; (void)extra;
    int fin = 1;
    MPI_Finalized(&fin);
    int r = -1;
    /* MPI still works here */
    if (!fin && MPI_Comm_rank(MPI_COMM_WORLD, &r) == MPI_SUCCESS && comm == MPI_COMM_SELF)
        printf("rank %d: self attribute deleted\n", r);
    fflush(stdout);
    return MPI_SUCCESS;
}

static void predefined(void)
{
    int *v, flag = 0;
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &v, &flag);
    CHECK(flag && *v >= 32767, "MPI_TAG_UB: flag %d value %d", flag, flag ? *v : 0);
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_HOST, &v, &flag);
    CHECK(flag && (*v == MPI_PROC_NULL || (*v >= 0 && *v < size)), "MPI_HOST");
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_IO, &v, &flag);
    CHECK(flag && (*v == MPI_ANY_SOURCE || *v == MPI_PROC_NULL || (*v >= 0 && *v < size)), "MPI_IO");
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_WTIME_IS_GLOBAL, &v, &flag);
    CHECK(flag && (*v == 0 || *v == 1), "MPI_WTIME_IS_GLOBAL");
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_UNIVERSE_SIZE, &v, &flag);
    CHECK(flag && *v >= size, "MPI_UNIVERSE_SIZE %d < %d", flag ? *v : -1, size);
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_APPNUM, &v, &flag);
    CHECK(flag && *v == 0, "MPI_APPNUM");
    MPI_Attr_get(MPI_COMM_WORLD, MPI_TAG_UB, &v, &flag);
    CHECK(flag && *v >= 32767, "MPI_Attr_get(MPI_TAG_UB)");
    /* predefined keyvals cannot be set, deleted or freed */
    int k = MPI_TAG_UB;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    CHECK(MPI_Comm_set_attr(MPI_COMM_WORLD, MPI_TAG_UB, &k) == MPI_ERR_KEYVAL, "set of MPI_TAG_UB");
    CHECK(MPI_Comm_delete_attr(MPI_COMM_WORLD, MPI_TAG_UB) == MPI_ERR_KEYVAL, "delete of MPI_TAG_UB");
    CHECK(MPI_Comm_free_keyval(&k) == MPI_ERR_KEYVAL, "free of MPI_TAG_UB");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
}

static void comm_attrs(void)
{
    int extra = 4242;
    int kdup, kplus, knull, kflag0, kold;
    CHECK(MPI_Comm_create_keyval(MPI_COMM_DUP_FN, delete_count, &kdup, NULL) == MPI_SUCCESS, "create_keyval");
    MPI_Comm_create_keyval(copy_plus_one, delete_count, &kplus, &extra);
    MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, MPI_COMM_NULL_DELETE_FN, &knull, NULL);
    MPI_Comm_create_keyval(copy_flag0, delete_count, &kflag0, NULL);
    CHECK(MPI_Keyval_create(MPI_DUP_FN, MPI_NULL_DELETE_FN, &kold, NULL) == MPI_SUCCESS, "Keyval_create");
    CHECK(kdup != kplus && kplus != knull && knull != kold, "keyvals are not distinct");

    MPI_Comm c;
    MPI_Comm_dup(MPI_COMM_WORLD, &c);
    void *v;
    int flag = 1;
    MPI_Comm_get_attr(c, kdup, &v, &flag);
    CHECK(flag == 0, "an attribute never set is found");
    MPI_Comm_set_attr(c, kdup, (void *)(intptr_t)100);
    MPI_Comm_set_attr(c, kplus, (void *)(intptr_t)200);
    MPI_Comm_set_attr(c, knull, (void *)(intptr_t)300);
    MPI_Comm_set_attr(c, kflag0, (void *)(intptr_t)400);
    CHECK(MPI_Attr_put(c, kold, (void *)(intptr_t)500) == MPI_SUCCESS, "Attr_put");
    MPI_Comm_get_attr(c, kplus, &v, &flag);
    CHECK(flag && (intptr_t)v == 200, "get after set: flag %d value %ld", flag, (long)(intptr_t)v);
    MPI_Attr_get(c, kold, &v, &flag);
    CHECK(flag && (intptr_t)v == 500, "Attr_get after Attr_put");

    /* replacement runs the delete callback on the old value */
    deletes = 0;
    MPI_Comm_set_attr(c, kdup, (void *)(intptr_t)101);
    CHECK(deletes == 1 && last_deleted == 100, "replacement: %d deletes, last %d", deletes, last_deleted);

    /* dup: DUP_FN copies, the user function transforms, NULL_COPY_FN and
     * flag 0 do not copy */
    copies = 0;
    MPI_Comm d;
    CHECK(MPI_Comm_dup(c, &d) == MPI_SUCCESS, "dup with attributes");
    CHECK(copies == 2 && extra_seen == 4242, "copy callbacks: %d calls, extra %d", copies, extra_seen);
    MPI_Comm_get_attr(d, kdup, &v, &flag);
    CHECK(flag && (intptr_t)v == 101, "MPI_COMM_DUP_FN did not copy");
    MPI_Comm_get_attr(d, kplus, &v, &flag);
    CHECK(flag && (intptr_t)v == 201, "user copy callback: flag %d value %ld", flag, (long)(intptr_t)v);
    MPI_Comm_get_attr(d, knull, &v, &flag);
    CHECK(!flag, "MPI_COMM_NULL_COPY_FN copied");
    MPI_Comm_get_attr(d, kflag0, &v, &flag);
    CHECK(!flag, "a copy callback returning flag 0 copied");
    MPI_Attr_get(d, kold, &v, &flag);
    CHECK(flag && (intptr_t)v == 500, "MPI_DUP_FN did not copy");
    /* the original keeps its own */
    MPI_Comm_get_attr(c, kplus, &v, &flag);
    CHECK(flag && (intptr_t)v == 200, "dup changed the original");

    /* delete: the callback runs, the attribute is gone; deleting again fails */
    deletes = 0;
    CHECK(MPI_Comm_delete_attr(d, kplus) == MPI_SUCCESS, "delete_attr");
    CHECK(deletes == 1 && last_deleted == 201, "delete callback at delete: %d, %d", deletes, last_deleted);
    MPI_Comm_get_attr(d, kplus, &v, &flag);
    CHECK(!flag, "deleted attribute still there");
    MPI_Comm_set_errhandler(d, MPI_ERRORS_RETURN);
    CHECK(MPI_Comm_delete_attr(d, kplus) == MPI_ERR_KEYVAL, "deleting a missing attribute");
    CHECK(MPI_Attr_delete(d, kold) == MPI_SUCCESS, "Attr_delete");

    /* free runs the delete callbacks of what is left (kdup on d: 1) */
    deletes = 0;
    MPI_Comm_free(&d);
    CHECK(deletes == 1 && last_deleted == 101, "delete callbacks at free: %d, last %d", deletes, last_deleted);

    /* a keyval freed while attributes remain: the handle is invalid for the
     * program, the attribute and its callbacks live on */
    int kept = kplus;
    CHECK(MPI_Comm_free_keyval(&kplus) == MPI_SUCCESS && kplus == MPI_KEYVAL_INVALID, "free_keyval");
    copies = 0;
    MPI_Comm e;
    MPI_Comm_dup(c, &e);
    CHECK(copies == 2, "copy callback of a freed keyval did not run (%d)", copies);
    deletes = 0;
    MPI_Comm_free(&e);
    CHECK(deletes == 2, "delete callbacks at free of e: %d (want 2)", deletes);
    MPI_Comm_set_errhandler(c, MPI_ERRORS_RETURN);
    CHECK(MPI_Comm_get_attr(c, kept, &v, &flag) == MPI_ERR_KEYVAL, "a freed keyval is still usable");
    deletes = 0;
    MPI_Comm_free(&c);
    CHECK(deletes == 3, "delete callbacks at free of c: %d (want 3)", deletes);
    /* the slot can be used again now */
    int knew;
    MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, MPI_COMM_NULL_DELETE_FN, &knew, NULL);
    MPI_Comm_free_keyval(&knew);

    /* a failing copy callback fails the dup; a refusing delete callback
     * fails the delete */
    int kfail, krefuse;
    MPI_Comm_create_keyval(copy_fails, MPI_COMM_NULL_DELETE_FN, &kfail, NULL);
    MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, delete_refuses, &krefuse, NULL);
    MPI_Comm f, g = MPI_COMM_NULL;
    MPI_Comm_dup(MPI_COMM_WORLD, &f);
    MPI_Comm_set_errhandler(f, MPI_ERRORS_RETURN);
    MPI_Comm_set_attr(f, kfail, NULL);
    CHECK(MPI_Comm_dup(f, &g) != MPI_SUCCESS, "dup with a failing copy callback succeeded");
    MPI_Comm_delete_attr(f, kfail);
    MPI_Comm_set_attr(f, krefuse, NULL);
    CHECK(MPI_Comm_delete_attr(f, krefuse) != MPI_SUCCESS, "a refusing delete callback did not fail the delete");
    MPI_Comm_free_keyval(&kfail);
    MPI_Comm_free_keyval(&krefuse);

    /* errors */
    int bad = 12345;
    CHECK(MPI_Comm_set_attr(f, bad, NULL) == MPI_ERR_KEYVAL, "set with a bogus keyval");
    int tk;
    MPI_Type_create_keyval(MPI_TYPE_NULL_COPY_FN, MPI_TYPE_NULL_DELETE_FN, &tk, NULL);
    CHECK(MPI_Comm_set_attr(f, tk, NULL) == MPI_ERR_KEYVAL, "a datatype keyval on a communicator");
    MPI_Type_free_keyval(&tk);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    CHECK(MPI_Comm_set_attr(MPI_COMM_NULL, kdup, NULL) == MPI_ERR_COMM, "set on MPI_COMM_NULL");
    CHECK(MPI_Comm_free_keyval(&bad) == MPI_ERR_KEYVAL, "free of a bogus keyval");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
    /* f still holds krefuse's attribute, whose delete callback refuses:
     * freeing f fails, as the standard lets it */
    MPI_Comm_free_keyval(&kdup);
    MPI_Comm_free_keyval(&knull);
    MPI_Comm_free_keyval(&kflag0);
    MPI_Keyval_free(&kold);
    CHECK(kold == MPI_KEYVAL_INVALID, "Keyval_free did not reset the handle");
}

static void type_attrs(void)
{
    int k;
    CHECK(MPI_Type_create_keyval(type_copy, type_delete, &k, NULL) == MPI_SUCCESS, "Type_create_keyval");
    MPI_Datatype t, u;
    MPI_Type_contiguous(3, MPI_INT, &t);
    MPI_Type_set_attr(t, k, (void *)(intptr_t)7);
    void *v;
    int flag;
    MPI_Type_get_attr(t, k, &v, &flag);
    CHECK(flag && (intptr_t)v == 7, "Type_get_attr");
    copies = 0;
    MPI_Type_dup(t, &u);
    MPI_Type_get_attr(u, k, &v, &flag);
    CHECK(copies == 1 && flag && (intptr_t)v == 70, "Type_dup's copy callback: %d, %ld", copies, (long)(intptr_t)v);
    deletes = 0;
    MPI_Type_delete_attr(u, k);
    CHECK(deletes == 1 && last_deleted == 70, "Type_delete_attr");
    MPI_Type_get_attr(u, k, &v, &flag);
    CHECK(!flag, "deleted type attribute still there");
    MPI_Type_free(&u);
    deletes = 0;
    MPI_Type_free(&t);
    CHECK(deletes == 1 && last_deleted == 7, "Type_free's delete callback: %d", deletes);
    /* on a predefined type */
    MPI_Type_set_attr(MPI_DOUBLE, k, (void *)(intptr_t)9);
    MPI_Type_get_attr(MPI_DOUBLE, k, &v, &flag);
    CHECK(flag && (intptr_t)v == 9, "attribute on MPI_DOUBLE");
    MPI_Type_delete_attr(MPI_DOUBLE, k);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int ck;
    MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, MPI_COMM_NULL_DELETE_FN, &ck, NULL);
    CHECK(MPI_Type_set_attr(MPI_INT, ck, NULL) == MPI_ERR_KEYVAL, "a communicator keyval on a datatype");
    CHECK(MPI_Type_set_attr(MPI_DATATYPE_NULL, k, NULL) == MPI_ERR_TYPE, "set on MPI_DATATYPE_NULL");
    MPI_Comm_free_keyval(&ck);
    MPI_Type_free_keyval(&k);
    CHECK(k == MPI_KEYVAL_INVALID, "Type_free_keyval");
    /* window keyvals: made and freed */
    int wk;
    CHECK(MPI_Win_create_keyval(MPI_WIN_NULL_COPY_FN, MPI_WIN_NULL_DELETE_FN, &wk, NULL) == MPI_SUCCESS,
          "Win_create_keyval");
    CHECK(MPI_Win_free_keyval(&wk) == MPI_SUCCESS && wk == MPI_KEYVAL_INVALID, "Win_free_keyval");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
}

static void info(void)
{
    MPI_Info in, dup;
    CHECK(MPI_Info_create(&in) == MPI_SUCCESS, "Info_create");
    int n = -1;
    MPI_Info_get_nkeys(in, &n);
    CHECK(n == 0, "a new info has %d keys", n);
    MPI_Info_set(in, "alpha", "1");
    MPI_Info_set(in, "beta", "two");
    MPI_Info_set(in, "gamma", "3");
    MPI_Info_set(in, "alpha", "one"); /* replaces, keeps its place */
    MPI_Info_get_nkeys(in, &n);
    CHECK(n == 3, "nkeys %d, want 3", n);
    char key[MPI_MAX_INFO_KEY + 1], val[MPI_MAX_INFO_VAL + 1];
    const char *order[] = { "alpha", "beta", "gamma" };
    for (int i = 0; i < 3; i++) {
        MPI_Info_get_nthkey(in, i, key);
        CHECK(!strcmp(key, order[i]), "key %d is %s, want %s", i, key, order[i]);
    }
    int flag = 0, len = 0;
    MPI_Info_get(in, "alpha", MPI_MAX_INFO_VAL, val, &flag);
    CHECK(flag && !strcmp(val, "one"), "get alpha: %d %s", flag, val);
    MPI_Info_get_valuelen(in, "beta", &len, &flag);
    CHECK(flag && len == 3, "valuelen of beta: %d %d", flag, len);
    MPI_Info_get(in, "beta", 2, val, &flag); /* truncated to 2 characters */
    CHECK(flag && !strcmp(val, "tw"), "truncated get: %s", val);
    MPI_Info_get(in, "delta", MPI_MAX_INFO_VAL, val, &flag);
    CHECK(!flag, "a missing key was found");
    MPI_Info_get_valuelen(in, "delta", &len, &flag);
    CHECK(!flag, "valuelen of a missing key");
    CHECK(MPI_Info_dup(in, &dup) == MPI_SUCCESS, "Info_dup");
    MPI_Info_delete(in, "beta");
    MPI_Info_get_nkeys(in, &n);
    CHECK(n == 2, "nkeys after delete: %d", n);
    MPI_Info_get_nthkey(in, 1, key);
    CHECK(!strcmp(key, "gamma"), "order after delete: %s", key);
    MPI_Info_get_nkeys(dup, &n);
    MPI_Info_get(dup, "beta", MPI_MAX_INFO_VAL, val, &flag);
    CHECK(n == 3 && flag && !strcmp(val, "two"), "the dup changed with the original");

    /* errors: every call reports through MPI_COMM_WORLD's handler */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    CHECK(MPI_Info_delete(in, "beta") == MPI_ERR_INFO_NOKEY, "delete of a missing key");
    char longkey[MPI_MAX_INFO_KEY + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = 0;
    CHECK(MPI_Info_set(in, longkey, "x") == MPI_ERR_INFO_KEY, "a key of %d characters", MPI_MAX_INFO_KEY + 1);
    CHECK(MPI_Info_set(in, "", "x") == MPI_ERR_INFO_KEY, "an empty key");
    longkey[MPI_MAX_INFO_KEY] = 0; /* exactly the limit: fine */
    CHECK(MPI_Info_set(in, longkey, "x") == MPI_SUCCESS, "a key of MPI_MAX_INFO_KEY characters");
    char *longval = malloc(MPI_MAX_INFO_VAL + 2);
    memset(longval, 'v', MPI_MAX_INFO_VAL + 1);
    longval[MPI_MAX_INFO_VAL + 1] = 0;
    CHECK(MPI_Info_set(in, "k", longval) == MPI_ERR_INFO_VALUE, "a value of %d characters", MPI_MAX_INFO_VAL + 1);
    longval[MPI_MAX_INFO_VAL] = 0;
    CHECK(MPI_Info_set(in, "k", longval) == MPI_SUCCESS, "a value of MPI_MAX_INFO_VAL characters");
    free(longval);
    CHECK(MPI_Info_get_nthkey(in, 99, key) == MPI_ERR_ARG, "nthkey out of range");
    CHECK(MPI_Info_set(MPI_INFO_NULL, "a", "b") == MPI_ERR_INFO, "set on MPI_INFO_NULL");
    CHECK(MPI_Info_free(&in) == MPI_SUCCESS && in == MPI_INFO_NULL, "Info_free");
    CHECK(MPI_Info_get_nkeys(in, &n) == MPI_ERR_INFO, "a freed info is still usable");
    MPI_Info_free(&dup);

    /* MPI_INFO_ENV */
    MPI_Info env = MPI_INFO_ENV;
    MPI_Info_get(env, "command", MPI_MAX_INFO_VAL, val, &flag);
    CHECK(flag && strstr(val, "mpi_attr"), "MPI_INFO_ENV command: %d %s", flag, flag ? val : "");
    MPI_Info_get(env, "maxprocs", MPI_MAX_INFO_VAL, val, &flag);
    CHECK(flag && atoi(val) == size, "MPI_INFO_ENV maxprocs: %s", flag ? val : "(none)");
    MPI_Info_get(env, "host", MPI_MAX_INFO_VAL, val, &flag);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    CHECK(flag && !strcmp(val, host), "MPI_INFO_ENV host: %s", flag ? val : "(none)");
    MPI_Info_get(env, "argv", MPI_MAX_INFO_VAL, val, &flag);
    CHECK(flag && !strcmp(val, "arg1 arg2"), "MPI_INFO_ENV argv: %s", flag ? val : "(none)");
    const char *more[] = { "arch", "wdir", "thread_level" };
    for (int i = 0; i < 3; i++) {
        MPI_Info_get(env, more[i], MPI_MAX_INFO_VAL, val, &flag);
        CHECK(flag && val[0], "MPI_INFO_ENV has no %s", more[i]);
    }
    CHECK(MPI_Info_free(&env) == MPI_ERR_INFO, "MPI_INFO_ENV freed");
    CHECK(MPI_Info_dup(MPI_INFO_ENV, &dup) == MPI_SUCCESS, "dup of MPI_INFO_ENV");
    MPI_Info_get_nkeys(dup, &n);
    CHECK(n >= 6, "the dup of MPI_INFO_ENV has %d keys", n);
    MPI_Info_free(&dup);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
}

/* With argument "ckpt": attributes, an info, a datatype attribute and a
 * communicator from MPI_Comm_split_type are made, then the ranks sleep in
 * small steps for about `secs` seconds (the test checkpoints the job
 * meanwhile, and may end and restart it), then everything is checked and
 * used again. */
static int ckpt_mode(double secs)
{
    int k, tk;
    MPI_Comm c, node;
    MPI_Info in;
    MPI_Datatype t;
    MPI_Comm_create_keyval(copy_plus_one, delete_count, &k, &size);
    MPI_Type_create_keyval(type_copy, type_delete, &tk, NULL);
    MPI_Comm_dup(MPI_COMM_WORLD, &c);
    MPI_Comm_set_attr(c, k, (void *)(intptr_t)(1000 + rank));
    MPI_Type_contiguous(2, MPI_INT, &t);
    MPI_Type_set_attr(t, tk, (void *)(intptr_t)5);
    MPI_Info_create(&in);
    MPI_Info_set(in, "checkpoint", "survives");
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0)
        printf("attributes set\n");
    fflush(stdout);
    for (int i = 0; i < (int)(secs * 20); i++)
        usleep(50000);
    MPI_Barrier(MPI_COMM_WORLD);
    void *v;
    int flag;
    char val[64];
    MPI_Comm_get_attr(c, k, &v, &flag);
    CHECK(flag && (intptr_t)v == 1000 + rank, "communicator attribute after the checkpoint");
    MPI_Comm d;
    copies = 0;
    MPI_Comm_dup(c, &d);
    MPI_Comm_get_attr(d, k, &v, &flag);
    CHECK(copies == 1 && extra_seen == size && flag && (intptr_t)v == 1001 + rank, "dup after the checkpoint");
    deletes = 0;
    MPI_Comm_free(&d);
    MPI_Comm_free(&c);
    CHECK(deletes == 2, "delete callbacks after the checkpoint: %d", deletes);
    MPI_Type_get_attr(t, tk, &v, &flag);
    CHECK(flag && (intptr_t)v == 5, "datatype attribute after the checkpoint");
    MPI_Info_get(in, "checkpoint", sizeof val - 1, val, &flag);
    CHECK(flag && !strcmp(val, "survives"), "info after the checkpoint");
    MPI_Info_get(MPI_INFO_ENV, "maxprocs", sizeof val - 1, val, &flag);
    CHECK(flag && atoi(val) == size, "MPI_INFO_ENV after the checkpoint");
    /* the same placement (one host): split_type again gives the same */
    MPI_Comm node2;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node2);
    int a, b, sum = 0;
    MPI_Comm_size(node, &a);
    MPI_Comm_size(node2, &b);
    CHECK(a == b, "split_type before %d, after %d", a, b);
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, node);
    MPI_Comm_free(&node);
    MPI_Comm_free(&node2);
    MPI_Type_free(&t);
    MPI_Info_free(&in);
    MPI_Comm_free_keyval(&k);
    MPI_Type_free_keyval(&tk);
    int all = 0;
    MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (all)
        MPI_Abort(MPI_COMM_WORLD, 1);
    if (rank == 0)
        printf("ckpt ok (%d ranks)\n", size);
    fflush(stdout);
    MPI_Finalize();
    return 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc > 2 && !strcmp(argv[1], "ckpt"))
        return ckpt_mode(atof(argv[2]));
    predefined();
    comm_attrs();
    type_attrs();
    info();
    /* MPI_Finalize deletes MPI_COMM_SELF's attributes first */
    int ks;
    MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, self_delete, &ks, NULL);
    MPI_Comm_set_attr(MPI_COMM_SELF, ks, NULL);
    int all = 0;
    MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (all) {
        if (rank == 0)
            fprintf(stderr, "%d check(s) failed\n", all);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (rank == 0)
        printf("attr ok (%d ranks)\n", size);
    fflush(stdout);
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return 0;
}
