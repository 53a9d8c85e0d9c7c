/* cmd_run.c — `crest run PROG ARGS`: PROG with libcrest preloaded. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
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

/* Finds prog like execvp would; returns 0 and its path in buf. */
static int find_program(const char *prog, char *buf, size_t len)
{
    if (strchr(prog, '/')) {
        snprintf(buf, len, "%s", prog);
        return access(buf, X_OK);
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        snprintf(buf, len, "%.*s/%s", (int)n, n ? p : ".", prog);
        if (access(buf, X_OK) == 0)
            return 0;
        p += n + (end ? 1 : 0);
    }
    return -1;
}

/* 1 when path is an ELF executable without a program interpreter: the
 * dynamic loader never sees it, so nothing can be preloaded into it. */
static int is_static_elf(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    Elf64_Ehdr eh;
    int result = 0;
    if (pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
        eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr)) {
        result = 1;
        for (int i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph)) != (ssize_t)sizeof ph ||
                ph.p_type == PT_INTERP) {
                result = 0;
                break;
            }
        }
    }
    close(fd);
    return result;
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
    char prog[PATH_MAX];
    if (find_program(argv[first], prog, sizeof prog) == 0 && is_static_elf(prog)) {
        fprintf(stderr, "crest run: %s is statically linked, so libcrest cannot be loaded into "
                        "it; build it dynamically linked\n", prog);
        return 126;
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
