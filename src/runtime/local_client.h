/* local_client.h — blocking request/reply on a local runtime socket, for
 * the short-lived crest commands (ps, halt). */
#ifndef CREST_LOCAL_CLIENT_H
#define CREST_LOCAL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

int crest_send_message(int fd, uint16_t type, uint32_t job, const void *p, size_t n);

/* Reads one message within ms milliseconds; *payload is malloc'd (free it).
 * Returns 0, or -1 (errno ETIMEDOUT, or ECONNRESET at EOF). */
int crest_read_message(int fd, struct crest_wire_header *h, uint8_t **payload, int ms);

#endif
