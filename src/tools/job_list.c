/* job_list.c — the user's running jobs, asked of each root daemon. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runtime/local_client.h"
#include "../runtime/runtime_dir.h"
#include "job_list.h"

/* Asks one root daemon; returns how many jobs it has. */
static int ask(const char *path, void (*job)(const struct job_entry *, void *), void (*boot)(int, void *),
               void *arg)
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
        int is_boot = (int)crest_rbuf_u32(&r);
        int ndaemons = (int)crest_rbuf_u32(&r);
        int njobs = (int)crest_rbuf_u32(&r);
        if (is_boot && !r.bad && boot)
            boot(ndaemons, arg);
        for (int i = 0; i < njobs && !r.bad; i++) {
            struct job_entry e;
            e.id = crest_rbuf_u32(&r);
            e.mpirun_pid = crest_rbuf_u32(&r);
            e.nranks = crest_rbuf_u32(&r);
            crest_rbuf_str(&r, e.hosts, sizeof e.hosts);
            crest_rbuf_str(&r, e.state, sizeof e.state);
            e.started = crest_rbuf_u64(&r);
            if (r.bad)
                break;
            if (job)
                job(&e, arg);
            n++;
        }
    }
    free(p);
    close(fd);
    return n;
}

int crest_list_jobs(void (*job)(const struct job_entry *, void *), void (*boot)(int, void *), void *arg,
                    char *err, unsigned long errlen)
{
    char dir[256];
    if (crest_runtime_dir(dir, sizeof dir, err, errlen))
        return -1;
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
        return -1;
    }
    int total = 0;
    struct dirent *e;
    char path[600];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, "boot.sock") && (strncmp(e->d_name, "job-", 4) || !strstr(e->d_name, ".sock")))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        total += ask(path, job, boot, arg);
    }
    closedir(d);
    return total;
}
