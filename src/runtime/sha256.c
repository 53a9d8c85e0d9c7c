/* sha256.c — SHA-256 and HMAC-SHA256, written from FIPS 180-4 and RFC 2104. */
#include "sha256.h"

#include <string.h>

/* FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes. */
static const uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* FIPS 180-4 §5.3.3: the first 32 bits of the fractional parts of the
 * square roots of the first 8 primes. */
static const uint32_t initial_state[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static inline uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static inline uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* FIPS 180-4 §6.2.2: one 512-bit block into the state. */
static void compress(uint32_t state[8], const uint8_t block[64])
{
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = load_be32(block + 4 * t);
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < 64; t++) {
        uint32_t sum1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t choose = (e & f) ^ (~e & g);
        uint32_t t1 = h + sum1 + choose + round_constants[t] + w[t];
        uint32_t sum0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = sum0 + majority;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

void crest_sha256_init(struct crest_sha256 *s)
{
    memcpy(s->state, initial_state, sizeof s->state);
    s->bytes = 0;
    s->used = 0;
}

void crest_sha256_update(struct crest_sha256 *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (len == 0)
        return;
    s->bytes += len;
    if (s->used > 0) {
        size_t take = 64 - s->used < len ? 64 - s->used : len;
        memcpy(s->block + s->used, p, take);
        s->used += take;
        p += take;
        len -= take;
        if (s->used < 64)
            return;
        compress(s->state, s->block);
        s->used = 0;
    }
    /* whole blocks straight from the caller's buffer, without a copy */
    for (; len >= 64; p += 64, len -= 64)
        compress(s->state, p);
    memcpy(s->block, p, len);
    s->used = len;
}

void crest_sha256_final(struct crest_sha256 *s, uint8_t out[CREST_SHA256_LEN])
{
    /* FIPS 180-4 §5.1.1: a 1 bit, zeros up to 56 bytes mod 64, then the
     * message length in bits as a 64-bit big-endian number. */
    uint64_t bits = s->bytes * 8;
    s->block[s->used++] = 0x80;
    if (s->used > 56) {
        memset(s->block + s->used, 0, 64 - s->used);
        compress(s->state, s->block);
        s->used = 0;
    }
    memset(s->block + s->used, 0, 56 - s->used);
    store_be32(s->block + 56, (uint32_t)(bits >> 32));
    store_be32(s->block + 60, (uint32_t)bits);
    compress(s->state, s->block);
    for (int i = 0; i < 8; i++)
        store_be32(out + 4 * i, s->state[i]);
    memset(s, 0, sizeof *s); /* no key-derived state left behind */
}

void crest_hmac_sha256(const void *key, size_t key_len, const struct iovec *parts, int n,
                       uint8_t out[CREST_SHA256_LEN])
{
    uint8_t padded_key[64] = {0}, pad[64], inner[CREST_SHA256_LEN];
    struct crest_sha256 s;

    if (key_len > sizeof padded_key) {
        crest_sha256_init(&s);
        crest_sha256_update(&s, key, key_len);
        crest_sha256_final(&s, padded_key);
    } else if (key_len > 0) {
        memcpy(padded_key, key, key_len);
    }

    for (int i = 0; i < 64; i++)
        pad[i] = padded_key[i] ^ 0x36;
    crest_sha256_init(&s);
    crest_sha256_update(&s, pad, sizeof pad);
    for (int i = 0; i < n; i++)
        crest_sha256_update(&s, parts[i].iov_base, parts[i].iov_len);
    crest_sha256_final(&s, inner);

    for (int i = 0; i < 64; i++)
        pad[i] = padded_key[i] ^ 0x5c;
    crest_sha256_init(&s);
    crest_sha256_update(&s, pad, sizeof pad);
    crest_sha256_update(&s, inner, sizeof inner);
    crest_sha256_final(&s, out);

    /* the key, even padded, must not linger on the stack */
    memset(padded_key, 0, sizeof padded_key);
    memset(pad, 0, sizeof pad);
    __asm__ volatile("" : : "r"(padded_key), "r"(pad) : "memory");
}

int crest_digest_equal(const void *a, const void *b, size_t len)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t diff = 0;
    for (size_t i = 0; i < len; i++)
        diff |= x[i] ^ y[i];
    return diff == 0;
}
