/* crc32c.c — CRC32C with the SSE4.2 crc32 instruction. */
#include "crc32c.h"
#include "crc32c_inline.h"

uint32_t crest_crc32c(uint32_t crc, const void *buf, size_t len)
{
    return crest_crc32c_update(crc, buf, len);
}
