/* restore_blob.c — the restarter's last stage.  It runs from a copy of its
 * own code at a free address, after which it unmaps everything else of the
 * restarter, moves the vDSO to where the image had it, maps and fills the
 * image's memory, hands the kernel the saved mm fields and signal handlers,
 * and starts the saved threads.  With nothing else mapped it can call only
 * itself: every function is in section crest_blob, always inlined or local,
 * and the build checks that the object has no relocation. */
#include <asm/prctl.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "../common/crc32c_inline.h"
#include "restore_plan.h"

#define BLOB __attribute__((section("crest_blob"), used))
#define INLINE static inline __attribute__((always_inline))

INLINE long sys6(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#define sys(n, a, b, c) sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

INLINE size_t blob_strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

INLINE void put(char *buf, size_t *at, size_t cap, const char *s)
{
    while (*s && *at < cap - 1)
        buf[(*at)++] = *s++;
}

INLINE void put_number(char *buf, size_t *at, size_t cap, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n && *at < cap - 1)
        buf[(*at)++] = tmp[--n];
}

/* One line on stderr and the end: nothing of the image runs. */
static BLOB __attribute__((noreturn, noinline)) void die(struct restore_plan *p, enum blob_message what,
                                                         uint64_t where, long err)
{
    char line[1024];
    size_t at = 0;
    put(line, &at, sizeof line, p->message_prefix);
    put(line, &at, sizeof line, p->messages[what]);
    put_number(line, &at, sizeof line, where);
    volatile char *v = line; /* single stores: merged ones would need a constant */
    if (err) {
        v[at++] = ' ';
        v[at++] = '(';
        v[at++] = '-';
        put_number(line, &at, sizeof line, (uint64_t)-err);
        v[at++] = ')';
    }
    v[at++] = '\n';
    sys(SYS_write, 2, line, at);
    sys(SYS_exit_group, 1, 0, 0);
    __builtin_unreachable();
}

/* Reads len bytes of the image at off into dst and checks them block by
 * block against the mapping's checksums. */
struct crc_state {
    uint32_t crc, pages, block;
};

static BLOB __attribute__((noinline)) void check_block(struct restore_plan *p,
                                                       const struct plan_map *m,
                                                       struct crc_state *cs, uint32_t crc,
                                                       uint64_t off)
{
    const uint32_t *crcs = (const uint32_t *)((char *)p + m->crcs_off);
    if (cs->block >= m->nblocks || crcs[cs->block] != crc)
        die(p, BLOB_MSG_CORRUPT, off, 0);
    cs->block++;
}

/* Checks [dst, dst + len), which holds image bytes from offset off on,
 * block by block: three whole blocks at once where they lie in a row. */
static BLOB __attribute__((noinline)) void verify(struct restore_plan *p, const struct plan_map *m,
                                                  struct crc_state *cs, const unsigned char *dst,
                                                  uint64_t len, uint64_t off)
{
    uint64_t b = 0;
    while (b < len) {
        if (cs->pages == 0 && len - b >= 3 * CREST_BLOCK_SIZE) {
            uint32_t c[3];
            crest_crc32c_x3(dst + b, dst + b + CREST_BLOCK_SIZE, dst + b + 2 * CREST_BLOCK_SIZE,
                            CREST_BLOCK_SIZE, c);
            for (int i = 0; i < 3; i++)
                check_block(p, m, cs, c[i], off + b + (uint64_t)i * CREST_BLOCK_SIZE);
            b += 3 * CREST_BLOCK_SIZE;
            continue;
        }
        cs->crc = crest_crc32c_update(cs->crc, dst + b, CREST_PAGE_SIZE);
        b += CREST_PAGE_SIZE;
        if (++cs->pages == CREST_BLOCK_PAGES) {
            check_block(p, m, cs, cs->crc, off + b - CREST_BLOCK_SIZE);
            cs->crc = 0;
            cs->pages = 0;
        }
    }
}

static BLOB __attribute__((noinline)) void read_into(struct restore_plan *p,
                                                     const struct plan_map *m,
                                                     unsigned char *dst, uint64_t len,
                                                     uint64_t off)
{
    /* fresh anonymous memory: fault it in with one call, not page by page */
    if (m->fd < 0)
        sys(SYS_madvise, dst, len, MADV_POPULATE_WRITE);
    uint64_t got = 0;
    while (got < len) {
        long n = sys6(SYS_pread64, p->image_fd, (long)(dst + got), (long)(len - got),
                      (long)(off + got), 0, 0);
        if (n == -4 /* EINTR */)
            continue;
        if (n <= 0)
            die(p, BLOB_MSG_TRUNCATED, off + got, n);
        got += (uint64_t)n;
    }
}

