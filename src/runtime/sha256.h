/* sha256.h — SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for the
 * challenge that proves the job secret on every control connection. */
#ifndef CREST_SHA256_H
#define CREST_SHA256_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define CREST_SHA256_LEN 32

struct crest_sha256 {
    uint32_t state[8];
    uint64_t bytes;     /* message length so far */
    uint8_t block[64];  /* the partial block not yet compressed */
    size_t used;        /* bytes in block */
};

void crest_sha256_init(struct crest_sha256 *s);
void crest_sha256_update(struct crest_sha256 *s, const void *data, size_t len);
/* Writes the digest; s must be initialised again before reuse. */
void crest_sha256_final(struct crest_sha256 *s, uint8_t out[CREST_SHA256_LEN]);

/* HMAC-SHA256 (RFC 2104) of the concatenation of n parts: the parts let a
 * caller authenticate a nonce and a message without copying them together.
 * A key longer than 64 bytes is hashed first, as the RFC says. */
void crest_hmac_sha256(const void *key, size_t key_len, const struct iovec *parts, int n,
                       uint8_t out[CREST_SHA256_LEN]);

/* 1 if the len bytes at a and b are equal, else 0; takes the same time
 * wherever they differ, so that a peer cannot guess a MAC byte by byte. */
int crest_digest_equal(const void *a, const void *b, size_t len);

#endif
