/* restore_plan.c — `crest restart`: check an image, then turn this very
 * process into the one the image holds.  Everything that can be refused is
 * refused here, before anything is torn down; then the plan is written into
 * a free region with a copy of the blob, and the blob takes over. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/cpu_features.h"
#include "../common/image_reader.h"
#include "../common/maps_parse.h"
#include "restore.h"
#include "restore_plan.h"

extern const unsigned char __start_crest_blob[], __stop_crest_blob[];

#define PAGE 4096ull
#define PLAN_STACK (256ull << 10)
#define MAP_MIN_PAGES 16       /* shorter runs are cheaper to copy than to map */
#define MAX_MAPPED_RUNS 16384  /* well below vm.max_map_count's default 65530 */

static uint64_t round_up(uint64_t v) { return (v + PAGE - 1) & ~(PAGE - 1); }

/* ---- the restarter's own address space ---- */

struct own_maps {
    struct plan_range ranges[4096];
    int n;
    struct plan_special special[3]; /* cur_start/len of vdso, vvar, vvar_vclock */
    const char *special_name[3];
};

static const char *const special_names[3] = {"[vvar]", "[vvar_vclock]", "[vdso]"};
static const uint32_t special_kinds[3] = {CREST_MAP_VVAR, CREST_MAP_VVAR_VCLOCK, CREST_MAP_VDSO};

static int own_cb(const struct crest_maps_entry *e, void *arg)
{
    struct own_maps *o = arg;
    for (int i = 0; i < 3; i++)
        if (!strcmp(e->path, special_names[i])) {
            o->special[i].cur_start = e->start;
            o->special[i].len = e->end - e->start;
            return 0;
        }
    if (!strcmp(e->path, "[vsyscall]"))
        return 0;
    if (o->n == (int)(sizeof o->ranges / sizeof o->ranges[0]))
        return -1;
    o->ranges[o->n++] = (struct plan_range){e->start, e->end};
    return 0;
}

static int read_own_maps(struct own_maps *o)
{
    static char text[1 << 20];
    memset(o, 0, sizeof *o);
    long len = crest_read_proc_file("/proc/self/maps", text, sizeof text);
    return len < 0 ? -1 : crest_maps_parse(text, (size_t)len, own_cb, o);
}

/* ---- checks ---- */

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "crest restart: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return -1;
}

static int original_still_runs(const struct crest_image *img)
{
    char path[64], stat[4096], boot[64];
    snprintf(path, sizeof path, "/proc/%d/stat", img->process->pid);
    long n = crest_read_proc_file(path, stat, sizeof stat - 1);
    if (n <= 0)
        return 0;
    stat[n] = 0;
    long b = crest_read_proc_file("/proc/sys/kernel/random/boot_id", boot, sizeof boot - 1);
    if (b < 36 || memcmp(boot, img->process->boot_id, 36))
        return 0;
    const char *p = strrchr(stat, ')');
    if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
        return 0; /* an exited process holds nothing any more */
    p += 2;
    for (int f = 3; f < 22 && *p; p++)
        if (*p == ' ')
            f++;
    return strtoull(p, NULL, 10) == img->process->start_time_ticks;
}

static int check_files(const struct crest_image *img)
{
    for (size_t i = 0; i < img->nmaps; i++) {
        const struct crest_rec_mapping *m = img->maps[i].rec;
        if (m->kind != CREST_MAP_FILE_PRIVATE && m->kind != CREST_MAP_FILE_SHARED)
            continue;
        struct stat st;
        const char *path = img->maps[i].path;
        if (stat(path, &st))
            return fail("%s: the process had %s mapped at 0x%llx; it is gone (%s)", img->path,
                        path, (unsigned long long)m->start, strerror(errno));
        int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        if (m->kind == CREST_MAP_FILE_PRIVATE &&
            ((uint64_t)st.st_size != m->file_size || mtime != m->file_mtime_ns))
            return fail("%s: %s changed since the checkpoint (size or time differs); the process "
                        "needs the file it had mapped at 0x%llx", img->path, path,
                        (unsigned long long)m->start);
    }
    for (size_t i = 0; i < img->nfds; i++) {
        const struct crest_rec_fd *f = img->fds[i].rec;
        const char *path = img->fds[i].path;
        size_t len = strlen(path);
        if (f->kind != CREST_FD_FILE || f->fd <= 2 ||
            (len > 10 && !strcmp(path + len - 10, " (deleted)")))
            continue;
        if (access(path, F_OK))
            return fail("%s: the process had %s open as fd %d; it is gone (%s)", img->path, path,
                        f->fd, strerror(errno));
    }
    return 0;
}

