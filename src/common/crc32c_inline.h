/* crc32c_inline.h — the CRC32C loop as an always-inline function, so the
 * restore blob (which may call nothing outside itself) shares it. */
#ifndef CREST_CRC32C_INLINE_H
#define CREST_CRC32C_INLINE_H

#include <stddef.h>
#include <stdint.h>

static inline __attribute__((always_inline)) uint32_t
crest_crc32c_update(uint32_t crc, const unsigned char *p, size_t len)
{
    uint64_t c = ~crc;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t v;
        __builtin_memcpy(&v, p, 8);
        __asm__("crc32q %1, %0" : "+r"(c) : "r"(v));
    }
    uint32_t c32 = (uint32_t)c;
    for (; len; p++, len--)
        __asm__("crc32b %1, %0" : "+r"(c32) : "r"(*p));
    return ~c32;
}

/* Three CRC32Cs of three equal-length buffers at once (len a multiple of 8):
 * the instruction's latency is three cycles and its throughput one, so three
 * independent chains run close to three times as fast as one. */
static inline __attribute__((always_inline)) void
crest_crc32c_x3(const unsigned char *a, const unsigned char *b, const unsigned char *c,
                size_t len, uint32_t out[3])
{
    uint64_t ca = 0xffffffffu, cb = 0xffffffffu, cc = 0xffffffffu;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t va, vb, vc;
        __builtin_memcpy(&va, a + i, 8);
        __builtin_memcpy(&vb, b + i, 8);
        __builtin_memcpy(&vc, c + i, 8);
        __asm__("crc32q %1, %0" : "+r"(ca) : "r"(va));
        __asm__("crc32q %1, %0" : "+r"(cb) : "r"(vb));
        __asm__("crc32q %1, %0" : "+r"(cc) : "r"(vc));
    }
    out[0] = ~(uint32_t)ca;
    out[1] = ~(uint32_t)cb;
    out[2] = ~(uint32_t)cc;
}

#endif
