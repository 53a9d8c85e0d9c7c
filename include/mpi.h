/* mpi.h — the C interface of crest's MPI library (libmpi.so.12, also
 * installed as libmpich.so.12).
 *
 * Functions: MPI-3.1 (C bindings), without MPI-IO and the tool interface
 * (MPI_T); the MPI-1 routines removed in MPI-3.0 are still declared because
 * old codes call them.
 *
 * Binary interface: the one shared by MPICH and its derivatives (Intel MPI,
 * MVAPICH, Cray MPICH) on x86_64 Linux.  Handles are ints with the same
 * values, MPI_Status has the same layout, the sentinel pointers and the
 * library variables are the same, so that a program compiled against
 * MPICH's mpi.h runs on this library unchanged, and the other way round.
 * Every value below is part of that interface: none may change.
 * tests/cases/31_mpi_abi.sh checks them against MPICH's header. */
#ifndef CREST_MPI_H
#define CREST_MPI_H

#ifdef __cplusplus
extern "C" {
#endif

/* The library exports all the functions and variables declared here, even
 * when it is built with -fvisibility=hidden. */
#ifndef CREST_MPI_PUBLIC
#ifdef __GNUC__
#define CREST_MPI_PUBLIC __attribute__((visibility("default")))
#else
#define CREST_MPI_PUBLIC
#endif
#endif

/* The standard this header describes. */
#define MPI_VERSION 3
#define MPI_SUBVERSION 1

/* ======================================================= basic types */

typedef long MPI_Aint;   /* an address or a displacement */
typedef long MPI_Offset; /* a file offset */
typedef long MPI_Count;  /* the largest count: holds an MPI_Aint or an MPI_Offset */
typedef int MPI_Fint;    /* a Fortran INTEGER */

/* ======================================================= handles
 *
 * A handle is an int.  The predefined ones have fixed values, in which bits
 * 26-29 name the class of object and bits 30-31 the kind (0 for the null
 * handles, 1 for most predefined objects, 2 for the value-index pair
 * datatypes); in the other predefined datatypes, bits 8-15 are the size
 * of one element in bytes.  Handles of the objects a program creates are any other
 * values the library chooses.  Being plain integers, handles stay valid
 * across a checkpoint and a restart. */

typedef int MPI_Comm;
typedef int MPI_Group;
typedef int MPI_Datatype;
typedef int MPI_Request;
typedef int MPI_Op;
typedef int MPI_Errhandler;
typedef int MPI_Info;
typedef int MPI_Win;
typedef int MPI_Message;

/* MPI_File is the one handle that is a pointer.  The name of the structure
 * is part of the interface: C++ code mangles it into its symbols. */
typedef struct ADIOI_FileD *MPI_File;

/* The null handle of each class. */
#define MPI_COMM_NULL ((MPI_Comm)0x04000000)
#define MPI_GROUP_NULL ((MPI_Group)0x08000000)
#define MPI_DATATYPE_NULL ((MPI_Datatype)0x0c000000)
#define MPI_ERRHANDLER_NULL ((MPI_Errhandler)0x14000000)
#define MPI_OP_NULL ((MPI_Op)0x18000000)
#define MPI_INFO_NULL ((MPI_Info)0x1c000000)
#define MPI_WIN_NULL ((MPI_Win)0x20000000)
#define MPI_REQUEST_NULL ((MPI_Request)0x2c000000)
#define MPI_MESSAGE_NULL ((MPI_Message)0x2c000000) /* same value as MPI_REQUEST_NULL */
#define MPI_FILE_NULL ((MPI_File)0)

/* What MPI_Mprobe and MPI_Improbe return for a probe of MPI_PROC_NULL. */
#define MPI_MESSAGE_NO_PROC ((MPI_Message)0x6c000000)

/* ======================================================= status */

/* A program reads MPI_SOURCE, MPI_TAG and MPI_ERROR; the first two words
 * belong to the library (MPICH keeps there the number of bytes received,
 * its low 32 bits in the first word and the rest shifted left by one in the
 * second, whose bit 0 is the "cancelled" flag).  20 bytes, alignment 4. */
struct MPI_Status {
    int crest_count_low;
    int crest_count_high_and_cancelled;
    int MPI_SOURCE;
    int MPI_TAG;
    int MPI_ERROR;
};
typedef struct MPI_Status MPI_Status;

/* Passed instead of a status, or an array of statuses, that is not wanted
 * (both are the same value). */
#define MPI_STATUS_IGNORE ((MPI_Status *)1)
#define MPI_STATUSES_IGNORE ((MPI_Status *)1)

/* ======================================================= datatypes */

/* C basic types */
#define MPI_CHAR ((MPI_Datatype)0x4c000101)
#define MPI_SIGNED_CHAR ((MPI_Datatype)0x4c000118)
#define MPI_UNSIGNED_CHAR ((MPI_Datatype)0x4c000102)
#define MPI_BYTE ((MPI_Datatype)0x4c00010d)
#define MPI_WCHAR ((MPI_Datatype)0x4c00040e)
#define MPI_SHORT ((MPI_Datatype)0x4c000203)
#define MPI_UNSIGNED_SHORT ((MPI_Datatype)0x4c000204)
#define MPI_INT ((MPI_Datatype)0x4c000405)
#define MPI_UNSIGNED ((MPI_Datatype)0x4c000406)
#define MPI_LONG ((MPI_Datatype)0x4c000807)
#define MPI_UNSIGNED_LONG ((MPI_Datatype)0x4c000808)
#define MPI_LONG_LONG_INT ((MPI_Datatype)0x4c000809)
#define MPI_LONG_LONG MPI_LONG_LONG_INT
#define MPI_UNSIGNED_LONG_LONG ((MPI_Datatype)0x4c000819)
#define MPI_FLOAT ((MPI_Datatype)0x4c00040a)
#define MPI_DOUBLE ((MPI_Datatype)0x4c00080b)
#define MPI_LONG_DOUBLE ((MPI_Datatype)0x4c00100c)
#define MPI_PACKED ((MPI_Datatype)0x4c00010f)

/* C99 fixed-width integers, _Bool and complex numbers */
#define MPI_INT8_T ((MPI_Datatype)0x4c000137)
#define MPI_INT16_T ((MPI_Datatype)0x4c000238)
#define MPI_INT32_T ((MPI_Datatype)0x4c000439)
#define MPI_INT64_T ((MPI_Datatype)0x4c00083a)
#define MPI_UINT8_T ((MPI_Datatype)0x4c00013b)
#define MPI_UINT16_T ((MPI_Datatype)0x4c00023c)
#define MPI_UINT32_T ((MPI_Datatype)0x4c00043d)
#define MPI_UINT64_T ((MPI_Datatype)0x4c00083e)
#define MPI_C_BOOL ((MPI_Datatype)0x4c00013f)
#define MPI_C_FLOAT_COMPLEX ((MPI_Datatype)0x4c000840)
#define MPI_C_COMPLEX MPI_C_FLOAT_COMPLEX
#define MPI_C_DOUBLE_COMPLEX ((MPI_Datatype)0x4c001041)
#define MPI_C_LONG_DOUBLE_COMPLEX ((MPI_Datatype)0x4c002042)

/* the types of this header */
#define MPI_AINT ((MPI_Datatype)0x4c000843)
#define MPI_OFFSET ((MPI_Datatype)0x4c000844)
#define MPI_COUNT ((MPI_Datatype)0x4c000845)

/* C++ types */
#define MPI_CXX_BOOL ((MPI_Datatype)0x4c000133)
#define MPI_CXX_FLOAT_COMPLEX ((MPI_Datatype)0x4c000834)
#define MPI_CXX_DOUBLE_COMPLEX ((MPI_Datatype)0x4c001035)
#define MPI_CXX_LONG_DOUBLE_COMPLEX ((MPI_Datatype)0x4c002036)

/* value-and-index pairs for MPI_MINLOC and MPI_MAXLOC: a struct of the
 * value followed by an int (MPI_2INT: two ints) */
#define MPI_FLOAT_INT ((MPI_Datatype)0x8c000000)
#define MPI_DOUBLE_INT ((MPI_Datatype)0x8c000001)
#define MPI_LONG_INT ((MPI_Datatype)0x8c000002)
#define MPI_SHORT_INT ((MPI_Datatype)0x8c000003)
#define MPI_LONG_DOUBLE_INT ((MPI_Datatype)0x8c000004)
#define MPI_2INT ((MPI_Datatype)0x4c000816)

/* Fortran types */
#define MPI_CHARACTER ((MPI_Datatype)0x4c00011a)
#define MPI_LOGICAL ((MPI_Datatype)0x4c00041d)
#define MPI_INTEGER ((MPI_Datatype)0x4c00041b)
#define MPI_REAL ((MPI_Datatype)0x4c00041c)
#define MPI_DOUBLE_PRECISION ((MPI_Datatype)0x4c00081f)
#define MPI_COMPLEX ((MPI_Datatype)0x4c00081e)
#define MPI_DOUBLE_COMPLEX ((MPI_Datatype)0x4c001022)
#define MPI_2INTEGER ((MPI_Datatype)0x4c000820)
#define MPI_2REAL ((MPI_Datatype)0x4c000821)
#define MPI_2DOUBLE_PRECISION ((MPI_Datatype)0x4c001023)
#define MPI_INTEGER1 ((MPI_Datatype)0x4c00012d)
#define MPI_INTEGER2 ((MPI_Datatype)0x4c00022f)
#define MPI_INTEGER4 ((MPI_Datatype)0x4c000430)
#define MPI_INTEGER8 ((MPI_Datatype)0x4c000831)
#define MPI_INTEGER16 MPI_DATATYPE_NULL /* not available */
#define MPI_REAL4 ((MPI_Datatype)0x4c000427)
#define MPI_REAL8 ((MPI_Datatype)0x4c000829)
#define MPI_REAL16 ((MPI_Datatype)0x4c00102b)
#define MPI_COMPLEX8 ((MPI_Datatype)0x4c000828)
#define MPI_COMPLEX16 ((MPI_Datatype)0x4c00102a)
#define MPI_COMPLEX32 ((MPI_Datatype)0x4c00202c)

/* bound markers of MPI-1 (removed in MPI-3.0; MPI_Type_create_resized
 * replaces them) */
#define MPI_LB ((MPI_Datatype)0x4c000010)
#define MPI_UB ((MPI_Datatype)0x4c000011)

/* for MPI_Type_match_size */
#define MPI_TYPECLASS_REAL 1
#define MPI_TYPECLASS_INTEGER 2
#define MPI_TYPECLASS_COMPLEX 3

/* what MPI_Type_get_envelope says a datatype was made by */
#define MPI_COMBINER_NAMED 1
#define MPI_COMBINER_DUP 2
#define MPI_COMBINER_CONTIGUOUS 3
#define MPI_COMBINER_VECTOR 4
#define MPI_COMBINER_HVECTOR_INTEGER 5
#define MPI_COMBINER_HVECTOR 6
#define MPI_COMBINER_INDEXED 7
#define MPI_COMBINER_HINDEXED_INTEGER 8
#define MPI_COMBINER_HINDEXED 9
#define MPI_COMBINER_INDEXED_BLOCK 10
#define MPI_COMBINER_STRUCT_INTEGER 11
#define MPI_COMBINER_STRUCT 12
#define MPI_COMBINER_SUBARRAY 13
#define MPI_COMBINER_DARRAY 14
#define MPI_COMBINER_F90_REAL 15
#define MPI_COMBINER_F90_COMPLEX 16
#define MPI_COMBINER_F90_INTEGER 17
#define MPI_COMBINER_RESIZED 18
#define MPI_COMBINER_HINDEXED_BLOCK 19

/* array layouts for MPI_Type_create_subarray and MPI_Type_create_darray */
#define MPI_ORDER_C 56
#define MPI_ORDER_FORTRAN 57
#define MPI_DISTRIBUTE_BLOCK 121
#define MPI_DISTRIBUTE_CYCLIC 122
#define MPI_DISTRIBUTE_NONE 123
#define MPI_DISTRIBUTE_DFLT_DARG (-49767)

/* ======================================================= communicators and groups */

#define MPI_COMM_WORLD ((MPI_Comm)0x44000000)
#define MPI_COMM_SELF ((MPI_Comm)0x44000001)
#define MPI_GROUP_EMPTY ((MPI_Group)0x48000000)

/* results of MPI_Comm_compare and MPI_Group_compare */
#define MPI_IDENT 0
#define MPI_CONGRUENT 1
#define MPI_SIMILAR 2
#define MPI_UNEQUAL 3

/* split_type of MPI_Comm_split_type: the processes that can share memory */
#define MPI_COMM_TYPE_SHARED 1

/* topologies, as MPI_Topo_test reports them */
#define MPI_GRAPH 1
#define MPI_CART 2
#define MPI_DIST_GRAPH 3

/* ======================================================= ranks, tags, counts */

#define MPI_PROC_NULL (-1)  /* a rank that makes communication a no-op */
#define MPI_ANY_SOURCE (-2) /* receive from any rank */
#define MPI_ROOT (-3)       /* the root's group in an intercommunicator collective */
#define MPI_ANY_TAG (-1)    /* receive any tag */
#define MPI_UNDEFINED (-32766)

/* the most bytes MPI_Bsend adds to each message in the attached buffer */
#define MPI_BSEND_OVERHEAD 96

/* ======================================================= reduction operations */

#define MPI_MAX ((MPI_Op)0x58000001)
#define MPI_MIN ((MPI_Op)0x58000002)
#define MPI_SUM ((MPI_Op)0x58000003)
#define MPI_PROD ((MPI_Op)0x58000004)
#define MPI_LAND ((MPI_Op)0x58000005)
#define MPI_BAND ((MPI_Op)0x58000006)
#define MPI_LOR ((MPI_Op)0x58000007)
#define MPI_BOR ((MPI_Op)0x58000008)
#define MPI_LXOR ((MPI_Op)0x58000009)
#define MPI_BXOR ((MPI_Op)0x5800000a)
#define MPI_MINLOC ((MPI_Op)0x5800000b)
#define MPI_MAXLOC ((MPI_Op)0x5800000c)
#define MPI_REPLACE ((MPI_Op)0x5800000d) /* one-sided accumulate only */
#define MPI_NO_OP ((MPI_Op)0x5800000e)   /* one-sided accumulate only */

/* ======================================================= errors */

#define MPI_ERRORS_ARE_FATAL ((MPI_Errhandler)0x54000000)
#define MPI_ERRORS_RETURN ((MPI_Errhandler)0x54000001)

/* error classes */
#define MPI_SUCCESS 0
#define MPI_ERR_BUFFER 1
#define MPI_ERR_COUNT 2
#define MPI_ERR_TYPE 3
#define MPI_ERR_TAG 4
#define MPI_ERR_COMM 5
#define MPI_ERR_RANK 6
#define MPI_ERR_ROOT 7
#define MPI_ERR_GROUP 8
#define MPI_ERR_OP 9
#define MPI_ERR_TOPOLOGY 10
#define MPI_ERR_DIMS 11
#define MPI_ERR_ARG 12
#define MPI_ERR_UNKNOWN 13
#define MPI_ERR_TRUNCATE 14
#define MPI_ERR_OTHER 15
#define MPI_ERR_INTERN 16
#define MPI_ERR_IN_STATUS 17
#define MPI_ERR_PENDING 18
#define MPI_ERR_REQUEST 19
#define MPI_ERR_ACCESS 20
#define MPI_ERR_AMODE 21
#define MPI_ERR_BAD_FILE 22
#define MPI_ERR_CONVERSION 23
#define MPI_ERR_DUP_DATAREP 24
#define MPI_ERR_FILE_EXISTS 25
#define MPI_ERR_FILE_IN_USE 26
#define MPI_ERR_FILE 27
#define MPI_ERR_INFO 28
#define MPI_ERR_INFO_KEY 29
#define MPI_ERR_INFO_VALUE 30
#define MPI_ERR_INFO_NOKEY 31
#define MPI_ERR_IO 32
#define MPI_ERR_NAME 33
#define MPI_ERR_NO_MEM 34
#define MPI_ERR_NOT_SAME 35
#define MPI_ERR_NO_SPACE 36
#define MPI_ERR_NO_SUCH_FILE 37
#define MPI_ERR_PORT 38
#define MPI_ERR_QUOTA 39
#define MPI_ERR_READ_ONLY 40
#define MPI_ERR_SERVICE 41
#define MPI_ERR_SPAWN 42
#define MPI_ERR_UNSUPPORTED_DATAREP 43
#define MPI_ERR_UNSUPPORTED_OPERATION 44
#define MPI_ERR_WIN 45
#define MPI_ERR_BASE 46
#define MPI_ERR_LOCKTYPE 47
#define MPI_ERR_KEYVAL 48
#define MPI_ERR_RMA_CONFLICT 49
#define MPI_ERR_RMA_SYNC 50
#define MPI_ERR_SIZE 51
#define MPI_ERR_DISP 52
#define MPI_ERR_ASSERT 53
/* 54 is not used */
#define MPI_ERR_RMA_RANGE 55
#define MPI_ERR_RMA_ATTACH 56
#define MPI_ERR_RMA_SHARED 57
#define MPI_ERR_RMA_FLAVOR 58
/* error classes of the tool interface (MPI_T) */
#define MPI_T_ERR_MEMORY 59
#define MPI_T_ERR_NOT_INITIALIZED 60
#define MPI_T_ERR_CANNOT_INIT 61
#define MPI_T_ERR_INVALID_INDEX 62
#define MPI_T_ERR_INVALID_ITEM 63
#define MPI_T_ERR_INVALID_HANDLE 64
#define MPI_T_ERR_OUT_OF_HANDLES 65
#define MPI_T_ERR_OUT_OF_SESSIONS 66
#define MPI_T_ERR_INVALID_SESSION 67
#define MPI_T_ERR_CVAR_SET_NOT_NOW 68
#define MPI_T_ERR_CVAR_SET_NEVER 69
#define MPI_T_ERR_PVAR_NO_STARTSTOP 70
#define MPI_T_ERR_PVAR_NO_WRITE 71
#define MPI_T_ERR_PVAR_NO_ATOMIC 72
#define MPI_T_ERR_INVALID_NAME 73
#define MPI_T_ERR_INVALID 74
/* no predefined error class or code is above this */
#define MPI_ERR_LASTCODE 0x3fffffff

/* Passed to MPI_Comm_spawn(_multiple) when the error codes are not wanted. */
#define MPI_ERRCODES_IGNORE ((int *)0)

/* ======================================================= threads */

#define MPI_THREAD_SINGLE 0
#define MPI_THREAD_FUNNELED 1
#define MPI_THREAD_SERIALIZED 2
#define MPI_THREAD_MULTIPLE 3

/* ======================================================= info */

#define MPI_INFO_ENV ((MPI_Info)0x5c000001) /* how the process was started */
#define MPI_MAX_INFO_KEY 255
#define MPI_MAX_INFO_VAL 1024

/* ======================================================= string lengths */

#define MPI_MAX_PROCESSOR_NAME 128
#define MPI_MAX_ERROR_STRING 512
#define MPI_MAX_OBJECT_NAME 128
#define MPI_MAX_PORT_NAME 256
#define MPI_MAX_LIBRARY_VERSION_STRING 8192
#define MPI_MAX_DATAREP_STRING 128

/* ======================================================= attributes */

#define MPI_KEYVAL_INVALID 0x24000000

/* predefined attributes of MPI_COMM_WORLD */
#define MPI_TAG_UB 0x64400001
#define MPI_HOST 0x64400003
#define MPI_IO 0x64400005
#define MPI_WTIME_IS_GLOBAL 0x64400007
#define MPI_UNIVERSE_SIZE 0x64400009
#define MPI_LASTUSEDCODE 0x6440000b
#define MPI_APPNUM 0x6440000d

/* predefined attributes of every window */
#define MPI_WIN_BASE 0x66000001
#define MPI_WIN_SIZE 0x66000003
#define MPI_WIN_DISP_UNIT 0x66000005
#define MPI_WIN_CREATE_FLAVOR 0x66000007
#define MPI_WIN_MODEL 0x66000009

/* Copy and delete callbacks.  A copy callback gets (object, keyval,
 * extra_state, value in, where to store the copy, flag: 1 to copy); a
 * delete callback gets (object, keyval, value, extra_state). */
typedef int (MPI_Comm_copy_attr_function)(MPI_Comm, int, void *, void *, void *, int *);
typedef int (MPI_Comm_delete_attr_function)(MPI_Comm, int, void *, void *);
typedef int (MPI_Type_copy_attr_function)(MPI_Datatype, int, void *, void *, void *, int *);
typedef int (MPI_Type_delete_attr_function)(MPI_Datatype, int, void *, void *);
typedef int (MPI_Win_copy_attr_function)(MPI_Win, int, void *, void *, void *, int *);
typedef int (MPI_Win_delete_attr_function)(MPI_Win, int, void *, void *);
/* the MPI-1 names, for communicators (deprecated) */
typedef int (MPI_Copy_function)(MPI_Comm, int, void *, void *, void *, int *);
typedef int (MPI_Delete_function)(MPI_Comm, int, void *, void *);

/* The predefined callbacks.  The "null" ones are null pointers; all the
 * "dup" ones are the library function MPIR_Dup_fn, which copies the value
 * and sets the flag. */
int MPIR_Dup_fn(MPI_Comm comm, int keyval, void *extra_state, void *value_in, void *value_out,
                int *flag) CREST_MPI_PUBLIC;
#define MPI_NULL_COPY_FN ((MPI_Copy_function *)0)
#define MPI_NULL_DELETE_FN ((MPI_Delete_function *)0)
#define MPI_DUP_FN MPIR_Dup_fn
#define MPI_COMM_NULL_COPY_FN ((MPI_Comm_copy_attr_function *)0)
#define MPI_COMM_NULL_DELETE_FN ((MPI_Comm_delete_attr_function *)0)
#define MPI_COMM_DUP_FN ((MPI_Comm_copy_attr_function *)MPIR_Dup_fn)
#define MPI_TYPE_NULL_COPY_FN ((MPI_Type_copy_attr_function *)0)
#define MPI_TYPE_NULL_DELETE_FN ((MPI_Type_delete_attr_function *)0)
#define MPI_TYPE_DUP_FN ((MPI_Type_copy_attr_function *)MPIR_Dup_fn)
#define MPI_WIN_NULL_COPY_FN ((MPI_Win_copy_attr_function *)0)
#define MPI_WIN_NULL_DELETE_FN ((MPI_Win_delete_attr_function *)0)
#define MPI_WIN_DUP_FN ((MPI_Win_copy_attr_function *)MPIR_Dup_fn)

/* ======================================================= other callbacks */

/* user reduction: (in, inout, count, datatype) — inout[i] = in[i] op inout[i] */
typedef void (MPI_User_function)(void *, void *, int *, MPI_Datatype *);

/* error handlers: (the object, the error code, implementation extras) */
typedef void (MPI_Comm_errhandler_function)(MPI_Comm *, int *, ...);
typedef void (MPI_Win_errhandler_function)(MPI_Win *, int *, ...);
typedef void (MPI_File_errhandler_function)(MPI_File *, int *, ...);
typedef MPI_Comm_errhandler_function MPI_Comm_errhandler_fn; /* MPI-2.0 names, deprecated */
typedef MPI_Win_errhandler_function MPI_Win_errhandler_fn;
typedef MPI_File_errhandler_function MPI_File_errhandler_fn;
typedef void (MPI_Handler_function)(MPI_Comm *, int *, ...); /* MPI-1, removed in MPI-3.0 */

/* generalized requests: (extra_state[, status or "complete" flag]) */
typedef int (MPI_Grequest_query_function)(void *, MPI_Status *);
typedef int (MPI_Grequest_free_function)(void *);
typedef int (MPI_Grequest_cancel_function)(void *, int);

/* data representations (MPI_Register_datarep): (buffer, datatype, count,
 * file buffer, position, extra_state) and (datatype, extent, extra_state) */
typedef int (MPI_Datarep_conversion_function)(void *, MPI_Datatype, int, void *, MPI_Offset,
                                              void *);
typedef int (MPI_Datarep_extent_function)(MPI_Datatype, MPI_Aint *, void *);
#define MPI_CONVERSION_FN_NULL ((MPI_Datarep_conversion_function *)0)

/* ======================================================= special addresses */

#define MPI_BOTTOM ((void *)0)    /* displacements are absolute addresses */
#define MPI_IN_PLACE ((void *)-1) /* the receive buffer is also the send buffer */
#define MPI_ARGV_NULL ((char **)0)
#define MPI_ARGVS_NULL ((char ***)0)

/* Variables of the library, not constants: a program reads their values
 * when it runs.  Their types and sizes are part of the interface too, since
 * a program may get its own copy of each when it is loaded (a copy
 * relocation). */
extern CREST_MPI_PUBLIC int *const MPI_UNWEIGHTED;    /* a graph without weights */
extern CREST_MPI_PUBLIC int *const MPI_WEIGHTS_EMPTY; /* weighted, but no edge here */
extern CREST_MPI_PUBLIC MPI_Fint *MPI_F_STATUS_IGNORE; /* Fortran's MPI_STATUS_IGNORE */
extern CREST_MPI_PUBLIC MPI_Fint *MPI_F_STATUSES_IGNORE;

/* ======================================================= one-sided communication */

#define MPI_LOCK_EXCLUSIVE 234
#define MPI_LOCK_SHARED 235

/* assertions (bit mask) for MPI_Win_fence, _post, _start, _lock(_all) */
#define MPI_MODE_NOCHECK 1024
#define MPI_MODE_NOSTORE 2048
#define MPI_MODE_NOPUT 4096
#define MPI_MODE_NOPRECEDE 8192
#define MPI_MODE_NOSUCCEED 16384

/* values of the MPI_WIN_CREATE_FLAVOR and MPI_WIN_MODEL attributes */
#define MPI_WIN_FLAVOR_CREATE 1
#define MPI_WIN_FLAVOR_ALLOCATE 2
#define MPI_WIN_FLAVOR_DYNAMIC 3
#define MPI_WIN_FLAVOR_SHARED 4
#define MPI_WIN_SEPARATE 1
#define MPI_WIN_UNIFIED 2

/* ======================================================= files (MPI-IO)
 * Only the constants: the MPI_File_* routines are not provided. */

/* access modes (bit mask) */
#define MPI_MODE_CREATE 1
#define MPI_MODE_RDONLY 2
#define MPI_MODE_WRONLY 4
#define MPI_MODE_RDWR 8
#define MPI_MODE_DELETE_ON_CLOSE 16
#define MPI_MODE_UNIQUE_OPEN 32
#define MPI_MODE_EXCL 64
#define MPI_MODE_APPEND 128
#define MPI_MODE_SEQUENTIAL 256

#define MPI_SEEK_SET 600
#define MPI_SEEK_CUR 602
#define MPI_SEEK_END 604
#define MPI_DISPLACEMENT_CURRENT (-54278278)

/* ======================================================= Fortran handles
 * A Fortran handle has the same value as the C one: the conversions are
 * casts, and there are no such functions in the library. */

#define MPI_Comm_c2f(h) ((MPI_Fint)(h))
#define MPI_Comm_f2c(h) ((MPI_Comm)(h))
#define MPI_Group_c2f(h) ((MPI_Fint)(h))
#define MPI_Group_f2c(h) ((MPI_Group)(h))
#define MPI_Type_c2f(h) ((MPI_Fint)(h))
#define MPI_Type_f2c(h) ((MPI_Datatype)(h))
#define MPI_Request_c2f(h) ((MPI_Fint)(h))
#define MPI_Request_f2c(h) ((MPI_Request)(h))
#define MPI_Op_c2f(h) ((MPI_Fint)(h))
#define MPI_Op_f2c(h) ((MPI_Op)(h))
#define MPI_Errhandler_c2f(h) ((MPI_Fint)(h))
#define MPI_Errhandler_f2c(h) ((MPI_Errhandler)(h))
#define MPI_Info_c2f(h) ((MPI_Fint)(h))
#define MPI_Info_f2c(h) ((MPI_Info)(h))
#define MPI_Win_c2f(h) ((MPI_Fint)(h))
#define MPI_Win_f2c(h) ((MPI_Win)(h))
#define MPI_Message_c2f(h) ((MPI_Fint)(h))
#define MPI_Message_f2c(h) ((MPI_Message)(h))
#define PMPI_Comm_c2f(h) MPI_Comm_c2f(h)
#define PMPI_Comm_f2c(h) MPI_Comm_f2c(h)
#define PMPI_Group_c2f(h) MPI_Group_c2f(h)
#define PMPI_Group_f2c(h) MPI_Group_f2c(h)
#define PMPI_Type_c2f(h) MPI_Type_c2f(h)
#define PMPI_Type_f2c(h) MPI_Type_f2c(h)
#define PMPI_Request_c2f(h) MPI_Request_c2f(h)
#define PMPI_Request_f2c(h) MPI_Request_f2c(h)
#define PMPI_Op_c2f(h) MPI_Op_c2f(h)
#define PMPI_Op_f2c(h) MPI_Op_f2c(h)
#define PMPI_Errhandler_c2f(h) MPI_Errhandler_c2f(h)
#define PMPI_Errhandler_f2c(h) MPI_Errhandler_f2c(h)
#define PMPI_Info_c2f(h) MPI_Info_c2f(h)
#define PMPI_Info_f2c(h) MPI_Info_f2c(h)
#define PMPI_Win_c2f(h) MPI_Win_c2f(h)
#define PMPI_Win_f2c(h) MPI_Win_f2c(h)
#define PMPI_Message_c2f(h) MPI_Message_c2f(h)
#define PMPI_Message_f2c(h) MPI_Message_f2c(h)

/* ======================================================= functions
 *
 * Each routine MPI_X has a twin PMPI_X for profiling tools: a tool defines
 * MPI_X itself and calls PMPI_X.  CREST_MPI_FN declares both. */
#define CREST_MPI_FN(ret, name, params)  \
    ret name params CREST_MPI_PUBLIC;    \
    ret P##name params CREST_MPI_PUBLIC

/* ----------------------------------------- environment */
CREST_MPI_FN(int, MPI_Init, (int *argc, char ***argv));
CREST_MPI_FN(int, MPI_Init_thread, (int *argc, char ***argv, int required, int *provided));
CREST_MPI_FN(int, MPI_Initialized, (int *flag));
CREST_MPI_FN(int, MPI_Finalize, (void));
CREST_MPI_FN(int, MPI_Finalized, (int *flag));
CREST_MPI_FN(int, MPI_Query_thread, (int *provided));
CREST_MPI_FN(int, MPI_Is_thread_main, (int *flag));
CREST_MPI_FN(int, MPI_Abort, (MPI_Comm comm, int errorcode));
CREST_MPI_FN(int, MPI_Get_version, (int *version, int *subversion));
CREST_MPI_FN(int, MPI_Get_library_version, (char *version, int *len));
CREST_MPI_FN(int, MPI_Get_processor_name, (char *name, int *len));
CREST_MPI_FN(double, MPI_Wtime, (void));
CREST_MPI_FN(double, MPI_Wtick, (void));
CREST_MPI_FN(int, MPI_Pcontrol, (const int level, ...));
CREST_MPI_FN(int, MPI_Alloc_mem, (MPI_Aint size, MPI_Info info, void *baseptr));
CREST_MPI_FN(int, MPI_Free_mem, (void *base));
CREST_MPI_FN(MPI_Aint, MPI_Aint_add, (MPI_Aint base, MPI_Aint disp));
CREST_MPI_FN(MPI_Aint, MPI_Aint_diff, (MPI_Aint addr1, MPI_Aint addr2));

/* ----------------------------------------- point-to-point */
CREST_MPI_FN(int, MPI_Send, (const void *buf, int count, MPI_Datatype type, int dest, int tag,
                             MPI_Comm comm));
CREST_MPI_FN(int, MPI_Bsend, (const void *buf, int count, MPI_Datatype type, int dest, int tag,
                              MPI_Comm comm));
CREST_MPI_FN(int, MPI_Ssend, (const void *buf, int count, MPI_Datatype type, int dest, int tag,
                              MPI_Comm comm));
CREST_MPI_FN(int, MPI_Rsend, (const void *buf, int count, MPI_Datatype type, int dest, int tag,
                              MPI_Comm comm));
CREST_MPI_FN(int, MPI_Recv, (void *buf, int count, MPI_Datatype type, int source, int tag,
                             MPI_Comm comm, MPI_Status *status));
CREST_MPI_FN(int, MPI_Sendrecv, (const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                                 int dest, int sendtag, void *recvbuf, int recvcount,
                                 MPI_Datatype recvtype, int source, int recvtag, MPI_Comm comm,
                                 MPI_Status *status));
CREST_MPI_FN(int, MPI_Sendrecv_replace, (void *buf, int count, MPI_Datatype type, int dest,
                                         int sendtag, int source, int recvtag, MPI_Comm comm,
                                         MPI_Status *status));
CREST_MPI_FN(int, MPI_Isend, (const void *buf, int count, MPI_Datatype type, int dest, int tag,
                              MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Ibsend, (const void *buf, int count, MPI_Datatype type, int dest, int tag,
                               MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Issend, (const void *buf, int count, MPI_Datatype type, int dest, int tag,
                               MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Irsend, (const void *buf, int count, MPI_Datatype type, int dest, int tag,
                               MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Irecv, (void *buf, int count, MPI_Datatype type, int source, int tag,
                              MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Send_init, (const void *buf, int count, MPI_Datatype type, int dest,
                                  int tag, MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Bsend_init, (const void *buf, int count, MPI_Datatype type, int dest,
                                   int tag, MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Ssend_init, (const void *buf, int count, MPI_Datatype type, int dest,
                                   int tag, MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Rsend_init, (const void *buf, int count, MPI_Datatype type, int dest,
                                   int tag, MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Recv_init, (void *buf, int count, MPI_Datatype type, int source, int tag,
                                  MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Buffer_attach, (void *buffer, int size));
CREST_MPI_FN(int, MPI_Buffer_detach, (void *buffer_addr, int *size));

/* probes, matched probes */
CREST_MPI_FN(int, MPI_Probe, (int source, int tag, MPI_Comm comm, MPI_Status *status));
CREST_MPI_FN(int, MPI_Iprobe, (int source, int tag, MPI_Comm comm, int *flag,
                               MPI_Status *status));
CREST_MPI_FN(int, MPI_Mprobe, (int source, int tag, MPI_Comm comm, MPI_Message *message,
                               MPI_Status *status));
CREST_MPI_FN(int, MPI_Improbe, (int source, int tag, MPI_Comm comm, int *flag,
                                MPI_Message *message, MPI_Status *status));
CREST_MPI_FN(int, MPI_Mrecv, (void *buf, int count, MPI_Datatype type, MPI_Message *message,
                              MPI_Status *status));
CREST_MPI_FN(int, MPI_Imrecv, (void *buf, int count, MPI_Datatype type, MPI_Message *message,
                               MPI_Request *request));

/* ----------------------------------------- requests and statuses */
CREST_MPI_FN(int, MPI_Wait, (MPI_Request *request, MPI_Status *status));
CREST_MPI_FN(int, MPI_Waitall, (int count, MPI_Request requests[], MPI_Status statuses[]));
CREST_MPI_FN(int, MPI_Waitany, (int count, MPI_Request requests[], int *index,
                                MPI_Status *status));
CREST_MPI_FN(int, MPI_Waitsome, (int incount, MPI_Request requests[], int *outcount,
                                 int indices[], MPI_Status statuses[]));
CREST_MPI_FN(int, MPI_Test, (MPI_Request *request, int *flag, MPI_Status *status));
CREST_MPI_FN(int, MPI_Testall, (int count, MPI_Request requests[], int *flag,
                                MPI_Status statuses[]));
CREST_MPI_FN(int, MPI_Testany, (int count, MPI_Request requests[], int *index, int *flag,
                                MPI_Status *status));
CREST_MPI_FN(int, MPI_Testsome, (int incount, MPI_Request requests[], int *outcount,
                                 int indices[], MPI_Status statuses[]));
CREST_MPI_FN(int, MPI_Request_get_status, (MPI_Request request, int *flag, MPI_Status *status));
CREST_MPI_FN(int, MPI_Request_free, (MPI_Request *request));
CREST_MPI_FN(int, MPI_Cancel, (MPI_Request *request));
CREST_MPI_FN(int, MPI_Test_cancelled, (const MPI_Status *status, int *flag));
CREST_MPI_FN(int, MPI_Start, (MPI_Request *request));
CREST_MPI_FN(int, MPI_Startall, (int count, MPI_Request requests[]));
CREST_MPI_FN(int, MPI_Get_count, (const MPI_Status *status, MPI_Datatype type, int *count));
CREST_MPI_FN(int, MPI_Get_elements, (const MPI_Status *status, MPI_Datatype type, int *count));
CREST_MPI_FN(int, MPI_Get_elements_x, (const MPI_Status *status, MPI_Datatype type,
                                       MPI_Count *count));
CREST_MPI_FN(int, MPI_Status_set_elements, (MPI_Status *status, MPI_Datatype type, int count));
CREST_MPI_FN(int, MPI_Status_set_elements_x, (MPI_Status *status, MPI_Datatype type,
                                              MPI_Count count));
CREST_MPI_FN(int, MPI_Status_set_cancelled, (MPI_Status *status, int flag));
CREST_MPI_FN(int, MPI_Status_c2f, (const MPI_Status *c_status, MPI_Fint *f_status));
CREST_MPI_FN(int, MPI_Status_f2c, (const MPI_Fint *f_status, MPI_Status *c_status));

/* generalized requests */
CREST_MPI_FN(int, MPI_Grequest_start, (MPI_Grequest_query_function *query_fn,
                                       MPI_Grequest_free_function *free_fn,
                                       MPI_Grequest_cancel_function *cancel_fn,
                                       void *extra_state, MPI_Request *request));
CREST_MPI_FN(int, MPI_Grequest_complete, (MPI_Request request));

/* ----------------------------------------- datatypes */
CREST_MPI_FN(int, MPI_Type_contiguous, (int count, MPI_Datatype oldtype, MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_vector, (int count, int blocklength, int stride, MPI_Datatype oldtype,
                                    MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_create_hvector, (int count, int blocklength, MPI_Aint stride,
                                            MPI_Datatype oldtype, MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_indexed, (int count, const int blocklengths[], const int displs[],
                                     MPI_Datatype oldtype, MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_create_hindexed, (int count, const int blocklengths[],
                                             const MPI_Aint displs[], MPI_Datatype oldtype,
                                             MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_create_indexed_block, (int count, int blocklength, const int displs[],
                                                  MPI_Datatype oldtype, MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_create_hindexed_block, (int count, int blocklength,
                                                   const MPI_Aint displs[], MPI_Datatype oldtype,
                                                   MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_create_struct, (int count, const int blocklengths[],
                                           const MPI_Aint displs[], const MPI_Datatype types[],
                                           MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_create_subarray, (int ndims, const int sizes[], const int subsizes[],
                                             const int starts[], int order, MPI_Datatype oldtype,
                                             MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_create_darray, (int size, int rank, int ndims, const int gsizes[],
                                           const int distribs[], const int dargs[],
                                           const int psizes[], int order, MPI_Datatype oldtype,
                                           MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_create_resized, (MPI_Datatype oldtype, MPI_Aint lb, MPI_Aint extent,
                                            MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_dup, (MPI_Datatype oldtype, MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_commit, (MPI_Datatype *type));
CREST_MPI_FN(int, MPI_Type_free, (MPI_Datatype *type));
CREST_MPI_FN(int, MPI_Type_size, (MPI_Datatype type, int *size));
CREST_MPI_FN(int, MPI_Type_size_x, (MPI_Datatype type, MPI_Count *size));
CREST_MPI_FN(int, MPI_Type_get_extent, (MPI_Datatype type, MPI_Aint *lb, MPI_Aint *extent));
CREST_MPI_FN(int, MPI_Type_get_extent_x, (MPI_Datatype type, MPI_Count *lb, MPI_Count *extent));
CREST_MPI_FN(int, MPI_Type_get_true_extent, (MPI_Datatype type, MPI_Aint *true_lb,
                                             MPI_Aint *true_extent));
CREST_MPI_FN(int, MPI_Type_get_true_extent_x, (MPI_Datatype type, MPI_Count *true_lb,
                                               MPI_Count *true_extent));
CREST_MPI_FN(int, MPI_Type_get_envelope, (MPI_Datatype type, int *num_integers,
                                          int *num_addresses, int *num_datatypes,
                                          int *combiner));
CREST_MPI_FN(int, MPI_Type_get_contents, (MPI_Datatype type, int max_integers,
                                          int max_addresses, int max_datatypes, int integers[],
                                          MPI_Aint addresses[], MPI_Datatype datatypes[]));
CREST_MPI_FN(int, MPI_Type_match_size, (int typeclass, int size, MPI_Datatype *type));
CREST_MPI_FN(int, MPI_Type_create_f90_integer, (int r, MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_create_f90_real, (int p, int r, MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_create_f90_complex, (int p, int r, MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_set_name, (MPI_Datatype type, const char *name));
CREST_MPI_FN(int, MPI_Type_get_name, (MPI_Datatype type, char *name, int *len));
CREST_MPI_FN(int, MPI_Get_address, (const void *location, MPI_Aint *address));

/* packing */
CREST_MPI_FN(int, MPI_Pack, (const void *inbuf, int incount, MPI_Datatype type, void *outbuf,
                             int outsize, int *position, MPI_Comm comm));
CREST_MPI_FN(int, MPI_Unpack, (const void *inbuf, int insize, int *position, void *outbuf,
                               int outcount, MPI_Datatype type, MPI_Comm comm));
CREST_MPI_FN(int, MPI_Pack_size, (int incount, MPI_Datatype type, MPI_Comm comm, int *size));
CREST_MPI_FN(int, MPI_Pack_external, (const char datarep[], const void *inbuf, int incount,
                                      MPI_Datatype type, void *outbuf, MPI_Aint outsize,
                                      MPI_Aint *position));
CREST_MPI_FN(int, MPI_Unpack_external, (const char datarep[], const void *inbuf,
                                        MPI_Aint insize, MPI_Aint *position, void *outbuf,
                                        int outcount, MPI_Datatype type));
CREST_MPI_FN(int, MPI_Pack_external_size, (const char datarep[], int incount, MPI_Datatype type,
                                           MPI_Aint *size));

/* ----------------------------------------- collectives */
CREST_MPI_FN(int, MPI_Barrier, (MPI_Comm comm));
CREST_MPI_FN(int, MPI_Bcast, (void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm));
CREST_MPI_FN(int, MPI_Gather, (const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                               void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
                               MPI_Comm comm));
CREST_MPI_FN(int, MPI_Gatherv, (const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                                void *recvbuf, const int recvcounts[], const int displs[],
                                MPI_Datatype recvtype, int root, MPI_Comm comm));
CREST_MPI_FN(int, MPI_Scatter, (const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                                void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
                                MPI_Comm comm));
CREST_MPI_FN(int, MPI_Scatterv, (const void *sendbuf, const int sendcounts[], const int displs[],
                                 MPI_Datatype sendtype, void *recvbuf, int recvcount,
                                 MPI_Datatype recvtype, int root, MPI_Comm comm));
CREST_MPI_FN(int, MPI_Allgather, (const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                                  void *recvbuf, int recvcount, MPI_Datatype recvtype,
                                  MPI_Comm comm));
CREST_MPI_FN(int, MPI_Allgatherv, (const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                                   void *recvbuf, const int recvcounts[], const int displs[],
                                   MPI_Datatype recvtype, MPI_Comm comm));
CREST_MPI_FN(int, MPI_Alltoall, (const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                                 void *recvbuf, int recvcount, MPI_Datatype recvtype,
                                 MPI_Comm comm));
CREST_MPI_FN(int, MPI_Alltoallv, (const void *sendbuf, const int sendcounts[],
                                  const int sdispls[], MPI_Datatype sendtype, void *recvbuf,
                                  const int recvcounts[], const int rdispls[],
                                  MPI_Datatype recvtype, MPI_Comm comm));
CREST_MPI_FN(int, MPI_Alltoallw, (const void *sendbuf, const int sendcounts[],
                                  const int sdispls[], const MPI_Datatype sendtypes[],
                                  void *recvbuf, const int recvcounts[], const int rdispls[],
                                  const MPI_Datatype recvtypes[], MPI_Comm comm));
CREST_MPI_FN(int, MPI_Reduce, (const void *sendbuf, void *recvbuf, int count, MPI_Datatype type,
                               MPI_Op op, int root, MPI_Comm comm));
CREST_MPI_FN(int, MPI_Allreduce, (const void *sendbuf, void *recvbuf, int count,
                                  MPI_Datatype type, MPI_Op op, MPI_Comm comm));
CREST_MPI_FN(int, MPI_Reduce_local, (const void *inbuf, void *inoutbuf, int count,
                                     MPI_Datatype type, MPI_Op op));
CREST_MPI_FN(int, MPI_Reduce_scatter, (const void *sendbuf, void *recvbuf,
                                       const int recvcounts[], MPI_Datatype type, MPI_Op op,
                                       MPI_Comm comm));
CREST_MPI_FN(int, MPI_Reduce_scatter_block, (const void *sendbuf, void *recvbuf, int recvcount,
                                             MPI_Datatype type, MPI_Op op, MPI_Comm comm));
CREST_MPI_FN(int, MPI_Scan, (const void *sendbuf, void *recvbuf, int count, MPI_Datatype type,
                             MPI_Op op, MPI_Comm comm));
CREST_MPI_FN(int, MPI_Exscan, (const void *sendbuf, void *recvbuf, int count, MPI_Datatype type,
                               MPI_Op op, MPI_Comm comm));

/* nonblocking collectives */
CREST_MPI_FN(int, MPI_Ibarrier, (MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Ibcast, (void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm,
                               MPI_Request *request));
CREST_MPI_FN(int, MPI_Igather, (const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                                void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
                                MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Igatherv, (const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                                 void *recvbuf, const int recvcounts[], const int displs[],
                                 MPI_Datatype recvtype, int root, MPI_Comm comm,
                                 MPI_Request *request));
CREST_MPI_FN(int, MPI_Iscatter, (const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                                 void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
                                 MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Iscatterv, (const void *sendbuf, const int sendcounts[],
                                  const int displs[], MPI_Datatype sendtype, void *recvbuf,
                                  int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm,
                                  MPI_Request *request));
CREST_MPI_FN(int, MPI_Iallgather, (const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                                   void *recvbuf, int recvcount, MPI_Datatype recvtype,
                                   MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Iallgatherv, (const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                                    void *recvbuf, const int recvcounts[], const int displs[],
                                    MPI_Datatype recvtype, MPI_Comm comm,
                                    MPI_Request *request));
CREST_MPI_FN(int, MPI_Ialltoall, (const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                                  void *recvbuf, int recvcount, MPI_Datatype recvtype,
                                  MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Ialltoallv, (const void *sendbuf, const int sendcounts[],
                                   const int sdispls[], MPI_Datatype sendtype, void *recvbuf,
                                   const int recvcounts[], const int rdispls[],
                                   MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Ialltoallw, (const void *sendbuf, const int sendcounts[],
                                   const int sdispls[], const MPI_Datatype sendtypes[],
                                   void *recvbuf, const int recvcounts[], const int rdispls[],
                                   const MPI_Datatype recvtypes[], MPI_Comm comm,
                                   MPI_Request *request));
CREST_MPI_FN(int, MPI_Ireduce, (const void *sendbuf, void *recvbuf, int count,
                                MPI_Datatype type, MPI_Op op, int root, MPI_Comm comm,
                                MPI_Request *request));
CREST_MPI_FN(int, MPI_Iallreduce, (const void *sendbuf, void *recvbuf, int count,
                                   MPI_Datatype type, MPI_Op op, MPI_Comm comm,
                                   MPI_Request *request));
CREST_MPI_FN(int, MPI_Ireduce_scatter, (const void *sendbuf, void *recvbuf,
                                        const int recvcounts[], MPI_Datatype type, MPI_Op op,
                                        MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Ireduce_scatter_block, (const void *sendbuf, void *recvbuf, int recvcount,
                                              MPI_Datatype type, MPI_Op op, MPI_Comm comm,
                                              MPI_Request *request));
CREST_MPI_FN(int, MPI_Iscan, (const void *sendbuf, void *recvbuf, int count, MPI_Datatype type,
                              MPI_Op op, MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Iexscan, (const void *sendbuf, void *recvbuf, int count, MPI_Datatype type,
                                MPI_Op op, MPI_Comm comm, MPI_Request *request));

/* neighborhood collectives (on a process topology) */
CREST_MPI_FN(int, MPI_Neighbor_allgather, (const void *sendbuf, int sendcount,
                                           MPI_Datatype sendtype, void *recvbuf, int recvcount,
                                           MPI_Datatype recvtype, MPI_Comm comm));
CREST_MPI_FN(int, MPI_Neighbor_allgatherv, (const void *sendbuf, int sendcount,
                                            MPI_Datatype sendtype, void *recvbuf,
                                            const int recvcounts[], const int displs[],
                                            MPI_Datatype recvtype, MPI_Comm comm));
CREST_MPI_FN(int, MPI_Neighbor_alltoall, (const void *sendbuf, int sendcount,
                                          MPI_Datatype sendtype, void *recvbuf, int recvcount,
                                          MPI_Datatype recvtype, MPI_Comm comm));
CREST_MPI_FN(int, MPI_Neighbor_alltoallv, (const void *sendbuf, const int sendcounts[],
                                           const int sdispls[], MPI_Datatype sendtype,
                                           void *recvbuf, const int recvcounts[],
                                           const int rdispls[], MPI_Datatype recvtype,
                                           MPI_Comm comm));
CREST_MPI_FN(int, MPI_Neighbor_alltoallw, (const void *sendbuf, const int sendcounts[],
                                           const MPI_Aint sdispls[],
                                           const MPI_Datatype sendtypes[], void *recvbuf,
                                           const int recvcounts[], const MPI_Aint rdispls[],
                                           const MPI_Datatype recvtypes[], MPI_Comm comm));
CREST_MPI_FN(int, MPI_Ineighbor_allgather, (const void *sendbuf, int sendcount,
                                            MPI_Datatype sendtype, void *recvbuf, int recvcount,
                                            MPI_Datatype recvtype, MPI_Comm comm,
                                            MPI_Request *request));
CREST_MPI_FN(int, MPI_Ineighbor_allgatherv, (const void *sendbuf, int sendcount,
                                             MPI_Datatype sendtype, void *recvbuf,
                                             const int recvcounts[], const int displs[],
                                             MPI_Datatype recvtype, MPI_Comm comm,
                                             MPI_Request *request));
CREST_MPI_FN(int, MPI_Ineighbor_alltoall, (const void *sendbuf, int sendcount,
                                           MPI_Datatype sendtype, void *recvbuf, int recvcount,
                                           MPI_Datatype recvtype, MPI_Comm comm,
                                           MPI_Request *request));
CREST_MPI_FN(int, MPI_Ineighbor_alltoallv, (const void *sendbuf, const int sendcounts[],
                                            const int sdispls[], MPI_Datatype sendtype,
                                            void *recvbuf, const int recvcounts[],
                                            const int rdispls[], MPI_Datatype recvtype,
                                            MPI_Comm comm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Ineighbor_alltoallw, (const void *sendbuf, const int sendcounts[],
                                            const MPI_Aint sdispls[],
                                            const MPI_Datatype sendtypes[], void *recvbuf,
                                            const int recvcounts[], const MPI_Aint rdispls[],
                                            const MPI_Datatype recvtypes[], MPI_Comm comm,
                                            MPI_Request *request));

/* user-defined reduction operations */
CREST_MPI_FN(int, MPI_Op_create, (MPI_User_function *fn, int commute, MPI_Op *op));
CREST_MPI_FN(int, MPI_Op_free, (MPI_Op *op));
CREST_MPI_FN(int, MPI_Op_commutative, (MPI_Op op, int *commute));

/* ----------------------------------------- groups */
CREST_MPI_FN(int, MPI_Group_size, (MPI_Group group, int *size));
CREST_MPI_FN(int, MPI_Group_rank, (MPI_Group group, int *rank));
CREST_MPI_FN(int, MPI_Group_translate_ranks, (MPI_Group group1, int n, const int ranks1[],
                                              MPI_Group group2, int ranks2[]));
CREST_MPI_FN(int, MPI_Group_compare, (MPI_Group group1, MPI_Group group2, int *result));
CREST_MPI_FN(int, MPI_Group_union, (MPI_Group group1, MPI_Group group2, MPI_Group *newgroup));
CREST_MPI_FN(int, MPI_Group_intersection, (MPI_Group group1, MPI_Group group2,
                                           MPI_Group *newgroup));
CREST_MPI_FN(int, MPI_Group_difference, (MPI_Group group1, MPI_Group group2,
                                         MPI_Group *newgroup));
CREST_MPI_FN(int, MPI_Group_incl, (MPI_Group group, int n, const int ranks[],
                                   MPI_Group *newgroup));
CREST_MPI_FN(int, MPI_Group_excl, (MPI_Group group, int n, const int ranks[],
                                   MPI_Group *newgroup));
CREST_MPI_FN(int, MPI_Group_range_incl, (MPI_Group group, int n, int ranges[][3],
                                         MPI_Group *newgroup));
CREST_MPI_FN(int, MPI_Group_range_excl, (MPI_Group group, int n, int ranges[][3],
                                         MPI_Group *newgroup));
CREST_MPI_FN(int, MPI_Group_free, (MPI_Group *group));

/* ----------------------------------------- communicators */
CREST_MPI_FN(int, MPI_Comm_size, (MPI_Comm comm, int *size));
CREST_MPI_FN(int, MPI_Comm_rank, (MPI_Comm comm, int *rank));
CREST_MPI_FN(int, MPI_Comm_compare, (MPI_Comm comm1, MPI_Comm comm2, int *result));
CREST_MPI_FN(int, MPI_Comm_group, (MPI_Comm comm, MPI_Group *group));
CREST_MPI_FN(int, MPI_Comm_dup, (MPI_Comm comm, MPI_Comm *newcomm));
CREST_MPI_FN(int, MPI_Comm_dup_with_info, (MPI_Comm comm, MPI_Info info, MPI_Comm *newcomm));
CREST_MPI_FN(int, MPI_Comm_idup, (MPI_Comm comm, MPI_Comm *newcomm, MPI_Request *request));
CREST_MPI_FN(int, MPI_Comm_create, (MPI_Comm comm, MPI_Group group, MPI_Comm *newcomm));
CREST_MPI_FN(int, MPI_Comm_create_group, (MPI_Comm comm, MPI_Group group, int tag,
                                          MPI_Comm *newcomm));
CREST_MPI_FN(int, MPI_Comm_split, (MPI_Comm comm, int color, int key, MPI_Comm *newcomm));
CREST_MPI_FN(int, MPI_Comm_split_type, (MPI_Comm comm, int split_type, int key, MPI_Info info,
                                        MPI_Comm *newcomm));
CREST_MPI_FN(int, MPI_Comm_free, (MPI_Comm *comm));
CREST_MPI_FN(int, MPI_Comm_test_inter, (MPI_Comm comm, int *flag));
CREST_MPI_FN(int, MPI_Comm_remote_size, (MPI_Comm comm, int *size));
CREST_MPI_FN(int, MPI_Comm_remote_group, (MPI_Comm comm, MPI_Group *group));
CREST_MPI_FN(int, MPI_Intercomm_create, (MPI_Comm local_comm, int local_leader,
                                         MPI_Comm peer_comm, int remote_leader, int tag,
                                         MPI_Comm *newintercomm));
CREST_MPI_FN(int, MPI_Intercomm_merge, (MPI_Comm intercomm, int high, MPI_Comm *newintracomm));
CREST_MPI_FN(int, MPI_Comm_set_info, (MPI_Comm comm, MPI_Info info));
CREST_MPI_FN(int, MPI_Comm_get_info, (MPI_Comm comm, MPI_Info *info_used));
CREST_MPI_FN(int, MPI_Comm_set_name, (MPI_Comm comm, const char *name));
CREST_MPI_FN(int, MPI_Comm_get_name, (MPI_Comm comm, char *name, int *len));

/* ----------------------------------------- attribute caching */
CREST_MPI_FN(int, MPI_Comm_create_keyval, (MPI_Comm_copy_attr_function *copy_fn,
                                           MPI_Comm_delete_attr_function *delete_fn,
                                           int *keyval, void *extra_state));
CREST_MPI_FN(int, MPI_Comm_free_keyval, (int *keyval));
CREST_MPI_FN(int, MPI_Comm_set_attr, (MPI_Comm comm, int keyval, void *value));
CREST_MPI_FN(int, MPI_Comm_get_attr, (MPI_Comm comm, int keyval, void *value, int *flag));
CREST_MPI_FN(int, MPI_Comm_delete_attr, (MPI_Comm comm, int keyval));
CREST_MPI_FN(int, MPI_Type_create_keyval, (MPI_Type_copy_attr_function *copy_fn,
                                           MPI_Type_delete_attr_function *delete_fn,
                                           int *keyval, void *extra_state));
CREST_MPI_FN(int, MPI_Type_free_keyval, (int *keyval));
CREST_MPI_FN(int, MPI_Type_set_attr, (MPI_Datatype type, int keyval, void *value));
CREST_MPI_FN(int, MPI_Type_get_attr, (MPI_Datatype type, int keyval, void *value, int *flag));
CREST_MPI_FN(int, MPI_Type_delete_attr, (MPI_Datatype type, int keyval));
CREST_MPI_FN(int, MPI_Win_create_keyval, (MPI_Win_copy_attr_function *copy_fn,
                                          MPI_Win_delete_attr_function *delete_fn, int *keyval,
                                          void *extra_state));
CREST_MPI_FN(int, MPI_Win_free_keyval, (int *keyval));
CREST_MPI_FN(int, MPI_Win_set_attr, (MPI_Win win, int keyval, void *value));
CREST_MPI_FN(int, MPI_Win_get_attr, (MPI_Win win, int keyval, void *value, int *flag));
CREST_MPI_FN(int, MPI_Win_delete_attr, (MPI_Win win, int keyval));
/* MPI-1 interface, deprecated */
CREST_MPI_FN(int, MPI_Keyval_create, (MPI_Copy_function *copy_fn, MPI_Delete_function *delete_fn,
                                      int *keyval, void *extra_state));
CREST_MPI_FN(int, MPI_Keyval_free, (int *keyval));
CREST_MPI_FN(int, MPI_Attr_put, (MPI_Comm comm, int keyval, void *value));
CREST_MPI_FN(int, MPI_Attr_get, (MPI_Comm comm, int keyval, void *value, int *flag));
CREST_MPI_FN(int, MPI_Attr_delete, (MPI_Comm comm, int keyval));

/* ----------------------------------------- process topologies */
CREST_MPI_FN(int, MPI_Dims_create, (int nnodes, int ndims, int dims[]));
CREST_MPI_FN(int, MPI_Cart_create, (MPI_Comm comm_old, int ndims, const int dims[],
                                    const int periods[], int reorder, MPI_Comm *comm_cart));
CREST_MPI_FN(int, MPI_Cartdim_get, (MPI_Comm comm, int *ndims));
CREST_MPI_FN(int, MPI_Cart_get, (MPI_Comm comm, int maxdims, int dims[], int periods[],
                                 int coords[]));
CREST_MPI_FN(int, MPI_Cart_rank, (MPI_Comm comm, const int coords[], int *rank));
CREST_MPI_FN(int, MPI_Cart_coords, (MPI_Comm comm, int rank, int maxdims, int coords[]));
CREST_MPI_FN(int, MPI_Cart_shift, (MPI_Comm comm, int direction, int disp, int *rank_source,
                                   int *rank_dest));
CREST_MPI_FN(int, MPI_Cart_sub, (MPI_Comm comm, const int remain_dims[], MPI_Comm *newcomm));
CREST_MPI_FN(int, MPI_Cart_map, (MPI_Comm comm, int ndims, const int dims[], const int periods[],
                                 int *newrank));
CREST_MPI_FN(int, MPI_Graph_create, (MPI_Comm comm_old, int nnodes, const int index[],
                                     const int edges[], int reorder, MPI_Comm *comm_graph));
CREST_MPI_FN(int, MPI_Graphdims_get, (MPI_Comm comm, int *nnodes, int *nedges));
CREST_MPI_FN(int, MPI_Graph_get, (MPI_Comm comm, int maxindex, int maxedges, int index[],
                                  int edges[]));
CREST_MPI_FN(int, MPI_Graph_neighbors_count, (MPI_Comm comm, int rank, int *nneighbors));
CREST_MPI_FN(int, MPI_Graph_neighbors, (MPI_Comm comm, int rank, int maxneighbors,
                                        int neighbors[]));
CREST_MPI_FN(int, MPI_Graph_map, (MPI_Comm comm, int nnodes, const int index[],
                                  const int edges[], int *newrank));
CREST_MPI_FN(int, MPI_Dist_graph_create, (MPI_Comm comm_old, int n, const int sources[],
                                          const int degrees[], const int destinations[],
                                          const int weights[], MPI_Info info, int reorder,
                                          MPI_Comm *comm_dist_graph));
CREST_MPI_FN(int, MPI_Dist_graph_create_adjacent, (MPI_Comm comm_old, int indegree,
                                                   const int sources[],
                                                   const int sourceweights[], int outdegree,
                                                   const int destinations[],
                                                   const int destweights[], MPI_Info info,
                                                   int reorder, MPI_Comm *comm_dist_graph));
CREST_MPI_FN(int, MPI_Dist_graph_neighbors_count, (MPI_Comm comm, int *indegree, int *outdegree,
                                                   int *weighted));
CREST_MPI_FN(int, MPI_Dist_graph_neighbors, (MPI_Comm comm, int maxindegree, int sources[],
                                             int sourceweights[], int maxoutdegree,
                                             int destinations[], int destweights[]));
CREST_MPI_FN(int, MPI_Topo_test, (MPI_Comm comm, int *status));

/* ----------------------------------------- error handling */
CREST_MPI_FN(int, MPI_Comm_create_errhandler, (MPI_Comm_errhandler_function *fn,
                                               MPI_Errhandler *errhandler));
CREST_MPI_FN(int, MPI_Comm_set_errhandler, (MPI_Comm comm, MPI_Errhandler errhandler));
CREST_MPI_FN(int, MPI_Comm_get_errhandler, (MPI_Comm comm, MPI_Errhandler *errhandler));
CREST_MPI_FN(int, MPI_Comm_call_errhandler, (MPI_Comm comm, int errorcode));
CREST_MPI_FN(int, MPI_Win_create_errhandler, (MPI_Win_errhandler_function *fn,
                                              MPI_Errhandler *errhandler));
CREST_MPI_FN(int, MPI_Win_set_errhandler, (MPI_Win win, MPI_Errhandler errhandler));
CREST_MPI_FN(int, MPI_Win_get_errhandler, (MPI_Win win, MPI_Errhandler *errhandler));
CREST_MPI_FN(int, MPI_Win_call_errhandler, (MPI_Win win, int errorcode));
CREST_MPI_FN(int, MPI_Errhandler_free, (MPI_Errhandler *errhandler));
CREST_MPI_FN(int, MPI_Error_string, (int errorcode, char *string, int *len));
CREST_MPI_FN(int, MPI_Error_class, (int errorcode, int *errorclass));
CREST_MPI_FN(int, MPI_Add_error_class, (int *errorclass));
CREST_MPI_FN(int, MPI_Add_error_code, (int errorclass, int *errorcode));
CREST_MPI_FN(int, MPI_Add_error_string, (int errorcode, const char *string));

/* ----------------------------------------- info objects */
CREST_MPI_FN(int, MPI_Info_create, (MPI_Info *info));
CREST_MPI_FN(int, MPI_Info_set, (MPI_Info info, const char *key, const char *value));
CREST_MPI_FN(int, MPI_Info_get, (MPI_Info info, const char *key, int valuelen, char *value,
                                 int *flag));
CREST_MPI_FN(int, MPI_Info_get_valuelen, (MPI_Info info, const char *key, int *valuelen,
                                          int *flag));
CREST_MPI_FN(int, MPI_Info_get_nkeys, (MPI_Info info, int *nkeys));
CREST_MPI_FN(int, MPI_Info_get_nthkey, (MPI_Info info, int n, char *key));
CREST_MPI_FN(int, MPI_Info_delete, (MPI_Info info, const char *key));
CREST_MPI_FN(int, MPI_Info_dup, (MPI_Info info, MPI_Info *newinfo));
CREST_MPI_FN(int, MPI_Info_free, (MPI_Info *info));

/* ----------------------------------------- one-sided communication */
CREST_MPI_FN(int, MPI_Win_create, (void *base, MPI_Aint size, int disp_unit, MPI_Info info,
                                   MPI_Comm comm, MPI_Win *win));
CREST_MPI_FN(int, MPI_Win_allocate, (MPI_Aint size, int disp_unit, MPI_Info info, MPI_Comm comm,
                                     void *baseptr, MPI_Win *win));
CREST_MPI_FN(int, MPI_Win_allocate_shared, (MPI_Aint size, int disp_unit, MPI_Info info,
                                            MPI_Comm comm, void *baseptr, MPI_Win *win));
CREST_MPI_FN(int, MPI_Win_shared_query, (MPI_Win win, int rank, MPI_Aint *size, int *disp_unit,
                                         void *baseptr));
CREST_MPI_FN(int, MPI_Win_create_dynamic, (MPI_Info info, MPI_Comm comm, MPI_Win *win));
CREST_MPI_FN(int, MPI_Win_attach, (MPI_Win win, void *base, MPI_Aint size));
CREST_MPI_FN(int, MPI_Win_detach, (MPI_Win win, const void *base));
CREST_MPI_FN(int, MPI_Win_free, (MPI_Win *win));
CREST_MPI_FN(int, MPI_Win_get_group, (MPI_Win win, MPI_Group *group));
CREST_MPI_FN(int, MPI_Win_set_info, (MPI_Win win, MPI_Info info));
CREST_MPI_FN(int, MPI_Win_get_info, (MPI_Win win, MPI_Info *info_used));
CREST_MPI_FN(int, MPI_Win_set_name, (MPI_Win win, const char *name));
CREST_MPI_FN(int, MPI_Win_get_name, (MPI_Win win, char *name, int *len));
CREST_MPI_FN(int, MPI_Put, (const void *origin_addr, int origin_count,
                            MPI_Datatype origin_type, int target_rank, MPI_Aint target_disp,
                            int target_count, MPI_Datatype target_type, MPI_Win win));
CREST_MPI_FN(int, MPI_Get, (void *origin_addr, int origin_count, MPI_Datatype origin_type,
                            int target_rank, MPI_Aint target_disp, int target_count,
                            MPI_Datatype target_type, MPI_Win win));
CREST_MPI_FN(int, MPI_Accumulate, (const void *origin_addr, int origin_count,
                                   MPI_Datatype origin_type, int target_rank,
                                   MPI_Aint target_disp, int target_count,
                                   MPI_Datatype target_type, MPI_Op op, MPI_Win win));
CREST_MPI_FN(int, MPI_Get_accumulate, (const void *origin_addr, int origin_count,
                                       MPI_Datatype origin_type, void *result_addr,
                                       int result_count, MPI_Datatype result_type,
                                       int target_rank, MPI_Aint target_disp, int target_count,
                                       MPI_Datatype target_type, MPI_Op op, MPI_Win win));
CREST_MPI_FN(int, MPI_Fetch_and_op, (const void *origin_addr, void *result_addr,
                                     MPI_Datatype type, int target_rank, MPI_Aint target_disp,
                                     MPI_Op op, MPI_Win win));
CREST_MPI_FN(int, MPI_Compare_and_swap, (const void *origin_addr, const void *compare_addr,
                                         void *result_addr, MPI_Datatype type, int target_rank,
                                         MPI_Aint target_disp, MPI_Win win));
CREST_MPI_FN(int, MPI_Rput, (const void *origin_addr, int origin_count,
                             MPI_Datatype origin_type, int target_rank, MPI_Aint target_disp,
                             int target_count, MPI_Datatype target_type, MPI_Win win,
                             MPI_Request *request));
CREST_MPI_FN(int, MPI_Rget, (void *origin_addr, int origin_count, MPI_Datatype origin_type,
                             int target_rank, MPI_Aint target_disp, int target_count,
                             MPI_Datatype target_type, MPI_Win win, MPI_Request *request));
CREST_MPI_FN(int, MPI_Raccumulate, (const void *origin_addr, int origin_count,
                                    MPI_Datatype origin_type, int target_rank,
                                    MPI_Aint target_disp, int target_count,
                                    MPI_Datatype target_type, MPI_Op op, MPI_Win win,
                                    MPI_Request *request));
CREST_MPI_FN(int, MPI_Rget_accumulate, (const void *origin_addr, int origin_count,
                                        MPI_Datatype origin_type, void *result_addr,
                                        int result_count, MPI_Datatype result_type,
                                        int target_rank, MPI_Aint target_disp, int target_count,
                                        MPI_Datatype target_type, MPI_Op op, MPI_Win win,
                                        MPI_Request *request));
/* synchronization */
CREST_MPI_FN(int, MPI_Win_fence, (int assertion, MPI_Win win));
CREST_MPI_FN(int, MPI_Win_start, (MPI_Group group, int assertion, MPI_Win win));
CREST_MPI_FN(int, MPI_Win_complete, (MPI_Win win));
CREST_MPI_FN(int, MPI_Win_post, (MPI_Group group, int assertion, MPI_Win win));
CREST_MPI_FN(int, MPI_Win_wait, (MPI_Win win));
CREST_MPI_FN(int, MPI_Win_test, (MPI_Win win, int *flag));
CREST_MPI_FN(int, MPI_Win_lock, (int lock_type, int rank, int assertion, MPI_Win win));
CREST_MPI_FN(int, MPI_Win_lock_all, (int assertion, MPI_Win win));
CREST_MPI_FN(int, MPI_Win_unlock, (int rank, MPI_Win win));
CREST_MPI_FN(int, MPI_Win_unlock_all, (MPI_Win win));
CREST_MPI_FN(int, MPI_Win_flush, (int rank, MPI_Win win));
CREST_MPI_FN(int, MPI_Win_flush_all, (MPI_Win win));
CREST_MPI_FN(int, MPI_Win_flush_local, (int rank, MPI_Win win));
CREST_MPI_FN(int, MPI_Win_flush_local_all, (MPI_Win win));
CREST_MPI_FN(int, MPI_Win_sync, (MPI_Win win));

/* ----------------------------------------- process creation and connection */
CREST_MPI_FN(int, MPI_Comm_spawn, (const char *command, char *argv[], int maxprocs,
                                   MPI_Info info, int root, MPI_Comm comm, MPI_Comm *intercomm,
                                   int errcodes[]));
CREST_MPI_FN(int, MPI_Comm_spawn_multiple, (int count, char *commands[], char **argvs[],
                                            const int maxprocs[], const MPI_Info infos[],
                                            int root, MPI_Comm comm, MPI_Comm *intercomm,
                                            int errcodes[]));
CREST_MPI_FN(int, MPI_Comm_get_parent, (MPI_Comm *parent));
CREST_MPI_FN(int, MPI_Open_port, (MPI_Info info, char *port_name));
CREST_MPI_FN(int, MPI_Close_port, (const char *port_name));
CREST_MPI_FN(int, MPI_Comm_accept, (const char *port_name, MPI_Info info, int root,
                                    MPI_Comm comm, MPI_Comm *newcomm));
CREST_MPI_FN(int, MPI_Comm_connect, (const char *port_name, MPI_Info info, int root,
                                     MPI_Comm comm, MPI_Comm *newcomm));
CREST_MPI_FN(int, MPI_Comm_disconnect, (MPI_Comm *comm));
CREST_MPI_FN(int, MPI_Comm_join, (int fd, MPI_Comm *intercomm));
CREST_MPI_FN(int, MPI_Publish_name, (const char *service_name, MPI_Info info,
                                     const char *port_name));
CREST_MPI_FN(int, MPI_Unpublish_name, (const char *service_name, MPI_Info info,
                                       const char *port_name));
CREST_MPI_FN(int, MPI_Lookup_name, (const char *service_name, MPI_Info info, char *port_name));

/* ----------------------------------------- data representations (for MPI-IO) */
CREST_MPI_FN(int, MPI_Register_datarep, (const char *datarep,
                                         MPI_Datarep_conversion_function *read_fn,
                                         MPI_Datarep_conversion_function *write_fn,
                                         MPI_Datarep_extent_function *extent_fn,
                                         void *extra_state));

/* ----------------------------------------- removed in MPI-3.0, still provided */
CREST_MPI_FN(int, MPI_Address, (void *location, MPI_Aint *address));
CREST_MPI_FN(int, MPI_Type_extent, (MPI_Datatype type, MPI_Aint *extent));
CREST_MPI_FN(int, MPI_Type_lb, (MPI_Datatype type, MPI_Aint *lb));
CREST_MPI_FN(int, MPI_Type_ub, (MPI_Datatype type, MPI_Aint *ub));
CREST_MPI_FN(int, MPI_Type_hvector, (int count, int blocklength, MPI_Aint stride,
                                     MPI_Datatype oldtype, MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_hindexed, (int count, int blocklengths[], MPI_Aint displs[],
                                      MPI_Datatype oldtype, MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Type_struct, (int count, int blocklengths[], MPI_Aint displs[],
                                    MPI_Datatype types[], MPI_Datatype *newtype));
CREST_MPI_FN(int, MPI_Errhandler_create, (MPI_Handler_function *fn, MPI_Errhandler *errhandler));
CREST_MPI_FN(int, MPI_Errhandler_set, (MPI_Comm comm, MPI_Errhandler errhandler));
CREST_MPI_FN(int, MPI_Errhandler_get, (MPI_Comm comm, MPI_Errhandler *errhandler));

#undef CREST_MPI_FN

#ifdef __cplusplus
}
#endif

#endif /* CREST_MPI_H */
