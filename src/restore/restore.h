/* restore.h — `crest restart`'s entry into the restorer. */
#ifndef CREST_RESTORE_H
#define CREST_RESTORE_H

/* Becomes the process of the image; returns -1 (after one line on stderr)
 * only when the image is refused before anything was torn down. */
int crest_restore(const char *image_path);

#endif
