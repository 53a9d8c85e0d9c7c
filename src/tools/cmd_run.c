/* cmd_run.c — `crest run PROG ARGS`: PROG with libcrest preloaded. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

int crest_find_library(char *buf, unsigned long len)
{
    const char *env = getenv("CREST_LIB");
    if (env && *env) {
        snprintf(buf, len, "%s", env);
        return access(buf, R_OK);
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0)
        return -1;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = 0;
    snprintf(buf, len, "%s/../lib/libcrest.so", exe);
    char real[PATH_MAX];
    if (!realpath(buf, real))
        return -1;
    snprintf(buf, len, "%s", real);
    return 0;
}

int crest_cmd_run(int argc, char **argv)
{
    int first = 1;
    if (first < argc && !strcmp(argv[first], "--"))
        first++;
    if (first >= argc) {
        fprintf(stderr, "crest run: no program given (usage: crest run PROG [ARG...])\n");
        return 2;
    }
    char lib[PATH_MAX];
    if (crest_find_library(lib, sizeof lib)) {
        fprintf(stderr, "crest run: cannot find libcrest.so beside this crest (set CREST_LIB)\n");
        return 127;
    }
    const char *old = getenv("LD_PRELOAD");
    char *preload;
    if (old && *old) {
        size_t len = strlen(lib) + strlen(old) + 2;
        preload = malloc(len);
        if (!preload)
            return 127;
        snprintf(preload, len, "%s:%s", lib, old);
    } else {
        preload = lib;
    }
    setenv("LD_PRELOAD", preload, 1);
    execvp(argv[first], argv + first);
    fprintf(stderr, "crest run: cannot run %s: %s\n", argv[first], strerror(errno));
    return errno == ENOENT ? 127 : 126;
}
