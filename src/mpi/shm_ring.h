/* shm_ring.h — the single-producer single-consumer rings of the shared
 * memory transport: the record format and the lock-free put and take steps.
 *
 * A ring is a power-of-two number of bytes holding records that each start
 * on a 64-byte line:
 *
 *     [struct pkt_header, 56 bytes][payload][padding to 64]
 *
 * The header's `kind` word doubles as the record's "published" flag: the
 * producer writes everything else first, then stores kind with release;
 * the consumer polls the kind word at its read position with acquire.  No
 * index is shared on the fast path, so a small packet (header + up to 8
 * bytes of payload: one line) costs the consumer a single cache miss.
 *
 * A zero kind means "nothing yet".  That holds because the producer, before
 * publishing a record, zeroes the kind word of the line where the next
 * record will start; it always keeps that line free for this (RING_SLACK),
 * so stale bytes of an earlier lap are never read as a record.  A record
 * never wraps: when it does not fit before the end of the ring it goes to
 * the start and a skip marker fills the end; the marker is published after
 * the record, so a consumer that follows it finds the record there.
 *
 * The consumer publishes how far it has read in ring_ctl.tail (its own
 * cache line); the producer reads it only when its cached copy says the
 * ring is too full.  Positions are absolute 64-bit byte counts; the offset
 * in the ring is the count modulo the size. */
#ifndef CREST_SHM_RING_H
#define CREST_SHM_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mpi_impl.h"

#define RING_LINE 64u
#define RING_SLACK RING_LINE /* the next record's line, zeroed ahead */
#define RING_HDR sizeof(struct pkt_header)
#define RING_ROUND(n) (((n) + RING_LINE - 1) & ~(size_t)(RING_LINE - 1))

/* kind words besides the pkt kinds (1..255) */
#define REC_SKIP 0xffffffffu /* nothing more before the ring's end */
/* A piece of a packet too big for one record (only with small rings):
 * bits 8-30 hold the bytes of payload in the piece.  The first piece is a
 * header with the packet's kind in bits 0-7 and the payload after it; the
 * others have kind bits 0 and carry payload from byte 8 on. */
#define REC_FRAG 0x80000000u
#define REC_FRAG_BYTES(k) (((k) >> 8) & 0x7fffffu)
#define REC_CONT_HDR 8u

_Static_assert(sizeof(struct pkt_header) == 56, "a record's header and 8 bytes of payload fill one line");
_Static_assert(offsetof(struct pkt_header, kind) == 0, "kind is the record's first word");

/* Shared per ring, one line for each side's writes. */
struct ring_ctl {
    _Alignas(64) _Atomic uint64_t tail;     /* written by the consumer: bytes consumed */
    _Alignas(64) _Atomic uint32_t need_space; /* written by the producer: packets wait for room */
};

/* The producer's private view. */
struct ring_tx {
    char *data;
    struct ring_ctl *ctl;
    uint64_t head;      /* where the next record goes */
    uint64_t tail_seen; /* the consumer's tail when last read */
    uint64_t size, mask;
};

/* The consumer's private view. */
struct ring_rx {
    char *data;
    struct ring_ctl *ctl;
    uint64_t tail; /* where the next record is */
    uint64_t mask;
};

static inline _Atomic uint32_t *ring_kind(char *rec)
{
    return (_Atomic uint32_t *)(void *)rec;
}

/* Space for a record of len bytes (a multiple of RING_LINE): its address,
 * or NULL when the ring is too full.  *skip is set to the bytes left
 * unused at the ring's end (0 when the record fits before it).  Nothing is
 * visible to the consumer until ring_publish. */
static inline char *ring_reserve(struct ring_tx *t, size_t len, size_t *skip)
{
    uint64_t off = t->head & t->mask;
    size_t sk = off + len > t->size ? (size_t)(t->size - off) : 0;
    uint64_t end = t->head + sk + len + RING_SLACK;
    if (end - t->tail_seen > t->size) {
        t->tail_seen = atomic_load_explicit(&t->ctl->tail, memory_order_acquire);
        if (end - t->tail_seen > t->size)
            return NULL;
    }
    *skip = sk;
    return t->data + ((t->head + sk) & t->mask);
}

/* Makes the reserved record visible with kind word `kind` (nonzero). */
static inline void ring_publish(struct ring_tx *t, char *rec, uint32_t kind, size_t len, size_t skip)
{
    uint64_t next = t->head + skip + len;
    atomic_store_explicit(ring_kind(t->data + (next & t->mask)), 0, memory_order_relaxed);
    atomic_store_explicit(ring_kind(rec), kind, memory_order_release);
    if (skip) /* after the record: whoever passes the marker finds it */
        atomic_store_explicit(ring_kind(t->data + (t->head & t->mask)), REC_SKIP, memory_order_release);
    t->head = next;
}

/* The next record and its kind word, or NULL when there is none yet. */
static inline char *ring_peek(struct ring_rx *r, uint32_t *kind)
{
    for (;;) {
        char *rec = r->data + (r->tail & r->mask);
        uint32_t k = atomic_load_explicit(ring_kind(rec), memory_order_acquire);
        if (k != REC_SKIP) {
            *kind = k;
            return k ? rec : NULL;
        }
        r->tail += r->mask + 1 - (r->tail & r->mask);
    }
}

/* Hands the len bytes of the record just read back to the producer. */
static inline void ring_release(struct ring_rx *r, size_t len)
{
    r->tail += len;
    atomic_store_explicit(&r->ctl->tail, r->tail, memory_order_release);
}

/* Whether a record is waiting, without moving anything (a skip marker
 * counts: a record follows it). */
static inline int ring_ready(const struct ring_rx *r)
{
    return atomic_load_explicit(ring_kind(r->data + (r->tail & r->mask)), memory_order_acquire) != 0;
}

#endif
