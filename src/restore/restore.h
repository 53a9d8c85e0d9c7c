/* restore.h — `crest restart`'s entry into the restorer. */
#ifndef CREST_RESTORE_H
#define CREST_RESTORE_H

/* Becomes the process of the image; returns -1 (after one line on stderr)
 * only when the image is refused before anything was torn down. Long runs
 * of anonymous memory are mapped from the image (copied on first write)
 * unless copy_all is set.  kept_fd (or -1) is a descriptor of the restarter
 * that the restored process keeps at its number, in place of the one the
 * image had there: the runtime's socket of a restarted MPI rank. */
int crest_restore(const char *image_path, int copy_all, int kept_fd);

#endif
