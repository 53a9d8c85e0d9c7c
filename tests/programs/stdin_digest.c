/* stdin_digest.c — reads lines from stdin (a pipe) until EOF and prints a
 * digest of them.  A line "#chunk N" makes it report "chunk N" on stderr,
 * so a test knows when everything fed so far has been consumed and the
 * program is blocked in read() again.
 *
 * usage: stdin_digest < input
 * A read error (including EINTR, which a transparent checkpoint must not
 * cause) ends the program with exit status 1.
 *
 * First thing, it writes "crest-test: program started" on stderr: a process
 * restarted from an image resumes and must not write it again. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    fputs("crest-test: program started\n", stderr); /* a resumed process never says this */
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t h = 0xcbf29ce484222325ull;
    long lines = 0, bytes = 0, chunks = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        for (ssize_t i = 0; i < n; i++)
            h = (h ^ (unsigned char)line[i]) * 0x100000001b3ull;
        lines++;
        bytes += n;
        if (strncmp(line, "#chunk ", 7) == 0) {
            chunks++;
            fprintf(stderr, "chunk %ld\n", strtol(line + 7, NULL, 10));
        }
    }
    if (ferror(stdin)) {
        perror("stdin_digest: read");
        return 1;
    }
    printf("stdin lines=%ld bytes=%ld chunks=%ld digest=%016" PRIx64 "\n", lines, bytes, chunks, h);
    free(line);
    return 0;
}
