/* bsend.c — the buffer of MPI_Buffer_attach, from which buffered sends
 * go out: first-fit allocation of message copies inside it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_impl.h"

/* Each piece starts with this header (MPI_BSEND_OVERHEAD covers it). */
struct piece {
    size_t size;   /* bytes of the piece, header included */
    int used;
};

/* The attached buffer; owned by the library's active thread. */
static char *buffer;
static size_t buffer_size;
static void *user_buffer; /* what the user attached, given back at detach */
static int user_size;

#define ALIGN(n) (((n) + 15) & ~(size_t)15)

void *bsend_alloc(size_t len)
{
    if (!buffer)
        return NULL;
    size_t need = ALIGN(sizeof(struct piece) + len);
    for (size_t off = 0; off + sizeof(struct piece) <= buffer_size;) {
        struct piece *p = (struct piece *)(buffer + off);
        if (!p->used) {
            /* merge the free pieces that follow */
            while (off + p->size < buffer_size) {
                struct piece *q = (struct piece *)(buffer + off + p->size);
                if (q->used)
                    break;
                p->size += q->size;
            }
            if (p->size >= need) {
                if (p->size - need >= ALIGN(sizeof(struct piece) + 16)) {
                    struct piece *rest = (struct piece *)(buffer + off + need);
                    rest->size = p->size - need;
                    rest->used = 0;
                    p->size = need;
                }
                p->used = 1;
                return p + 1;
            }
        }
        off += p->size;
    }
    return NULL;
}

void bsend_release(void *ptr)
{
    struct piece *p = (struct piece *)ptr - 1;
    p->used = 0;
}

static int buffer_busy(void)
{
    for (size_t off = 0; off + sizeof(struct piece) <= buffer_size;) {
        struct piece *p = (struct piece *)(buffer + off);
        if (p->used)
            return 1;
        off += p->size;
    }
    return 0;
}

int PMPI_Buffer_attach(void *buf, int size)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Buffer_attach");
    if (buffer)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_BUFFER, "MPI_Buffer_attach", "a buffer is already attached");
    if (size < 0 || (!buf && size))
        return mpi_error(MPI_COMM_NULL, MPI_ERR_BUFFER, "MPI_Buffer_attach", "size %d at %p is not a buffer", size, buf);
    /* Pieces must be aligned: skip to the first 16-byte boundary. */
    uintptr_t start = ((uintptr_t)buf + 15) & ~(uintptr_t)15;
    size_t skip = start - (uintptr_t)buf;
    if ((size_t)size < skip + sizeof(struct piece) * 2)
        return mpi_error(MPI_COMM_NULL, MPI_ERR_BUFFER, "MPI_Buffer_attach", "a buffer of %d bytes is too small", size);
    user_buffer = buf;
    user_size = size;
    buffer = (char *)start;
    buffer_size = ((size_t)size - skip) & ~(size_t)15;
    struct piece *p = (struct piece *)buffer;
    p->size = buffer_size;
    p->used = 0;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Buffer_attach);

int PMPI_Buffer_detach(void *buffer_addr, int *size)
{
    MPI_SECTION();
    MPI_CHECK_INIT("MPI_Buffer_detach");
    if (!buffer) {
        *(void **)buffer_addr = NULL;
        *size = 0;
        return MPI_SUCCESS;
    }
    /* Detaching waits until every buffered message has gone out. */
    while (buffer_busy())
        if (!progress_poll())
            progress_wait_briefly();
    buffer = NULL;
    buffer_size = 0;
    *(void **)buffer_addr = user_buffer;
    *size = user_size;
    return MPI_SUCCESS;
}
MPI_WEAK(MPI_Buffer_detach);
