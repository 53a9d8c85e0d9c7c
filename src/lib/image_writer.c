/* image_writer.c — writes the image of this process while every other
 * thread is stopped.  Runs in the manager thread, so it may not take any
 * lock another thread could hold: no malloc, no stdio; scratch memory comes
 * from mmap and is left out of the image. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/rseq.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../common/cpu_features.h"
#include "../common/crc32c.h"
#include "../common/crc32c_inline.h"
#include "../common/maps_parse.h"
#include "libcrest_internal.h"

#define PAGE CREST_PAGE_SIZE

extern char *const crest_manager_restart_stack_end;
#define PAGEMAP_CHUNK 8192 /* pagemap entries read at once */
#define MAPS_TEXT_MAX (16u << 20)
#define IOV_BATCH 1024
#define WRITE_BATCH_BYTES (8u << 20) /* stays in the last-level cache between checksum and copy */

#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_FILE (1ull << 61)

/* Growable scratch buffer addressed by offset (it may move when it grows). */
struct scratch {
    unsigned char *base;
    size_t len, cap;
};

struct writer {
    int fd;
    uint64_t offset;          /* next data byte in the file */
    int sync;                 /* the image must be on disk when done */
    uint64_t writeback_from;  /* bytes before this are on their way to disk */
    int pagemap_fd;
    struct scratch records;
    struct scratch crcs;      /* block CRCs of the mapping being written */
    uint32_t record_count;
    uint64_t *pagemap;        /* PAGEMAP_CHUNK entries */
    char *maps_text;
    long maps_len;
    struct iovec iov[IOV_BATCH];
    int niov;
    uint64_t iov_bytes;
    unsigned char *bounce;    /* copies of volatile pages, written from here */
    size_t bounce_used, bounce_cap;
    /* saved pages whose block checksums are not summed yet */
    const unsigned char *pending[3 * CREST_BLOCK_PAGES];
    unsigned pending_pages;
    int error;
    const char *failed;       /* what failed, for the message */
};

static int scratch_reserve(struct scratch *s, size_t more)
{
    if (s->len + more <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : (1u << 20);
    while (cap < s->len + more)
        cap *= 2;
    void *p = s->base ? mremap(s->base, s->cap, cap, MREMAP_MAYMOVE)
                      : mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    s->base = p;
    s->cap = cap;
    return 0;
}

static void scratch_free(struct scratch *s)
{
    if (s->base)
        munmap(s->base, s->cap);
    s->base = NULL;
    s->len = s->cap = 0;
}

static void fail(struct writer *w, const char *what)
{
    if (!w->error) {
        w->error = errno ? errno : EIO;
        w->failed = what;
    }
}

static void *rec_append(struct writer *w, size_t n)
{
    if (scratch_reserve(&w->records, n)) {
        fail(w, "scratch memory for records");
        return NULL;
    }
    void *p = w->records.base + w->records.len;
    memset(p, 0, n);
    w->records.len += n;
    return p;
}

static size_t rec_begin(struct writer *w, uint32_t type)
{
    size_t at = w->records.len;
    struct crest_record *r = rec_append(w, sizeof *r);
    if (r)
        r->type = type;
    return at;
}

static void rec_end(struct writer *w, size_t at)
{
    if (w->error)
        return;
    size_t payload = w->records.len - at - sizeof(struct crest_record);
    size_t pad = (8 - payload % 8) % 8;
    rec_append(w, pad);
    struct crest_record *r = (struct crest_record *)(w->records.base + at);
    r->size = (uint32_t)payload;
    r->crc = crest_crc32c(0, r + 1, payload);
    w->record_count++;
}

static void rec_string(struct writer *w, const char *s, size_t len)
{
    char *p = rec_append(w, len);
    if (p)
        memcpy(p, s, len);
}

/* ---- page data ---- */

static int write_all_iov(struct writer *w)
{
    struct iovec *iov = w->iov;
    int n = w->niov;
    while (n > 0) {
        ssize_t put = writev(w->fd, iov, n);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0) {
            if (put == 0)
                errno = ENOSPC;
            fail(w, "writing the image");
            return -1;
        }
        w->offset += (uint64_t)put;
        while (n > 0 && (size_t)put >= iov->iov_len) {
            put -= (ssize_t)iov->iov_len;
            iov++, n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + put;
            iov->iov_len -= (size_t)put;
        }
    }
    w->niov = 0;
    w->iov_bytes = 0;
    if (w->sync && w->offset > w->writeback_from) {
        /* start the disk on what is written while the rest is produced; the
         * final fdatasync then waits for little more than the tail */
        sync_file_range(w->fd, (off_t)w->writeback_from, (off_t)(w->offset - w->writeback_from),
                        SYNC_FILE_RANGE_WRITE);
        w->writeback_from = w->offset;
    }
    return 0;
}

