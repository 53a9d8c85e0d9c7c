/* mpi_abi_dump — prints the binary-interface facts of the mpi.h it is
 * compiled against, one per line: "NAME VALUE...", where VALUE gives the C
 * type of the name and its value, size, offset or signature.
 *
 * tests/cases/31_mpi_abi.sh compiles it against MPICH's mpi.h and against
 * crest's include/mpi.h and requires the two outputs to be identical.  It
 * uses only what the compiler knows (values of constants, sizeof, offsetof,
 * _Generic), so it needs no MPI library to link or run.
 *
 * Built with -DMPI_ABI_SYMBOLS (compile only) it is an object file instead
 * that tells which library symbol, if any, each predefined callback and
 * each library variable makes a program refer to (MPI_DUP_FN: MPIR_Dup_fn);
 * the case compares those as well.
 *
 * Every MPI_ name the crest header defines must appear here (the case
 * checks it), except MPI_VERSION and MPI_SUBVERSION, which differ on
 * purpose (crest says 3.1, MPICH 4.0). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* tests/run.sh builds every test program without -I: then there is no
 * mpi.h to describe, and the program only says how to build it. */
#if defined(__has_include)
#if !__has_include(<mpi.h>)
#define NO_MPI_H 1
#endif
#endif

#ifdef NO_MPI_H
int main(void)
{
    fputs("mpi_abi_dump: compile with -I<directory of the mpi.h to describe>\n", stderr);
    return 2;
}
#else
#include <mpi.h>

/* The hidden words of MPI_Status have a name of each header's own. */
#ifdef CREST_MPI_H
#define STATUS_COUNT_LOW crest_count_low
#define STATUS_COUNT_HIGH crest_count_high_and_cancelled
#else
#define STATUS_COUNT_LOW count_lo
#define STATUS_COUNT_HIGH count_hi_and_cancelled
#endif

#ifndef MPI_ABI_SYMBOLS

/* The name of the C type of an expression; typedefs show as what they stand
 * for (MPI_Comm as int).  "other" for a type not listed here. */
#define TYPE_NAME(x)                                   \
    _Generic((x),                                      \
        char: "char",                                  \
        signed char: "signed char",                    \
        unsigned char: "unsigned char",                \
        short: "short",                                \
        unsigned short: "unsigned short",              \
        int: "int",                                    \
        unsigned: "unsigned",                          \
        long: "long",                                  \
        unsigned long: "unsigned long",                \
        long long: "long long",                        \
        unsigned long long: "unsigned long long",      \
        float: "float",                                \
        double: "double",                              \
        void *: "void *",                              \
        int *: "int *",                                \
        int **: "int **",                              \
        int *const *: "int *const *",                  \
        char **: "char **",                            \
        char ***: "char ***",                          \
        MPI_Status *: "MPI_Status *",                  \
        struct ADIOI_FileD *: "struct ADIOI_FileD *",  \
        struct ADIOI_FileD **: "struct ADIOI_FileD **", \
        default: "other")

/* An integer constant: its type and decimal value.  The enum requires it to
 * be an integer constant expression (usable in a case label). */
