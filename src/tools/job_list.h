/* job_list.h — the user's running jobs, asked of every root daemon found in
 * the runtime directory (job-N.sock of a job's own daemons, boot.sock of a
 * `crest boot`).  Used by crest ps and crest checkpoint JOB. */
#ifndef CREST_JOB_LIST_H
#define CREST_JOB_LIST_H

#include <stdint.h>

struct job_entry {
    uint32_t id;
    uint32_t mpirun_pid;
    uint32_t nranks;
    char hosts[4096];
    char state[32];
    uint64_t started;   /* seconds since the epoch */
};

/* Calls job(e, arg) for every job and boot(ndaemons, arg) for every boot
 * found.  Returns the number of jobs, or -1 with err set. */
int crest_list_jobs(void (*job)(const struct job_entry *e, void *arg), void (*boot)(int ndaemons, void *arg),
                    void *arg, char *err, unsigned long errlen);

#endif