static void queue_bytes(struct writer *w, const void *p, size_t len)
{
    if (w->niov > 0) {
        struct iovec *last = &w->iov[w->niov - 1];
        if ((const char *)last->iov_base + last->iov_len == p) {
            last->iov_len += len;
            w->iov_bytes += len;
            goto check;
        }
    }
    w->iov[w->niov].iov_base = (void *)p;
    w->iov[w->niov].iov_len = len;
    w->niov++;
    w->iov_bytes += len;
check:
    if (w->niov == IOV_BATCH || w->iov_bytes >= WRITE_BATCH_BYTES)
        write_all_iov(w);
}

/* Block checksums: pages wait here until three whole blocks can be summed
 * at once; pages of a block need not be contiguous in memory. */
static void add_block_crc(struct writer *w, uint32_t crc)
{
    if (scratch_reserve(&w->crcs, sizeof crc)) {
        fail(w, "scratch memory for checksums");
        return;
    }
    memcpy(w->crcs.base + w->crcs.len, &crc, sizeof crc);
    w->crcs.len += sizeof crc;
}

static uint32_t block_crc(const unsigned char *const *pages, unsigned n)
{
    uint32_t crc = 0;
    for (unsigned i = 0; i < n; i++)
        crc = crest_crc32c_update(crc, pages[i], PAGE);
    return crc;
}

static int contiguous(const unsigned char *const *pages, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        if (pages[i] != pages[0] + (size_t)i * PAGE)
            return 0;
    return 1;
}

static void flush_blocks(struct writer *w)
{
    unsigned n = w->pending_pages, done = 0;
    if (n == 3 * CREST_BLOCK_PAGES && contiguous(w->pending, n)) {
        uint32_t c[3];
        crest_crc32c_x3(w->pending[0], w->pending[0] + CREST_BLOCK_SIZE,
                        w->pending[0] + 2 * CREST_BLOCK_SIZE, CREST_BLOCK_SIZE, c);
        for (int i = 0; i < 3; i++)
            add_block_crc(w, c[i]);
        done = n;
    }
    for (; done < n; done += CREST_BLOCK_PAGES) {
        unsigned len = n - done < CREST_BLOCK_PAGES ? n - done : CREST_BLOCK_PAGES;
        add_block_crc(w, block_crc(w->pending + done, len));
    }
    w->pending_pages = 0;
}

static int is_volatile(uint64_t addr)
{
    for (int i = 0; i < 2; i++)
        if (addr >= crest_rt.volatile_ranges[i].start && addr < crest_rt.volatile_ranges[i].end)
            return 1;
    return 0;
}

static void save_page(struct writer *w, const unsigned char *page)
{
    if (is_volatile((uint64_t)page)) {
        if (w->bounce_used + PAGE > w->bounce_cap) {
            errno = ENOMEM;
            fail(w, "copying libcrest's own pages");
            return;
        }
        memcpy(w->bounce + w->bounce_used, page, PAGE);
        page = w->bounce + w->bounce_used;
        w->bounce_used += PAGE;
    }
    w->pending[w->pending_pages++] = page;
    if (w->pending_pages == 3 * CREST_BLOCK_PAGES)
        flush_blocks(w);
    queue_bytes(w, page, PAGE);
}

static int page_is_zero(const unsigned char *page)
{
    const uint64_t *q = (const uint64_t *)page;
    uint64_t acc = 0;
    for (unsigned i = 0; i < PAGE / 8; i += 8) {
        acc |= q[i] | q[i + 1] | q[i + 2] | q[i + 3] | q[i + 4] | q[i + 5] | q[i + 6] | q[i + 7];
        if (acc)
            return 0;
    }
    return 1;
}

struct run_builder {
    size_t runs_at;    /* offset of the runs array in records */
    uint32_t nruns;
    uint64_t pages;
};

static void add_page_to_runs(struct writer *w, struct run_builder *rb, uint64_t addr)
{
    if (rb->nruns) {
        struct crest_page_run *last =
            (struct crest_page_run *)(w->records.base + rb->runs_at) + rb->nruns - 1;
        if (last->addr + last->npages * PAGE == addr) {
            last->npages++;
            rb->pages++;
            return;
        }
    }
    struct crest_page_run *r = rec_append(w, sizeof *r);
    if (!r)
        return;
    r->addr = addr;
    r->npages = 1;
    rb->nruns++;
    rb->pages++;
}

