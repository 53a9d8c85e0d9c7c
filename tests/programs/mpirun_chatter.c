/* mpirun_chatter.c — a rank program for the runtime's tests (cases 33-37),
 * and the checker of what mpirun printed.  The rank's place comes from
 * CREST_RANK / CREST_SIZE; a last argument nobody reads (a marker for
 * pgrep -f) is allowed after every mode's own arguments.
 *
 *   lines N          N numbered lines on stdout and every 10th one also on
 *                    stderr; lengths vary from a few bytes to 60 KiB, each
 *                    line is "R<rank> S<seq> L<len> C<crc> <payload>" with
 *                    the payload derived from (rank, stream, seq)
 *   verify STREAM NRANKS N [tagged]
 *                    reads what mpirun printed for STREAM (out or err) on
 *                    stdin and checks every line: whole, checksum and
 *                    payload right, each rank's lines all there, once, in
 *                    order; "tagged": each line starts with "[rank] "
 *                    naming the rank inside the line.  Prints one summary
 *                    line, or what is wrong (exit 1)
 *   stdin            rank 0: prints "rank 0 stdin BYTES CRC" of all its
 *                    stdin; the others: "rank R stdin BYTES" of what they
 *                    read (must be 0: their stdin is at end-of-file)
 *   crc              "BYTES CRC" of stdin (the reference for "stdin")
 *   usr2 SECS        prints "rank R ready", then "rank R got SIGUSR2" for
 *                    each SIGUSR2 until SECS seconds have passed
 *   prompt SECS      writes "rank R prompt> " without a newline, then
 *                    sleeps SECS seconds
 *   lastwords BYTES CODE
 *                    writes BYTES bytes of numbered lines and a last
 *                    unterminated "rank R last words" at once, then exits
 *                    with CODE at once
 *   env              prints on one line its rank variables, some T_*
 *                    variables, the length of T_BIG, whether fd CREST_RT_FD
 *                    is a socket, and its working directory
 *   sleep SECS       sleeps (ranks to be ended by the runtime)
 *   noterm SECS      ignores SIGTERM and SIGINT, says "rank R ignoring",
 *                    and sleeps
 *   exitafter SECS CODE [noterm]
 *                    sleeps SECS seconds (fractions allowed), exits CODE;
 *                    with "noterm" SIGTERM is ignored meanwhile */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int rank, size;

static uint32_t crc32_update(uint32_t crc, const void *p, size_t n)
{
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    const unsigned char *b = p;
    crc = ~crc;
    while (n--)
        crc = table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* Length of the payload of line seq of rank r on a stream (1 out, 2 err):
 * mostly short, some over 4 KiB, a few up to 60 KiB, a few empty. */
static size_t payload_len(int r, int stream, long seq)
{
    uint64_t h = mix(((uint64_t)r << 40) ^ ((uint64_t)stream << 32) ^ (uint64_t)seq);
    if (seq % 997 == 5)
        return 60 * 1024 - (size_t)(h % 64);
    if (seq % 97 == 3)
        return 4096 + (size_t)(h % 20000);
    if (seq % 31 == 7)
        return 0;
    return (size_t)(h % 200);
}

static void payload(int r, int stream, long seq, char *buf, size_t len)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";
    uint64_t h = mix(((uint64_t)r << 40) ^ ((uint64_t)stream << 32) ^ (uint64_t)seq ^ 0x5a5a5a5a5a5aull);
    for (size_t i = 0; i < len; i++) {
        if ((i & 7) == 0)
            h = mix(h + i);
        buf[i] = alphabet[(h >> ((i & 7) * 6)) & 63];
    }
}

