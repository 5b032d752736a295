/* The shepherd of one program: see shepherd.c. */
#ifndef TASKER_SHEPHERD_H
#define TASKER_SHEPHERD_H
#include <stddef.h>
#include <sys/types.h>

/* Starts the program in the shepherd (after fork): 0 and its pid, or an errno. */
typedef int (*start_fn)(void *arg, pid_t *pid);

/*
 * Forks a shepherd that runs `start` and supervises what it started. In the shepherd, the
 * descriptors in `close_fds` (and our stdin and stdout) are closed first. Returns the shepherd's
 * pid, or -1 with errno; `*report` is the read end of its report pipe (close-on-exec).
 */
pid_t start_shepherd(start_fn start, void *arg, const int *close_fds, size_t nclose, int *report);

/* The first report: 0 and the program's pid, or the errno of its start (EPIPE: the shepherd died). */
int read_started(int report, pid_t *pid);

/* The second report: 1 and the program's wait status, or 0 when the shepherd died first. */
int read_exit(int report, int *status);

/* Signals the shepherd uses: SIGTERM the tree, SIGKILL the tree until nothing is left. */
void signal_shepherd(pid_t shepherd, int sig);

#endif