/* Saves the pages of [start, end) that the mapping's kind needs. */
static void save_range_pages(struct writer *w, struct run_builder *rb, uint64_t start,
                             uint64_t end, uint32_t kind, int from_image)
{
    for (uint64_t addr = start; addr < end && !w->error;) {
        uint64_t n = (end - addr) / PAGE;
        if (n > PAGEMAP_CHUNK)
            n = PAGEMAP_CHUNK;
        ssize_t got = pread(w->pagemap_fd, w->pagemap, n * 8, (off_t)(addr / PAGE * 8));
        if (got != (ssize_t)(n * 8)) {
            if (got >= 0)
                errno = EIO;
            fail(w, "reading /proc/self/pagemap");
            return;
        }
        for (uint64_t i = 0; i < n && !w->error; i++) {
            uint64_t pm = w->pagemap[i];
            const unsigned char *page = (const unsigned char *)(addr + i * PAGE);
            int save;
            if (from_image) /* every page holds data, present yet or not */
                save = !page_is_zero(page);
            else if (kind == CREST_MAP_FILE_PRIVATE)
                /* unchanged file pages come back from the file itself */
                save = ((pm & PM_PRESENT) && !(pm & PM_FILE)) || (pm & PM_SWAPPED);
            else
                save = ((pm & (PM_PRESENT | PM_SWAPPED)) != 0) && !page_is_zero(page);
            if (!save)
                continue;
            add_page_to_runs(w, rb, (uint64_t)page);
            save_page(w, page);
        }
        addr += n * PAGE;
    }
}

/* ---- mappings ---- */

static int64_t stat_mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static uint32_t classify(const struct crest_maps_entry *e, uint32_t *flags)
{
    const char *p = e->path;
    size_t len = strlen(p);
    *flags = 0;
    if (!strcmp(p, "[vdso]"))
        return CREST_MAP_VDSO;
    if (!strcmp(p, "[vvar]"))
        return CREST_MAP_VVAR;
    if (!strcmp(p, "[vvar_vclock]"))
        return CREST_MAP_VVAR_VCLOCK;
    if (!strcmp(p, "[heap]"))
        *flags |= CREST_MAPF_HEAP;
    if (!strcmp(p, "[stack]"))
        *flags |= CREST_MAPF_STACK;
    if (crest_rt.image_ino && e->inode == crest_rt.image_ino &&
        makedev(e->dev_major, e->dev_minor) == crest_rt.image_dev && !e->shared) {
        /* memory a restart mapped from its image: it is the program's own */
        *flags |= CREST_MAPF_FROM_IMAGE;
        return CREST_MAP_ANON;
    }
    if (p[0] != '/')
        return e->shared ? CREST_MAP_SHARED_ANON : CREST_MAP_ANON;
    /* a file that is gone (or never had a name): keep its pages */
    if (len > 10 && !strcmp(p + len - 10, " (deleted)"))
        return e->shared ? CREST_MAP_SHARED_ANON : CREST_MAP_ANON;
    if (!strncmp(p, "/SYSV", 5) || !strncmp(p, "/memfd:", 7) || !strncmp(p, "/dev/zero", 9))
        return e->shared ? CREST_MAP_SHARED_ANON : CREST_MAP_ANON;
    return e->shared ? CREST_MAP_FILE_SHARED : CREST_MAP_FILE_PRIVATE;
}

static void write_mapping(struct writer *w, const struct crest_maps_entry *e, uint64_t start,
                          uint64_t end)
{
    uint32_t flags;
    uint32_t kind = classify(e, &flags);
    struct stat st;
    if (kind == CREST_MAP_FILE_PRIVATE || kind == CREST_MAP_FILE_SHARED) {
        /* a file replaced since it was mapped: its pages are not the file's */
        if (stat(e->path, &st) || st.st_ino != e->inode || !S_ISREG(st.st_mode)) {
            kind = e->shared ? CREST_MAP_SHARED_ANON : CREST_MAP_ANON;
            flags = 0;
        }
    }
    size_t at = rec_begin(w, CREST_REC_MAPPING);
    struct crest_rec_mapping *m = rec_append(w, sizeof *m);
    if (!m)
        return;
    size_t m_at = (size_t)((unsigned char *)m - w->records.base);
    m->start = start;
    m->end = end;
    m->prot = (uint32_t)e->prot;
    m->kind = kind;
    m->file_offset = e->offset + (start - e->start);
    size_t plen = strlen(e->path);
    if (plen) {
        m->path_len = (uint32_t)(plen + 1);
        rec_string(w, e->path, plen + 1);
        rec_append(w, (8 - (plen + 1) % 8) % 8);
    }
    if (kind == CREST_MAP_FILE_PRIVATE || kind == CREST_MAP_FILE_SHARED) {
        m = (struct crest_rec_mapping *)(w->records.base + m_at);
        m->dev = st.st_dev;
        m->ino = st.st_ino;
        m->file_size = (uint64_t)st.st_size;
        m->file_mtime_ns = stat_mtime_ns(&st);
    }
    struct run_builder rb = {.runs_at = w->records.len};
    w->crcs.len = 0;
    w->pending_pages = 0;
    uint64_t data_offset = w->offset + w->iov_bytes;
    int readable = e->prot & PROT_READ;
    int saves = kind == CREST_MAP_ANON || kind == CREST_MAP_FILE_PRIVATE ||
                kind == CREST_MAP_SHARED_ANON;
    if (saves && !readable) {
        /* pages may still hold data (mprotect after use): read them once */
        if (mprotect((void *)start, end - start, e->prot | PROT_READ) == 0)
            flags |= CREST_MAPF_READ_ADDED;
        else
            saves = 0;
    }
    if (saves)
        save_range_pages(w, &rb, start, end, kind, (flags & CREST_MAPF_FROM_IMAGE) != 0);
    flush_blocks(w);
    if (flags & CREST_MAPF_READ_ADDED) {
        write_all_iov(w); /* the pages must be read before they close again */
        mprotect((void *)start, end - start, e->prot);
    }
    m = (struct crest_rec_mapping *)(w->records.base + m_at);
    m->flags = flags;
    m->data_offset = data_offset;
    m->saved_pages = rb.pages;
    m->nruns = rb.nruns;
    m->nblocks = (uint32_t)(w->crcs.len / sizeof(uint32_t));
    void *c = rec_append(w, w->crcs.len);
    if (c)
        memcpy(c, w->crcs.base, w->crcs.len);
    rec_end(w, at);
}

