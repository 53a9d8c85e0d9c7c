/* cmd_info.c — `crest info IMAGE`: what an image holds; verifies it. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "../common/cpu_features.h"
#include "../common/image_reader.h"
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

int crest_cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    int verify = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-verify"))
            verify = 0;
        else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "crest info: bad argument '%s' (usage: crest info IMAGE [--no-verify])\n",
                    argv[i]);
            return 2;
        } else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "crest info: no image given\n");
        return 2;
    }
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
