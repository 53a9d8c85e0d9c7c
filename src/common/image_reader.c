/* image_reader.c — the checks and the index behind `crest info`,
 * `crest restart` and the restarted process's own state restore. */

#include "image_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"

static int say(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

#define RETAKE "take the checkpoint again or use another image"

static int check_header(struct crest_image *img, char *err, size_t errlen)
{
    struct crest_image_header *h = &img->header;
    const char *p = img->path;
    if (img->actual_size < sizeof *h)
        return say(err, errlen, "%s is truncated: %llu bytes, not even a header (%s)", p,
                   (unsigned long long)img->actual_size, RETAKE);
    if (pread_full(img->fd, h, sizeof *h, 0))
        return say(err, errlen, "%s: cannot read the header: %s", p, strerror(errno));
    if (memcmp(h->magic, CREST_IMAGE_MAGIC, 8))
        return say(err, errlen,
                   "%s is not a complete crest image (no %s magic at offset 0; an unfinished "
                   "image has none)", p, CREST_IMAGE_MAGIC);
    if (h->version != CREST_IMAGE_VERSION)
        return say(err, errlen,
                   "%s has image format version %u; this crest reads version %u (use the crest "
                   "release that wrote it)", p, h->version, CREST_IMAGE_VERSION);
    uint32_t want = h->header_crc;
    h->header_crc = 0;
    uint32_t got = crest_crc32c(0, h, sizeof *h);
    h->header_crc = want;
    if (got != want)
        return say(err, errlen, "%s is corrupt: the header at offset 0 fails its checksum (%s)",
                   p, RETAKE);
    if (h->header_size != CREST_IMAGE_HEADER_SIZE || h->records_offset < CREST_IMAGE_HEADER_SIZE ||
        h->records_offset + h->records_size != h->file_size ||
        h->records_offset - CREST_IMAGE_HEADER_SIZE != h->data_bytes || h->records_size > (1ull << 32))
        return say(err, errlen, "%s is corrupt: inconsistent header at offset 0 (%s)", p, RETAKE);
    if (img->actual_size < h->file_size)
        return say(err, errlen, "%s is truncated at offset %llu: the image has %llu bytes (%s)",
                   p, (unsigned long long)img->actual_size, (unsigned long long)h->file_size,
                   RETAKE);
    if (img->actual_size > h->file_size)
        return say(err, errlen, "%s has %llu bytes after its end at offset %llu (%s)", p,
                   (unsigned long long)(img->actual_size - h->file_size),
                   (unsigned long long)h->file_size, RETAKE);
    return 0;
}

static int grow(void **arr, size_t n, size_t elem)
{
    if (n & (n - 1))
        return 0; /* capacity doubles at powers of two */
    void *p = realloc(*arr, (n ? n * 2 : 4) * elem);
    if (!p)
        return -1;
    *arr = p;
    return 0;
}

#define BAD(what) say(err, errlen, "%s is corrupt: %s in the record at offset %llu (%s)", \
                      img->path, what, (unsigned long long)rec_off, RETAKE)

static int index_mapping(struct crest_image *img, const unsigned char *pl, uint32_t size,
                         uint64_t rec_off, char *err, size_t errlen)
{
    const struct crest_rec_mapping *m = (const void *)pl;
    if (size < sizeof *m)
        return BAD("a short mapping");
    size_t at = sizeof *m;
    const char *path = "";
    if (m->path_len) {
        if (m->path_len > size - at || pl[at + m->path_len - 1])
            return BAD("a bad mapping path");
        path = (const char *)pl + at;
        at += (m->path_len + 7) & ~7u;
    }
    uint64_t need = (uint64_t)m->nruns * sizeof(struct crest_page_run) + (uint64_t)m->nblocks * 4;
    if (at > size || need > size - at || m->start >= m->end || (m->start | m->end) & 4095 ||
        m->nblocks != (m->saved_pages + CREST_BLOCK_PAGES - 1) / CREST_BLOCK_PAGES)
        return BAD("an inconsistent mapping");
    const struct crest_page_run *runs = (const void *)(pl + at);
    uint64_t pages = 0;
    for (uint32_t i = 0; i < m->nruns; i++) {
        if (runs[i].addr < m->start || runs[i].npages > (m->end - runs[i].addr) / 4096 ||
            runs[i].addr & 4095)
            return BAD("a page run outside its mapping");
        pages += runs[i].npages;
    }
    if (pages != m->saved_pages || m->data_offset < CREST_IMAGE_HEADER_SIZE ||
        m->data_offset + pages * 4096 > img->header.records_offset)
        return BAD("page data outside the data area");
    if (grow((void **)&img->maps, img->nmaps, sizeof *img->maps))
        return say(err, errlen, "out of memory");
    img->maps[img->nmaps++] = (struct crest_image_mapping){
        m, path, runs, (const uint32_t *)(pl + at + m->nruns * sizeof(struct crest_page_run))};
    return 0;
}