struct maps_walk {
    struct writer *w;
};

static int mapping_cb(const struct crest_maps_entry *e, void *arg)
{
    struct writer *w = ((struct maps_walk *)arg)->w;
    if (!strcmp(e->path, "[vsyscall]"))
        return 0;
    /* Cut the writer's own scratch ranges out of the mapping. */
    uint64_t s = e->start;
    while (s < e->end && !w->error) {
        uint64_t piece_end = e->end, next = e->end;
        for (int i = 0; i < crest_rt.nexcludes; i++) {
            const struct crest_range *x = &crest_rt.excludes[i];
            if (x->end <= s || x->start >= piece_end)
                continue;
            if (x->start <= s) { /* s is inside an excluded range */
                piece_end = s;
                next = x->end < e->end ? x->end : e->end;
                break;
            }
            piece_end = x->start;
            next = x->start;
        }
        if (piece_end > s)
            write_mapping(w, e, s, piece_end);
        s = next;
    }
    return w->error ? -1 : 0;
}

/* ---- process, threads, files, signals ---- */

static uint64_t field_u64(const char *s, int field)
{
    /* /proc/self/stat: fields after the command name, which ends at the last ')' */
    const char *p = strrchr(s, ')');
    if (!p)
        return 0;
    p += 2;
    for (int f = 3; f < field && *p; p++)
        if (*p == ' ')
            f++;
    uint64_t v = 0;
    while (*p >= '0' && *p <= '9')
        v = v * 10 + (uint64_t)(*p++ - '0');
    return v;
}

static long read_small(const char *path, char *buf, size_t len)
{
    long n = crest_read_proc_file(path, buf, len - 1);
    if (n < 0)
        n = 0;
    buf[n] = 0;
    return n;
}

static uint64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void write_process(struct writer *w, int nthreads)
{
    static char stat[4096], auxv[1024], exe[PATH_MAX], cwd[PATH_MAX], cmdline[65536], comm[64],
        boot_id[64];
    size_t at = rec_begin(w, CREST_REC_PROCESS);
    struct crest_rec_process *p = rec_append(w, sizeof *p);
    if (!p)
        return;
    read_small("/proc/self/stat", stat, sizeof stat);
    long auxv_len = crest_read_proc_file("/proc/self/auxv", auxv, sizeof auxv);
    ssize_t exe_len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    ssize_t cwd_len = readlink("/proc/self/cwd", cwd, sizeof cwd - 1);
    long cmd_len = read_small("/proc/self/cmdline", cmdline, sizeof cmdline);
    long comm_len = read_small("/proc/self/comm", comm, sizeof comm);
    read_small("/proc/sys/kernel/random/boot_id", boot_id, sizeof boot_id);
    if (comm_len && comm[comm_len - 1] == '\n')
        comm[--comm_len] = 0;
    exe_len = exe_len < 0 ? 0 : exe_len;
    cwd_len = cwd_len < 0 ? 0 : cwd_len;
    exe[exe_len] = cwd[cwd_len] = 0;
    auxv_len = auxv_len < 0 ? 0 : auxv_len;

    p->pid = crest_rt.pid;
    p->ppid = (int32_t)field_u64(stat, 4);
    p->uid = getuid();
    p->gid = getgid();
    p->start_time_ticks = field_u64(stat, 22);
    memcpy(p->boot_id, boot_id, 36);
    p->checkpoint_ns = now_ns(CLOCK_REALTIME);
    p->monotonic_ns = now_ns(CLOCK_MONOTONIC);
    crest_cpu_read(&p->cpu);
    p->mm.start_code = field_u64(stat, 26);
    p->mm.end_code = field_u64(stat, 27);
    p->mm.start_stack = field_u64(stat, 28);
    p->mm.start_data = field_u64(stat, 45);
    p->mm.end_data = field_u64(stat, 46);
    p->mm.start_brk = field_u64(stat, 47);
    p->mm.arg_start = field_u64(stat, 48);
    p->mm.arg_end = field_u64(stat, 49);
    p->mm.env_start = field_u64(stat, 50);
    p->mm.env_end = field_u64(stat, 51);
    p->mm.brk = (uint64_t)syscall(SYS_brk, 0);
    mode_t mask = umask(022);
    umask(mask);
    p->umask = mask;
    p->restart_count = crest_rt.restart_count;
    p->tid_offset = crest_rt.tid_offset;
    p->rseq_offset = (int32_t)__rseq_offset;
    p->rseq_size = __rseq_size;
    p->nthreads = (uint32_t)nthreads;
    p->restart_info_addr = (uint64_t)&crest_rt.restart_info;
    p->manager_entry = (uint64_t)crest_manager_restart_entry;
    p->manager_stack_top = (uint64_t)crest_manager_restart_stack_end;
    p->auxv_size = (uint32_t)auxv_len;
    p->exe_len = (uint32_t)exe_len + 1;
    p->cwd_len = (uint32_t)cwd_len + 1;
    p->cmdline_len = (uint32_t)cmd_len;
    p->comm_len = (uint32_t)comm_len + 1;
    rec_string(w, auxv, (size_t)auxv_len);
    rec_string(w, exe, (size_t)exe_len + 1);
    rec_string(w, cwd, (size_t)cwd_len + 1);
    rec_string(w, cmdline, (size_t)cmd_len);
    rec_string(w, comm, (size_t)comm_len + 1);
    rec_end(w, at);
}


