/*
 * Killing a task's whole tree. The task's main program is its own child subreaper
 * (start-program.c), so while it runs, every process descended from it is linked to it by
 * parent pids in /proc, also one that left its process group with setsid and whose parent exited.
 * A kill walks those links at the moment it is made and signals what it finds. What it found is
 * remembered with the task: when the main program has died of the SIGTERM, its children went on
 * to the launcher (the next subreaper up), and the SIGKILL after the grace period still reaches
 * them, and what they started since, through that record.
 *
 * /proc is read only when a task is killed (a timeout, a cancel, a stop), never per start.
 */
#define _GNU_SOURCE
#include "process-tree.h"
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct proc {
  pid_t pid, ppid;
  unsigned long long start;
  char state;
};

/* One process from /proc/PID/stat ("pid (comm) state ppid … starttime …"); 0 when gone. */
static int read_proc(pid_t pid, struct proc *p) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *rest = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
  if (!rest || !rest[1]) return 0;
  int ppid;
  unsigned long long start;
  /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime
     cstime priority nice threads itrealvalue starttime */
  if (sscanf(rest + 2, "%c %d %*d %*d %*d %*d %*u %*lu %*lu %*lu %*lu %*lu %*lu %*ld %*ld %*ld %*ld %*ld %*ld %llu",
             &p->state, &ppid, &start) != 3)
    return 0;
  p->pid = pid;
  p->ppid = ppid;
  p->start = start;
  return 1;
}

/* Every process on the machine. */
static struct proc *read_all(size_t *n) {
  size_t cap = 512;
  struct proc *all = malloc(cap * sizeof *all);
  *n = 0;
  DIR *d = opendir("/proc");
  if (!d || !all) {
    if (d) closedir(d);
    return all;
  }
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    if (*n == cap) {
      struct proc *bigger = realloc(all, (cap *= 2) * sizeof *all);
      if (!bigger) break;
      all = bigger;
    }
    if (read_proc((pid_t)atoi(e->d_name), &all[*n])) (*n)++;
  }
  closedir(d);
  return all;
}

static int recorded(const struct tree *t, pid_t pid, unsigned long long start) {
  for (size_t i = 0; i < t->n; i++)
    if (t->pid[i] == pid && t->start[i] == start) return 1;
  return 0;
}

static void record(struct tree *t, pid_t pid, unsigned long long start) {
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 16;
    pid_t *pids = realloc(t->pid, cap * sizeof *pids);
    if (!pids) return;
    t->pid = pids;
    unsigned long long *starts = realloc(t->start, cap * sizeof *starts);
    if (!starts) return;
    t->start = starts;
    t->cap = cap;
  }
  t->pid[t->n] = pid;
  t->start[t->n] = start;
  t->n++;
}

/* One pass: record every live descendant of `root` and of the recorded processes that are still
   the same processes. Returns how many were new. */
static size_t find(struct tree *t, pid_t root) {
  size_t n, added = 0;
  struct proc *all = read_all(&n);
  if (!all) return 0;
  /* Roots: the main program, and recorded processes still alive as themselves. */
  pid_t *queue = malloc((n + t->n + 1) * sizeof *queue);
  size_t head = 0, tail = 0;
  if (!queue) {
    free(all);
    return 0;
  }
  if (root > 0) queue[tail++] = root;
  for (size_t i = 0; i < n; i++)
    if (recorded(t, all[i].pid, all[i].start) && all[i].pid != root) queue[tail++] = all[i].pid;
  while (head < tail) {
    pid_t parent = queue[head++];
    for (size_t i = 0; i < n; i++) {
      if (all[i].ppid != parent || all[i].pid == parent || all[i].state == 'Z') continue;
      if (recorded(t, all[i].pid, all[i].start)) continue;
      record(t, all[i].pid, all[i].start);
      queue[tail++] = all[i].pid;
      added++;
    }
  }
  free(queue);
  free(all);
  return added;
}

/* Signal every recorded process that is still itself. */
static size_t signal_recorded(struct tree *t, int sig) {
  size_t hit = 0;
  for (size_t i = 0; i < t->n; i++) {
    struct proc p;
    if (read_proc(t->pid[i], &p) && p.start == t->start[i] && p.state != 'Z' && kill(t->pid[i], sig) == 0) hit++;
  }
  return hit;
}

size_t signal_tree(struct tree *t, pid_t root, int sig) {
  if (sig == SIGKILL) {
    /* Freeze first: a stopped process forks no more, so the record becomes complete. */
    if (root > 0) kill(root, SIGSTOP);
    for (int pass = 0; pass < 100; pass++) {
      size_t added = find(t, root);
      signal_recorded(t, SIGSTOP);
      if (!added && pass > 0) break;
    }
  } else {
    find(t, root);
  }
  if (root > 0) kill(root, sig);
  return signal_recorded(t, sig);
}

void free_tree(struct tree *t) {
  free(t->pid);
  free(t->start);
  t->pid = NULL;
  t->start = NULL;
  t->n = t->cap = 0;
}
