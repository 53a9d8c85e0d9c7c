/* mh_lines.c — heavy output for the runtime's stdio tests: prints COUNT
 * lines "L RANK SEQ LEN SUM PAYLOAD" to stdout (and every 7th to stderr),
 * where PAYLOAD is LEN letters that depend on rank and seq and SUM their
 * byte sum.  Lines are written with single write()s of odd sizes that cut
 * lines in pieces, so a runtime that forwards pieces as they come would
 * mix lines of different ranks.  mh_lines check < output verifies every
 * line: "ok RANKS LINES" or the first bad line (exit 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t line_len(int rank, int seq) { return (size_t)((seq * 7919 + rank * 104729) % 6000); }

static int make_line(char *buf, int rank, int seq)
{
    size_t len = line_len(rank, seq);
    char *payload = malloc(len + 1);
    unsigned long sum = 0;
    for (size_t i = 0; i < len; i++) {
        payload[i] = (char)('a' + (rank * 31 + seq * 17 + (int)i) % 26);
        sum += (unsigned char)payload[i];
    }
    payload[len] = 0;
    int n = sprintf(buf, "L %d %d %zu %lu %s\n", rank, seq, len, sum, payload);
    free(payload);
    return n;
}

static int check(void)
{
    static char line[1 << 16];
    int last_seq[4096];
    memset(last_seq, -1, sizeof last_seq);
    long lines = 0;
    int ranks = 0;
    while (fgets(line, sizeof line, stdin)) {
        int rank, seq;
        size_t len;
        unsigned long sum;
        int off;
        char *l = line;
        if (!strncmp(l, "[", 1)) { /* --tag-output prefix: "[R] " */
            char *sp = strchr(l, ' ');
            if (sp)
                l = sp + 1;
        }
        if (strncmp(l, "L ", 2)) {
            continue; /* not ours (mpirun's own messages) */
        }
        if (sscanf(l, "L %d %d %zu %lu %n", &rank, &seq, &len, &sum, &off) != 4 || rank < 0 || rank >= 4096) {
            printf("malformed line %ld: %.80s\n", lines + 1, l);
            return 1;
        }
        char want[1 << 15];
        make_line(want, rank, seq);
        if (strcmp(want, l)) {
            printf("damaged line %ld (rank %d seq %d): %.80s\n", lines + 1, rank, seq, l);
            return 1;
        }
        if (seq % 7 != 0) { /* stdout lines of a rank come in order */
            if (seq <= last_seq[rank]) {
                printf("rank %d: seq %d after %d\n", rank, seq, last_seq[rank]);
                return 1;
            }
            last_seq[rank] = seq;
        }
        if (rank + 1 > ranks)
            ranks = rank + 1;
        lines++;
    }
    printf("ok %d %ld\n", ranks, lines);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "check"))
        return check();
    int count = argc > 1 ? atoi(argv[1]) : 1000;
    const char *r = getenv("CREST_RANK");
    int rank = r ? atoi(r) : 0;
    static char out[1 << 20], err[1 << 16];
    size_t on = 0, en = 0;
    char line[1 << 15];
    for (int seq = 0; seq < count; seq++) {
        int n = make_line(line, rank, seq);
        if (seq % 7 == 0) {
            memcpy(err + en, line, (size_t)n);
            en += (size_t)n;
        } else {
            memcpy(out + on, line, (size_t)n);
            on += (size_t)n;
        }
        /* flush in pieces of an odd size that ends inside a line */
        size_t piece = 4093 + (size_t)(seq % 5) * 1000;
        while (on >= piece) {
            if (write(1, out, piece) != (ssize_t)piece)
                return 2;
            memmove(out, out + piece, on - piece);
            on -= piece;
        }
        if (en > sizeof err / 2) {
            if (write(2, err, en) != (ssize_t)en)
                return 2;
            en = 0;
        }
    }
    if ((on && write(1, out, on) != (ssize_t)on) || (en && write(2, err, en) != (ssize_t)en))
        return 2;
    return 0;
}
