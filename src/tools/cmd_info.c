/* cmd_info.c — `crest info IMAGE`: what an image holds; verifies it.
 * `crest info SNAPSHOT`: a job's snapshot, its manifest and every image. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "../common/cpu_features.h"
#include "../common/image_reader.h"
#include "../common/snapshot.h"
#include "commands.h"

static const char *thread_role(uint32_t role)
{
    return role == CREST_THREAD_MAIN ? "main" : role == CREST_THREAD_MANAGER ? "crest" : "app";
}

static void print_cmdline(const struct crest_image *img)
{
    for (size_t i = 0; i < img->cmdline_len; i++)
        putchar(img->cmdline[i] ? img->cmdline[i] : (i + 1 < img->cmdline_len ? ' ' : '\n'));
    if (!img->cmdline_len)
        putchar('\n');
}

/* An argument as a shell would take it back: as it is when plain, else in
 * single quotes, with $'...' for control characters and bytes above 0x7e. */
static void print_shell_word(const char *a)
{
    const unsigned char *s = (const unsigned char *)a;
    int plain = *s != '\0', ctl = 0;
    for (; *s; s++) {
        if (*s < 0x20 || *s >= 0x7f)
            ctl = 1;
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=.,/:@%", *s))
            plain = 0;
    }
    if (plain) {
        fputs(a, stdout);
        return;
    }
    fputs(ctl ? "$'" : "'", stdout);
    for (s = (const unsigned char *)a; *s; s++) {
        if (*s == '\'' && !ctl)
            fputs("'\\''", stdout);
        else if (ctl && (*s == '\'' || *s == '\\'))
            printf("\\%c", *s);
        else if (ctl && (*s == '\n' || *s == '\t' || *s == '\r'))
            printf("\\%c", *s == '\n' ? 'n' : *s == '\t' ? 't' : 'r');
        else if (ctl && (*s < 0x20 || *s >= 0x7f))
            printf("\\x%02x", *s);
        else
            putchar(*s);
    }
    putchar('\'');
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static void print_rank_result(int rank, int ok, const char *what, void *arg)
{
    int *bad = arg;
    if (ok)
        printf("rank %d: ok\n", rank);
    else {
        printf("%s\n", what); /* "rank N: ..." */
        (*bad)++;
    }
    fflush(stdout);
}

/* A path that names a snapshot rather than an image: a directory, or a
 * file called manifest. */
static int is_snapshot_path(const char *path)
{
    struct stat st;
    if (stat(path, &st))
        return 0;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    return S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && !strcmp(base, "manifest"));
}

static int info_snapshot(const char *path, int full)
{
    char snap[4096], err[2048];
    if (snapshot_resolve(path, snap, sizeof snap, NULL, err, sizeof err)) {
        fprintf(stderr, "crest info: %s\n", err);
        return 1;
    }
    struct snapshot_manifest m;
    if (snapshot_load(snap, &m, err, sizeof err)) {
        fprintf(stderr, "crest info: %s\n", err);
        return 1;
    }
    char when[64] = "?";
    time_t t = (time_t)m.taken;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    printf("snapshot:     %s\n", snap);
    printf("sequence:     %" PRIu64 "\n", m.seq);
    printf("job:          %" PRIu32 "\n", m.job);
    printf("taken:        %s\n", when);
    printf("format:       manifest format %u, crest %s\n", m.format, m.crest_version);
    printf("command line: ");
    for (int i = 0; i < m.argc; i++) {
        if (i)
            putchar(' ');
        print_shell_word(m.argv[i]);
    }
    printf("\ndirectory:    ");
    print_shell_word(m.cwd);
    printf("\nranks:        %d\n", m.nranks);
    for (int r = 0; r < m.nranks; r++) {
        const struct snapshot_rank *k = &m.ranks[r];
        printf("  rank %-5d host %-16s %s %10.1f MiB  checksum 0x%08" PRIx32
               "  write %.3f s  quiesce %.1f ms\n", k->rank, k->host, k->image,
               (double)k->bytes / (1 << 20), k->checksum, (double)k->write_ns / 1e9,
               ms(k->quiesce_ns));
    }
    double secs = (double)m.total_ns / 1e9;
    printf("total:        %.1f MiB in %.3f s", (double)m.bytes / (1 << 20), secs);
    if (secs > 0)
        printf(" (%.2f GiB/s)", (double)m.bytes / (1 << 30) / secs);
    printf(", slowest quiesce %.1f ms\n", ms(m.quiesce_ns));
    printf("images:       checking %s\n", full ? "every checksum" : "sizes and headers");
    fflush(stdout);
    int nbad = 0;
    int rc = snapshot_verify(snap, &m, full, print_rank_result, &nbad, err, sizeof err);
    if (rc) {
        fprintf(stderr, "crest info: %d of %d images of %s are bad; the first: %s\n", nbad,
                m.nranks, snap, err);
    } else {
        printf("checksums:    ok (%d images)\n", m.nranks);
    }
    snapshot_free(&m);
    return rc ? 1 : 0;
}

