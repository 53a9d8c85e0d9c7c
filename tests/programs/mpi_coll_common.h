/* mpi_coll_common.h — what the mpi_coll_* test programs share: failure
 * reporting, value generators, and datatypes whose layout the tests know,
 * so that results are checked value by value and the bytes a collective
 * must not write (gaps in datatypes, past the end) are checked too. */
#ifndef MPI_COLL_COMMON_H
#define MPI_COLL_COMMON_H

#include <mpi.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define MAYBE_UNUSED __attribute__((unused))
#else
#define MAYBE_UNUSED
#endif

static int failures, checks;
static int world_rank, world_size;
static char where[200]; /* the call being checked, for messages */

static void failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failed(const char *fmt, ...)
{
    if (failures < 12) {
        char msg[300];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        printf("FAIL rank %d: %s: %s\n", world_rank, where, msg);
        fflush(stdout);
    }
    failures++;
}

#define EXPECT_OK(call)                                                                                    \
    do {                                                                                                   \
        int rc_ = (call);                                                                                  \
        checks++;                                                                                          \
        if (rc_ != MPI_SUCCESS)                                                                            \
            failed("%s returned %d", #call, rc_);                                                          \
    } while (0)

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* The k-th value rank a has for rank b in test seed: ints in -1000..1000,
 * doubles multiples of 1/4 (sums of them are exact whatever the order). */
static MAYBE_UNUSED uint64_t key(unsigned seed, int a, int b, size_t k)
{
    return mix64(((uint64_t)seed << 44) ^ ((uint64_t)(unsigned)a << 34) ^ ((uint64_t)(unsigned)b << 24) ^ k);
}
static MAYBE_UNUSED int ival(unsigned seed, int a, int b, size_t k) { return (int)(key(seed, a, b, k) % 2001) - 1000; }
static MAYBE_UNUSED double dval(unsigned seed, int a, int b, size_t k)
{
    return ((double)(key(seed, a, b, k) % 4001) - 2000.0) * 0.25;
}

/* ------------------------------------------------------------------ datatypes
 * An element holds nb basic values (all ints or all doubles) at byte
 * offsets off[] from the element's start; elements are `extent` apart; the
 * first is at buf + shift. */
struct ttype {
    const char *name;
    MPI_Datatype dt;
    int nb, is_double;
    MPI_Aint extent, shift, off[2];
};

enum { T_INT, T_DBL, T_VEC, T_IGAP, T_SHIFT, T_COUNT };
static struct ttype tt[T_COUNT];

static MAYBE_UNUSED void make_types(void)
{
    tt[T_INT] = (struct ttype){"MPI_INT", MPI_INT, 1, 0, 4, 0, {0, 0}};
    tt[T_DBL] = (struct ttype){"MPI_DOUBLE", MPI_DOUBLE, 1, 1, 8, 0, {0, 0}};
    /* two doubles 16 bytes apart: not contiguous */
    MPI_Datatype v;
    MPI_Type_vector(2, 1, 2, MPI_DOUBLE, &v);
    MPI_Type_commit(&v);
    tt[T_VEC] = (struct ttype){"vector(2,1,2,DOUBLE)", v, 2, 1, 24, 0, {0, 16}};
    /* an int every 8 bytes */
    MPI_Datatype g;
    MPI_Type_create_resized(MPI_INT, 0, 8, &g);
    MPI_Type_commit(&g);
    tt[T_IGAP] = (struct ttype){"resized(INT,0,8)", g, 1, 0, 8, 0, {0, 0}};
    /* an int at displacement 4: lb 4, contiguous from buf + 4 */
    int bl = 1;
    MPI_Aint disp = 4;
    MPI_Datatype in = MPI_INT, s;
    MPI_Type_create_struct(1, &bl, &disp, &in, &s);
    MPI_Type_commit(&s);
    tt[T_SHIFT] = (struct ttype){"struct{INT at 4}", s, 1, 0, 4, 4, {0, 0}};
}

static MAYBE_UNUSED void free_types(void)
{
    for (int i = T_VEC; i < T_COUNT; i++)
        MPI_Type_free(&tt[i].dt);
}

#define SENTINEL 0x5a

/* A buffer for `elems` elements of t plus a guard, filled with SENTINEL. */
static MAYBE_UNUSED char *tbuf(const struct ttype *t, size_t elems, size_t *bytes)
{
    *bytes = (size_t)t->shift + elems * (size_t)t->extent + 64;
    char *p = malloc(*bytes);
    memset(p, SENTINEL, *bytes);
    return p;
}

/* Logical value k (basic value k % nb of element k / nb) of the array at buf. */
static MAYBE_UNUSED char *tval(const struct ttype *t, char *buf, size_t k)
{
    return buf + t->shift + (MPI_Aint)(k / (size_t)t->nb) * t->extent + t->off[k % (size_t)t->nb];
}

static MAYBE_UNUSED void tset(const struct ttype *t, char *buf, size_t k, unsigned seed, int a, int b, size_t vk)
{
    if (t->is_double) {
        double v = dval(seed, a, b, vk);
        memcpy(tval(t, buf, k), &v, 8);
    } else {
        int v = ival(seed, a, b, vk);
        memcpy(tval(t, buf, k), &v, 4);
    }
}

/* 1 when value k at buf is the generated value vk of (a, b). */
static MAYBE_UNUSED int tis(const struct ttype *t, char *buf, size_t k, unsigned seed, int a, int b, size_t vk)
{
    if (t->is_double) {
        double v = dval(seed, a, b, vk), got;
        memcpy(&got, tval(t, buf, k), 8);
        return memcmp(&v, &got, 8) == 0;
    }
    int v = ival(seed, a, b, vk), got;
    memcpy(&got, tval(t, buf, k), 4);
    return v == got;
}

/* A map of the bytes of buf that values [k0, k1) may occupy. */
static MAYBE_UNUSED void tmark(const struct ttype *t, char *mask, char *buf, size_t k0, size_t k1)
{
    size_t w = t->is_double ? 8 : 4;
    for (size_t k = k0; k < k1; k++)
        memset(mask + (tval(t, buf, k) - buf), 1, w);
}

/* Every byte outside mask must still be SENTINEL. */
static MAYBE_UNUSED void tguard(const char *buf, const char *mask, size_t bytes, const char *what)
{
    for (size_t i = 0; i < bytes; i++) {
        if (!mask[i] && (unsigned char)buf[i] != SENTINEL) {
            failed("%s: byte %zu written, outside the data", what, i);
            return;
        }
    }
}

#endif
