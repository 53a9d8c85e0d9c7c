/* tcp_echo — a TCP listener for the tests of the network-namespace hosts.
 *
 * usage: tcp_echo ADDR PORTFILE SECONDS
 *
 * Listens on ADDR (IPv4) at a port the kernel picks, writes that port
 * number into PORTFILE (complete when it appears: written to a temporary
 * file then renamed), then serves connections one after another: reads
 * one line and answers "LINE PEER-ADDRESS\n", so that the client can tell
 * which address the connection came from.  Ends by itself, with status 0,
 * SECONDS after it started, so that nothing is left listening if the test
 * that started it is killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static void on_alarm(int sig)
{
    (void)sig;
    _exit(0);
}

static int write_port(const char *path, unsigned port)
{
    char tmp[4096];
    FILE *f;

    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%u\n", port);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

/* One connection: a line in (at most 200 bytes, 5 s), the answer out. */
static void serve(int c, const struct sockaddr_in *peer)
{
    char line[256], addr[INET_ADDRSTRLEN], out[512];
    size_t n = 0;
    struct timeval tv = {5, 0};

    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    while (n < 200) {
        ssize_t r = read(c, line + n, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    if (!inet_ntop(AF_INET, &peer->sin_addr, addr, sizeof addr))
        strcpy(addr, "?");
    int len = snprintf(out, sizeof out, "%s %s\n", line, addr);
    if (write(c, out, (size_t)len) != len)
        perror("tcp_echo: write");
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int s, one = 1, secs;

    if (argc != 4 || (secs = atoi(argv[3])) <= 0) {
        fprintf(stderr, "usage: tcp_echo ADDR PORTFILE SECONDS\n");
        return 2;
    }
    signal(SIGALRM, on_alarm);
    signal(SIGPIPE, SIG_IGN);
    alarm((unsigned)secs);

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
        fprintf(stderr, "tcp_echo: not an IPv4 address: %s\n", argv[1]);
        return 2;
    }
    s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        perror("tcp_echo: socket");
        return 1;
    }
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* fails with EADDRNOTAVAIL when ADDR is not configured in this
     * network namespace: the tests count on that */
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "tcp_echo: bind %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (listen(s, 64) != 0 || getsockname(s, (struct sockaddr *)&sa, &sl) != 0) {
        perror("tcp_echo: listen");
        return 1;
    }
    if (write_port(argv[2], ntohs(sa.sin_port)) != 0) {
        fprintf(stderr, "tcp_echo: cannot write %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    for (;;) {
        struct sockaddr_in peer;
        socklen_t pl = sizeof peer;
        int c = accept4(s, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            perror("tcp_echo: accept");
            return 1;
        }
        serve(c, &peer);
        close(c);
    }
}
