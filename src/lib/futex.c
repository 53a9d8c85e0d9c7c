/* futex.c — wait and wake on a 32-bit word; no locks, no allocation, so the
 * stop handler and the image writer may use them. */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "libcrest_internal.h"

void crest_futex_wait(_Atomic int32_t *word, int32_t val, long timeout_ms)
{
    struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    syscall(SYS_futex, (int32_t *)word, FUTEX_WAIT_PRIVATE, val, timeout_ms >= 0 ? &ts : NULL,
            NULL, 0);
}

void crest_futex_wake(_Atomic int32_t *word)
{
    syscall(SYS_futex, (int32_t *)word, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
}
