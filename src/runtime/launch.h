/* launch.h — starting a crestd on a host: by fork on this one, by ssh (or
 * any rsh-like command) on others, by srun inside a Slurm allocation. */
#ifndef CREST_LAUNCH_H
#define CREST_LAUNCH_H

#include <stdint.h>
#include <sys/types.h>

enum crest_launch_kind { CREST_LAUNCH_FORK, CREST_LAUNCH_RSH, CREST_LAUNCH_SRUN };

struct crest_launcher {
    enum crest_launch_kind kind;
    char rsh[1024]; /* command line for RSH, split on blanks: "ssh -x -oBatchMode=yes" */
};

/* The launcher this environment asks for: srun inside a Slurm allocation
 * (SLURM_JOB_ID set, unless CREST_LAUNCHER=ssh), else $CREST_RSH or ssh. */
void crest_launcher_from_env(struct crest_launcher *l);
const char *crest_launcher_name(const struct crest_launcher *l);

/* Starts `crestd_path args...` on host.  The secret goes to its stdin as
 * one hex line (never in argv); its stdout and stderr come back on *out_fd.
 * Returns the pid of the local process (crestd, ssh or srun), or -1 with
 * err set. */
pid_t crest_launch_daemon(const struct crest_launcher *l, const char *host, const char *crestd_path,
                          char *const args[], const uint8_t *secret, int *out_fd, char *err, size_t errlen);

/* Reads the secret line a launched crestd gets on stdin; 0 or -1. */
int crest_read_secret(int fd, uint8_t *secret, char *err, size_t errlen);

#endif
