/* maps_parse.c — /proc/PID/maps lines into crest_maps_entry. */
#include "maps_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *hex(const char *p, const char *end, uint64_t *out)
{
    uint64_t v = 0;
    const char *start = p;
    for (; p < end; p++) {
        char c = *p;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            break;
        v = v * 16 + (uint64_t)d;
    }
    *out = v;
    return p == start ? NULL : p;
}

static const char *dec(const char *p, const char *end, uint64_t *out)
{
    uint64_t v = 0;
    const char *start = p;
    for (; p < end && *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    *out = v;
    return p == start ? NULL : p;
}

static const char *skip_spaces(const char *p, const char *end)
{
    while (p < end && *p == ' ')
        p++;
    return p;
}

int crest_maps_parse(const char *text, size_t len,
                     int (*fn)(const struct crest_maps_entry *e, void *arg), void *arg)
{
    const char *p = text, *end = text + len;
    char path[4096];
    while (p < end) {
        const char *eol = p;
        while (eol < end && *eol != '\n')
            eol++;
        struct crest_maps_entry e = {0};
        uint64_t major, minor;
        const char *q = hex(p, eol, &e.start);
        if (!q || *q != '-' || !(q = hex(q + 1, eol, &e.end)) || eol - q < 6)
            return -1;
        q++;
        e.prot = (q[0] == 'r' ? PROT_READ : 0) | (q[1] == 'w' ? PROT_WRITE : 0) |
                 (q[2] == 'x' ? PROT_EXEC : 0);
        e.shared = q[3] == 's';
        q = skip_spaces(q + 4, eol);
        if (!(q = hex(q, eol, &e.offset)))
            return -1;
        q = skip_spaces(q, eol);
        if (!(q = hex(q, eol, &major)) || *q != ':' || !(q = hex(q + 1, eol, &minor)))
            return -1;
        e.dev_major = (unsigned)major;
        e.dev_minor = (unsigned)minor;
        q = skip_spaces(q, eol);
        if (!(q = dec(q, eol, &e.inode)))
            return -1;
        q = skip_spaces(q, eol);
        size_t plen = (size_t)(eol - q);
        if (plen >= sizeof path)
            plen = sizeof path - 1;
        for (size_t i = 0; i < plen; i++)
            path[i] = q[i];
        path[plen] = 0;
        e.path = path;
        int r = fn(&e, arg);
        if (r)
            return r;
        p = eol + 1;
    }
    return 0;
}

long crest_read_proc_file(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    for (;;) {
        if (got == len) {
            close(fd);
            errno = EFBIG;
            return -1;
        }
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return (long)got;
}