int crest_cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    int verify = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-verify"))
            verify = 0;
        else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "crest info: bad argument '%s' (usage: crest info IMAGE|SNAPSHOT "
                    "[--no-verify])\n",
                    argv[i]);
            return 2;
        } else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "crest info: no image given\n");
        return 2;
    }
    if (is_snapshot_path(path))
        return info_snapshot(path, verify);
    struct crest_image img;
    char err[1024];
    if (crest_image_open(&img, path, err, sizeof err)) {
        fprintf(stderr, "crest info: %s\n", err);
        crest_image_close(&img);
        return 1;
    }
    const struct crest_rec_process *p = img.process;
    char when[64], cpu[1024];
    time_t t = (time_t)(p->checkpoint_ns / 1000000000ull);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
    crest_cpu_describe(&p->cpu, cpu, sizeof cpu);
    printf("image:        %s\n", img.path);
    printf("format:       crest image version %u, %llu bytes\n", img.header.version,
           (unsigned long long)img.header.file_size);
    printf("program:      %s\n", img.exe);
    printf("command line: ");
    print_cmdline(&img);
    printf("directory:    %s\n", img.cwd);
    printf("process:      pid %d (%s), uid %u, restarted %u times before\n", p->pid, img.comm,
           p->uid, p->restart_count);
    printf("taken:        %s\n", when);
    printf("cpu features: %s\n", cpu);
    printf("threads:      %zu\n", img.nthreads);
    for (size_t i = 0; i < img.nthreads; i++)
        printf("  tid %-8d %-6s sigmask %016llx\n", img.threads[i]->tid,
               thread_role(img.threads[i]->role), (unsigned long long)img.threads[i]->sigmask);
    uint64_t by_kind[8][2] = {{0}};
    for (size_t i = 0; i < img.nmaps; i++) {
        const struct crest_rec_mapping *m = img.maps[i].rec;
        uint32_t k = m->kind < 8 ? m->kind : 0;
        by_kind[k][0] += m->end - m->start;
        by_kind[k][1] += m->saved_pages * CREST_PAGE_SIZE;
    }
    printf("memory:       %zu mappings\n", img.nmaps);
    for (uint32_t k = 1; k < 8; k++)
        if (by_kind[k][0])
            printf("  %-17s %12.1f MiB mapped %10.1f MiB saved\n", crest_mapping_kind_name(k),
                   (double)by_kind[k][0] / (1 << 20), (double)by_kind[k][1] / (1 << 20));
    printf("files:        %zu\n", img.nfds);
    for (size_t i = 0; i < img.nfds; i++) {
        const struct crest_rec_fd *f = img.fds[i].rec;
        printf("  fd %-4d %-9s %s", f->fd, crest_fd_kind_name(f->kind), img.fds[i].path);
        if (f->kind == CREST_FD_FILE)
            printf(" (offset %llu)", (unsigned long long)f->offset);
        putchar('\n');
    }
    int rc = 0;
    if (verify) {
        if (crest_image_verify_data(&img, err, sizeof err)) {
            fflush(stdout);
            fprintf(stderr, "crest info: %s\n", err);
            rc = 1;
        } else {
            printf("checksums:    ok (header, %u records, %llu bytes of pages)\n",
                   img.header.record_count, (unsigned long long)img.header.data_bytes);
        }
    }
    crest_image_close(&img);
    return rc;
}
