/* attr.c — attribute caching: keyvals (communicators, datatypes, windows),
 * the attributes set on communicators and datatypes, their copy callbacks
 * (MPI_Comm_dup, MPI_Type_dup) and delete callbacks (free, replacement,
 * delete), and the predefined attributes of the communicators.
 *
 * A keyval is a slot of the keyval table; its handle is
 * MAKE_HANDLE(HT_KEYVAL, index).  An object's attributes are a list in the
 * order they were first set (the order copy callbacks run in), hanging off
 * the object's `attrs` pointer.  Values are the application's pointers,
 * stored as they are.  A keyval freed by the program stays in the table
 * while attributes still use it (the standard: its callbacks still run). */
#include <limits.h>
#include <stdlib.h>

#include "dtype.h"

enum kv_kind { KV_COMM = 1, KV_TYPE, KV_WIN };

struct keyval {
    int refs;          /* the program's handle (until freed) + one per attribute; 0: slot free */
    int freed;         /* MPI_*_free_keyval was called: the handle is no longer the program's */
    enum kv_kind kind;
    void (*copy_fn)(void); /* one of the *_copy_attr_function types, by kind; NULL: do not copy */
    void (*delete_fn)(void);
    void *extra;
};

struct attr {
    int keyval;
    void *value;
    struct attr *next;
};

/* The table belongs to the library's active thread. */
static struct keyval *keyvals;
static int nkeyvals, capkeyvals;

static const char *const kind_name[] = { "", "communicator", "datatype", "window" };

static struct keyval *kv_get(int h)
{
    if (HANDLE_KIND(h) != HANDLE_DYNAMIC || HANDLE_TYPE(h) != HT_KEYVAL)
        return NULL;
    unsigned i = HANDLE_INDEX(h);
    if (i >= (unsigned)nkeyvals || keyvals[i].refs <= 0)
        return NULL;
    return &keyvals[i];
}

static void kv_unref(int h)
{
    struct keyval *k = kv_get(h);
    if (k)
        k->refs--;
}

static int is_predefined_comm_keyval(int k)
{
    return k == MPI_TAG_UB || k == MPI_HOST || k == MPI_IO || k == MPI_WTIME_IS_GLOBAL || k == MPI_UNIVERSE_SIZE ||
           k == MPI_LASTUSEDCODE || k == MPI_APPNUM;
}

/* A keyval the program may use on an object of `kind` (reported if not). */
static struct keyval *kv_check(int h, enum kv_kind kind, MPI_Comm errcomm, const char *fn, int *rc)
{
    struct keyval *k = kv_get(h);
    *rc = MPI_SUCCESS;
    if (!k || k->freed) {
        *rc = mpi_error(errcomm, MPI_ERR_KEYVAL, fn, "0x%x is not a keyval (or was freed)", (unsigned)h);
        return NULL;
    }
    if (k->kind != kind) {
        *rc = mpi_error(errcomm, MPI_ERR_KEYVAL, fn, "keyval 0x%x was made for a %s, not a %s", (unsigned)h,
                        kind_name[k->kind], kind_name[kind]);
        return NULL;
    }
    return k;
}

/* The callbacks' return value as the error the call returns: the
 * callback's own code when it is an error class, else MPI_ERR_OTHER. */
static int callback_error(int rc)
{
    return rc > 0 && rc <= MPI_ERR_LASTCODE ? rc : MPI_ERR_OTHER;
}

/* Runs the delete callback of an attribute of object obj (a communicator
 * or datatype handle; kind tells which). */
static int run_delete(enum kv_kind kind, int obj, const struct attr *a)
{
    struct keyval *k = kv_get(a->keyval);
    if (!k || !k->delete_fn)
        return MPI_SUCCESS;
    if (kind == KV_COMM)
        return ((MPI_Comm_delete_attr_function *)k->delete_fn)(obj, a->keyval, a->value, k->extra);
    return ((MPI_Type_delete_attr_function *)k->delete_fn)(obj, a->keyval, a->value, k->extra);
}

