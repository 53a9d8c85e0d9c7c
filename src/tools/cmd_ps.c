/* cmd_ps.c — `crest ps`: the user's running jobs, asked of each root
 * daemon found in the runtime directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "job_list.h"
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

static void print_boot(int ndaemons, void *arg)
{
    printf("boot: %d daemon%s (crest halt ends them)\n", ndaemons, ndaemons == 1 ? "" : "s");
}

static void print_job(const struct job_entry *e, void *arg)
{
    int *header_done = arg;
    char age[32];
    if (!*header_done) {
        printf("%-6s %-8s %-6s %-9s %-9s %s\n", "JOB", "MPIRUN", "RANKS", "STATE", "AGE", "HOSTS");
        *header_done = 1;
    }
    print_age(age, sizeof age, (long)(time(NULL) - (time_t)e->started));
    printf("%-6u %-8u %-6u %-9s %-9s %s\n", e->id, e->mpirun_pid, e->nranks, e->state, age, e->hosts);
}

int crest_cmd_ps(int argc, char **argv)
{
    if (argc != 1) {
        fprintf(stderr, "usage: crest ps\n");
        return 2;
    }
    char err[512];
    int header = 0;
    int total = crest_list_jobs(print_job, print_boot, &header, err, sizeof err);
    if (total < 0) {
        fprintf(stderr, "crest ps: %s\n", err);
        return 1;
    }
    if (!total)
        printf("no running jobs\n");
    return 0;
}
