/* dtype.h — the datatype object behind a handle, its flattened typemap,
 * and what datatype.c, dtype_pack.c, op.c and the api_ files share.  The
 * rest of the library uses the dtype_* calls of mpi_impl.h only. */
#ifndef CREST_MPI_DTYPE_H
#define CREST_MPI_DTYPE_H

#include <stddef.h>
#include <stdint.h>

#include "mpi_impl.h"

/* How the reduction kernels see a predefined type: its C representation
 * (ctype) and the groups of MPI's table of which operation applies to
 * which type (groups, DTG_* bits). */
enum dtype_ctype {
    CT_NONE,
    CT_I8, CT_I16, CT_I32, CT_I64,
    CT_U8, CT_U16, CT_U32, CT_U64,
    CT_F32, CT_F64, CT_LDOUBLE, CT_F128,         /* float, double, long double, __float128 */
    CT_C32, CT_C64, CT_CLDOUBLE, CT_C128,        /* complex: (re, im) of the same four */
    CT_BOOL8,                                    /* C _Bool, C++ bool */
    CT_LOGICAL,                                  /* Fortran LOGICAL: 4 bytes, nonzero is true */
    CT_BYTE,
    /* value-index pairs, as packed records: the value, then the index */
    CT_FLOAT_INT, CT_DOUBLE_INT, CT_LONG_INT, CT_SHORT_INT, CT_LDOUBLE_INT, CT_2INT, CT_2FLOAT,
    CT_2DOUBLE,
    CT_COUNT
};
enum {
    DTG_CINT = 1,     /* C integer: MAX MIN SUM PROD LAND LOR LXOR BAND BOR BXOR */
    DTG_FINT = 2,     /* Fortran integer, MPI_AINT/OFFSET/COUNT: MAX MIN SUM PROD BAND BOR BXOR */
    DTG_FLOAT = 4,    /* floating point: MAX MIN SUM PROD */
    DTG_COMPLEX = 8,  /* complex: SUM PROD */
    DTG_LOGICAL = 16, /* C_BOOL, CXX_BOOL, LOGICAL: LAND LOR LXOR */
    DTG_BYTE = 32,    /* MPI_BYTE: BAND BOR BXOR */
    DTG_PAIR = 64,    /* value-index pairs: MINLOC MAXLOC */
};

/* A run of `count` blocks of `len` bytes, block k at disp + k*stride from
 * the element's origin (stride is meaningless when count is 1, and never
 * equals len: such runs are merged into one block).  start: bytes of the
 * element's packed stream before this segment. */
struct dtype_seg {
    MPI_Aint disp;
    MPI_Aint stride;
    size_t len;
    size_t count;
    size_t start;
};

struct mpi_dtype {
    /* References: the program's handle (one per MPI_Type_get_contents that
     * returned it too), each type built from this one, and each operation
     * that holds it (dtype_ref).  The slot is freed when it drops to 0.
     * Predefined types are never freed. */
    int refs;
    MPI_Datatype handle;
    int predefined;
    int committed;

    size_t size;            /* bytes of data in one element */
    MPI_Aint lb, ub;        /* extent = ub - lb */
    MPI_Aint true_lb, true_ub; /* where the data is (0, 0 when there is none) */
    int sticky_lb, sticky_ub;  /* the bounds were set explicitly (MPI_LB/MPI_UB,
                                * resized, subarray, darray): MPI-1's markers */
    unsigned align;         /* alignment of its most aligned basic type (struct padding) */
    MPI_Datatype basic;     /* the one basic type of all its data, or MPI_DATATYPE_NULL */
    MPI_Count nbasic;       /* basic elements in one element (a pair counts 2) */

    /* predefined types only */
    unsigned char ctype;    /* enum dtype_ctype */
    unsigned char groups;   /* DTG_* */
    unsigned char pair_value; /* pairs: size of the value before the index, else 0 */

    /* The flattened typemap of one element (built by dtype_flatten, kept
     * while the type lives). */
    struct dtype_seg *segs;
    size_t nsegs;
    int flat;               /* segs is built */
    int contiguous;         /* see dtype_is_contiguous */

    /* How it was made: the arguments MPI_Type_get_envelope/get_contents
     * return.  The types listed are referenced until this one is freed. */
    int combiner;
    int ni, na, nd;
    int *ints;
    MPI_Aint *addrs;
    MPI_Datatype *types;

    char name[MPI_MAX_OBJECT_NAME];
    void *attrs;            /* the attributes' list, managed by attr.c */
};

/* Derived types get handles MAKE_HANDLE(HT_DATATYPE, i) = 0x8c000000 | i.
 * The value-index pairs MPI_FLOAT_INT .. MPI_LONG_DOUBLE_INT have MPICH's
 * "direct" handles 0x8c000000..0x8c000004, which fall in the same range:
 * indexes below DTYPE_FIRST_INDEX are never given to derived types. */
#define DTYPE_FIRST_INDEX 16

/* datatype.c */
struct mpi_dtype *dtype_lookup(MPI_Datatype h);   /* dtype_get without const */
/* A new type from a constructor's arguments (those of get_contents; the
 * caller has checked them and that every type in types is valid).  Takes
 * references to the types.  MPI_SUCCESS, MPI_ERR_NO_MEM, or MPI_ERR_COUNT
 * (the type would be larger than an MPI_Aint can measure). */
int dtype_create(int combiner, const int *ints, const MPI_Aint *addrs, const MPI_Datatype *types,
                 MPI_Datatype *out);
/* The number of integers, addresses and types a combiner takes, given its
 * integers (the count is in them). */
void dtype_envelope(int combiner, const int *ints, int *ni, int *na, int *nd);
/* Builds the flattened typemap if needed: MPI_SUCCESS or MPI_ERR_NO_MEM. */
int dtype_flatten(struct mpi_dtype *t);
int dtype_commit(struct mpi_dtype *t);
/* References held by operations in progress (a type may be freed by the
 * program while a nonblocking operation still uses it). */
void dtype_ref(MPI_Datatype h);
void dtype_unref(MPI_Datatype h);
/* The attribute list of a type, for attr.c (NULL if h is not a type). */
void **dtype_attrs(MPI_Datatype h);

#endif
