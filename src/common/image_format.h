/* image_format.h — the on-disk layout of a crest process image.
 *
 *   [header, 4096 bytes][page data ...][records]
 *
 * The header is rewritten last, so an image whose header says complete has
 * every byte behind it.  Page data comes first, page-aligned, so the writer
 * streams memory straight from the process and the restarter reads it
 * straight into place.  Records (metadata) follow the data; each carries its
 * own CRC32C, and page data is covered by one CRC32C per 64 KiB block. */
#ifndef CREST_IMAGE_FORMAT_H
#define CREST_IMAGE_FORMAT_H

#include <stdint.h>

#define CREST_IMAGE_MAGIC "CRESTIMG"
#define CREST_IMAGE_VERSION 1u
#define CREST_IMAGE_HEADER_SIZE 4096u
#define CREST_PAGE_SIZE 4096u
#define CREST_BLOCK_PAGES 16u /* pages covered by one data checksum */
#define CREST_BLOCK_SIZE (CREST_BLOCK_PAGES * CREST_PAGE_SIZE)

struct crest_image_header {
    char magic[8];          /* CREST_IMAGE_MAGIC, not NUL-terminated */
    uint32_t version;       /* CREST_IMAGE_VERSION */
    uint32_t header_size;   /* CREST_IMAGE_HEADER_SIZE */
    uint64_t file_size;     /* total bytes of the complete image */
    uint64_t records_offset;
    uint64_t records_size;
    uint32_t records_crc;   /* CRC32C of the whole records area */
    uint32_t record_count;
    uint64_t data_bytes;    /* page data bytes (before the records) */
    uint64_t created_ns;    /* CLOCK_REALTIME when the image was committed */
    uint32_t header_crc;    /* CRC32C of this struct with header_crc = 0 */
    uint32_t reserved;
};

enum crest_record_type {
    CREST_REC_PROCESS = 1, /* struct crest_rec_process + strings */
    CREST_REC_THREAD = 2,  /* struct crest_rec_thread */
    CREST_REC_MAPPING = 3, /* struct crest_rec_mapping + path + runs + crcs */
    CREST_REC_FD = 4,      /* struct crest_rec_fd + path */
    CREST_REC_SIGNALS = 5, /* struct crest_rec_signals */
    CREST_REC_END = 6,     /* no payload; last record */
    CREST_REC_TIMER = 7    /* struct crest_rec_timer: a POSIX timer (timer_create) */
};

/* Every record: this header, then `size` payload bytes, padded to 8. */
struct crest_record {
    uint32_t type;
    uint32_t size;
    uint32_t crc;          /* CRC32C of the payload */
    uint32_t reserved;
};

/* CPU feature words as CPUID/XGETBV report them. */
struct crest_cpu_features {
    uint32_t leaf1_ecx, leaf1_edx;
    uint32_t leaf7_ebx, leaf7_ecx, leaf7_edx;
    uint32_t leaf7_1_eax;
    uint64_t xcr0;
};

/* The kernel's mm fields, as PR_SET_MM_MAP takes them back. */
struct crest_mm_fields {
    uint64_t start_code, end_code, start_data, end_data;
    uint64_t start_brk, brk, start_stack;
    uint64_t arg_start, arg_end, env_start, env_end;
};

struct crest_rec_process {
    int32_t pid, ppid;
    uint32_t uid, gid;
    uint64_t start_time_ticks;  /* /proc/PID/stat field 22 */
    char boot_id[40];           /* /proc/sys/kernel/random/boot_id */
    uint64_t checkpoint_ns;     /* CLOCK_REALTIME at the checkpoint */
    uint64_t monotonic_ns;      /* CLOCK_MONOTONIC at the checkpoint */
    struct crest_cpu_features cpu;
    struct crest_mm_fields mm;
    uint32_t umask;
    uint32_t restart_count;     /* how often this process was restarted */
    int32_t tid_offset;         /* offset of the tid in glibc's thread descriptor */
    int32_t rseq_offset;        /* glibc __rseq_offset (0: none) */
    uint32_t rseq_size;         /* glibc __rseq_size (0: not registered) */
    uint32_t nthreads;
    uint64_t restart_info_addr; /* where the restarter hands over (libcrest) */
    uint64_t manager_entry;     /* libcrest's entry for its thread on restart */
    uint64_t manager_stack_top; /* stack the manager restarts on */
    uint32_t auxv_size;         /* bytes of auxv that follow */
    uint32_t exe_len, cwd_len, cmdline_len; /* strings that follow auxv */
    uint32_t comm_len;
    uint32_t reserved;
    /* followed by: auxv, exe, cwd, cmdline (NUL-separated args), comm */
};

/* Registers a thread resumes with; matches crest_context_save(). */
struct crest_thread_context {
    uint64_t rsp, rip, rbx, rbp, r12, r13, r14, r15;
    uint32_t mxcsr;
    uint16_t fpu_cw;
    uint16_t pad;
};

