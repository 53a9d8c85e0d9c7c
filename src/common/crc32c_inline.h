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

#endif