/* The whole line, newline included, into buf (big enough); its length. */
static size_t make_line(int r, int stream, long seq, char *buf)
{
    size_t len = payload_len(r, stream, seq);
    char *pl = buf + 200;
    payload(r, stream, seq, pl, len);
    int head = snprintf(buf, 200, "R%d S%ld L%zu C%08x ", r, seq, len, crc32_update(0, pl, len));
    memmove(buf + head, pl, len);
    buf[head + len] = '\n';
    return (size_t)head + len + 1;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int mode_lines(long n)
{
    char *buf = malloc(70 * 1024);
    if (!buf)
        return 1;
    long eseq = 0;
    for (long seq = 0; seq < n; seq++) {
        size_t len = make_line(rank, 1, seq, buf);
        if (write_all(1, buf, len))
            return 1;
        if (seq % 10 == 0) {
            len = make_line(rank, 2, eseq++, buf);
            if (write_all(2, buf, len))
                return 1;
        }
    }
    free(buf);
    return 0;
}

static int mode_verify(const char *stream_name, int nranks, long n, int tagged)
{
    int stream = !strcmp(stream_name, "err") ? 2 : 1;
    long want_per_rank = stream == 1 ? n : (n + 9) / 10;
    long *next = calloc((size_t)nranks, sizeof *next);
    char *want = malloc(70 * 1024);
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    long lineno = 0, errors = 0, total = 0;
    while ((got = getline(&line, &cap, stdin)) > 0) {
        lineno++;
        char *p = line;
        size_t len = (size_t)got;
        int r = -1, tag = -1;
        long seq = -1;
        if (tagged) {
            int skip = 0;
            if (sscanf(p, "[%d] %n", &tag, &skip) != 1 || skip == 0) {
                if (errors++ < 5)
                    printf("line %ld: no [rank] tag: %.80s\n", lineno, p);
                continue;
            }
            p += skip;
            len -= (size_t)skip;
        }
        if (sscanf(p, "R%d S%ld ", &r, &seq) != 2 || r < 0 || r >= nranks) {
            if (errors++ < 5)
                printf("line %ld (%zu bytes): not a line of a rank: %.80s\n", lineno, len, p);
            continue;
        }
        if (tagged && tag != r) {
            if (errors++ < 5)
                printf("line %ld: tagged [%d] but written by rank %d\n", lineno, tag, r);
            continue;
        }
        if (seq != next[r]) {
            if (errors++ < 5)
                printf("line %ld: rank %d line %ld where line %ld was due (%s)\n", lineno, r, seq, next[r],
                       seq < next[r] ? "repeated or out of order" : "lines missing");
            if (seq > next[r])
                next[r] = seq + 1;
            continue;
        }
        size_t wlen = make_line(r, stream, seq, want);
        if (len != wlen || memcmp(p, want, wlen)) {
            if (errors++ < 5) {
                size_t d = 0;
                while (d < len && d < wlen && p[d] == want[d])
                    d++;
                printf("line %ld: rank %d line %ld is damaged: %zu bytes, want %zu, first difference at byte %zu\n",
                       lineno, r, seq, len, wlen, d);
            }
        }
        next[r] = seq + 1;
        total++;
    }
    if (line && lineno && line[0] && !strchr(line, '\n') && errors++ < 5)
        printf("the last line has no newline\n");
    for (int r = 0; r < nranks; r++)
        if (next[r] != want_per_rank && errors++ < 20)
            printf("rank %d: its last line was %ld, want %ld\n", r, next[r] - 1, want_per_rank - 1);
    if (errors) {
        printf("%ld problem(s) in %ld lines\n", errors, lineno);
        return 1;
    }
    printf("%ld lines of %d ranks intact, complete and in order\n", total, nranks);
    return 0;
}

static int mode_stdin(void)
{
    static char buf[1 << 16];
    uint32_t crc = 0;
    long long total = 0;
    ssize_t r;
    while ((r = read(0, buf, sizeof buf)) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            printf("rank %d stdin read error: %s\n", rank, strerror(errno));
            return 1;
        }
        crc = crc32_update(crc, buf, (size_t)r);
        total += r;
    }
    if (rank == 0)
        printf("rank 0 stdin %lld %08x\n", total, crc);
    else
        printf("rank %d stdin %lld\n", rank, total);
    return 0;
}

static volatile sig_atomic_t usr2_count;
static void on_usr2(int sig)
{
    (void)sig;
    usr2_count++;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int mode_usr2(double secs)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    printf("rank %d ready\n", rank);
    fflush(stdout);
    int64_t end = now_ms() + (int64_t)(secs * 1000);
    int seen = 0;
    while (now_ms() < end) {
        usleep(20000);
        while (seen < usr2_count) {
            seen++;
            printf("rank %d got SIGUSR2\n", rank);
            fflush(stdout);
        }
    }
    return 0;
}

