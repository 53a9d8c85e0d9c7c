/* transport_self.c — packets a rank sends to itself: queued, and delivered
 * by the next progress call (never from inside the send, so the engine is
 * never re-entered). */
#include <stdlib.h>
#include <string.h>

#include "mpi_impl.h"

struct self_packet {
    struct self_packet *next;
    struct pkt_header h;
    char payload[];
};

/* The queue belongs to the library's active thread. */
static struct self_packet *head, **tail = &head;

static int self_init(int phase) { return MPI_SUCCESS; }

static int self_send(int peer, const struct pkt_header *h, const void *payload)
{
    struct self_packet *p = malloc(sizeof *p + h->payload);
    if (!p)
        return MPI_ERR_NO_MEM;
    p->next = NULL;
    p->h = *h;
    if (h->payload)
        memcpy(p->payload, payload, h->payload);
    *tail = p;
    tail = &p->next;
    return MPI_SUCCESS;
}

static int self_progress(void)
{
    int n = 0;
    /* Only what is queued now: what the deliveries send comes next round. */
    struct self_packet *batch = head;
    head = NULL;
    tail = &head;
    while (batch) {
        struct self_packet *p = batch;
        batch = p->next;
        pkt_arrived(mpi_state.world_rank, &p->h, p->payload);
        free(p);
        n++;
    }
    return n;
}

static int self_backlog(int peer) { return 0; }

static int self_pull(int peer, uint64_t addr, void *dst, size_t len)
{
    memcpy(dst, (const void *)(uintptr_t)addr, len);
    return 0;
}

static void self_finalize(void) {}

const struct transport transport_self = {
    .name = "self",
    .init = self_init,
    .send = self_send,
    .progress = self_progress,
    .backlog = self_backlog,
    .max_payload = 1u << 20,
    .eager_limit = 64u << 10,
    .pull = self_pull,
    .finalize = self_finalize,
};
