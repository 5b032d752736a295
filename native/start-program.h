/* Starting one program for the launcher: see start-program.c. */
#ifndef TASKER_START_PROGRAM_H
#define TASKER_START_PROGRAM_H
#include <sys/types.h>

/*
 * Starts argv in its own process group, stdin on /dev/null, stdout/stderr on `out`/`err`, in
 * `cwd` (empty = ours), as its own child subreaper. A bare name is searched on the PATH of
 * `envp` like execvp does. Returns 0 and the pid, or the errno of the failed start.
 */
int start_program(pid_t *pid, char **argv, char **envp, const char *cwd, int out, int err);

#endif
