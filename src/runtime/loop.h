/* loop.h — a small poll(2) event loop: file descriptors with callbacks, and
 * one-shot timers.  Single-threaded; callbacks may add and remove watches
 * and timers freely. */
#ifndef CREST_LOOP_H
#define CREST_LOOP_H

#include <stdint.h>

typedef void (*crest_fd_fn)(void *arg, int fd, short revents);
typedef void (*crest_timer_fn)(void *arg);

/* Watches fd for events (POLLIN/POLLOUT); replaces an existing watch of fd. */
int crest_loop_watch(int fd, short events, crest_fd_fn fn, void *arg);
void crest_loop_set_events(int fd, short events);
void crest_loop_unwatch(int fd);

/* Calls fn(arg) once, after ms milliseconds. Returns an id (> 0). */
uint64_t crest_loop_timer(int64_t ms, crest_timer_fn fn, void *arg);
void crest_loop_cancel(uint64_t id);

/* Waits for and dispatches events, at most max_ms (-1: no limit). */
void crest_loop_run_once(int max_ms);

int64_t crest_now_ms(void); /* CLOCK_MONOTONIC */

#endif