static void write_threads(struct writer *w)
{
    int n = atomic_load(&crest_rt.slots_used);
    for (int i = 0; i < n; i++) {
        size_t at = rec_begin(w, CREST_REC_THREAD);
        struct crest_rec_thread *t = rec_append(w, sizeof *t);
        if (t)
            *t = crest_rt.slots[i].rec;
        rec_end(w, at);
    }
    /* The manager restarts fresh: at its restart entry, on its restart stack. */
    size_t at = rec_begin(w, CREST_REC_THREAD);
    struct crest_rec_thread *t = rec_append(w, sizeof *t);
    if (!t)
        return;
    t->tid = crest_rt.manager_tid;
    t->role = CREST_THREAD_MANAGER;
    syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &t->fs_base);
    void *head = NULL;
    size_t len = 0;
    if (syscall(SYS_get_robust_list, 0, &head, &len) == 0) {
        t->robust_head = (uint64_t)head;
        t->robust_len = len;
    }
    t->sigmask = ~0ull;
    /* entered by a jump, as if called: rsp + 8 is 16-byte aligned */
    t->ctx.rsp = ((uint64_t)crest_manager_restart_stack_end & ~15ull) - 8;
    t->ctx.rip = (uint64_t)crest_manager_restart_entry;
    t->ctx.mxcsr = 0x1f80;
    t->ctx.fpu_cw = 0x37f;
    rec_end(w, at);
}

static uint32_t fd_kind(int fd, const struct stat *st)
{
    struct termios tio;
    switch (st->st_mode & S_IFMT) {
    case S_IFREG: return CREST_FD_FILE;
    case S_IFDIR: return CREST_FD_DIR;
    case S_IFIFO: return CREST_FD_PIPE;
    case S_IFSOCK: return CREST_FD_SOCKET;
    case S_IFCHR: return ioctl(fd, TCGETS, &tio) == 0 ? CREST_FD_TTY : CREST_FD_DEVICE;
    default: return CREST_FD_OTHER;
    }
}

static int is_own_fd(int fd, const int *skip, int nskip)
{
    for (int i = 0; i < nskip; i++)
        if (skip[i] == fd)
            return 1;
    return 0;
}

/* A pipe with both ends in this process survives a restart whole, with the
 * bytes that were in it; one end alone leads to another process. */
struct pipe_end {
    int fd;
    uint64_t ino;
    int writable;
};

static int other_end_here(const struct pipe_end *ends, int n, uint64_t ino, int writable)
{
    for (int i = 0; i < n; i++)
        if (ends[i].ino == ino && ends[i].writable != writable)
            return ends[i].fd;
    return -1;
}

static int first_reader(const struct pipe_end *ends, int n, uint64_t ino)
{
    for (int i = 0; i < n; i++)
        if (ends[i].ino == ino && !ends[i].writable)
            return ends[i].fd;
    return -1;
}

/* Takes the bytes out of a pipe and puts them back: the only way to read a
 * pipe without consuming it. Nothing else runs meanwhile. */