static struct attr **find(void **list, int keyval)
{
    struct attr **p = (struct attr **)list;
    while (*p && (*p)->keyval != keyval)
        p = &(*p)->next;
    return p;
}

/* Sets keyval to value on the object whose list is *list: the delete
 * callback of the value it replaces runs first. */
static int set(enum kv_kind kind, int obj, void **list, int keyval, void *value)
{
    struct attr **p = find(list, keyval);
    if (*p) {
        int rc = run_delete(kind, obj, *p);
        if (rc != MPI_SUCCESS)
            return callback_error(rc);
        (*p)->value = value;
        return MPI_SUCCESS;
    }
    struct attr *a = malloc(sizeof *a);
    if (!a)
        return MPI_ERR_NO_MEM;
    a->keyval = keyval;
    a->value = value;
    a->next = NULL;
    *p = a;
    kv_get(keyval)->refs++;
    return MPI_SUCCESS;
}

/* Removes one attribute, after its delete callback succeeded. */
static int delete_one(enum kv_kind kind, int obj, struct attr **p)
{
    struct attr *a = *p;
    int rc = run_delete(kind, obj, a);
    if (rc != MPI_SUCCESS)
        return callback_error(rc);
    *p = a->next;
    kv_unref(a->keyval);
    free(a);
    return MPI_SUCCESS;
}

/* Deletes every attribute of an object being freed, in order; stops at
 * the first callback that fails (the object then keeps the rest). */
static int delete_all(enum kv_kind kind, int obj, void **list)
{
    while (*list) {
        int rc = delete_one(kind, obj, (struct attr **)list);
        if (rc != MPI_SUCCESS)
            return rc;
    }
    return MPI_SUCCESS;
}

/* Copies the attributes of old (list from) to new (list to) through their
 * copy callbacks; on failure the copies made so far are deleted again. */
static int copy_all(enum kv_kind kind, int oldobj, void **from, int newobj, void **to)
{
    for (struct attr *a = *from; a; a = a->next) {
        struct keyval *k = kv_get(a->keyval);
        if (!k || !k->copy_fn)
            continue;
        void *out = NULL;
        int flag = 0, rc;
        if (kind == KV_COMM)
            rc = ((MPI_Comm_copy_attr_function *)k->copy_fn)(oldobj, a->keyval, k->extra, a->value, &out, &flag);
        else
            rc = ((MPI_Type_copy_attr_function *)k->copy_fn)(oldobj, a->keyval, k->extra, a->value, &out, &flag);
        if (rc == MPI_SUCCESS && flag)
            rc = set(kind, newobj, to, a->keyval, out);
        if (rc != MPI_SUCCESS) {
            delete_all(kind, newobj, to);
            return callback_error(rc);
        }
    }
    return MPI_SUCCESS;
}

/* ------------------------------------------------------------- the library's hooks */

int attr_comm_dup(MPI_Comm oldcomm, MPI_Comm newcomm)
{
    struct mpi_comm *a = comm_get(oldcomm), *b = comm_get(newcomm);
    if (!a || !b)
        return MPI_ERR_COMM;
    return copy_all(KV_COMM, oldcomm, &a->attrs, newcomm, &b->attrs);
}

int attr_comm_free(MPI_Comm comm)
{
    struct mpi_comm *c = comm_get(comm);
    return c ? delete_all(KV_COMM, comm, &c->attrs) : MPI_SUCCESS;
}

int attr_type_dup(MPI_Datatype oldtype, MPI_Datatype newtype)
{
    void **from = dtype_attrs(oldtype), **to = dtype_attrs(newtype);
    if (!from || !to)
        return MPI_ERR_TYPE;
    return copy_all(KV_TYPE, oldtype, from, newtype, to);
}

int attr_type_free(MPI_Datatype type)
{
    void **list = dtype_attrs(type);
    return list ? delete_all(KV_TYPE, type, list) : MPI_SUCCESS;
}

