/* schema.h — application schemas: which host each rank of a snapshot
 * restarts on. */
#ifndef CREST_SCHEMA_H
#define CREST_SCHEMA_H

#include <stddef.h>

#include "hosts.h"

/* An application schema: the host each rank restarts on.  One host a line:
 *   HOST RANKS
 * RANKS is a comma-separated list of N or N-M (inclusive), spaces allowed
 * around commas and dashes; HOST is written as in a hostfile ("name" or
 * "[ipv6]", see hosts.h; no ":N" and no slots= here).  '#' starts a comment;
 * blank lines are skipped; a host may appear on several lines.  Every rank
 * 0..nranks-1 must appear exactly once.  On success out has the hosts in
 * order of first appearance, each with slots = the number of its ranks and
 * slots_given = 1, and host_of_rank[r] is rank r's index into out->host.
 * Returns 0, or -1 with one line in err naming the file and line (or, for
 * ranks missing, the file and the missing ranks as a compact list such as
 * "4-5,9") and what to do; on failure *out is {NULL, 0}. */
int crest_schema_parse_file(const char *path, int nranks, struct crest_hosts *out, int *host_of_rank,
                            char *err, size_t errlen);

#endif
