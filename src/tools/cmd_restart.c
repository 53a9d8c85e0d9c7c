/* cmd_restart.c — `crest restart IMAGE`. */
#include <stdio.h>
#include <string.h>

#include "../restore/restore.h"
#include "commands.h"

int crest_cmd_restart(int argc, char **argv)
{
    const char *image = NULL;
    int copy_all = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--copy")) {
            copy_all = 1;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "crest restart: unknown option %s (usage: crest restart [--copy] IMAGE)\n",
                    argv[i]);
            return 2;
        }
        if (image) {
            fprintf(stderr, "crest restart: one image at a time (usage: crest restart [--copy] IMAGE)\n");
            return 2;
        }
        image = argv[i];
    }
    if (!image) {
        fprintf(stderr, "crest restart: no image given (usage: crest restart [--copy] IMAGE)\n");
        return 2;
    }
    crest_restore(image, copy_all);
    return 1;
}
