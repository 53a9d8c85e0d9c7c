/* info.c — MPI_Info objects: ordered lists of (key, value) strings in a
 * table of this process, and MPI_INFO_ENV, which describes how the process
 * was started (filled again at every use: after a restart elsewhere,
 * "host" names the new host). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "mpi_impl.h"

struct info_entry {
    char *key, *value;
};

struct mpi_info {
    int in_use;
    int n, cap;
    struct info_entry *e; /* in the order keys were first set */
};

/* The table belongs to the library's active thread. */
static struct mpi_info *infos;
static int ninfos, capinfos;
static struct mpi_info env_info;

static void clear(struct mpi_info *in)
{
    for (int i = 0; i < in->n; i++) {
        free(in->e[i].key);
        free(in->e[i].value);
    }
    in->n = 0;
}

static int put(struct mpi_info *in, const char *key, const char *value)
{
    for (int i = 0; i < in->n; i++)
        if (!strcmp(in->e[i].key, key)) {
            char *v = strdup(value);
            if (!v)
                return MPI_ERR_NO_MEM;
            free(in->e[i].value);
            in->e[i].value = v;
            return MPI_SUCCESS;
        }
    if (in->n == in->cap) {
        int cap = in->cap ? in->cap * 2 : 8;
        struct info_entry *p = realloc(in->e, (size_t)cap * sizeof *p);
        if (!p)
            return MPI_ERR_NO_MEM;
        in->e = p;
        in->cap = cap;
    }
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return MPI_ERR_NO_MEM;
    }
    in->e[in->n++] = (struct info_entry){ k, v };
    return MPI_SUCCESS;
}

static const char *lookup(const struct mpi_info *in, const char *key)
{
    for (int i = 0; i < in->n; i++)
        if (!strcmp(in->e[i].key, key))
            return in->e[i].value;
    return NULL;
}

/* The standard's keys of MPI_INFO_ENV that this process knows. */
static void fill_env(void)
{
    clear(&env_info);
    char *args = NULL;
    size_t len = 0;
    FILE *f = fopen("/proc/self/cmdline", "re");
    if (f) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
            char *p = realloc(args, len + n + 1);
            if (!p)
                break;
            args = p;
            memcpy(args + len, buf, n);
            len += n;
        }
        fclose(f);
    }
    if (args && len) {
        args[len] = 0;
        put(&env_info, "command", args);
        /* the arguments after the command, separated by spaces */
        size_t first = strlen(args) + 1;
        for (size_t i = first; i + 1 < len; i++)
            if (!args[i])
                args[i] = ' ';
        if (first < len)
            put(&env_info, "argv", args + first);
    }
    free(args);
    char num[32];
    snprintf(num, sizeof num, "%d", mpi_state.world_size);
    put(&env_info, "maxprocs", num);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    put(&env_info, "host", host);
    struct utsname u;
    if (!uname(&u))
        put(&env_info, "arch", u.machine);
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd))
        put(&env_info, "wdir", cwd);
    static const char *const levels[] = { "MPI_THREAD_SINGLE", "MPI_THREAD_FUNNELED", "MPI_THREAD_SERIALIZED",
                                          "MPI_THREAD_MULTIPLE" };
    int t = mpi_state.thread_level;
    if (t >= MPI_THREAD_SINGLE && t <= MPI_THREAD_MULTIPLE)
        put(&env_info, "thread_level", levels[t - MPI_THREAD_SINGLE]);
}

/* The info behind h (MPI_INFO_ENV refreshed), or NULL. */
static struct mpi_info *info_get(MPI_Info h)
{
    if (h == MPI_INFO_ENV) {
        fill_env();
        return &env_info;
    }
    if (HANDLE_KIND(h) != HANDLE_DYNAMIC || HANDLE_TYPE(h) != HT_INFO)
        return NULL;
    unsigned i = HANDLE_INDEX(h);
    if (i >= (unsigned)ninfos || !infos[i].in_use)
        return NULL;
    return &infos[i];
}

static int new_info(MPI_Info *h)
{
    int index = -1;
    for (int i = 0; i < ninfos; i++)
        if (!infos[i].in_use) {
            index = i;
            break;
        }
    if (index < 0) {
        if (ninfos == capinfos) {
            int cap = capinfos ? capinfos * 2 : 16;
            struct mpi_info *p = realloc(infos, (size_t)cap * sizeof *p);
            if (!p)
                return MPI_ERR_NO_MEM;
            infos = p;
            capinfos = cap;
        }
        infos[ninfos] = (struct mpi_info){ 0 };
        index = ninfos++;
    }
    infos[index].in_use = 1;
    infos[index].n = 0;
    *h = MAKE_HANDLE(HT_INFO, index);
    return MPI_SUCCESS;
}

/* ------------------------------------------------------------- MPI functions */

#define GET_INFO(fn, h, in)                                                                                  \
    MPI_CHECK_INIT(fn);                                                                                      \
    struct mpi_info *in = info_get(h);                                                                       \
    if (!in)                                                                                                 \
    return mpi_error(MPI_COMM_NULL, MPI_ERR_INFO, fn, "0x%x is not an info object%s", (unsigned)(h),         \
                     (h) == MPI_INFO_NULL ? " (MPI_INFO_NULL)" : "")

static int check_key(const char *fn, const char *key)
{
    if (!key)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_INFO_KEY, fn, "the key is a null pointer");
    size_t n = strlen(key);
    if (n == 0 || n > MPI_MAX_INFO_KEY)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_INFO_KEY, fn, "the key is %zu characters long (1 to %d allowed)", n,
                         MPI_MAX_INFO_KEY);
    return MPI_SUCCESS;
}