static long pipe_contents(struct writer *w, int rfd, int wfd, unsigned char *buf, size_t cap)
{
    int avail = 0;
    /* more than fits here would come back in another order: leave it be */
    if (ioctl(rfd, FIONREAD, &avail) || avail <= 0 || (size_t)avail > cap)
        return 0;
    size_t got = 0;
    while (got < (size_t)avail) {
        ssize_t r = read(rfd, buf + got, (size_t)avail - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    for (size_t put = 0; put < got;) {
        ssize_t r = write(wfd, buf + put, got - put);
        if (r <= 0) {
            fail(w, "putting back the contents of a pipe");
            break;
        }
        put += (size_t)r;
    }
    return (long)got;
}

static int fd_from_name(const char *name)
{
    if (name[0] < '0' || name[0] > '9')
        return -1;
    int fd = 0;
    for (const char *c = name; *c; c++)
        fd = fd * 10 + (*c - '0');
    return fd;
}

/* Lists this process's descriptors (those not skipped) into fds; returns n. */
static int list_fds(const int *skip, int nskip, int *fds, int max)
{
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return -1;
    char buf[4096];
    int n = 0;
    for (;;) {
        long got = syscall(SYS_getdents64, dir, buf, sizeof buf);
        if (got <= 0)
            break;
        for (long off = 0; off < got;) {
            struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (void *)(buf + off);
            off += d->reclen;
            int fd = fd_from_name(d->name);
            if (fd < 0 || fd == dir || is_own_fd(fd, skip, nskip))
                continue;
            if (n < max)
                fds[n++] = fd;
        }
    }
    close(dir);
    return n;
}

/* The lowest descriptor before fds[i] that is a dup of it (the same open
 * file, offset and flags shared), or -1. */
static int shared_with_earlier(const int *fds, int i, uint64_t ino)
{
    pid_t me = crest_rt.pid;
    for (int k = 0; k < i; k++) {
        struct stat st;
        if (fstat(fds[k], &st) == 0 && st.st_ino == ino &&
            syscall(SYS_kcmp, me, me, 0 /* KCMP_FILE */, fds[k], fds[i]) == 0)
            return fds[k];
    }
    return -1;
}

#define MAX_FDS 65536
#define MAX_PIPE_ENDS 1024

static void write_fds(struct writer *w, const int *skip, int nskip)
{
    static int fds[MAX_FDS];              /* owned by the writer */
    static struct pipe_end ends[MAX_PIPE_ENDS];
    static unsigned char pipe_buf[1 << 20];
    char link[64], path[PATH_MAX];
    int n = list_fds(skip, nskip, fds, MAX_FDS), nends = 0;
    if (n < 0) {
        fail(w, "listing /proc/self/fd");
        return;
    }
    for (int i = 0; i < n && nends < MAX_PIPE_ENDS; i++) {
        struct stat st;
        if (fstat(fds[i], &st) == 0 && S_ISFIFO(st.st_mode))
            ends[nends++] = (struct pipe_end){fds[i], st.st_ino,
                                              (fcntl(fds[i], F_GETFL) & O_ACCMODE) != O_RDONLY};
    }
    for (int i = 0; i < n && !w->error; i++) {
        int fd = fds[i];
        struct stat st;
        if (fstat(fd, &st))
            continue;
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t plen = readlink(link, path, sizeof path - 1);
        plen = plen < 0 ? 0 : plen;
        path[plen] = 0;
        size_t at = rec_begin(w, CREST_REC_FD);
        struct crest_rec_fd *f = rec_append(w, sizeof *f);
        if (!f)
            break;
        size_t f_at = (size_t)((unsigned char *)f - w->records.base);
        f->fd = fd;
        f->kind = fd_kind(fd, &st);
        f->open_flags = (uint32_t)fcntl(fd, F_GETFL);
        f->fd_flags = (uint32_t)fcntl(fd, F_GETFD);
        off_t pos = f->kind == CREST_FD_FILE || f->kind == CREST_FD_DIR ? lseek(fd, 0, SEEK_CUR) : 0;
        f->offset = pos < 0 ? 0 : (uint64_t)pos;
        f->dev = st.st_dev;
        f->ino = st.st_ino;
        f->size = (uint64_t)st.st_size;
        f->mtime_ns = stat_mtime_ns(&st);
        f->mode = st.st_mode;
        f->path_len = (uint32_t)plen + 1;
        f->dup_of = shared_with_earlier(fds, i, st.st_ino);
        long data = 0;
        if (f->kind == CREST_FD_PIPE) {
            int size = fcntl(fd, F_GETPIPE_SZ);
            f->pipe_size = size > 0 ? (uint32_t)size : 0;
            int wfd = other_end_here(ends, nends, st.st_ino, 0);
            /* the contents go with the pipe's first read end */
            if (wfd >= 0 && first_reader(ends, nends, st.st_ino) == fd)
                data = pipe_contents(w, fd, wfd, pipe_buf, sizeof pipe_buf);
            f = (struct crest_rec_fd *)(w->records.base + f_at);
            f->data_len = (uint32_t)data;
        } else if (f->kind == CREST_FD_OTHER && !strncmp(path, "anon_inode:", 11)) {
            /* the kernel's own account of an eventfd, timerfd, signalfd or
             * epoll descriptor is what the restart rebuilds it from */
            snprintf(link, sizeof link, "/proc/self/fdinfo/%d", fd);
            long n = crest_read_proc_file(link, (char *)pipe_buf, sizeof pipe_buf);
            data = n > 0 ? n : 0;
            f = (struct crest_rec_fd *)(w->records.base + f_at);
            f->data_len = (uint32_t)data;
        }
        rec_string(w, path, (size_t)plen + 1);
        if (data > 0)
            rec_string(w, (const char *)pipe_buf, (size_t)data);
        rec_end(w, at);
    }
}

uint64_t crest_status_hex(const char *status, const char *key)
{
    const char *p = strstr(status, key);
    if (!p)
        return 0;
    p += strlen(key);
    while (*p == ' ' || *p == '\t')
        p++;
    uint64_t v = 0;
    for (;; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
        if (d < 0)
            break;
        v = v * 16 + (uint64_t)d;
    }
    return v;
}

static void write_signals(struct writer *w)
{
    static char status[8192];
    size_t at = rec_begin(w, CREST_REC_SIGNALS);
    struct crest_rec_signals *s = rec_append(w, sizeof *s);
    if (!s)
        return;
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        syscall(SYS_rt_sigaction, sig, NULL, &s->action[sig - 1], 8);
    }
    for (int which = 0; which < 3; which++) {
        struct itimerval it;
        if (getitimer(which, &it) == 0) {
            s->itimer[which][0] = (uint64_t)it.it_interval.tv_sec;
            s->itimer[which][1] = (uint64_t)it.it_interval.tv_usec;
            s->itimer[which][2] = (uint64_t)it.it_value.tv_sec;
            s->itimer[which][3] = (uint64_t)it.it_value.tv_usec;
        }
    }
    read_small("/proc/self/status", status, sizeof status);
    s->pending = crest_status_hex(status, "\nShdPnd:");
    rec_end(w, at);
}

/* POSIX timers: /proc/self/timers lists them (id, signal and value, whom it
 * notifies, clock); timer_gettime gives the time left and the interval. */
static void write_timers(struct writer *w)
{
    static char text[65536];
    long n = crest_read_proc_file("/proc/self/timers", text, sizeof text - 1);
    if (n <= 0)
        return;
    text[n] = 0;
    for (const char *p = text; (p = strstr(p, "ID: ")); p++) {
        struct crest_rec_timer t;
        memset(&t, 0, sizeof t);
        char how[16] = "", whom[8] = "";
        unsigned long long value = 0;
        if (sscanf(p, "ID: %d\nsignal: %d/%llx\nnotify: %15[a-z]/%7[a-z].%d\nClockID: %d",
                   &t.id, &t.signo, &value, how, whom, &t.target_tid, &t.clockid) != 7)
            continue;
        t.sigval = value;
        t.notify = !strcmp(how, "none") ? SIGEV_NONE
                   : !strcmp(whom, "tid") ? SIGEV_SIGNAL | SIGEV_THREAD_ID : SIGEV_SIGNAL;
        struct itimerspec its;
        if (syscall(SYS_timer_gettime, t.id, &its))
            continue;
        t.interval_s = its.it_interval.tv_sec;
        t.interval_ns = its.it_interval.tv_nsec;
        t.value_s = its.it_value.tv_sec;
        t.value_ns = its.it_value.tv_nsec;
        size_t at = rec_begin(w, CREST_REC_TIMER);
        struct crest_rec_timer *r = rec_append(w, sizeof *r);
        if (r)
            *r = t;
        rec_end(w, at);
    }
}

/* ---- the whole image ---- */

static int write_header(struct writer *w)
{
    struct crest_image_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, CREST_IMAGE_MAGIC, 8);
    h.version = CREST_IMAGE_VERSION;
    h.header_size = CREST_IMAGE_HEADER_SIZE;
    h.data_bytes = w->offset - CREST_IMAGE_HEADER_SIZE;
    h.records_offset = w->offset;
    h.records_size = w->records.len;
    h.records_crc = crest_crc32c(0, w->records.base, w->records.len);
    h.record_count = w->record_count;
    h.file_size = w->offset + w->records.len;
    h.created_ns = now_ns(CLOCK_REALTIME);
    h.header_crc = crest_crc32c(0, &h, sizeof h);
    if (pwrite(w->fd, &h, sizeof h, 0) != (ssize_t)sizeof h) {
        fail(w, "writing the image header");
        return -1;
    }
    return 0;
}

