/* warn.c — libcrest's messages on standard error. They never go through
 * stdio: right after a restart, a restored thread may still hold the lock of
 * stderr it had taken when the checkpoint stopped it. */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "libcrest_internal.h"

void crest_warn(const char *fmt, ...)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "crest: process %d: ", (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line)
        n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line - 1)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    for (const char *p = line; n > 0;) {
        ssize_t w = write(2, p, (size_t)n);
        if (w <= 0)
            break;
        p += w;
        n -= (int)w;
    }
}
