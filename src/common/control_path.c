/* control_path.c — where control sockets live. Everything here is
 * async-signal-safe enough for the manager: no allocation. */
#include "control_protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int crest_control_dir(char *buf, size_t len)
{
    const char *dir = getenv("CREST_RUNTIME_DIR");
    int n;
    if (dir && *dir)
        n = snprintf(buf, len, "%s", dir);
    else if ((dir = getenv("XDG_RUNTIME_DIR")) && *dir)
        n = snprintf(buf, len, "%s/crest", dir);
    else
        n = snprintf(buf, len, "/tmp/crest-%u", (unsigned)getuid());
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int crest_control_socket_path(pid_t pid, char *buf, size_t len)
{
    char dir[256];
    if (crest_control_dir(dir, sizeof dir))
        return -1;
    int n = snprintf(buf, len, "%s/%d.sock", dir, (int)pid);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}
