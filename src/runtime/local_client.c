/* local_client.c — blocking message exchange for the crest commands. */
#include "local_client.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"

int crest_send_message(int fd, uint16_t type, uint32_t job, const void *p, size_t n)
{
    struct crest_wire_header h = { (uint32_t)n, type, 0, job };
    if (send(fd, &h, sizeof h, MSG_NOSIGNAL) != (ssize_t)sizeof h)
        return -1;
    const char *c = p;
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_exact(int fd, void *buf, size_t n, int64_t deadline)
{
    char *c = buf;
    while (n) {
        int64_t left = deadline - crest_now_ms();
        struct pollfd p = { fd, POLLIN, 0 };
        if (left <= 0 || poll(&p, 1, (int)left) == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            errno = r == 0 ? ECONNRESET : errno;
            return -1;
        }
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

int crest_read_message(int fd, struct crest_wire_header *h, uint8_t **payload, int ms)
{
    int64_t deadline = crest_now_ms() + ms;
    *payload = NULL;
    if (read_exact(fd, h, sizeof *h, deadline))
        return -1;
    if (h->length > CREST_WIRE_MAX) {
        errno = EPROTO;
        return -1;
    }
    *payload = malloc(h->length + 1);
    if (!*payload)
        return -1;
    (*payload)[h->length] = 0;
    if (read_exact(fd, *payload, h->length, deadline)) {
        free(*payload);
        *payload = NULL;
        return -1;
    }
    return 0;
}