void attr_finalize(void)
{
    /* MPI_Finalize frees MPI_COMM_SELF first, as far as attributes go: a
     * library's cleanup hooked there runs while MPI still works. */
    attr_comm_free(MPI_COMM_SELF);
}

/* ------------------------------------------------------------- keyvals */

static int create_keyval(const char *fn, enum kv_kind kind, void (*copy_fn)(void), void (*delete_fn)(void),
                         int *keyval, void *extra)
{
    MPI_CHECK_INIT(fn);
    if (!keyval)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "keyval is a null pointer");
    int index = -1;
    for (int i = 0; i < nkeyvals; i++)
        if (keyvals[i].refs <= 0) {
            index = i;
            break;
        }
    if (index < 0) {
        if (nkeyvals == capkeyvals) {
            int cap = capkeyvals ? capkeyvals * 2 : 32;
            struct keyval *p = realloc(keyvals, (size_t)cap * sizeof *p);
            if (!p)
                return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory");
            keyvals = p;
            capkeyvals = cap;
        }
        index = nkeyvals++;
    }
    keyvals[index] = (struct keyval){ 1, 0, kind, copy_fn, delete_fn, extra };
    *keyval = MAKE_HANDLE(HT_KEYVAL, index);
    return MPI_SUCCESS;
}

static int free_keyval(const char *fn, enum kv_kind kind, int *keyval)
{
    MPI_CHECK_INIT(fn);
    if (!keyval)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "keyval is a null pointer");
    int rc;
    struct keyval *k = kv_check(*keyval, kind, MPI_COMM_NULL, fn, &rc);
    if (!k)
        return rc;
    k->freed = 1;
    k->refs--;
    *keyval = MPI_KEYVAL_INVALID;
    return MPI_SUCCESS;
}

int PMPI_Comm_create_keyval(MPI_Comm_copy_attr_function *copy_fn, MPI_Comm_delete_attr_function *delete_fn,
                            int *keyval, void *extra_state)
{
    MPI_SECTION();
    return create_keyval("MPI_Comm_create_keyval", KV_COMM, (void (*)(void))copy_fn, (void (*)(void))delete_fn,
                         keyval, extra_state);
}
MPI_WEAK(MPI_Comm_create_keyval);

int PMPI_Keyval_create(MPI_Copy_function *copy_fn, MPI_Delete_function *delete_fn, int *keyval, void *extra_state)
{
    MPI_SECTION();
    return create_keyval("MPI_Keyval_create", KV_COMM, (void (*)(void))copy_fn, (void (*)(void))delete_fn, keyval,
                         extra_state);
}
MPI_WEAK(MPI_Keyval_create);

int PMPI_Type_create_keyval(MPI_Type_copy_attr_function *copy_fn, MPI_Type_delete_attr_function *delete_fn,
                            int *keyval, void *extra_state)
{
    MPI_SECTION();
    return create_keyval("MPI_Type_create_keyval", KV_TYPE, (void (*)(void))copy_fn, (void (*)(void))delete_fn,
                         keyval, extra_state);
}
MPI_WEAK(MPI_Type_create_keyval);

/* Windows do not exist yet: their keyvals can be made and freed. */
int PMPI_Win_create_keyval(MPI_Win_copy_attr_function *copy_fn, MPI_Win_delete_attr_function *delete_fn,
                           int *keyval, void *extra_state)
{
    MPI_SECTION();
    return create_keyval("MPI_Win_create_keyval", KV_WIN, (void (*)(void))copy_fn, (void (*)(void))delete_fn,
                         keyval, extra_state);
}
MPI_WEAK(MPI_Win_create_keyval);

int PMPI_Comm_free_keyval(int *keyval)
{
    MPI_SECTION();
    return free_keyval("MPI_Comm_free_keyval", KV_COMM, keyval);
}
MPI_WEAK(MPI_Comm_free_keyval);

int PMPI_Keyval_free(int *keyval)
{
    MPI_SECTION();
    return free_keyval("MPI_Keyval_free", KV_COMM, keyval);
}
MPI_WEAK(MPI_Keyval_free);