static int index_process(struct crest_image *img, const unsigned char *pl, uint32_t size,
                         uint64_t rec_off, char *err, size_t errlen)
{
    const struct crest_rec_process *p = (const void *)pl;
    if (size < sizeof *p)
        return BAD("a short process record");
    uint64_t total = (uint64_t)p->auxv_size + p->exe_len + p->cwd_len + p->cmdline_len + p->comm_len;
    if (total > size - sizeof *p || !p->exe_len || !p->cwd_len || !p->comm_len)
        return BAD("bad process strings");
    const unsigned char *s = pl + sizeof *p;
    img->process = p;
    img->auxv = s;
    s += p->auxv_size;
    img->exe = (const char *)s;
    s += p->exe_len;
    img->cwd = (const char *)s;
    s += p->cwd_len;
    img->cmdline = (const char *)s;
    img->cmdline_len = p->cmdline_len;
    s += p->cmdline_len;
    img->comm = (const char *)s;
    if (img->exe[p->exe_len - 1] || img->cwd[p->cwd_len - 1] || img->comm[p->comm_len - 1])
        return BAD("unterminated process strings");
    return 0;
}

static int index_records(struct crest_image *img, char *err, size_t errlen)
{
    const struct crest_image_header *h = &img->header;
    size_t at = 0;
    int ended = 0;
    for (uint32_t i = 0; i < h->record_count; i++) {
        uint64_t rec_off = h->records_offset + at;
        if (ended || h->records_size - at < sizeof(struct crest_record))
            return BAD("a record past the end");
        const struct crest_record *r = (const void *)(img->records + at);
        const unsigned char *pl = (const unsigned char *)(r + 1);
        at += sizeof *r;
        if (r->size > h->records_size - at)
            return BAD("a record longer than the image");
        if (crest_crc32c(0, pl, r->size) != r->crc)
            return BAD("a checksum mismatch");
        at += (r->size + 7) & ~7u;
        int rc = 0;
        switch (r->type) {
        case CREST_REC_PROCESS:
            rc = index_process(img, pl, r->size, rec_off, err, errlen);
            break;
        case CREST_REC_THREAD:
            if (r->size < sizeof(struct crest_rec_thread))
                return BAD("a short thread record");
            if (grow((void **)&img->threads, img->nthreads, sizeof *img->threads))
                return say(err, errlen, "out of memory");
            img->threads[img->nthreads++] = (const void *)pl;
            break;
        case CREST_REC_MAPPING:
            rc = index_mapping(img, pl, r->size, rec_off, err, errlen);
            break;
        case CREST_REC_FD: {
            const struct crest_rec_fd *f = (const void *)pl;
            if (r->size < sizeof *f || !f->path_len || f->path_len > r->size - sizeof *f ||
                pl[sizeof *f + f->path_len - 1] ||
                f->data_len > r->size - sizeof *f - f->path_len)
                return BAD("a bad file record");
            if (grow((void **)&img->fds, img->nfds, sizeof *img->fds))
                return say(err, errlen, "out of memory");
            img->fds[img->nfds++] = (struct crest_image_fd){
                f, (const char *)(f + 1), (const unsigned char *)(f + 1) + f->path_len};
            break;
        }
        case CREST_REC_SIGNALS:
            if (r->size < sizeof(struct crest_rec_signals))
                return BAD("a short signal record");
            img->signals = (const void *)pl;
            break;
        case CREST_REC_TIMER:
            if (r->size < sizeof(struct crest_rec_timer))
                return BAD("a short timer record");
            if (grow((void **)&img->timers, img->ntimers, sizeof *img->timers))
                return say(err, errlen, "out of memory");
            img->timers[img->ntimers++] = (const void *)pl;
            break;
        case CREST_REC_END:
            ended = 1;
            break;
        default:
            return BAD("an unknown record type");
        }
        if (rc)
            return rc;
    }
    uint64_t rec_off = h->records_offset;
    if (!ended || !img->process || !img->nthreads || !img->nmaps)
        return BAD("missing records");
    return 0;
}