int PMPI_Info_create(MPI_Info *info)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Info_create");
    if (!info)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, "MPI_Info_create", "info is a null pointer");
    if (new_info(info))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, "MPI_Info_create", "out of memory");
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Info_create);

int PMPI_Info_set(MPI_Info info, const char *key, const char *value)
{
    MPI_SECTION();
    const char *fn = "MPI_Info_set";
    GET_INFO(fn, info, in);
    if (in == &env_info)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_INFO, fn, "MPI_INFO_ENV cannot be changed");
    int rc = check_key(fn, key);
    if (rc)
        return rc;
    if (!value)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_INFO_VALUE, fn, "the value is a null pointer");
    size_t n = strlen(value);
    if (n == 0 || n > MPI_MAX_INFO_VAL)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_INFO_VALUE, fn, "the value is %zu characters long (1 to %d allowed)",
                         n, MPI_MAX_INFO_VAL);
    if (put(in, key, value))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory");
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Info_set);

int PMPI_Info_get(MPI_Info info, const char *key, int valuelen, char *value, int *flag)
{
    MPI_SECTION();
    const char *fn = "MPI_Info_get";
    GET_INFO(fn, info, in);
    int rc = check_key(fn, key);
    if (rc)
        return rc;
    if (valuelen < 0 || !flag || (valuelen > 0 && !value))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "valuelen is %d, value %p, flag %p", valuelen,
                         (void *)value, (void *)flag);
    const char *v = lookup(in, key);
    *flag = v != NULL;
    if (v) {
        /* at most valuelen characters, and the terminating null */
        size_t n = strlen(v);
        if (n > (size_t)valuelen)
            n = (size_t)valuelen;
        memcpy(value, v, n);
        value[n] = 0;
    }
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Info_get);

int PMPI_Info_get_valuelen(MPI_Info info, const char *key, int *valuelen, int *flag)
{
    MPI_SECTION();
    const char *fn = "MPI_Info_get_valuelen";
    GET_INFO(fn, info, in);
    int rc = check_key(fn, key);
    if (rc)
        return rc;
    if (!valuelen || !flag)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "%s is a null pointer", flag ? "valuelen" : "flag");
    const char *v = lookup(in, key);
    *flag = v != NULL;
    if (v)
        *valuelen = (int)strlen(v);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Info_get_valuelen);

int PMPI_Info_get_nkeys(MPI_Info info, int *nkeys)
{
    MPI_SECTION();
    GET_INFO("MPI_Info_get_nkeys", info, in);
    if (!nkeys)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, "MPI_Info_get_nkeys", "nkeys is a null pointer");
    *nkeys = in->n;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Info_get_nkeys);

int PMPI_Info_get_nthkey(MPI_Info info, int n, char *key)
{
    MPI_SECTION();
    const char *fn = "MPI_Info_get_nthkey";
    GET_INFO(fn, info, in);
    if (n < 0 || n >= in->n)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "n is %d; the info has %d keys", n, in->n);
    if (!key)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "key is a null pointer");
    strcpy(key, in->e[n].key);
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Info_get_nthkey);

int PMPI_Info_delete(MPI_Info info, const char *key)
{
    MPI_SECTION();
    const char *fn = "MPI_Info_delete";
    GET_INFO(fn, info, in);
    if (in == &env_info)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_INFO, fn, "MPI_INFO_ENV cannot be changed");
    int rc = check_key(fn, key);
    if (rc)
        return rc;
    for (int i = 0; i < in->n; i++)
        if (!strcmp(in->e[i].key, key)) {
            free(in->e[i].key);
            free(in->e[i].value);
            memmove(&in->e[i], &in->e[i + 1], (size_t)(in->n - i - 1) * sizeof *in->e);
            in->n--;
            return MPI_SUCCESS;
        }
    return mpi_error(MPI_COMM_NULL, MPI_ERR_INFO_NOKEY, fn, "the info has no key \"%s\"", key);
}
MPI_WEAK(MPI_Info_delete);

int PMPI_Info_dup(MPI_Info info, MPI_Info *newinfo)
{
    MPI_SECTION();
    const char *fn = "MPI_Info_dup";
    GET_INFO(fn, info, in);
    if (!newinfo)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "newinfo is a null pointer");
    MPI_Info h;
    if (new_info(&h))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory");
    /* infos may have moved: look both up again */
    in = info == MPI_INFO_ENV ? &env_info : info_get(info);
    struct mpi_info *out = info_get(h);
    for (int i = 0; i < in->n; i++)
        if (put(out, in->e[i].key, in->e[i].value)) {
            clear(out);
            out->in_use = 0;
            return mpi_error(MPI_COMM_NULL, MPI_ERR_NO_MEM, fn, "out of memory");
        }
    *newinfo = h;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Info_dup);

int PMPI_Info_free(MPI_Info *info)
{
    MPI_SECTION();
    const char *fn = "MPI_Info_free";
    MPI_CHECK_INIT(fn);
    if (!info)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_ARG, fn, "info is a null pointer");
    if (*info == MPI_INFO_ENV)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_INFO, fn, "MPI_INFO_ENV cannot be freed");
    GET_INFO(fn, *info, in);
    clear(in);
    in->in_use = 0;
    *info = MPI_INFO_NULL;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Info_free);
