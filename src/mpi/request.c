/* request.c — the request table.  Requests live in individually allocated
 * slots that never move (the engine keeps pointers to them in its queues);
 * a freed slot goes to a free list and is reused. */
#include <stdlib.h>
#include <string.h>

#include "mpi_impl.h"

/* The table belongs to the library's one active thread (SERIALIZED). */
static struct mpi_request **slots;
static int nslots, capslots;
static int *free_list;
static int nfree, capfree;

MPI_Request request_new(enum req_kind kind, struct mpi_request **out)
{
    int index;
    if (nfree) {
        index = free_list[--nfree];
    } else {
        if (nslots == capslots) {
            int cap = capslots ? capslots * 2 : 256;
            struct mpi_request **p = realloc(slots, (size_t)cap * sizeof *p);
            if (!p)
                return MPI_REQUEST_NULL;
            slots = p;
            capslots = cap;
        }
        slots[nslots] = malloc(sizeof **slots);
        if (!slots[nslots])
            return MPI_REQUEST_NULL;
        index = nslots++;
    }
    struct mpi_request *r = slots[index];
    memset(r, 0, sizeof *r);
    r->in_use = 1;
    r->kind = kind;
    r->comm = MPI_COMM_NULL;
    r->datatype = MPI_DATATYPE_NULL;
    r->status.MPI_SOURCE = MPI_ANY_SOURCE;
    r->status.MPI_TAG = MPI_ANY_TAG;
    r->status.MPI_ERROR = MPI_SUCCESS;
    r->handle = MAKE_HANDLE(HT_REQUEST, index);
    *out = r;
    return r->handle;
}

struct mpi_request *request_get(MPI_Request h)
{
    if (HANDLE_KIND(h) != HANDLE_DYNAMIC || HANDLE_TYPE(h) != HT_REQUEST)
        return NULL;
    unsigned i = HANDLE_INDEX(h);
    if (i >= (unsigned)nslots || !slots[i]->in_use)
        return NULL;
    return slots[i];
}

void request_free(MPI_Request h)
{
    struct mpi_request *r = request_get(h);
    if (!r)
        return;
    free(r->tmp);
    r->tmp = NULL;
    if (r->dt)
        dtype_unref(r->datatype);
    r->dt = NULL;
    r->in_use = 0;
    if (nfree == capfree) {
        int cap = capfree ? capfree * 2 : 256;
        int *p = realloc(free_list, (size_t)cap * sizeof *p);
        if (!p)
            return; /* the slot leaks; nothing breaks */
        free_list = p;
        capfree = cap;
    }
    free_list[nfree++] = (int)HANDLE_INDEX(h);
}
