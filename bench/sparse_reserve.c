/* sparse_reserve.c — a large reservation that is mostly untouched, for the
 * image size benchmark.
 *
 * usage: sparse_reserve RESERVE_MIB DATA_MIB ZERO_MIB READY_FILE
 *
 * Maps RESERVE_MIB MiB of private anonymous memory (MAP_NORESERVE), writes
 * non-zero, non-repeating data into the first DATA_MIB MiB, then writes a
 * zero byte into every page of the next ZERO_MIB MiB (those pages become
 * resident but stay all-zero).  Creates READY_FILE and sleeps until killed. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: sparse_reserve RESERVE_MIB DATA_MIB ZERO_MIB READY_FILE\n");
        return 2;
    }
    size_t reserve = strtoull(argv[1], NULL, 10) << 20;
    size_t data = strtoull(argv[2], NULL, 10) << 20;
    size_t zero = strtoull(argv[3], NULL, 10) << 20;
    if (!reserve || data + zero > reserve) {
        fprintf(stderr, "sparse_reserve: DATA_MIB + ZERO_MIB must fit in RESERVE_MIB\n");
        return 2;
    }
    unsigned char *base = mmap(NULL, reserve, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
        perror("sparse_reserve: mmap");
        return 1;
    }
    uint64_t *w = (uint64_t *)base, x = 0x2545f4914f6cdd1dull;
    for (size_t i = 0; i < data / 8; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        w[i] = x;
    }
    volatile unsigned char *z = base + data;
    for (size_t off = 0; off < zero; off += 4096)
        z[off] = 0; /* a write fault: a real, zero-filled page */

    int fd = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror("sparse_reserve: ready file");
        return 1;
    }
    close(fd);
    for (;;)
        pause();
}