#define INT(x)                                                         \
    do {                                                               \
        enum { must_be_constant = (x) };                               \
        printf("%s %s %lld\n", #x, TYPE_NAME(x), (long long)(x));      \
    } while (0)

/* A handle (or a keyval): the same, in hexadecimal. */
#define HANDLE(x)                                                      \
    do {                                                               \
        enum { must_be_constant = (x) };                               \
        printf("%s %s 0x%08x\n", #x, TYPE_NAME(x), (unsigned)(x));     \
    } while (0)

/* A sentinel pointer: its type and the integer it is made of; it must be
 * an address constant (usable in a static initializer). */
#define PTR(x)                                                         \
    do {                                                               \
        static const void *const must_be_constant = (x);               \
        (void)must_be_constant;                                        \
        printf("%s %s %lld\n", #x, TYPE_NAME(x), (long long)(intptr_t)(x)); \
    } while (0)

/* An integer typedef: what it stands for, its size and alignment. */
#define INT_TYPE(T)                                                    \
    printf("%s typedef %s size=%zu align=%zu\n", #T, TYPE_NAME((T)0), sizeof(T), \
           _Alignof(T))

/* A function typedef: its signature must be `sig`, a pointer-to-function
 * type.  MPICH's header is the reference: the case fails if its dump says
 * DIFFERENT anywhere. */
#define FN_TYPE(T, sig)                                                \
    printf("%s function %s\n", #T, _Generic((T *)0, sig: #sig, default: "DIFFERENT"))

/* A null predefined callback: its pointer type must be `sig`, its value 0. */
#define NULL_FN(x, sig)                                                \
    printf("%s %s %lld\n", #x, _Generic((x), sig: #sig, default: "DIFFERENT"), \
           (long long)(intptr_t)(x))

/* A predefined callback that is a library function: its type must be
 * `sig`.  The expression is not evaluated here (no link to the library);
 * which symbol it names is compared with nm on the MPI_ABI_SYMBOLS build. */
#define LIB_FN(x, sig)                                                 \
    printf("%s %s library-function\n", #x, _Generic((x), sig: #sig, default: "DIFFERENT"))

/* A variable of the library: the type of its address and its size (a
 * program may hold a copy relocation of it, sized by this header). */
#define LIB_VAR(v) printf("%s extern &:%s size=%zu\n", #v, TYPE_NAME(&(v)), sizeof(v))

/* A member of MPI_Status. */
#define STATUS_FIELD(label, f)                                         \
    printf("MPI_Status.%s %s offset=%zu size=%zu\n", label, TYPE_NAME(((MPI_Status *)0)->f), \
           offsetof(MPI_Status, f), sizeof(((MPI_Status *)0)->f))

int main(void)
{
    /* ------------------------------------------------ types */
    INT_TYPE(MPI_Aint);
    INT_TYPE(MPI_Offset);
    INT_TYPE(MPI_Count);
    INT_TYPE(MPI_Fint);
    INT_TYPE(MPI_Comm);
    INT_TYPE(MPI_Group);
    INT_TYPE(MPI_Datatype);
    INT_TYPE(MPI_Request);
    INT_TYPE(MPI_Op);
    INT_TYPE(MPI_Errhandler);
    INT_TYPE(MPI_Info);
    INT_TYPE(MPI_Win);
    INT_TYPE(MPI_Message);
    INT_TYPE(MPI_File);

    printf("MPI_Status struct size=%zu align=%zu\n", sizeof(MPI_Status), _Alignof(MPI_Status));
    STATUS_FIELD("(count-low)", STATUS_COUNT_LOW);
    STATUS_FIELD("(count-high-and-cancelled)", STATUS_COUNT_HIGH);
    STATUS_FIELD("MPI_SOURCE", MPI_SOURCE);
    STATUS_FIELD("MPI_TAG", MPI_TAG);
    STATUS_FIELD("MPI_ERROR", MPI_ERROR);

    /* ------------------------------------------------ callback types */
    FN_TYPE(MPI_Comm_copy_attr_function, int (*)(MPI_Comm, int, void *, void *, void *, int *));
    FN_TYPE(MPI_Comm_delete_attr_function, int (*)(MPI_Comm, int, void *, void *));
    FN_TYPE(MPI_Type_copy_attr_function,
            int (*)(MPI_Datatype, int, void *, void *, void *, int *));
    FN_TYPE(MPI_Type_delete_attr_function, int (*)(MPI_Datatype, int, void *, void *));
    FN_TYPE(MPI_Win_copy_attr_function, int (*)(MPI_Win, int, void *, void *, void *, int *));
    FN_TYPE(MPI_Win_delete_attr_function, int (*)(MPI_Win, int, void *, void *));
    FN_TYPE(MPI_Copy_function, int (*)(MPI_Comm, int, void *, void *, void *, int *));
    FN_TYPE(MPI_Delete_function, int (*)(MPI_Comm, int, void *, void *));
    FN_TYPE(MPI_User_function, void (*)(void *, void *, int *, MPI_Datatype *));
    FN_TYPE(MPI_Comm_errhandler_function, void (*)(MPI_Comm *, int *, ...));
    FN_TYPE(MPI_Win_errhandler_function, void (*)(MPI_Win *, int *, ...));
    FN_TYPE(MPI_File_errhandler_function, void (*)(MPI_File *, int *, ...));
    FN_TYPE(MPI_Comm_errhandler_fn, void (*)(MPI_Comm *, int *, ...));
    FN_TYPE(MPI_Win_errhandler_fn, void (*)(MPI_Win *, int *, ...));
    FN_TYPE(MPI_File_errhandler_fn, void (*)(MPI_File *, int *, ...));
    FN_TYPE(MPI_Handler_function, void (*)(MPI_Comm *, int *, ...));
    FN_TYPE(MPI_Grequest_query_function, int (*)(void *, MPI_Status *));
    FN_TYPE(MPI_Grequest_free_function, int (*)(void *));
    FN_TYPE(MPI_Grequest_cancel_function, int (*)(void *, int));
    FN_TYPE(MPI_Datarep_conversion_function,
            int (*)(void *, MPI_Datatype, int, void *, MPI_Offset, void *));
    FN_TYPE(MPI_Datarep_extent_function, int (*)(MPI_Datatype, MPI_Aint *, void *));

    /* ------------------------------------------------ predefined callbacks */
    NULL_FN(MPI_NULL_COPY_FN, int (*)(MPI_Comm, int, void *, void *, void *, int *));
    NULL_FN(MPI_NULL_DELETE_FN, int (*)(MPI_Comm, int, void *, void *));
    NULL_FN(MPI_COMM_NULL_COPY_FN, int (*)(MPI_Comm, int, void *, void *, void *, int *));
    NULL_FN(MPI_COMM_NULL_DELETE_FN, int (*)(MPI_Comm, int, void *, void *));
    NULL_FN(MPI_TYPE_NULL_COPY_FN, int (*)(MPI_Datatype, int, void *, void *, void *, int *));
    NULL_FN(MPI_TYPE_NULL_DELETE_FN, int (*)(MPI_Datatype, int, void *, void *));
    NULL_FN(MPI_WIN_NULL_COPY_FN, int (*)(MPI_Win, int, void *, void *, void *, int *));
    NULL_FN(MPI_WIN_NULL_DELETE_FN, int (*)(MPI_Win, int, void *, void *));
    NULL_FN(MPI_CONVERSION_FN_NULL,
            int (*)(void *, MPI_Datatype, int, void *, MPI_Offset, void *));
    LIB_FN(MPI_DUP_FN, int (*)(MPI_Comm, int, void *, void *, void *, int *));
    LIB_FN(MPI_COMM_DUP_FN, int (*)(MPI_Comm, int, void *, void *, void *, int *));
    LIB_FN(MPI_TYPE_DUP_FN, int (*)(MPI_Datatype, int, void *, void *, void *, int *));
    LIB_FN(MPI_WIN_DUP_FN, int (*)(MPI_Win, int, void *, void *, void *, int *));

    /* ------------------------------------------------ variables of the library */
    LIB_VAR(MPI_UNWEIGHTED);
    LIB_VAR(MPI_WEIGHTS_EMPTY);
    LIB_VAR(MPI_F_STATUS_IGNORE);
    LIB_VAR(MPI_F_STATUSES_IGNORE);

    /* ------------------------------------------------ sentinel pointers */
    PTR(MPI_BOTTOM);
    PTR(MPI_IN_PLACE);
    PTR(MPI_STATUS_IGNORE);
    PTR(MPI_STATUSES_IGNORE);
    PTR(MPI_ERRCODES_IGNORE);
    PTR(MPI_ARGV_NULL);
    PTR(MPI_ARGVS_NULL);
    PTR(MPI_FILE_NULL);

    /* ------------------------------------------------ null handles */
    HANDLE(MPI_COMM_NULL);
    HANDLE(MPI_GROUP_NULL);
    HANDLE(MPI_DATATYPE_NULL);
    HANDLE(MPI_ERRHANDLER_NULL);
    HANDLE(MPI_OP_NULL);
    HANDLE(MPI_INFO_NULL);
    HANDLE(MPI_WIN_NULL);
    HANDLE(MPI_REQUEST_NULL);
    HANDLE(MPI_MESSAGE_NULL);
    HANDLE(MPI_MESSAGE_NO_PROC);

    /* ------------------------------------------------ datatypes */
    HANDLE(MPI_CHAR);
    HANDLE(MPI_SIGNED_CHAR);
    HANDLE(MPI_UNSIGNED_CHAR);
    HANDLE(MPI_BYTE);
    HANDLE(MPI_WCHAR);
    HANDLE(MPI_SHORT);
    HANDLE(MPI_UNSIGNED_SHORT);
    HANDLE(MPI_INT);
    HANDLE(MPI_UNSIGNED);
    HANDLE(MPI_LONG);
    HANDLE(MPI_UNSIGNED_LONG);
    HANDLE(MPI_LONG_LONG_INT);
    HANDLE(MPI_LONG_LONG);
    HANDLE(MPI_UNSIGNED_LONG_LONG);
    HANDLE(MPI_FLOAT);
    HANDLE(MPI_DOUBLE);
    HANDLE(MPI_LONG_DOUBLE);
    HANDLE(MPI_PACKED);
    HANDLE(MPI_INT8_T);
    HANDLE(MPI_INT16_T);
    HANDLE(MPI_INT32_T);
    HANDLE(MPI_INT64_T);
    HANDLE(MPI_UINT8_T);
    HANDLE(MPI_UINT16_T);
    HANDLE(MPI_UINT32_T);
    HANDLE(MPI_UINT64_T);
    HANDLE(MPI_C_BOOL);
    HANDLE(MPI_C_FLOAT_COMPLEX);
    HANDLE(MPI_C_COMPLEX);
    HANDLE(MPI_C_DOUBLE_COMPLEX);
    HANDLE(MPI_C_LONG_DOUBLE_COMPLEX);
    HANDLE(MPI_AINT);
    HANDLE(MPI_OFFSET);
    HANDLE(MPI_COUNT);
    HANDLE(MPI_CXX_BOOL);
    HANDLE(MPI_CXX_FLOAT_COMPLEX);
    HANDLE(MPI_CXX_DOUBLE_COMPLEX);
    HANDLE(MPI_CXX_LONG_DOUBLE_COMPLEX);
    HANDLE(MPI_FLOAT_INT);
    HANDLE(MPI_DOUBLE_INT);
    HANDLE(MPI_LONG_INT);
    HANDLE(MPI_SHORT_INT);
    HANDLE(MPI_LONG_DOUBLE_INT);
    HANDLE(MPI_2INT);
    HANDLE(MPI_CHARACTER);
    HANDLE(MPI_LOGICAL);
    HANDLE(MPI_INTEGER);
    HANDLE(MPI_REAL);
    HANDLE(MPI_DOUBLE_PRECISION);
    HANDLE(MPI_COMPLEX);
    HANDLE(MPI_DOUBLE_COMPLEX);
    HANDLE(MPI_2INTEGER);
    HANDLE(MPI_2REAL);
    HANDLE(MPI_2DOUBLE_PRECISION);
    HANDLE(MPI_INTEGER1);
    HANDLE(MPI_INTEGER2);
    HANDLE(MPI_INTEGER4);
    HANDLE(MPI_INTEGER8);
    HANDLE(MPI_INTEGER16);
    HANDLE(MPI_REAL4);
    HANDLE(MPI_REAL8);
    HANDLE(MPI_REAL16);
    HANDLE(MPI_COMPLEX8);
    HANDLE(MPI_COMPLEX16);
    HANDLE(MPI_COMPLEX32);
    HANDLE(MPI_LB);
    HANDLE(MPI_UB);

    INT(MPI_TYPECLASS_REAL);
    INT(MPI_TYPECLASS_INTEGER);
    INT(MPI_TYPECLASS_COMPLEX);

    INT(MPI_COMBINER_NAMED);
    INT(MPI_COMBINER_DUP);
    INT(MPI_COMBINER_CONTIGUOUS);
    INT(MPI_COMBINER_VECTOR);
    INT(MPI_COMBINER_HVECTOR_INTEGER);
    INT(MPI_COMBINER_HVECTOR);
    INT(MPI_COMBINER_INDEXED);
    INT(MPI_COMBINER_HINDEXED_INTEGER);
    INT(MPI_COMBINER_HINDEXED);
    INT(MPI_COMBINER_INDEXED_BLOCK);
    INT(MPI_COMBINER_STRUCT_INTEGER);
    INT(MPI_COMBINER_STRUCT);
    INT(MPI_COMBINER_SUBARRAY);
    INT(MPI_COMBINER_DARRAY);
    INT(MPI_COMBINER_F90_REAL);
    INT(MPI_COMBINER_F90_COMPLEX);
    INT(MPI_COMBINER_F90_INTEGER);
    INT(MPI_COMBINER_RESIZED);
    INT(MPI_COMBINER_HINDEXED_BLOCK);

    INT(MPI_ORDER_C);
    INT(MPI_ORDER_FORTRAN);
    INT(MPI_DISTRIBUTE_BLOCK);
    INT(MPI_DISTRIBUTE_CYCLIC);
    INT(MPI_DISTRIBUTE_NONE);
    INT(MPI_DISTRIBUTE_DFLT_DARG);

    /* ------------------------------------------------ communicators and groups */
    HANDLE(MPI_COMM_WORLD);
    HANDLE(MPI_COMM_SELF);
    HANDLE(MPI_GROUP_EMPTY);
    INT(MPI_IDENT);
    INT(MPI_CONGRUENT);
    INT(MPI_SIMILAR);
    INT(MPI_UNEQUAL);
    INT(MPI_COMM_TYPE_SHARED);
    INT(MPI_GRAPH);
    INT(MPI_CART);
    INT(MPI_DIST_GRAPH);

    /* ------------------------------------------------ ranks, tags, counts */
    INT(MPI_PROC_NULL);
    INT(MPI_ANY_SOURCE);
    INT(MPI_ROOT);
    INT(MPI_ANY_TAG);
    INT(MPI_UNDEFINED);
    INT(MPI_BSEND_OVERHEAD);

    /* ------------------------------------------------ operations */
    HANDLE(MPI_MAX);
    HANDLE(MPI_MIN);
    HANDLE(MPI_SUM);
    HANDLE(MPI_PROD);
    HANDLE(MPI_LAND);
    HANDLE(MPI_BAND);
    HANDLE(MPI_LOR);
    HANDLE(MPI_BOR);
    HANDLE(MPI_LXOR);
    HANDLE(MPI_BXOR);
    HANDLE(MPI_MINLOC);
    HANDLE(MPI_MAXLOC);
    HANDLE(MPI_REPLACE);
    HANDLE(MPI_NO_OP);

    /* ------------------------------------------------ errors */
    HANDLE(MPI_ERRORS_ARE_FATAL);
    HANDLE(MPI_ERRORS_RETURN);
    INT(MPI_SUCCESS);
    INT(MPI_ERR_BUFFER);
    INT(MPI_ERR_COUNT);
    INT(MPI_ERR_TYPE);
    INT(MPI_ERR_TAG);
    INT(MPI_ERR_COMM);
    INT(MPI_ERR_RANK);
    INT(MPI_ERR_ROOT);
    INT(MPI_ERR_GROUP);
    INT(MPI_ERR_OP);
    INT(MPI_ERR_TOPOLOGY);
    INT(MPI_ERR_DIMS);
    INT(MPI_ERR_ARG);
    INT(MPI_ERR_UNKNOWN);
    INT(MPI_ERR_TRUNCATE);
    INT(MPI_ERR_OTHER);
    INT(MPI_ERR_INTERN);
    INT(MPI_ERR_IN_STATUS);
    INT(MPI_ERR_PENDING);
    INT(MPI_ERR_REQUEST);
    INT(MPI_ERR_ACCESS);
    INT(MPI_ERR_AMODE);
    INT(MPI_ERR_BAD_FILE);
    INT(MPI_ERR_CONVERSION);
    INT(MPI_ERR_DUP_DATAREP);
    INT(MPI_ERR_FILE_EXISTS);
    INT(MPI_ERR_FILE_IN_USE);
    INT(MPI_ERR_FILE);
    INT(MPI_ERR_INFO);
    INT(MPI_ERR_INFO_KEY);
    INT(MPI_ERR_INFO_VALUE);
    INT(MPI_ERR_INFO_NOKEY);
    INT(MPI_ERR_IO);
    INT(MPI_ERR_NAME);
    INT(MPI_ERR_NO_MEM);
    INT(MPI_ERR_NOT_SAME);
    INT(MPI_ERR_NO_SPACE);
    INT(MPI_ERR_NO_SUCH_FILE);
    INT(MPI_ERR_PORT);
    INT(MPI_ERR_QUOTA);
    INT(MPI_ERR_READ_ONLY);
    INT(MPI_ERR_SERVICE);
    INT(MPI_ERR_SPAWN);
    INT(MPI_ERR_UNSUPPORTED_DATAREP);
    INT(MPI_ERR_UNSUPPORTED_OPERATION);
    INT(MPI_ERR_WIN);
    INT(MPI_ERR_BASE);
    INT(MPI_ERR_LOCKTYPE);
    INT(MPI_ERR_KEYVAL);
    INT(MPI_ERR_RMA_CONFLICT);
    INT(MPI_ERR_RMA_SYNC);
    INT(MPI_ERR_SIZE);
    INT(MPI_ERR_DISP);
    INT(MPI_ERR_ASSERT);
    INT(MPI_ERR_RMA_RANGE);
    INT(MPI_ERR_RMA_ATTACH);
    INT(MPI_ERR_RMA_SHARED);
    INT(MPI_ERR_RMA_FLAVOR);
    INT(MPI_T_ERR_MEMORY);
    INT(MPI_T_ERR_NOT_INITIALIZED);
    INT(MPI_T_ERR_CANNOT_INIT);
    INT(MPI_T_ERR_INVALID_INDEX);
    INT(MPI_T_ERR_INVALID_ITEM);
    INT(MPI_T_ERR_INVALID_HANDLE);
    INT(MPI_T_ERR_OUT_OF_HANDLES);
    INT(MPI_T_ERR_OUT_OF_SESSIONS);
    INT(MPI_T_ERR_INVALID_SESSION);
    INT(MPI_T_ERR_CVAR_SET_NOT_NOW);
    INT(MPI_T_ERR_CVAR_SET_NEVER);
    INT(MPI_T_ERR_PVAR_NO_STARTSTOP);
    INT(MPI_T_ERR_PVAR_NO_WRITE);
    INT(MPI_T_ERR_PVAR_NO_ATOMIC);
    INT(MPI_T_ERR_INVALID_NAME);
    INT(MPI_T_ERR_INVALID);
    HANDLE(MPI_ERR_LASTCODE);

    /* ------------------------------------------------ threads */
    INT(MPI_THREAD_SINGLE);
    INT(MPI_THREAD_FUNNELED);
    INT(MPI_THREAD_SERIALIZED);
    INT(MPI_THREAD_MULTIPLE);

    /* ------------------------------------------------ info, string lengths */
    HANDLE(MPI_INFO_ENV);
    INT(MPI_MAX_INFO_KEY);
    INT(MPI_MAX_INFO_VAL);
    INT(MPI_MAX_PROCESSOR_NAME);
    INT(MPI_MAX_ERROR_STRING);
    INT(MPI_MAX_OBJECT_NAME);
    INT(MPI_MAX_PORT_NAME);
    INT(MPI_MAX_LIBRARY_VERSION_STRING);
    INT(MPI_MAX_DATAREP_STRING);

    /* ------------------------------------------------ attributes */
    HANDLE(MPI_KEYVAL_INVALID);
    HANDLE(MPI_TAG_UB);
    HANDLE(MPI_HOST);
    HANDLE(MPI_IO);
    HANDLE(MPI_WTIME_IS_GLOBAL);
    HANDLE(MPI_UNIVERSE_SIZE);
    HANDLE(MPI_LASTUSEDCODE);
    HANDLE(MPI_APPNUM);
    HANDLE(MPI_WIN_BASE);
    HANDLE(MPI_WIN_SIZE);
    HANDLE(MPI_WIN_DISP_UNIT);
    HANDLE(MPI_WIN_CREATE_FLAVOR);
    HANDLE(MPI_WIN_MODEL);

    /* ------------------------------------------------ one-sided */
    INT(MPI_LOCK_EXCLUSIVE);
    INT(MPI_LOCK_SHARED);
    INT(MPI_MODE_NOCHECK);
    INT(MPI_MODE_NOSTORE);
    INT(MPI_MODE_NOPUT);
    INT(MPI_MODE_NOPRECEDE);
    INT(MPI_MODE_NOSUCCEED);
    INT(MPI_WIN_FLAVOR_CREATE);
    INT(MPI_WIN_FLAVOR_ALLOCATE);
    INT(MPI_WIN_FLAVOR_DYNAMIC);
    INT(MPI_WIN_FLAVOR_SHARED);
    INT(MPI_WIN_SEPARATE);
    INT(MPI_WIN_UNIFIED);

    /* ------------------------------------------------ files */
    INT(MPI_MODE_CREATE);
    INT(MPI_MODE_RDONLY);
    INT(MPI_MODE_WRONLY);
    INT(MPI_MODE_RDWR);
    INT(MPI_MODE_DELETE_ON_CLOSE);
    INT(MPI_MODE_UNIQUE_OPEN);
    INT(MPI_MODE_EXCL);
    INT(MPI_MODE_APPEND);
    INT(MPI_MODE_SEQUENTIAL);
    INT(MPI_SEEK_SET);
    INT(MPI_SEEK_CUR);
    INT(MPI_SEEK_END);
    INT(MPI_DISPLACEMENT_CURRENT);

    /* ------------------------------------------------ Fortran handle conversions */
    HANDLE(MPI_Comm_c2f(MPI_COMM_WORLD));
    HANDLE(MPI_Comm_f2c(0x44000001));
    HANDLE(MPI_Group_c2f(MPI_GROUP_EMPTY));
    HANDLE(MPI_Group_f2c(0x48000000));
    HANDLE(MPI_Type_c2f(MPI_DOUBLE));
    HANDLE(MPI_Type_f2c(0x4c00080b));
    HANDLE(MPI_Request_c2f(MPI_REQUEST_NULL));
    HANDLE(MPI_Request_f2c(0x2c000000));
    HANDLE(MPI_Op_c2f(MPI_SUM));
    HANDLE(MPI_Op_f2c(0x58000003));
    HANDLE(MPI_Errhandler_c2f(MPI_ERRORS_RETURN));
    HANDLE(MPI_Errhandler_f2c(0x54000001));
    HANDLE(MPI_Info_c2f(MPI_INFO_ENV));
    HANDLE(MPI_Info_f2c(0x5c000001));
    HANDLE(MPI_Win_c2f(MPI_WIN_NULL));
    HANDLE(MPI_Win_f2c(0x20000000));
    HANDLE(MPI_Message_c2f(MPI_MESSAGE_NO_PROC));
    HANDLE(MPI_Message_f2c(0x6c000000));
    HANDLE(PMPI_Comm_c2f(MPI_COMM_WORLD));
    HANDLE(PMPI_Comm_f2c(0x44000001));
    HANDLE(PMPI_Group_c2f(MPI_GROUP_EMPTY));
    HANDLE(PMPI_Group_f2c(0x48000000));
    HANDLE(PMPI_Type_c2f(MPI_DOUBLE));
    HANDLE(PMPI_Type_f2c(0x4c00080b));
    HANDLE(PMPI_Request_c2f(MPI_REQUEST_NULL));
    HANDLE(PMPI_Request_f2c(0x2c000000));
    HANDLE(PMPI_Op_c2f(MPI_SUM));
    HANDLE(PMPI_Op_f2c(0x58000003));
    HANDLE(PMPI_Errhandler_c2f(MPI_ERRORS_RETURN));
    HANDLE(PMPI_Errhandler_f2c(0x54000001));
    HANDLE(PMPI_Info_c2f(MPI_INFO_ENV));
    HANDLE(PMPI_Info_f2c(0x5c000001));
    HANDLE(PMPI_Win_c2f(MPI_WIN_NULL));
    HANDLE(PMPI_Win_f2c(0x20000000));
    HANDLE(PMPI_Message_c2f(MPI_MESSAGE_NO_PROC));
    HANDLE(PMPI_Message_f2c(0x6c000000));
    return 0;
}

#else /* MPI_ABI_SYMBOLS */

/* One pointer per expression that may name something of the library, all
 * in one section: the relocation at the offset of abi_NAME tells which
 * symbol NAME refers to (none when it is a constant, such as a null
 * pointer).  The case lists them with objdump. */
#define ABI_SECTION __attribute__((section("mpi_abi"), used))
typedef void (*any_fn)(void);
#define REF_FN(x) any_fn abi_##x ABI_SECTION = (any_fn)(x)
#define REF_OBJ(x) const void *abi_##x ABI_SECTION = (x)
#define REF_VAR(v) const void *abi_##v ABI_SECTION = &(v)

REF_FN(MPI_NULL_COPY_FN);
REF_FN(MPI_NULL_DELETE_FN);
REF_FN(MPI_DUP_FN);
REF_FN(MPI_COMM_NULL_COPY_FN);
REF_FN(MPI_COMM_NULL_DELETE_FN);
REF_FN(MPI_COMM_DUP_FN);
REF_FN(MPI_TYPE_NULL_COPY_FN);
REF_FN(MPI_TYPE_NULL_DELETE_FN);
REF_FN(MPI_TYPE_DUP_FN);
REF_FN(MPI_WIN_NULL_COPY_FN);
REF_FN(MPI_WIN_NULL_DELETE_FN);
REF_FN(MPI_WIN_DUP_FN);
REF_FN(MPI_CONVERSION_FN_NULL);
REF_VAR(MPI_UNWEIGHTED);
REF_VAR(MPI_WEIGHTS_EMPTY);
REF_VAR(MPI_F_STATUS_IGNORE);
REF_VAR(MPI_F_STATUSES_IGNORE);
REF_OBJ(MPI_BOTTOM);
REF_OBJ(MPI_IN_PLACE);
REF_OBJ(MPI_STATUS_IGNORE);
REF_OBJ(MPI_STATUSES_IGNORE);
REF_OBJ(MPI_ERRCODES_IGNORE);
REF_OBJ(MPI_ARGV_NULL);
REF_OBJ(MPI_ARGVS_NULL);
REF_OBJ(MPI_FILE_NULL);

#endif /* MPI_ABI_SYMBOLS */
#endif /* NO_MPI_H */
