/* restore_plan.h — what the restarter hands its last stage (the blob): a
 * self-contained description of the address space to build, in memory that
 * stays mapped while everything else is torn down. All offsets are relative
 * to the plan itself. */
#ifndef CREST_RESTORE_PLAN_H
#define CREST_RESTORE_PLAN_H

#include <linux/prctl.h>
#include <stdint.h>

#include "../common/image_format.h"
#include "../lib/libcrest_internal.h"

struct plan_range {
    uint64_t start, end;
};

struct plan_map {
    uint64_t start, end;
    uint32_t prot;
    uint32_t mmap_flags;      /* MAP_PRIVATE/MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN */
    int32_t fd;               /* file to map, -1 for anonymous */
    uint32_t kind;
    uint64_t file_offset;
    uint64_t data_offset;     /* image offset of the saved pages */
    uint64_t saved_pages;
    uint32_t nruns, nblocks;
    uint64_t runs_off, crcs_off;
};

struct plan_special {          /* [vdso], [vvar], [vvar_vclock] */
    uint64_t cur_start, len, want_start, temp;
};

struct plan_thread {
    struct crest_thread_context ctx;
    uint64_t fs_base;
    uint64_t tid_addr;        /* glibc's tid field of the thread, 0 if unknown */
    uint32_t role;
    uint32_t reserved;
};

enum blob_message {
    BLOB_MSG_TRUNCATED, BLOB_MSG_CORRUPT, BLOB_MSG_MAP, BLOB_MSG_VDSO, BLOB_MSG_MM,
    BLOB_MSG_CLONE, BLOB_MSG_COUNT
};

struct restore_plan {
    uint64_t base, size;      /* the region holding blob, plan and stack */
    int32_t image_fd;
    uint32_t map_min_pages;   /* runs this long are mapped from the image; 0: all copied */
    uint32_t nold;            /* the restarter's own mappings to unmap */
    uint64_t old_off;
    uint32_t nmaps;
    uint32_t nspecial;
    uint64_t maps_off;
    struct plan_special special[3];
    struct prctl_mm_map mm;
    uint64_t auxv[64];
    struct crest_kernel_sigaction actions[64];
    uint32_t nthreads;
    uint32_t nfds_to_close;
    uint64_t threads_off;
    int32_t fds_to_close[512];
    uint64_t restart_info_addr;
    struct crest_restart_info info;
    char comm[16];
    /* The blob has no string constants of its own: its messages live here. */
    char message_prefix[600]; /* "crest restart: IMAGE: " */
    char messages[BLOB_MSG_COUNT][96];
};

/* The blob's entry; runs on the plan's stack. Never returns. */
void crest_blob_main(struct restore_plan *plan) __attribute__((noreturn));

#endif
