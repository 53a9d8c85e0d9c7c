/* crest.c — the `crest` command: run, checkpoint, restart, info, and the
 * runtime's boot, halt and ps. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "crest.h"

static int usage(FILE *to)
{
    fprintf(to,
            "usage: crest run PROG [ARG...]          start PROG with checkpoint support\n"
            "       crest checkpoint PID [-o FILE] [--term | --stop] [--no-sync]\n"
            "                                        write an image of process PID\n"
            "       crest checkpoint JOB [-o DIR] [--term | --stop]\n"
            "                                        snapshot an MPI job (mpirun's PID or crest ps's id)\n"
            "       crest restart [--copy] IMAGE     become the process the image holds\n"
            "       crest restart SNAPSHOT [-H HOSTS | --hostfile FILE] [mpirun options]\n"
            "                                        restart a job from its snapshot\n"
            "       crest info IMAGE|SNAPSHOT [--no-verify]\n"
            "                                        show and verify an image or a job's snapshot\n"
            "       crest boot HOSTFILE              start daemons on the hosts, kept for later jobs\n"
            "       crest halt                       end the daemons of crest boot\n"
            "       crest ps                         list your running jobs\n"
            "       crest --version\n"
            "See crest(1).\n");
    return to == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run"))
        return crest_cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "checkpoint"))
        return crest_cmd_checkpoint(argc - 1, argv + 1);
    if (!strcmp(cmd, "restart"))
        return crest_cmd_restart(argc - 1, argv + 1);
    if (!strcmp(cmd, "info"))
        return crest_cmd_info(argc - 1, argv + 1);
    if (!strcmp(cmd, "boot"))
        return crest_cmd_boot(argc - 1, argv + 1);
    if (!strcmp(cmd, "halt"))
        return crest_cmd_halt(argc - 1, argv + 1);
    if (!strcmp(cmd, "ps"))
        return crest_cmd_ps(argc - 1, argv + 1);
    if (!strcmp(cmd, "--version")) {
        printf("crest %d.%d\n", CREST_VERSION_MAJOR, CREST_VERSION_MINOR);
        return 0;
    }
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help"))
        return usage(stdout);
    fprintf(stderr, "crest: unknown command '%s' (try crest --help)\n", cmd);
    return 2;
}