int PMPI_Type_free_keyval(int *keyval)
{
    MPI_SECTION();
    return free_keyval("MPI_Type_free_keyval", KV_TYPE, keyval);
}
MPI_WEAK(MPI_Type_free_keyval);

int PMPI_Win_free_keyval(int *keyval)
{
    MPI_SECTION();
    return free_keyval("MPI_Win_free_keyval", KV_WIN, keyval);
}
MPI_WEAK(MPI_Win_free_keyval);

/* ------------------------------------------------------------- communicators */

#define GET_COMM(fn, h, c)                                                                                    \
    MPI_CHECK_INIT(fn);                                                                                       \
    struct mpi_comm *c = comm_get(h);                                                                         \
    if (!c)                                                                                                   \
    return mpi_error(MPI_COMM_NULL, MPI_ERR_COMM, fn, "0x%x is not a valid communicator", (unsigned)(h))

static int comm_set(const char *fn, MPI_Comm comm, int keyval, void *value)
{
    GET_COMM(fn, comm, c);
    if (is_predefined_comm_keyval(keyval))
        return mpi_error(comm, MPI_ERR_KEYVAL, fn, "keyval 0x%x is predefined: it cannot be set", (unsigned)keyval);
    int rc;
    if (!kv_check(keyval, KV_COMM, comm, fn, &rc))
        return rc;
    rc = set(KV_COMM, comm, &c->attrs, keyval, value);
    return rc ? mpi_error(comm, rc, fn, "the delete callback of the value replaced failed") : MPI_SUCCESS;
}

/* The predefined attributes: the same values on every communicator. */
static int *predefined_value(int keyval)
{
    static int tag_ub = INT_MAX, host = MPI_PROC_NULL, io = MPI_ANY_SOURCE, wtime_global = 0, universe, appnum = 0,
               lastused = MPI_ERR_LASTCODE;
    universe = mpi_state.world_size;
    switch (keyval) {
    case MPI_TAG_UB: return &tag_ub;
    case MPI_HOST: return &host;
    case MPI_IO: return &io;
    case MPI_WTIME_IS_GLOBAL: return &wtime_global;
    case MPI_UNIVERSE_SIZE: return &universe;
    case MPI_APPNUM: return &appnum;
    case MPI_LASTUSEDCODE: return &lastused;
    }
    return NULL;
}

static int comm_get_attr(const char *fn, MPI_Comm comm, int keyval, void *value, int *flag)
{
    GET_COMM(fn, comm, c);
    if (!value || !flag)
        return mpi_error(comm, MPI_ERR_ARG, fn, "%s is a null pointer", value ? "flag" : "the value's address");
    int *p = predefined_value(keyval);
    if (p) {
        *(int **)value = p;
        *flag = 1;
        return MPI_SUCCESS;
    }
    int rc;
    if (!kv_check(keyval, KV_COMM, comm, fn, &rc))
        return rc;
    struct attr *a = *find(&c->attrs, keyval);
    *flag = a != NULL;
    if (a)
        *(void **)value = a->value;
    return MPI_SUCCESS;
}

static int comm_delete(const char *fn, MPI_Comm comm, int keyval)
{
    GET_COMM(fn, comm, c);
    if (is_predefined_comm_keyval(keyval))
        return mpi_error(comm, MPI_ERR_KEYVAL, fn, "keyval 0x%x is predefined: it cannot be deleted",
                         (unsigned)keyval);
    int rc;
    if (!kv_check(keyval, KV_COMM, comm, fn, &rc))
        return rc;
    struct attr **p = find(&c->attrs, keyval);
    if (!*p)
        return mpi_error(comm, MPI_ERR_KEYVAL, fn, "the communicator has no attribute for keyval 0x%x",
                         (unsigned)keyval);
    rc = delete_one(KV_COMM, comm, p);
    return rc ? mpi_error(comm, rc, fn, "the attribute's delete callback failed") : MPI_SUCCESS;
}

