/* The processes of one task, found through /proc: see process-tree.c. */
#ifndef TASKER_PROCESS_TREE_H
#define TASKER_PROCESS_TREE_H
#include <stddef.h>
#include <sys/types.h>

/* Processes of a task seen by earlier kills: pid and start time (so a reused pid is not taken). */
struct tree {
  pid_t *pid;
  unsigned long long *start;
  size_t n, cap;
};

/*
 * Sends `sig` to every process descended from `root` (0 when the task's main program is gone)
 * or from a process an earlier call recorded in `t`, and records them. With SIGKILL the tree
 * is frozen first (SIGSTOP, until a pass finds nothing new), so a process forked during the
 * kill is not missed. Returns how many processes were signalled.
 */
size_t signal_tree(struct tree *t, pid_t root, int sig);

void free_tree(struct tree *t);

#endif
