/* fdtricks.c — a program that closes every descriptor it did not open
 * (close_range and a close() loop, as daemons do), then dups a file onto
 * high numbers with dup2: libcrest's own descriptors must survive that, and
 * dups must still share one offset after a restart.
 *
 * usage: fdtricks DIR TENTHS_OF_SECONDS */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    close_range(3, ~0u, 0);
    for (int fd = 3; fd < 1100; fd++)
        close(fd);
    char path[4096];
    snprintf(path, sizeof path, "%s/fdtricks.dat", argv[1]);
    int a = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    int b = dup(a);
    if (a < 0 || b < 0 || dup2(a, 901) != 901 || dup2(b, 950) != 950)
        return 3;
    if (write(a, "start.", 6) != 6)
        return 4;
    long tenths = atol(argv[2]);
    for (long i = 0; i < tenths; i++)
        usleep(100000);
    /* every one of them moves the same offset */
    if (write(b, "b.", 2) != 2 || write(901, "901.", 4) != 4 || write(950, "950.", 4) != 4)
        return 5;
    char buf[64] = {0};
    ssize_t n = pread(a, buf, sizeof buf - 1, 0);
    printf("offsets %ld %ld %ld %ld content %.*s\n", (long)lseek(a, 0, SEEK_CUR),
           (long)lseek(b, 0, SEEK_CUR), (long)lseek(901, 0, SEEK_CUR), (long)lseek(950, 0, SEEK_CUR),
           (int)(n > 0 ? n : 0), buf);
    return 0;
}