int crest_image_open_fd(struct crest_image *img, int fd, const char *path, char *err,
                        size_t errlen)
{
    memset(img, 0, sizeof *img);
    img->fd = fd;
    snprintf(img->path, sizeof img->path, "%s", path);
    struct stat st;
    if (fstat(fd, &st))
        return say(err, errlen, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return say(err, errlen, "%s is not a regular file, so not an image", path);
    img->actual_size = (uint64_t)st.st_size;
    if (check_header(img, err, errlen))
        return -1;
    img->records = malloc(img->header.records_size + 8);
    if (!img->records)
        return say(err, errlen, "%s: out of memory for %llu bytes of records", path,
                   (unsigned long long)img->header.records_size);
    if (pread_full(fd, img->records, img->header.records_size, img->header.records_offset))
        return say(err, errlen, "%s: cannot read the records at offset %llu: %s", path,
                   (unsigned long long)img->header.records_offset,
                   errno ? strerror(errno) : "short read");
    if (crest_crc32c(0, img->records, img->header.records_size) != img->header.records_crc) {
        /* index_records names the record that fails */
        if (index_records(img, err, errlen))
            return -1;
        return say(err, errlen, "%s is corrupt: the records at offset %llu fail their checksum",
                   path, (unsigned long long)img->header.records_offset);
    }
    return index_records(img, err, errlen);
}

int crest_image_open(struct crest_image *img, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        memset(img, 0, sizeof *img);
        img->fd = -1;
        return say(err, errlen, "cannot open image %s: %s", path, strerror(errno));
    }
    int rc = crest_image_open_fd(img, fd, path, err, errlen);
    img->own_fd = 1;
    return rc;
}

int crest_image_verify_data(struct crest_image *img, char *err, size_t errlen)
{
    size_t bufsize = 64 * CREST_BLOCK_SIZE;
    unsigned char *buf = malloc(bufsize);
    if (!buf)
        return say(err, errlen, "out of memory");
    for (size_t i = 0; i < img->nmaps; i++) {
        const struct crest_rec_mapping *m = img->maps[i].rec;
        uint64_t total = m->saved_pages * CREST_PAGE_SIZE, done = 0;
        uint32_t block = 0;
        while (done < total) {
            size_t n = total - done < bufsize ? (size_t)(total - done) : bufsize;
            if (pread_full(img->fd, buf, n, m->data_offset + done)) {
                free(buf);
                return say(err, errlen, "%s is truncated: page data at offset %llu is missing",
                           img->path, (unsigned long long)(m->data_offset + done));
            }
            for (size_t b = 0; b < n; b += CREST_BLOCK_SIZE, block++) {
                size_t len = n - b < CREST_BLOCK_SIZE ? n - b : CREST_BLOCK_SIZE;
                if (crest_crc32c(0, buf + b, len) != img->maps[i].crcs[block]) {
                    free(buf);
                    return say(err, errlen,
                               "%s is corrupt: page data at offset %llu (memory %llx-%llx) "
                               "fails its checksum (%s)", img->path,
                               (unsigned long long)(m->data_offset + done + b),
                               (unsigned long long)m->start, (unsigned long long)m->end, RETAKE);
                }
            }
            done += n;
        }
    }
    free(buf);
    return 0;
}

void crest_image_close(struct crest_image *img)
{
    if (img->own_fd && img->fd >= 0)
        close(img->fd);
    free(img->records);
    free(img->threads);
    free(img->maps);
    free(img->fds);
    free(img->timers);
    memset(img, 0, sizeof *img);
    img->fd = -1;
}

const char *crest_mapping_kind_name(uint32_t kind)
{
    switch (kind) {
    case CREST_MAP_ANON: return "anonymous";
    case CREST_MAP_FILE_PRIVATE: return "file-private";
    case CREST_MAP_FILE_SHARED: return "file-shared";
    case CREST_MAP_SHARED_ANON: return "shared-anonymous";
    case CREST_MAP_VDSO: return "vdso";
    case CREST_MAP_VVAR: return "vvar";
    case CREST_MAP_VVAR_VCLOCK: return "vvar_vclock";
    default: return "unknown";
    }
}

const char *crest_fd_kind_name(uint32_t kind)
{
    switch (kind) {
    case CREST_FD_FILE: return "file";
    case CREST_FD_DIR: return "directory";
    case CREST_FD_PIPE: return "pipe";
    case CREST_FD_SOCKET: return "socket";
    case CREST_FD_TTY: return "tty";
    case CREST_FD_DEVICE: return "device";
    default: return "other";
    }
}
