/* rank_client.h — a rank's side of the runtime: what the MPI library (or
 * any program started by mpirun) uses to learn its place in the job and to
 * exchange addresses with the other ranks.
 *
 * The runtime socket is inherited from crestd (CREST_RT_FD).  Pairs put
 * before a fence are visible to every rank after it; a fence is
 * collective over the whole job.  Not thread-safe: the caller serializes. */
#ifndef CREST_RANK_CLIENT_H
#define CREST_RANK_CLIENT_H

#include <stddef.h>

struct crest_rank_info {
    int rank, size;             /* in the job */
    int local_rank, local_size; /* among the ranks on this host */
    int node;                   /* daemon index of this host */
    unsigned job;
};

/* Reads the job's environment; 0, or -1 when not started by mpirun
 * (then info describes a job of one). */
int crest_rank_init(struct crest_rank_info *info);

int crest_rank_put(const char *key, const void *value, size_t len);
/* Waits until every rank has entered the fence; -1 if the runtime is gone. */
int crest_rank_fence(void);
/* A pair another rank (or this one) put before the last fence; NULL if none. */
const void *crest_rank_get(int rank, const char *key, size_t *len);

/* Ends the whole job with code; msg goes to mpirun's terminal. */
void crest_rank_abort(int code, const char *msg);
/* Tells the runtime this rank leaves cleanly (MPI_Finalize). */
void crest_rank_finalize(void);
/* Tells the runtime this rank's MPI is initialized and its checkpoint
 * callback registered: from now on a job-wide checkpoint includes it (a
 * checkpoint is refused while some ranks are still inside MPI_Init). */
void crest_rank_ready(void);

#endif