static void sleep_secs(double secs)
{
    struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
}

static int mode_lastwords(long bytes, int code)
{
    size_t cap = (size_t)bytes + 64;
    char *buf = malloc(cap);
    size_t o = 0;
    for (long i = 0; o + 40 < (size_t)bytes; i++)
        o += (size_t)sprintf(buf + o, "rank %d line %ld\n", rank, i);
    o += (size_t)sprintf(buf + o, "rank %d last words", rank);
    write_all(1, buf, o);
    _exit(code);
}

static int mode_env(void)
{
    const char *names[] = { "CREST_RANK", "CREST_SIZE", "CREST_LOCAL_RANK", "CREST_LOCAL_SIZE", "CREST_RT_FD",
                            "T_X_SET", "T_X_PASS", "T_WHOLE", "T_OVERRIDE", "T_UNSET", NULL };
    char out[8192];
    size_t o = 0;
    o += (size_t)snprintf(out + o, sizeof out - o, "rank %d:", rank);
    for (int i = 0; names[i]; i++) {
        const char *v = getenv(names[i]);
        o += (size_t)snprintf(out + o, sizeof out - o, " %s=%s", names[i], v ? v : "(unset)");
    }
    const char *fdv = getenv("CREST_RT_FD");
    struct stat st;
    int sock = fdv && fstat(atoi(fdv), &st) == 0 && S_ISSOCK(st.st_mode);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        strcpy(cwd, "?");
    const char *big = getenv("T_BIG");
    o += (size_t)snprintf(out + o, sizeof out - o, " T_BIG_LEN=%zu rtfd_socket=%d cwd=%s\n", big ? strlen(big) : 0,
                          sock, cwd);
    write_all(1, out, o);
    return 0;
}

int main(int argc, char **argv)
{
    const char *v = getenv("CREST_RANK");
    rank = v ? atoi(v) : -1;
    v = getenv("CREST_SIZE");
    size = v ? atoi(v) : -1;
    const char *mode = argc > 1 ? argv[1] : "";
    double a = argc > 2 ? atof(argv[2]) : 0;
    if (!strcmp(mode, "lines") && argc > 2)
        return mode_lines(atol(argv[2]));
    if (!strcmp(mode, "verify") && argc > 4)
        return mode_verify(argv[2], atoi(argv[3]), atol(argv[4]), argc > 5 && !strcmp(argv[5], "tagged"));
    if (!strcmp(mode, "stdin"))
        return mode_stdin();
    if (!strcmp(mode, "crc")) {
        rank = 0;
        static char buf[1 << 16];
        uint32_t crc = 0;
        long long total = 0;
        ssize_t r;
        while ((r = read(0, buf, sizeof buf)) > 0) {
            crc = crc32_update(crc, buf, (size_t)r);
            total += r;
        }
        printf("%lld %08x\n", total, crc);
        return 0;
    }
    if (!strcmp(mode, "usr2"))
        return mode_usr2(a);
    if (!strcmp(mode, "prompt")) {
        char p[64];
        int n = snprintf(p, sizeof p, "rank %d prompt> ", rank);
        write_all(1, p, (size_t)n);
        sleep_secs(a);
        return 0;
    }
    if (!strcmp(mode, "lastwords") && argc > 3)
        return mode_lastwords(atol(argv[2]), atoi(argv[3]));
    if (!strcmp(mode, "env"))
        return mode_env();
    if (!strcmp(mode, "sleep")) {
        sleep_secs(a);
        return 0;
    }
    if (!strcmp(mode, "noterm")) {
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        printf("rank %d ignoring\n", rank);
        fflush(stdout);
        sleep_secs(a);
        return 0;
    }
    if (!strcmp(mode, "exitafter") && argc > 3) {
        if (argc > 4 && !strcmp(argv[4], "noterm"))
            signal(SIGTERM, SIG_IGN);
        sleep_secs(a);
        return atoi(argv[3]);
    }
    fprintf(stderr, "usage: see the comment at the top of mpirun_chatter.c\n");
    return 2;
}
