/* runtime_dir.h — where a user's runtime keeps its local sockets (the same
 * 0700 directory as the processes' control sockets) and how jobs get ids. */
#ifndef CREST_RUNTIME_DIR_H
#define CREST_RUNTIME_DIR_H

#include <stddef.h>
#include <stdint.h>

/* Creates the directory if needed (mode 0700) and checks that it is ours
 * and not open to others; 0, or -1 with err set. */
int crest_runtime_dir(char *buf, size_t len, char *err, size_t errlen);

/* The next job id of this user (1, 2, ...), kept in the directory. */
int crest_next_job_id(uint32_t *id, char *err, size_t errlen);

/* Listens on a local socket at path (replacing a stale one whose owner is
 * gone); returns the fd or -1 with err set. */
int crest_local_listen(const char *path, char *err, size_t errlen);

/* Connects to a local socket; fd or -1 (errno set). */
int crest_local_connect(const char *path);

/* 1 when the peer of a local socket runs as our uid. */
int crest_local_peer_is_us(int fd);

#endif
