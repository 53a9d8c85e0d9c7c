/* status.h — the library's hidden fields of MPI_Status: the number of bytes
 * received and the "cancelled" flag, in MPICH's encoding.
 *
 *   crest_count_low                  bits 31..0 of the byte count
 *   crest_count_high_and_cancelled   bits 31..1: bits 62..32 of the byte
 *                                    count; bit 0: cancelled
 *
 * So a count holds up to 2^63 - 1 bytes.  Setting the count keeps the
 * cancelled flag; setting the flag keeps the count.  A program compiled
 * against MPICH that looks at these words reads the same values. */
#ifndef CREST_MPI_STATUS_H
#define CREST_MPI_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "mpi.h"

static inline void status_set_bytes(MPI_Status *s, size_t bytes)
{
    uint32_t cancelled = (uint32_t)s->crest_count_high_and_cancelled & 1u;
    uint64_t b = (uint64_t)bytes;
    s->crest_count_low = (int)(uint32_t)b;
    s->crest_count_high_and_cancelled = (int)((uint32_t)((b >> 32) << 1) | cancelled);
}

static inline size_t status_get_bytes(const MPI_Status *s)
{
    uint64_t high = (uint32_t)s->crest_count_high_and_cancelled >> 1;
    return (size_t)((high << 32) | (uint32_t)s->crest_count_low);
}

static inline void status_set_cancelled(MPI_Status *s, int cancelled)
{
    uint32_t w = (uint32_t)s->crest_count_high_and_cancelled & ~1u;
    s->crest_count_high_and_cancelled = (int)(w | (cancelled ? 1u : 0u));
}

static inline int status_is_cancelled(const MPI_Status *s)
{
    return (int)((uint32_t)s->crest_count_high_and_cancelled & 1u);
}

#endif
