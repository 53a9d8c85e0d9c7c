/* quiesce.c — the one entry point the checkpoint uses: drain every
 * channel, close the transports, and rebuild them afterwards.
 *
 * The checkpoint holds the application's threads outside the library
 * (checkpoint.c), so the only packets that could
 * still be sent are the engine's own answers (CTS, DATA, FIN, SYNC_ACK).
 * Those are held back while quiescing.  Then every rank tells every other,
 * through the runtime's key/value exchange, how many bytes it sent it; each
 * rank makes progress until it has received exactly that much from each
 * peer (a bookmark exchange).  Nothing is in flight after that: every
 * packet is either in the receiver's queues (process memory, saved in the
 * image) or held back in the sender's (also saved).  On continue or
 * restart, the ranks exchange their new addresses, connect again, and send
 * what was held back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_impl.h"
#include "rank_client.h"

struct held {
    struct held *next;
    int peer;
    struct pkt_header h;
    char payload[];
};

/* Owned by the library's active thread (the checkpoint runs in it). */
static struct held *held_head, **held_tail = &held_head;
static unsigned epoch;
int quiesce_active;

/* p2p.c sends through here while quiescing. */
int quiesce_hold(int peer, const struct pkt_header *h, const void *payload)
{
    struct held *p = malloc(sizeof *p + h->payload);
    if (!p)
        return MPI_ERR_NO_MEM;
    p->next = NULL;
    p->peer = peer;
    p->h = *h;
    if (h->payload)
        memcpy(p->payload, payload, h->payload);
    *held_tail = p;
    held_tail = &p->next;
    return MPI_SUCCESS;
}

/* A rank whose transports are closed (after MPI_Finalize) or not yet
 * open still takes part in the fences of a checkpoint, since they count
 * every rank of the job; a finalized one publishes what it sent, for its
 * peers to drain. */
static int live(void) { return mpi_state.initialized && !mpi_state.finalized; }

int mpi_quiesce(void)
{
    int n = mpi_state.world_size;
    if (live())
        quiesce_active = 1;
    if (n <= 1)
        return MPI_SUCCESS;
    /* The bookmarks: bytes sent to each peer (none: nothing to wait for). */
    uint64_t *sent = malloc((size_t)n * sizeof *sent);
    if (!sent)
        return MPI_ERR_NO_MEM;
    for (int w = 0; w < n; w++)
        sent[w] = mpi_state.peers ? mpi_state.peers[w].sent_bytes : 0;
    char key[32];
    snprintf(key, sizeof key, "sent.%u", epoch);
    int rc = crest_rank_put(key, sent, mpi_state.peers ? (size_t)n * sizeof *sent : 0) || crest_rank_fence()
                 ? MPI_ERR_OTHER
                 : MPI_SUCCESS;
    free(sent);
    if (rc)
        return rc;
    if (!live()) {
        epoch++;
        return crest_rank_fence() ? MPI_ERR_OTHER : MPI_SUCCESS;
    }
    for (int w = 0; w < n; w++) {
        if (w == mpi_state.world_rank)
            continue;
        size_t len;
        const uint64_t *theirs = crest_rank_get(w, key, &len);
        if (!theirs || (len != (size_t)n * sizeof *theirs && len != 0))
            return MPI_ERR_OTHER;
        uint64_t want = len ? theirs[mpi_state.world_rank] : 0;
        while (mpi_state.peers[w].recv_bytes < want)
            if (!progress_poll())
                progress_wait_briefly();
    }
    /* Our own queued packets too must have left before the transports close. */
    for (int w = 0; w < n; w++)
        while (mpi_state.peers[w].tr->backlog(w))
            progress_poll();
    /* Everybody has everything: a fence, and the channels can close. */
    if (crest_rank_fence())
        return MPI_ERR_OTHER;
    epoch++;
    return MPI_SUCCESS;
}

void mpi_disconnect(void)
{
    if (live())
        mpi_disconnect_transports();
}

int mpi_reconnect(void)
{
    if (mpi_state.world_size > 1) {
        int rc = mpi_connect_world(1);
        if (rc)
            return rc;
    }
    if (!live())
        return MPI_SUCCESS;
    quiesce_active = 0;
    /* What was held back goes out now, in order. */
    struct held *p = held_head;
    held_head = NULL;
    held_tail = &held_head;
    while (p) {
        struct held *next = p->next;
        mpi_state.peers[p->peer].sent_bytes += sizeof p->h + p->h.payload;
        mpi_state.peers[p->peer].tr->send(p->peer, &p->h, p->payload);
        free(p);
        p = next;
    }
    return MPI_SUCCESS;
}

/* A checkpoint's drain, close and reconnect without the image: what a
 * continue does to the channels.  Collective over the world; for tests. */
__attribute__((visibility("default"))) int MPIX_Crest_channel_cycle(void)
{
    MPI_SECTION();
    int rc = mpi_quiesce();
    if (rc)
        return rc;
    mpi_disconnect();
    return mpi_reconnect();
}