enum crest_thread_role { CREST_THREAD_APP = 0, CREST_THREAD_MAIN = 1, CREST_THREAD_MANAGER = 2 };

struct crest_rec_thread {
    int32_t tid;
    uint32_t role;
    uint64_t fs_base;       /* TLS: glibc's thread descriptor */
    uint64_t robust_head;   /* set_robust_list() registration */
    uint64_t robust_len;
    uint64_t sigmask;       /* mask the thread had when stopped */
    uint64_t pending;       /* signals pending for this thread alone */
    uint64_t sigaltstack_sp, sigaltstack_size;
    uint32_t sigaltstack_flags;
    uint32_t reserved;
    struct crest_thread_context ctx;
};

enum crest_mapping_kind {
    CREST_MAP_ANON = 1,      /* private anonymous (incl. heap and stacks) */
    CREST_MAP_FILE_PRIVATE,  /* private file mapping: only changed pages saved */
    CREST_MAP_FILE_SHARED,   /* shared file mapping: content lives in the file */
    CREST_MAP_SHARED_ANON,   /* shared anonymous / deleted file / memfd: all saved */
    CREST_MAP_VDSO,          /* [vdso]: moved, never saved */
    CREST_MAP_VVAR,          /* [vvar] */
    CREST_MAP_VVAR_VCLOCK    /* [vvar_vclock] */
};

#define CREST_MAPF_HEAP 1u
#define CREST_MAPF_STACK 2u     /* the main thread's [stack]: grows down */
#define CREST_MAPF_READ_ADDED 4u/* not readable: pages saved with temporary PROT_READ */
#define CREST_MAPF_FROM_IMAGE 8u/* was mapped from the image of an earlier restart */

/* A run of saved pages: npages pages at addr, stored contiguously. */
struct crest_page_run {
    uint64_t addr;
    uint64_t npages;
};

struct crest_rec_mapping {
    uint64_t start, end;
    uint32_t prot;          /* PROT_* */
    uint32_t kind;          /* enum crest_mapping_kind */
    uint32_t flags;         /* CREST_MAPF_* */
    uint32_t path_len;      /* bytes of path that follow (incl. NUL), 0 if none */
    uint64_t file_offset;
    uint64_t dev, ino;
    uint64_t file_size;
    int64_t file_mtime_ns;
    uint64_t data_offset;   /* where the runs' pages start in the image */
    uint64_t saved_pages;
    uint32_t nruns;
    uint32_t nblocks;       /* CRCs: one per CREST_BLOCK_PAGES of saved pages */
    /* followed by: path, padded to 8; runs[nruns]; uint32 crcs[nblocks] */
};

enum crest_fd_kind {
    CREST_FD_FILE = 1, CREST_FD_DIR, CREST_FD_PIPE, CREST_FD_SOCKET,
    CREST_FD_TTY, CREST_FD_DEVICE, CREST_FD_OTHER
};

struct crest_rec_fd {
    int32_t fd;
    uint32_t kind;
    uint32_t open_flags;    /* F_GETFL */
    uint32_t fd_flags;      /* F_GETFD */
    uint64_t offset;
    uint64_t dev, ino;
    uint64_t size;
    int64_t mtime_ns;
    uint32_t mode;          /* st_mode */
    uint32_t path_len;      /* path follows (incl. NUL) */
    uint32_t pipe_size;     /* F_GETPIPE_SZ of a pipe, 0 otherwise */
    uint32_t data_len;      /* bytes after the path: what was in a pipe, or the
                             * /proc fdinfo text of an eventfd, timerfd,
                             * signalfd or epoll descriptor */
    int32_t dup_of;         /* a lower fd sharing this open file (dup), or -1 */
    uint32_t reserved;
};

/* A POSIX timer, as /proc/PID/timers and timer_gettime tell it. */
struct crest_rec_timer {
    int32_t id;             /* the kernel's timer id, which the program holds */
    int32_t clockid;
    int32_t notify;         /* SIGEV_SIGNAL, SIGEV_NONE, or SIGEV_THREAD_ID */
    int32_t signo;
    uint64_t sigval;        /* the value the signal carries */
    int32_t target_tid;     /* SIGEV_THREAD_ID: the thread, by its tid then */
    uint32_t reserved;
    int64_t interval_s, interval_ns, value_s, value_ns;
};

/* The kernel's struct sigaction (rt_sigaction), one per signal 1..64. */
struct crest_kernel_sigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};

struct crest_rec_signals {
    struct crest_kernel_sigaction action[64]; /* index = signal - 1 */
    uint64_t itimer[3][4];  /* ITIMER_REAL/VIRTUAL/PROF: interval s,us, value s,us */
    uint64_t pending;       /* process-wide pending signals */
};

/* glibc registers its rseq area with at least the original 32-byte size,
 * while __rseq_size may name only the fields in use (20 in glibc 2.36). */
static inline unsigned crest_rseq_registered_size(void)
{
    extern const unsigned int __rseq_size;
    return __rseq_size < 32 ? 32 : __rseq_size;
}

#endif
