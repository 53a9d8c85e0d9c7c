/* init.c — libcrest comes up when the process loads it: it takes its stop
 * signal and starts the manager thread. */

#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libcrest_internal.h"

static int chosen_signal(void)
{
    const char *s = getenv("CREST_SIGNAL");
    if (!s || !*s)
        return CREST_DEFAULT_SIGNAL;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 1 || v > SIGRTMAX || v == SIGKILL || v == SIGSTOP) {
        fprintf(stderr, "crest: CREST_SIGNAL=%s is not a usable signal number; using %d\n", s,
                CREST_DEFAULT_SIGNAL);
        return CREST_DEFAULT_SIGNAL;
    }
    return (int)v;
}

/* libcrest's own writable segment (.data and .bss). */
static int find_own_data(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uint64_t probe = (uint64_t)&crest_rt;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uint64_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W) && probe >= s && probe < e) {
            struct crest_range *r = arg;
            r->start = s & ~4095ull;
            r->end = (e + 4095) & ~4095ull;
            return 1;
        }
    }
    return 0;
}

static void start(void)
{
    dl_iterate_phdr(find_own_data, &crest_rt.volatile_ranges[0]);
    crest_rt.signal = chosen_signal();
    crest_rt.pid = getpid();
    if (crest_stop_install() || crest_manager_start())
        fprintf(stderr, "crest: checkpointing is off in process %d: %s\n", (int)getpid(),
                strerror(errno));
}

static void after_fork_in_child(void)
{
    /* The child has only the forking thread: a fresh libcrest of its own. */
    crest_rt.active = 0;
    crest_rt.listen_fd = crest_rt.client_fd = -1;
    crest_rt.wake_fd[0] = crest_rt.wake_fd[1] = -1;
    crest_rt.restart_count = 0;
    start();
}

__attribute__((constructor)) static void crest_init(void)
{
    const char *off = getenv("CREST_DISABLE");
    crest_interpose_init();
    if (off && *off && strcmp(off, "0"))
        return;
    start();
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

__attribute__((destructor)) static void crest_fini(void)
{
    if (crest_rt.active && crest_rt.pid == getpid() && crest_rt.socket_path[0])
        unlink(crest_rt.socket_path);
}