/* Brings one run of saved pages back: copied into the mapping, or mapped
 * privately from the image itself (the page cache then serves the pages
 * until the program changes them). Checked either way. */
static BLOB __attribute__((noinline)) void fill(struct restore_plan *p, const struct plan_map *m,
                                                struct crc_state *cs, unsigned char *dst,
                                                uint64_t len, uint64_t off, int prot, int mapped)
{
    if (mapped) {
        long r = sys6(SYS_mmap, (long)dst, (long)len, prot, MAP_PRIVATE | MAP_FIXED,
                      p->image_fd, (long)off);
        if (r != (long)dst)
            die(p, BLOB_MSG_MAP, (uint64_t)dst, r < 0 ? r : 0);
    }
    while (len) {
        uint64_t chunk = len < (4u << 20) ? len : (4u << 20);
        if (mapped)
            sys(SYS_madvise, dst, chunk, MADV_POPULATE_READ);
        else
            read_into(p, m, dst, chunk, off);
        verify(p, m, cs, dst, chunk, off);
        dst += chunk;
        off += chunk;
        len -= chunk;
    }
}

static BLOB __attribute__((noinline)) void map_one(struct restore_plan *p, const struct plan_map *m)
{
    uint64_t len = m->end - m->start;
    int fill_prot = (int)m->prot | (m->saved_pages ? PROT_READ | PROT_WRITE : 0);
    long addr = sys6(SYS_mmap, (long)m->start, (long)len, fill_prot,
                     (long)(m->mmap_flags | MAP_FIXED_NOREPLACE), m->fd, (long)m->file_offset);
    if (addr != (long)m->start)
        die(p, BLOB_MSG_MAP, m->start, addr < 0 ? addr : 0);
    const struct crest_page_run *runs = (const struct crest_page_run *)((char *)p + m->runs_off);
    struct crc_state cs = {0, 0, 0};
    uint64_t off = m->data_offset;
    /* not the main stack: its lowest mapping must stay anonymous to grow */
    int mappable = p->map_min_pages && m->kind == CREST_MAP_ANON && !(m->mmap_flags & MAP_GROWSDOWN);
    for (uint32_t i = 0; i < m->nruns; i++) {
        uint64_t bytes = runs[i].npages * CREST_PAGE_SIZE;
        fill(p, m, &cs, (unsigned char *)runs[i].addr, bytes, off, fill_prot,
             mappable && runs[i].npages >= p->map_min_pages);
        off += bytes;
    }
    if (cs.pages)
        check_block(p, m, &cs, cs.crc, off - (uint64_t)cs.pages * CREST_PAGE_SIZE);
    if ((uint32_t)fill_prot != m->prot)
        sys(SYS_mprotect, m->start, len, m->prot);
}

/* Enters a saved context: r12 points at a struct crest_thread_context.
 * Loads the callee-saved registers, the stack pointer, the SSE and x87
 * control words, and continues where crest_context_save left off, with
 * eax = 1 so that the call "returns" a second time. */
__asm__(".pushsection crest_blob,\"ax\",@progbits\n"
        "blob_enter_context:\n\t"
        "movq 0(%r12), %rsp\n\t"
        "movq 16(%r12), %rbx\n\t"
        "movq 24(%r12), %rbp\n\t"
        "movq 40(%r12), %r13\n\t"
        "movq 48(%r12), %r14\n\t"
        "movq 56(%r12), %r15\n\t"
        "ldmxcsr 64(%r12)\n\t"
        "fldcw 68(%r12)\n\t"
        "movq 8(%r12), %r11\n\t"
        "movq 32(%r12), %r12\n\t"
        "movl $1, %eax\n\t"
        "jmp *%r11\n\t"
        ".popsection");

/* Starts a thread in its saved context; returns the new tid in the parent. */
static BLOB __attribute__((noinline)) long start_thread(const struct plan_thread *t,
                                                        unsigned long flags)
{
    register long rax __asm__("rax") = SYS_clone;
    register unsigned long rdi __asm__("rdi") = flags;
    register uint64_t rsi __asm__("rsi") = t->ctx.rsp;
    register uint64_t rdx __asm__("rdx") = t->tid_addr;
    register uint64_t r10 __asm__("r10") = t->tid_addr;
    register uint64_t r8 __asm__("r8") = t->fs_base;
    register const struct crest_thread_context *r12 __asm__("r12") = &t->ctx;
    __asm__ volatile("syscall\n\t"
                     "testq %%rax, %%rax\n\t"
                     "jz blob_enter_context\n\t"
                     : "+r"(rax)
                     : "r"(rdi), "r"(rsi), "r"(rdx), "r"(r10), "r"(r8), "r"(r12)
                     : "rcx", "r11", "memory");
    return rax;
}