static void add_exclude(void *p, size_t len)
{
    if (crest_rt.nexcludes < CREST_MAX_EXCLUDES) {
        crest_rt.excludes[crest_rt.nexcludes].start = (uint64_t)p & ~(uint64_t)(PAGE - 1);
        crest_rt.excludes[crest_rt.nexcludes].end = ((uint64_t)p + len + PAGE - 1) & ~(uint64_t)(PAGE - 1);
        crest_rt.nexcludes++;
    }
}

static void sync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    size_t len = strlen(path);
    if (len >= sizeof dir)
        return;
    memcpy(dir, path, len + 1);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return;
    *(slash == dir ? slash + 1 : slash) = 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

void crest_write_image(const char *path, int sync, struct crest_write_result *res)
{
    static struct writer w; /* owned by the manager; one image at a time */
    static char tmp[PATH_MAX + 32];
    memset(&w, 0, sizeof w);
    memset(res, 0, sizeof *res);
    w.fd = w.pagemap_fd = -1;
    w.sync = sync;
    int saved_excludes = crest_rt.nexcludes;
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)crest_rt.pid);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        errno = ENAMETOOLONG;
        fail(&w, "naming the temporary image");
        goto out;
    }
    w.pagemap = mmap(NULL, PAGEMAP_CHUNK * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    w.maps_text = mmap(NULL, MAPS_TEXT_MAX, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (w.pagemap == MAP_FAILED || w.maps_text == MAP_FAILED ||
        scratch_reserve(&w.records, 1u << 20) || scratch_reserve(&w.crcs, 64u << 10)) {
        fail(&w, "allocating scratch memory");
        goto out;
    }
    w.bounce_cap = 0;
    for (int i = 0; i < 2; i++)
        w.bounce_cap += crest_rt.volatile_ranges[i].end - crest_rt.volatile_ranges[i].start;
    w.bounce = mmap(NULL, w.bounce_cap + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (w.bounce == MAP_FAILED) {
        w.bounce = NULL;
        fail(&w, "allocating scratch memory");
        goto out;
    }
    add_exclude(w.bounce, w.bounce_cap + PAGE);
    add_exclude(w.pagemap, PAGEMAP_CHUNK * 8);
    add_exclude(w.maps_text, MAPS_TEXT_MAX);
    add_exclude(w.records.base, w.records.cap);
    add_exclude(w.crcs.base, w.crcs.cap);
    w.pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    w.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (w.pagemap_fd < 0 || w.fd < 0) {
        fail(&w, w.fd < 0 ? "creating the image file" : "opening /proc/self/pagemap");
        goto out;
    }
    w.offset = CREST_IMAGE_HEADER_SIZE;
    if (lseek(w.fd, (off_t)w.offset, SEEK_SET) < 0) {
        fail(&w, "seeking in the image file");
        goto out;
    }
    w.maps_len = crest_read_proc_file("/proc/self/maps", w.maps_text, MAPS_TEXT_MAX);
    if (w.maps_len < 0) {
        fail(&w, "reading /proc/self/maps");
        goto out;
    }
    struct maps_walk walk = {&w};
    crest_maps_parse(w.maps_text, (size_t)w.maps_len, mapping_cb, &walk);
    if (!w.error)
        write_all_iov(&w);
    int nthreads = atomic_load(&crest_rt.slots_used) + 1;
    int skip[] = {w.fd, w.pagemap_fd, crest_rt.listen_fd, crest_rt.wake_fd[0], crest_rt.wake_fd[1],
                  crest_rt.client_fd};
    if (!w.error) {
        write_process(&w, nthreads);
        write_threads(&w);
        write_fds(&w, skip, (int)(sizeof skip / sizeof skip[0]));
        write_signals(&w);
        write_timers(&w);
        size_t at = rec_begin(&w, CREST_REC_END);
        rec_end(&w, at);
    }
    if (!w.error) {
        uint64_t at = w.offset;
        queue_bytes(&w, w.records.base, w.records.len);
        write_all_iov(&w);
        w.offset = at; /* write_header takes offset as the records' start */
    }
    if (!w.error)
        write_header(&w);
    if (!w.error && sync && fdatasync(w.fd))
        fail(&w, "syncing the image to disk");
    if (!w.error && close(w.fd)) {
        w.fd = -1;
        fail(&w, "closing the image file");
    }
    w.fd = -1;
    if (!w.error && rename(tmp, path))
        fail(&w, "renaming the image into place");
    if (!w.error) {
        if (sync)
            sync_dir_of(path);
        res->bytes = w.offset + w.records.len;
    }
out:
    if (w.error) {
        res->error = w.error;
        res->failed = w.failed ? w.failed : "writing the image";
        if (w.fd >= 0)
            close(w.fd);
        unlink(tmp);
    }
    if (w.pagemap_fd >= 0)
        close(w.pagemap_fd);
    if (w.pagemap && w.pagemap != MAP_FAILED)
        munmap(w.pagemap, PAGEMAP_CHUNK * 8);
    if (w.maps_text && w.maps_text != MAP_FAILED)
        munmap(w.maps_text, MAPS_TEXT_MAX);
    if (w.bounce)
        munmap(w.bounce, w.bounce_cap + PAGE);
    scratch_free(&w.records);
    scratch_free(&w.crcs);
    crest_rt.nexcludes = saved_excludes;
}
