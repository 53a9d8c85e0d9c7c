/* control_protocol.h — what `crest checkpoint` and a process's libcrest
 * manager say to each other over the process's control socket. */
#ifndef CREST_CONTROL_PROTOCOL_H
#define CREST_CONTROL_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CREST_CONTROL_MAGIC 0x43524553u /* "CRES" */
#define CREST_CONTROL_VERSION 1u

struct crest_control_request {
    uint32_t magic;
    uint32_t version;
    uint32_t mode;        /* enum crest_mode */
    uint32_t flags;       /* CREST_REQ_* */
    char path[4096];      /* absolute image path */
};

#define CREST_REQ_NO_SYNC 1u /* skip fdatasync (the image is still renamed last) */

struct crest_control_reply {
    uint32_t magic;
    int32_t error;        /* 0, or an errno value */
    uint64_t bytes;
    uint64_t nanoseconds;
    uint64_t quiesce_nanoseconds; /* callbacks + critical sections + thread stop */
    uint32_t threads;
    uint32_t reserved;
    char message[1024];   /* on error: one line saying what failed */
};

/* Directory of the control sockets of this user's processes:
 * $CREST_RUNTIME_DIR, else $XDG_RUNTIME_DIR/crest, else /tmp/crest-UID.
 * Returns 0, or -1 if the path does not fit. */
int crest_control_dir(char *buf, size_t len);

/* The socket path of process pid. Returns 0, or -1 if it does not fit. */
int crest_control_socket_path(pid_t pid, char *buf, size_t len);

#endif
