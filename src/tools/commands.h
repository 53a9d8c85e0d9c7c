/* commands.h — the subcommands of the crest tool. */
#ifndef CREST_COMMANDS_H
#define CREST_COMMANDS_H

int crest_cmd_run(int argc, char **argv);
int crest_cmd_checkpoint(int argc, char **argv);
int crest_cmd_restart(int argc, char **argv);
int crest_cmd_info(int argc, char **argv);
int crest_cmd_boot(int argc, char **argv);
int crest_cmd_halt(int argc, char **argv);
int crest_cmd_ps(int argc, char **argv);

/* `crest checkpoint JOB` (an mpirun pid or a job id): returns -1 when
 * target names no job, else the command's exit code. */
int crest_checkpoint_job(const char *target, const char *out, int mode, int flags);

/* Absolute path of libcrest.so next to this crest (../lib), or $CREST_LIB. */
int crest_find_library(char *buf, unsigned long len);

#endif