static int check_cpu(const struct crest_image *img)
{
    struct crest_cpu_features here;
    char missing[512];
    crest_cpu_read(&here);
    if (crest_cpu_missing(&img->process->cpu, &here, missing, sizeof missing))
        return fail("%s needs CPU features this CPU lacks: %s (restart it on a machine that has "
                    "them)", img->path, missing);
    return 0;
}

static int check_mm_map_allowed(void)
{
    unsigned int size = 0;
    if (prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, &size, 0, 0) || size != sizeof(struct prctl_mm_map))
        return fail("this kernel cannot restore a memory layout (prctl PR_SET_MM_MAP: %s); "
                    "it needs CONFIG_CHECKPOINT_RESTORE", strerror(errno));
    return 0;
}

/* ---- the plan ---- */

struct layout {
    uint64_t code, plan, runs, threads, old, temp, stack, total;
};

static int overlaps(uint64_t s, uint64_t e, const struct crest_image *img, const struct own_maps *o)
{
    for (size_t i = 0; i < img->nmaps; i++)
        if (s < img->maps[i].rec->end && img->maps[i].rec->start < e)
            return 1;
    for (int i = 0; i < o->n; i++)
        if (s < o->ranges[i].end && o->ranges[i].start < e)
            return 1;
    for (int i = 0; i < 3; i++)
        if (o->special[i].len && s < o->special[i].cur_start + o->special[i].len &&
            o->special[i].cur_start < e)
            return 1;
    return 0;
}

static uint64_t find_gap(uint64_t size, const struct crest_image *img, const struct own_maps *o)
{
    /* from 1 TiB up in 1 GiB steps: far from typical program, heap and library addresses */
    for (uint64_t at = 1ull << 40; at < (1ull << 46); at += 1ull << 30)
        if (!overlaps(at, at + size, img, o))
            return at;
    return 0;
}

static int find_special(const struct crest_image *img, uint32_t kind)
{
    for (size_t i = 0; i < img->nmaps; i++)
        if (img->maps[i].rec->kind == kind)
            return (int)i;
    return -1;
}

/* Checks the opened image, plans, and enters the blob; returns only on a
 * refusal, with the line printed. */
/* Closes every descriptor above stderr but a and b (-1: none). */
static void close_all_but(int a, int b)
{
    int keep[2] = {a < b ? a : b, a < b ? b : a};
    unsigned from = 3;
    for (int i = 0; i < 2; i++) {
        if (keep[i] < (int)from)
            continue;
        if (keep[i] > (int)from)
            syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0);
        from = (unsigned)keep[i] + 1;
    }
    syscall(SYS_close_range, from, ~0u, 0);
}

