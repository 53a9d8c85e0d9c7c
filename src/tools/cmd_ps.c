/* cmd_ps.c — `crest ps`: the user's running jobs, asked of each root
 * daemon found in the runtime directory. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../runtime/local_client.h"
#include "../runtime/runtime_dir.h"
#include "commands.h"

static void print_age(char *buf, size_t len, long secs)
{
    if (secs < 0)
        secs = 0;
    if (secs >= 86400)
        snprintf(buf, len, "%ldd%02ldh", secs / 86400, secs % 86400 / 3600);
    else if (secs >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", secs / 3600, secs % 3600 / 60, secs % 60);
    else
        snprintf(buf, len, "%ld:%02ld", secs / 60, secs % 60);
}

/* Asks one root daemon; prints its jobs; returns how many. */
static int ask(const char *path, int *header_done)
{
    int fd = crest_local_connect(path);
    if (fd < 0) {
        if (errno == ECONNREFUSED)
            unlink(path); /* its daemon is gone */
        return 0;
    }
    struct crest_wire_header h;
    uint8_t *p = NULL;
    int n = 0;
    if (!crest_send_message(fd, MSG_STATUS, 0, NULL, 0) && !crest_read_message(fd, &h, &p, 5000) &&
        h.type == MSG_STATUS_REPLY) {
        struct crest_rbuf r = crest_rbuf_of(p, h.length);
        int boot = (int)crest_rbuf_u32(&r);
        int ndaemons = (int)crest_rbuf_u32(&r);
        int njobs = (int)crest_rbuf_u32(&r);
        if (boot && !r.bad)
            printf("boot: %d daemon%s (crest halt ends them)\n", ndaemons, ndaemons == 1 ? "" : "s");
        for (int i = 0; i < njobs && !r.bad; i++) {
            uint32_t id = crest_rbuf_u32(&r);
            uint32_t pid = crest_rbuf_u32(&r);
            uint32_t nranks = crest_rbuf_u32(&r);
            char hosts[4096], state[32], age[32];
            crest_rbuf_str(&r, hosts, sizeof hosts);
            crest_rbuf_str(&r, state, sizeof state);
            uint64_t started = crest_rbuf_u64(&r);
            if (r.bad)
                break;
            if (!*header_done) {
                printf("%-6s %-8s %-6s %-9s %-9s %s\n", "JOB", "MPIRUN", "RANKS", "STATE", "AGE", "HOSTS");
                *header_done = 1;
            }
            print_age(age, sizeof age, (long)(time(NULL) - (time_t)started));
            printf("%-6u %-8u %-6u %-9s %-9s %s\n", id, pid, nranks, state, age, hosts);
            n++;
        }
    }
    free(p);
    close(fd);
    return n;
}

int crest_cmd_ps(int argc, char **argv)
{
    if (argc != 1) {
        fprintf(stderr, "usage: crest ps\n");
        return 2;
    }
    char dir[256], err[512];
    if (crest_runtime_dir(dir, sizeof dir, err, sizeof err)) {
        fprintf(stderr, "crest ps: %s\n", err);
        return 1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "crest ps: cannot read %s: %s\n", dir, strerror(errno));
        return 1;
    }
    int header = 0, total = 0;
    struct dirent *e;
    char path[600];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, "boot.sock") && (strncmp(e->d_name, "job-", 4) || !strstr(e->d_name, ".sock")))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        total += ask(path, &header);
    }
    closedir(d);
    if (!total)
        printf("no running jobs\n");
    return 0;
}
