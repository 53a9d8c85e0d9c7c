/* cmd_restart.c — `crest restart IMAGE` brings back one process;
 * `crest restart SNAPSHOT [mpirun options]` brings back a whole MPI job
 * (through mpirun --restart); `crest restart --rank SNAPSHOT` is what the
 * runtime runs for each rank of such a restart. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../restore/restore.h"
#include "commands.h"

#define USAGE "usage: crest restart [--copy] IMAGE | crest restart SNAPSHOT [-H HOSTS | " \
              "--hostfile FILE | --schema FILE] [mpirun options]"

static int is_snapshot_path(const char *path)
{
    struct stat st;
    if (stat(path, &st))
        return 0;
    if (S_ISDIR(st.st_mode))
        return 1;
    const char *base = strrchr(path, '/');
    return !strcmp(base ? base + 1 : path, "manifest");
}

/* One rank of a job restart: its image is rank-NNNNN.img of the snapshot;
 * the runtime's socket (CREST_RT_FD) stays, in place of the old one. */
static int restart_rank(const char *snapdir)
{
    const char *rank = getenv("CREST_RANK"), *fd = getenv("CREST_RT_FD");
    if (!rank || !fd) {
        fprintf(stderr, "crest restart --rank: not started by the runtime (no CREST_RANK/CREST_RT_FD); "
                        "use crest restart SNAPSHOT\n");
        return 2;
    }
    char image[PATH_MAX];
    if (snprintf(image, sizeof image, "%s/rank-%05d.img", snapdir, atoi(rank)) >= (int)sizeof image) {
        fprintf(stderr, "crest restart: snapshot path too long: %s\n", snapdir);
        return 2;
    }
    crest_restore(image, 0, atoi(fd));
    return 1;
}

/* The mpirun next to this crest. */
static int find_mpirun(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *slash = strrchr(buf, '/');
    if (!slash || (size_t)(slash - buf) + sizeof "/mpirun" > len)
        return -1;
    strcpy(slash, "/mpirun");
    return access(buf, X_OK);
}

static int restart_job(int argc, char **argv, int snapshot_index)
{
    char mpirun[PATH_MAX];
    if (find_mpirun(mpirun, sizeof mpirun)) {
        fprintf(stderr, "crest restart: cannot find mpirun next to crest (%s); reinstall crest\n",
                strerror(errno));
        return 1;
    }
    char **av = calloc((size_t)argc + 3, sizeof *av);
    if (!av)
        return 1;
    int n = 0;
    av[n++] = "mpirun";
    av[n++] = "--restart";
    av[n++] = argv[snapshot_index];
    for (int i = 1; i < argc; i++)
        if (i != snapshot_index)
            av[n++] = argv[i];
    av[n] = NULL;
    execv(mpirun, av);
    fprintf(stderr, "crest restart: cannot run %s: %s\n", mpirun, strerror(errno));
    return 1;
}

int crest_cmd_restart(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--rank"))
        return restart_rank(argv[2]);
    for (int i = 1; i < argc; i++)
        if (argv[i][0] != '-' && is_snapshot_path(argv[i]))
            return restart_job(argc, argv, i);

    const char *image = NULL;
    int copy_all = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--copy")) {
            copy_all = 1;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "crest restart: unknown option %s (" USAGE ")\n", argv[i]);
            return 2;
        }
        if (image) {
            fprintf(stderr, "crest restart: one image at a time (" USAGE ")\n");
            return 2;
        }
        image = argv[i];
    }
    if (!image) {
        fprintf(stderr, "crest restart: no image given (" USAGE ")\n");
        return 2;
    }
    crest_restore(image, copy_all, -1);
    return 1;
}