int PMPI_Comm_set_attr(MPI_Comm comm, int keyval, void *value)
{
    MPI_SECTION();
    return comm_set("MPI_Comm_set_attr", comm, keyval, value);
}
MPI_WEAK(MPI_Comm_set_attr);

int PMPI_Attr_put(MPI_Comm comm, int keyval, void *value)
{
    MPI_SECTION();
    return comm_set("MPI_Attr_put", comm, keyval, value);
}
MPI_WEAK(MPI_Attr_put);

int PMPI_Comm_get_attr(MPI_Comm comm, int keyval, void *value, int *flag)
{
    MPI_SECTION();
    return comm_get_attr("MPI_Comm_get_attr", comm, keyval, value, flag);
}
MPI_WEAK(MPI_Comm_get_attr);

int PMPI_Attr_get(MPI_Comm comm, int keyval, void *value, int *flag)
{
    MPI_SECTION();
    return comm_get_attr("MPI_Attr_get", comm, keyval, value, flag);
}
MPI_WEAK(MPI_Attr_get);

int PMPI_Comm_delete_attr(MPI_Comm comm, int keyval)
{
    MPI_SECTION();
    return comm_delete("MPI_Comm_delete_attr", comm, keyval);
}
MPI_WEAK(MPI_Comm_delete_attr);

int PMPI_Attr_delete(MPI_Comm comm, int keyval)
{
    MPI_SECTION();
    return comm_delete("MPI_Attr_delete", comm, keyval);
}
MPI_WEAK(MPI_Attr_delete);

/* ------------------------------------------------------------- datatypes */

#define GET_TYPE_ATTRS(fn, type, list)                                                                        \
    MPI_CHECK_INIT(fn);                                                                                       \
    void **list = dtype_attrs(type);                                                                          \
    if (!list)                                                                                                \
    return mpi_error(MPI_COMM_NULL, MPI_ERR_TYPE, fn, "0x%x is not a datatype, or was freed", (unsigned)(type))

int PMPI_Type_set_attr(MPI_Datatype type, int keyval, void *value)
{
    MPI_SECTION();
    const char *fn = "MPI_Type_set_attr";
    GET_TYPE_ATTRS(fn, type, list);
    int rc;
    if (!kv_check(keyval, KV_TYPE, MPI_COMM_NULL, fn, &rc))
        return rc;
    rc = set(KV_TYPE, type, list, keyval, value);
    return rc ? mpi_error(MPI_COMM_NULL, rc, fn, "the delete callback of the value replaced failed") : MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_set_attr);

int PMPI_Type_get_attr(MPI_Datatype type, int keyval, void *value, int *flag)
{
    MPI_SECTION();
    const char *fn = "MPI_Type_get_attr";
    GET_TYPE_ATTRS(fn, type, list);
    if (!value || !flag)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "%s is a null pointer",
                         value ? "flag" : "the value's address");
    int rc;
    if (!kv_check(keyval, KV_TYPE, MPI_COMM_NULL, fn, &rc))
        return rc;
    struct attr *a = *find(list, keyval);
    *flag = a != NULL;
    if (a)
        *(void **)value = a->value;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_get_attr);

int PMPI_Type_delete_attr(MPI_Datatype type, int keyval)
{
    MPI_SECTION();
    const char *fn = "MPI_Type_delete_attr";
    GET_TYPE_ATTRS(fn, type, list);
    int rc;
    if (!kv_check(keyval, KV_TYPE, MPI_COMM_NULL, fn, &rc))
        return rc;
    struct attr **p = find(list, keyval);
    if (!*p)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_KEYVAL, fn, "the datatype has no attribute for keyval 0x%x",
                         (unsigned)keyval);
    rc = delete_one(KV_TYPE, type, p);
    return rc ? mpi_error(MPI_COMM_NULL, rc, fn, "the attribute's delete callback failed") : MPI_SUCCESS;
}
MPI_WEAK(MPI_Type_delete_attr);