static BLOB __attribute__((noreturn, noinline)) void resume_here(const struct crest_thread_context *c)
{
    __asm__ volatile("movq %0, %%r12\n\t"
                     "jmp blob_enter_context\n\t"
                     :
                     : "r"(c)
                     : "memory");
    __builtin_unreachable();
}

BLOB __attribute__((noreturn)) void crest_blob_main(struct restore_plan *p)
{
    /* 1. the restarter's own memory goes */
    const struct plan_range *old = (const struct plan_range *)((char *)p + p->old_off);
    for (uint32_t i = 0; i < p->nold; i++)
        sys(SYS_munmap, old[i].start, old[i].end - old[i].start, 0);

    /* 2. the vDSO and its data pages move to the image's addresses, through
     * temporary places so that no move lands on another still to move */
    for (uint32_t i = 0; i < p->nspecial; i++) {
        struct plan_special *s = &p->special[i];
        long r = sys6(SYS_mremap, (long)s->cur_start, (long)s->len, (long)s->len,
                      MREMAP_MAYMOVE | MREMAP_FIXED, (long)s->temp, 0);
        if (r != (long)s->temp)
            die(p, BLOB_MSG_VDSO, s->cur_start, r);
    }
    for (uint32_t i = 0; i < p->nspecial; i++) {
        struct plan_special *s = &p->special[i];
        long r = sys6(SYS_mremap, (long)s->temp, (long)s->len, (long)s->len,
                      MREMAP_MAYMOVE | MREMAP_FIXED, (long)s->want_start, 0);
        if (r != (long)s->want_start)
            die(p, BLOB_MSG_VDSO, s->want_start, r);
    }

    /* 3. the image's memory */
    const struct plan_map *maps = (const struct plan_map *)((char *)p + p->maps_off);
    for (uint32_t i = 0; i < p->nmaps; i++)
        map_one(p, &maps[i]);
    for (uint32_t i = 0; i < p->nfds_to_close; i++)
        sys(SYS_close, p->fds_to_close[i], 0, 0);

    /* 4. the kernel's view of the address space: brk, stack, arguments */
    long r = sys6(SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, (long)&p->mm, sizeof p->mm, 0, 0);
    if (r)
        die(p, BLOB_MSG_MM, p->mm.brk, r);
    if (p->comm[0])
        sys(SYS_prctl, PR_SET_NAME, p->comm, 0);

    /* 5. signal handlers, before any restored code runs */
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == 9 || sig == 19)
            continue;
        sys6(SYS_rt_sigaction, sig, (long)&p->actions[sig - 1], 0, 8, 0, 0);
    }

    /* 6. hand over to libcrest in the restored memory */
    unsigned char *dst = (unsigned char *)p->restart_info_addr;
    const unsigned char *src = (const unsigned char *)&p->info;
    long pid = sys(SYS_getpid, 0, 0, 0);
    p->info.pid = (int32_t)pid;
    for (size_t i = 0; i < sizeof p->info; i++)
        dst[i] = src[i];

    /* 7. threads: the others as new threads, the main one right here */
    const struct plan_thread *threads = (const struct plan_thread *)((char *)p + p->threads_off);
    const struct plan_thread *main_thread = NULL;
    for (uint32_t i = 0; i < p->nthreads; i++) {
        const struct plan_thread *t = &threads[i];
        if (t->role == CREST_THREAD_MAIN) {
            main_thread = t;
            continue;
        }
        unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                              CLONE_SYSVSEM | CLONE_SETTLS;
        if (t->tid_addr)
            flags |= CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
        long tid = start_thread(t, flags);
        if (tid < 0)
            die(p, BLOB_MSG_CLONE, (uint64_t)i, tid);
    }
    sys(SYS_arch_prctl, ARCH_SET_FS, main_thread->fs_base, 0);
    if (main_thread->tid_addr) {
        *(volatile int32_t *)main_thread->tid_addr = (int32_t)pid;
        sys(SYS_set_tid_address, main_thread->tid_addr, 0, 0);
    }
    resume_here(&main_thread->ctx);
}
