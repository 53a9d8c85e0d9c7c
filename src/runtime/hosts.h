/* hosts.h — the hosts of a job: hostfiles, -H lists, Slurm allocations,
 * where each rank goes, and whether a host is this machine. */
#ifndef CREST_HOSTS_H
#define CREST_HOSTS_H

#include <stddef.h>

#define CREST_HOST_NAME_MAX 255       /* longest host name kept */
#define CREST_HOST_MAX_SLOTS 1000000  /* most slots on one host, repeats added up */
#define CREST_HOSTS_MAX 131072        /* most entries in one list (before repeats merge) */
#define CREST_RESOLVE_TIMEOUT_MS 2000 /* longest wait for a name lookup in crest_host_is_local */

struct crest_host {
    char name[CREST_HOST_NAME_MAX + 1]; /* an IPv6 address is kept without its brackets */
    int slots;                          /* >= 1 */
    int slots_given;                    /* 0: slots is the default 1; nonzero: stated (an
                                         * explicit count, or the host listed several times) */
};

struct crest_hosts {
    struct crest_host *host; /* in order of first appearance, each name once */
    int count;
};

/* A host is written "name", "name:N", "[ipv6]" or "[ipv6]:N".  A name has
 * letters, digits, '.', '-' and '_' (so IPv4 addresses are names) and does
 * not start with '-'; an IPv6 address goes in brackets.  Names are compared
 * without regard to case: a host given several times is one host whose
 * slots are the sum of its entries (default 1 each), kept where it first
 * appeared.
 *
 * All the functions returning int return 0, or -1 with one line in err
 * saying what is wrong.  On failure *out is empty ({NULL, 0}); on success
 * it has at least one host and is freed with crest_hosts_free. */

/* A hostfile: one host a line as "host", "host:N", "host slots=N" (Open
 * MPI's "max_slots=M" is accepted and ignored); '#' starts a comment;
 * blank lines are skipped.  Errors name the file and line. */
int crest_hosts_parse_file(const char *path, struct crest_hosts *out, char *err, size_t errlen);

/* A -H / --host / -hosts list: "a,b:2,c" is a (1 slot), b (2), c (1);
 * spaces around items are ignored.  Errors name the item. */
int crest_hosts_parse_list(const char *list, struct crest_hosts *out, char *err, size_t errlen);

void crest_hosts_free(struct crest_hosts *h);

/* One host as written in a list or at the start of a hostfile line (len
 * bytes at item): name (NUL-terminated, an IPv6 address without its
 * brackets) and *slots, 0 when no ":N" is given. */
int crest_host_parse_item(const char *item, size_t len, char name[CREST_HOST_NAME_MAX + 1],
                          int *slots, char *err, size_t errlen);

enum crest_map_by { CREST_MAP_BY_SLOT, CREST_MAP_BY_NODE };

/* Places ranks 0..nranks-1: host_of_rank[r] is an index into h->host.
 * Let S be the total of the slots.
 *
 * By slot: the slot layout is host 0's slots, then host 1's, and so on;
 * rank r goes to slot r mod S of that layout.  So the first S ranks fill
 * every host in turn, and further ranks (oversubscription) repeat the same
 * layout: with hosts a:2,b:2 and 6 ranks: a a b b a a.
 *
 * By node: the first min(nranks, S) ranks go round-robin one per host in
 * host order, a host being skipped once its slots are used; rank r >= S
 * goes to host (r - S) mod (number of hosts).  With hosts a:3,b:1,c:2 and
 * 10 ranks: a b c a c a | a b c a. */
int crest_map_ranks(const struct crest_hosts *h, int nranks, enum crest_map_by by,
                    int *host_of_rank, char *err, size_t errlen);

/* 1 when name is this machine (in this network namespace): "localhost",
 * 127.x.x.x, ::1, this machine's gethostname() or its short form before the
 * first dot (or name is "short.domain" and gethostname() is "short"), or a
 * name or address whose address can be bound here (only addresses assigned
 * to this machine can; multicast and broadcast addresses are not hosts).
 * A name that does not resolve within CREST_RESOLVE_TIMEOUT_MS is not
 * local.  Assumes net.ipv4.ip_nonlocal_bind is 0, the default. */
int crest_host_is_local(const char *name);

/* The hosts of a Slurm allocation.  nodelist is SLURM_JOB_NODELIST, e.g.
 * "node[01-04,07],gpu3,rack[1-2]-n[5-6]": a range keeps the width of its
 * first number (01-04 gives node01..node04), and several bracket groups in
 * one name multiply out, the first varying slowest (rack1-n5, rack1-n6,
 * rack2-n5, rack2-n6).  tasks_per_node is SLURM_TASKS_PER_NODE, e.g.
 * "2(x3),1": the first 3 nodes have 2 slots, the next 1; it must describe
 * exactly the nodes of nodelist.  NULL or "" gives every node 1 slot (not
 * marked as given). */
int crest_hosts_from_slurm(const char *nodelist, const char *tasks_per_node,
                           struct crest_hosts *out, char *err, size_t errlen);

/* len bytes of user text in double quotes for a one-line message into buf:
 * unprintable bytes as \xNN, cut short after shown_max bytes with "...". */
const char *crest_quote_text(char *buf, size_t size, const char *s, size_t len, size_t shown_max);

#endif