static int restore_from(struct crest_image *image, const char *abspath, int copy_all,
                        int kept_fd)
{
    static struct own_maps own;
    struct crest_image img = *image; /* the blob never returns: a plain copy */
    const struct crest_rec_process *proc = img.process;
    if (check_cpu(&img) || check_files(&img) || check_mm_map_allowed())
        return -1;
    if (original_still_runs(&img))
        return fail("%s: the checkpointed process %d is still running and holds its files; "
                    "end it first (kill %d)", abspath, proc->pid, proc->pid);
    const struct crest_rec_thread *main_thread = NULL;
    for (size_t i = 0; i < img.nthreads; i++)
        if (img.threads[i]->role == CREST_THREAD_MAIN)
            main_thread = img.threads[i];
    if (!main_thread)
        return fail("%s: the image has no main thread (it had exited before the checkpoint); "
                    "such a process cannot be restarted", abspath);
    if (proc->tid_offset < 0 && img.nthreads > 1)
        return fail("%s: the image lacks the C library's thread-id layout; take it with this "
                    "crest", abspath);
    if (read_own_maps(&own))
        return fail("cannot read /proc/self/maps of the restarter");
    for (int i = 0; i < 3; i++) {
        int k = find_special(&img, special_kinds[i]);
        uint64_t want = k < 0 ? 0 : img.maps[k].rec->end - img.maps[k].rec->start;
        if (want != own.special[i].len)
            return fail("%s: the image's %s is %llu bytes, this kernel's is %llu; restart on the "
                        "kernel the image was taken on", abspath, special_names[i],
                        (unsigned long long)want, (unsigned long long)own.special[i].len);
    }

    /* sizes of the plan's parts */
    uint64_t nruns = 0, nblocks = 0;
    for (size_t i = 0; i < img.nmaps; i++) {
        nruns += img.maps[i].rec->nruns;
        nblocks += img.maps[i].rec->nblocks;
    }
    struct layout L;
    L.code = 0;
    L.plan = round_up((uint64_t)(__stop_crest_blob - __start_crest_blob));
    L.runs = L.plan + round_up(sizeof(struct restore_plan) + img.nmaps * sizeof(struct plan_map));
    L.threads = L.runs + round_up(nruns * sizeof(struct crest_page_run) + nblocks * 4);
    L.old = L.threads + round_up(img.nthreads * sizeof(struct plan_thread));
    L.stack = L.old + round_up((uint64_t)(own.n + 64) * sizeof(struct plan_range));
    L.temp = L.stack + PLAN_STACK;
    uint64_t temp_len = 0;
    for (int i = 0; i < 3; i++)
        temp_len += round_up(own.special[i].len);
    L.total = L.temp + temp_len;
    uint64_t base = find_gap(L.total, &img, &own);
    if (!base)
        return fail("%s: no free address range for the restarter", abspath);
    unsigned char *region = mmap((void *)base, L.total, PROT_READ | PROT_WRITE,
                                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (region == MAP_FAILED || (uint64_t)region != base)
        return fail("cannot map the restarter's region: %s", strerror(errno));
    memcpy(region + L.code, __start_crest_blob, (size_t)(__stop_crest_blob - __start_crest_blob));
    struct restore_plan *p = (struct restore_plan *)(region + L.plan);
    p->base = base;
    p->size = L.total;
    snprintf(p->message_prefix, sizeof p->message_prefix, "crest restart: %s: ", abspath);
    snprintf(p->messages[BLOB_MSG_TRUNCATED], 96, "image data is missing (truncated) at offset ");
    snprintf(p->messages[BLOB_MSG_CORRUPT], 96, "image is corrupt: page data fails its checksum near offset ");
    snprintf(p->messages[BLOB_MSG_MAP], 96, "cannot map memory at address ");
    snprintf(p->messages[BLOB_MSG_VDSO], 96, "cannot move the vDSO to address ");
    snprintf(p->messages[BLOB_MSG_MM], 96, "the kernel refused the saved memory layout, brk ");
    snprintf(p->messages[BLOB_MSG_CLONE], 96, "cannot start saved thread ");

    /* descriptors: the image stays open at a number the process does not use */
    int image_fd = 3;
    for (int again = 1; again;) {
        again = 0;
        if (image_fd == kept_fd)
            image_fd++, again = 1;
        for (size_t i = 0; i < img.nfds; i++)
            if (img.fds[i].rec->fd == image_fd)
                image_fd++, again = 1;
    }
    if (dup2(img.fd, image_fd) < 0)
        return fail("cannot place the image descriptor: %s", strerror(errno));
    p->image_fd = image_fd;
    close_all_but(image_fd, kept_fd);
    image->fd = image_fd;

    /* mappings */
    struct plan_map *pm = (struct plan_map *)(p + 1);
    unsigned char *runs_area = region + L.runs;
    uint64_t runs_used = 0;
    p->maps_off = (uint64_t)((unsigned char *)pm - (unsigned char *)p);
    for (size_t i = 0; i < img.nmaps; i++) {
        const struct crest_rec_mapping *m = img.maps[i].rec;
        if (m->kind == CREST_MAP_VDSO || m->kind == CREST_MAP_VVAR || m->kind == CREST_MAP_VVAR_VCLOCK)
            continue;
        struct plan_map *d = &pm[p->nmaps++];
        d->start = m->start;
        d->end = m->end;
        d->prot = m->prot;
        d->kind = m->kind;
        d->fd = -1;
        d->file_offset = 0;
        switch (m->kind) {
        case CREST_MAP_FILE_PRIVATE:
        case CREST_MAP_FILE_SHARED: {
            int shared = m->kind == CREST_MAP_FILE_SHARED;
            int fd = open(img.maps[i].path,
                          (shared && (m->prot & PROT_WRITE) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
            if (fd < 0)
                return fail("%s: cannot open %s: %s", abspath, img.maps[i].path, strerror(errno));
            if (p->nfds_to_close == sizeof p->fds_to_close / sizeof p->fds_to_close[0])
                return fail("%s: too many mapped files", abspath);
            p->fds_to_close[p->nfds_to_close++] = fd;
            d->fd = fd;
            d->file_offset = m->file_offset;
            d->mmap_flags = shared ? MAP_SHARED : MAP_PRIVATE;
            break;
        }
        case CREST_MAP_SHARED_ANON:
            d->mmap_flags = MAP_SHARED | MAP_ANONYMOUS;
            break;
        default:
            d->mmap_flags = MAP_PRIVATE | MAP_ANONYMOUS;
            if (m->flags & CREST_MAPF_STACK)
                d->mmap_flags |= MAP_GROWSDOWN;
            break;
        }
        d->data_offset = m->data_offset;
        d->saved_pages = m->saved_pages;
        d->nruns = m->nruns;
        d->nblocks = m->nblocks;
        d->runs_off = (uint64_t)(runs_area + runs_used - (unsigned char *)p);
        memcpy(runs_area + runs_used, img.maps[i].runs, m->nruns * sizeof(struct crest_page_run));
        runs_used += m->nruns * sizeof(struct crest_page_run);
        d->crcs_off = (uint64_t)(runs_area + runs_used - (unsigned char *)p);
        memcpy(runs_area + runs_used, img.maps[i].crcs, m->nblocks * 4u);
        runs_used += m->nblocks * 4u;
        runs_used = (runs_used + 7) & ~7ull;
    }

    /* Long runs of anonymous pages are mapped from the image rather than
     * copied, unless asked otherwise or unless they would be too many
     * mappings for the kernel's limit. */
    uint64_t mappable_runs = 0;
    for (uint32_t i = 0; i < p->nmaps; i++)
        if (pm[i].kind == CREST_MAP_ANON) {
            const struct crest_page_run *r = (const void *)((unsigned char *)p + pm[i].runs_off);
            for (uint32_t k = 0; k < pm[i].nruns; k++)
                mappable_runs += r[k].npages >= MAP_MIN_PAGES;
        }
    p->map_min_pages = copy_all || mappable_runs > MAX_MAPPED_RUNS ? 0 : MAP_MIN_PAGES;

    /* the vDSO and its data pages */
    uint64_t temp = base + L.temp;
    for (int i = 0; i < 3; i++) {
        if (!own.special[i].len)
            continue;
        int k = find_special(&img, special_kinds[i]);
        struct plan_special *s = &p->special[p->nspecial++];
        s->cur_start = own.special[i].cur_start;
        s->len = own.special[i].len;
        s->want_start = img.maps[k].rec->start;
        s->temp = temp;
        temp += round_up(s->len);
    }

    /* kernel mm fields, auxv, signal handlers, comm */
    const struct crest_mm_fields *mm = &proc->mm;
    p->mm = (struct prctl_mm_map){
        .start_code = mm->start_code, .end_code = mm->end_code,
        .start_data = mm->start_data, .end_data = mm->end_data,
        .start_brk = mm->start_brk, .brk = mm->brk, .start_stack = mm->start_stack,
        .arg_start = mm->arg_start, .arg_end = mm->arg_end,
        .env_start = mm->env_start, .env_end = mm->env_end,
        .exe_fd = (uint32_t)-1};
    if (proc->auxv_size && proc->auxv_size <= sizeof p->auxv) {
        memcpy(p->auxv, img.auxv, proc->auxv_size);
        p->mm.auxv = (__u64 *)p->auxv;
        p->mm.auxv_size = proc->auxv_size;
    }
    if (img.signals)
        memcpy(p->actions, img.signals->action, sizeof p->actions);
    snprintf(p->comm, sizeof p->comm, "%s", img.comm);

    /* threads */
    struct plan_thread *pt = (struct plan_thread *)(region + L.threads);
    p->threads_off = (uint64_t)((unsigned char *)pt - (unsigned char *)p);
    for (size_t i = 0; i < img.nthreads; i++) {
        const struct crest_rec_thread *t = img.threads[i];
        struct plan_thread *d = &pt[p->nthreads++];
        d->ctx = t->ctx;
        d->fs_base = t->fs_base;
        d->role = t->role;
        d->tid_addr = proc->tid_offset >= 0 ? t->fs_base + (uint64_t)proc->tid_offset : 0;
    }

    /* hand-over to libcrest */
    p->restart_info_addr = proc->restart_info_addr;
    p->info.magic = CREST_RESTART_MAGIC;
    p->info.image_fd = image_fd;
    p->info.kept_fd = kept_fd;
    p->info.blob_start = base;
    p->info.blob_len = L.total;
    snprintf(p->info.image_path, sizeof p->info.image_path, "%s", abspath);

    /* what of the restarter to unmap: everything but the region */
    if (read_own_maps(&own))
        return fail("cannot read /proc/self/maps of the restarter");
    struct plan_range *old = (struct plan_range *)(region + L.old);
    p->old_off = (uint64_t)((unsigned char *)old - (unsigned char *)p);
    for (int i = 0; i < own.n; i++) {
        uint64_t s = own.ranges[i].start, e = own.ranges[i].end;
        if (e <= base || s >= base + L.total) {
            old[p->nold++] = own.ranges[i];
            continue;
        }
        if (s < base)
            old[p->nold++] = (struct plan_range){s, base};
        if (e > base + L.total)
            old[p->nold++] = (struct plan_range){base + L.total, e};
    }

    if (mprotect(region, L.plan, PROT_READ | PROT_EXEC))
        return fail("cannot make the restarter's code executable: %s", strerror(errno));
    fflush(NULL);
    sigset_t all;
    sigfillset(&all);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, 8);
    /* the kernel would write into the area once it is unmapped */
    if (__rseq_size > 0 && syscall(SYS_rseq, (char *)__builtin_thread_pointer() + __rseq_offset,
                                   crest_rseq_registered_size(), RSEQ_FLAG_UNREGISTER, RSEQ_SIG))
        return fail("cannot unregister the restarter's rseq area: %s", strerror(errno));

    void (*entry)(struct restore_plan *) =
        (void (*)(struct restore_plan *))(region + L.code +
                                          ((const unsigned char *)crest_blob_main - __start_crest_blob));
    uint64_t sp = (base + L.stack + PLAN_STACK) & ~15ull;
    __asm__ volatile("movq %0, %%rsp\n\t"
                     "movq %1, %%rdi\n\t"
                     "call *%2\n\t"
                     "ud2\n\t"
                     :
                     : "r"(sp), "r"(p), "r"(entry)
                     : "memory");
    __builtin_unreachable();
}

int crest_restore(const char *image_path, int copy_all, int kept_fd)
{
    struct crest_image img;
    char err[1024], abspath[PATH_MAX];
    if (!realpath(image_path, abspath))
        snprintf(abspath, sizeof abspath, "%s", image_path);
    int rc = crest_image_open(&img, abspath, err, sizeof err) ? fail("%s", err)
                                                              : restore_from(&img, abspath, copy_all, kept_fd);
    crest_image_close(&img);
    return rc;
}
