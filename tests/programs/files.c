/* files.c — file descriptors and file mappings used across a checkpoint.
 *
 * usage: files DIR STEPS
 * Creates in DIR (which must exist):
 *   shared.dat   8 MiB, mapped MAP_SHARED; each step stores into it
 *   private.dat  8 MiB, mapped MAP_PRIVATE; each step stores into the copy
 *   input.txt    text read sequentially (opened O_RDONLY, starts at 1000)
 *   output.dat   written sequentially (O_WRONLY, after a 100-byte header)
 *   append.log   opened O_WRONLY|O_APPEND after 10 existing lines
 * Each step does some computing, reads 4 KiB of input, writes 512 bytes,
 * appends one line and stores into both mappings.  At the end it prints what
 * it read, the fds' offsets, the file sizes and checksums of the files as
 * read back with read() (the shared mapping's stores must be in shared.dat,
 * the private mapping's must not be in private.dat) and of the private
 * mapping's memory.
 *
 * First thing, it writes "crest-test: program started" on stderr: a process
 * restarted from an image resumes and must not write it again. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAPSZ (8u << 20)
#define INPUT_LINES 60000
#define INPUT_SKIP 1000

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 0x100000001b3ull;
    return h;
}

static void die(const char *what)
{
    fprintf(stderr, "files: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void write_all(int fd, const void *buf, size_t n, const char *what)
{
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die(what);
        }
        p += w;
        n -= (size_t)w;
    }
}

static size_t read_full(int fd, void *buf, size_t n, const char *what)
{
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            die(what);
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return got;
}

static char *path_in(const char *dir, const char *name)
{
    char *p;
    if (asprintf(&p, "%s/%s", dir, name) < 0)
        die("asprintf");
    return p;
}

static void make_pattern_file(const char *path, uint64_t seed)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die(path);
    static uint64_t buf[MAPSZ / 8];
    for (size_t i = 0; i < MAPSZ / 8; i++)
        buf[i] = mix(seed + i);
    write_all(fd, buf, MAPSZ, path);
    close(fd);
}

/* checksum and size of a whole file, read back with read() */
static uint64_t file_hash(const char *path, long *size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        die(path);
    static char buf[1 << 16];
    uint64_t h = 0xcbf29ce484222325ull;
    long total = 0;
    for (;;) {
        size_t n = read_full(fd, buf, sizeof buf, path);
        if (n == 0)
            break;
        h = hash_bytes(h, buf, n);
        total += (long)n;
    }
    close(fd);
    *size = total;
    return h;
}

int main(int argc, char **argv)
{
    fputs("crest-test: program started\n", stderr); /* a resumed process never says this */
    if (argc != 3) {
        fprintf(stderr, "usage: files DIR STEPS\n");
        return 2;
    }
    const char *dir = argv[1];
    long steps = strtol(argv[2], NULL, 10);
    char *shared_p = path_in(dir, "shared.dat"), *private_p = path_in(dir, "private.dat");
    char *input_p = path_in(dir, "input.txt"), *output_p = path_in(dir, "output.dat");
    char *append_p = path_in(dir, "append.log");

    /* set up the files */
    make_pattern_file(shared_p, 1);
    make_pattern_file(private_p, 2);
    FILE *f = fopen(input_p, "w");
    if (!f)
        die(input_p);
    for (int i = 0; i < INPUT_LINES; i++)
        fprintf(f, "input line %d value %016" PRIx64 "\n", i, mix((uint64_t)i));
    if (fclose(f) != 0)
        die(input_p);
    f = fopen(append_p, "w");
    if (!f)
        die(append_p);
    for (int i = 0; i < 10; i++)
        fprintf(f, "existing line %d\n", i);
    if (fclose(f) != 0)
        die(append_p);

    int sfd = open(shared_p, O_RDWR), pfd = open(private_p, O_RDONLY);
    if (sfd < 0 || pfd < 0)
        die("open mapped file");
    unsigned char *shm = mmap(NULL, MAPSZ, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
    unsigned char *prv = mmap(NULL, MAPSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE, pfd, 0);
    if (shm == MAP_FAILED || prv == MAP_FAILED)
        die("mmap");
    close(sfd);
    close(pfd);

    int in = open(input_p, O_RDONLY);
    int out = open(output_p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int app = open(append_p, O_WRONLY | O_APPEND);
    if (in < 0 || out < 0 || app < 0)
        die("open");
    if (lseek(in, INPUT_SKIP, SEEK_SET) != INPUT_SKIP)
        die("lseek input");
    char header[100];
    memset(header, 'H', sizeof header);
    write_all(out, header, sizeof header, output_p);

    uint64_t read_hash = 0xcbf29ce484222325ull, work = 0;
    long read_total = 0, wraps = 0;
    static char buf[4096];
    for (long s = 0; s < steps; s++) {
        for (int k = 0; k < 300000; k++)
            work = mix(work + (uint64_t)k + (uint64_t)s);

        size_t n = read_full(in, buf, sizeof buf, input_p);
        if (n < sizeof buf) { /* end of input: go round again from the skip point */
            wraps++;
            if (lseek(in, INPUT_SKIP, SEEK_SET) != INPUT_SKIP)
                die("lseek input");
        }
        read_hash = hash_bytes(read_hash, buf, n);
        read_total += (long)n;

        char rec[512];
        for (unsigned i = 0; i < sizeof rec; i++)
            rec[i] = (char)('a' + (mix((uint64_t)s * 512 + i) % 26));
        write_all(out, rec, sizeof rec, output_p);

        char line[96];
        int len = snprintf(line, sizeof line, "step %ld work %016" PRIx64 " read %016" PRIx64 "\n",
                           s, work, read_hash);
        write_all(app, line, (size_t)len, append_p);

        uint64_t off = mix((uint64_t)s) % (MAPSZ - 64);
        for (unsigned i = 0; i < 64; i++) {
            shm[off + i] = (unsigned char)(work >> (i % 8 * 8));
            prv[MAPSZ - 64 - off + i] ^= (unsigned char)(s + i);
        }
    }

    printf("files steps=%ld work=%016" PRIx64 "\n", steps, work);
    printf("read total=%ld wraps=%ld hash=%016" PRIx64 "\n", read_total, wraps, read_hash);
    printf("offsets input=%ld output=%ld append=%ld\n", (long)lseek(in, 0, SEEK_CUR),
           (long)lseek(out, 0, SEEK_CUR), (long)lseek(app, 0, SEEK_CUR));
    printf("private memory hash=%016" PRIx64 "\n", hash_bytes(0xcbf29ce484222325ull, prv, MAPSZ));
    if (msync(shm, MAPSZ, MS_SYNC) != 0)
        die("msync");
    close(in);
    close(out);
    close(app);
    long size;
    uint64_t h = file_hash(shared_p, &size);
    printf("shared.dat size=%ld hash=%016" PRIx64 "\n", size, h);
    h = file_hash(private_p, &size);
    printf("private.dat size=%ld hash=%016" PRIx64 "\n", size, h);
    h = file_hash(output_p, &size);
    printf("output.dat size=%ld hash=%016" PRIx64 "\n", size, h);
    h = file_hash(append_p, &size);
    printf("append.log size=%ld hash=%016" PRIx64 "\n", size, h);
    return 0;
}
