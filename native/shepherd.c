/*
 * The shepherd of one program the launcher starts: a fork of the launcher that starts the
 * program and stays its parent until the program exits.
 *
 * It is the program's child subreaper (PR_SET_CHILD_SUBREAPER): a process whose parent exits is
 * reparented to its nearest living subreaper ancestor, so while the shepherd lives every process
 * descended from the program is in the shepherd's subtree, also one that called setsid and was
 * double-forked (a daemon). That subtree is exactly "the task", without a cgroup (often not
 * writable in containers) and without the races of recording ancestry by walking /proc while
 * processes come and go: /proc is walked only to find the subtree's members at kill time.
 *
 * Signals it obeys (blocked, taken with sigtimedwait):
 *   SIGTERM  send SIGTERM to the program's group and every process of the subtree
 *   SIGUSR2  send SIGKILL to them, again every few ms, until the subtree is empty
 *            (also its PR_SET_PDEATHSIG: the launcher died)
 * Reports on a pipe: {i32 errno, i32 pid} once started, then {i32 wait status} when the program
 * exits. After the program exits it leaves at once when no kill was asked for (what the program
 * deliberately left behind reparents to the launcher and is left alone); after a kill, once the
 * subtree is empty.
 */
#define _GNU_SOURCE
#include "shepherd.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Between SIGKILL rounds: a killed parent's children reparent to us before the next scan. */
#define KILL_ROUND_NS (5 * 1000 * 1000)

static void write_all(int fd, const void *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p = (const char *)p + w;
    n -= (size_t)w;
  }
}

static int read_all(int fd, void *p, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    p = (char *)p + r;
    n -= (size_t)r;
  }
  return 1;
}

/* Parent pid of `pid` from /proc/PID/stat ("pid (comm) state ppid ..."), or -1. */
static pid_t parent_of(const char *pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%s/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *close_paren = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
  if (!close_paren || close_paren[1] == 0) return -1;
  char state;
  int ppid;
  if (sscanf(close_paren + 2, "%c %d", &state, &ppid) != 2) return -1;
  return (pid_t)ppid;
}

/*
 * Sends `sig` to every process of our subtree; returns how many there were. Collected from one
 * pass over /proc (pid, ppid pairs), then walked down from us, so a process found after its
 * parent is not missed.
 */
static size_t signal_subtree(int sig) {
  size_t n = 0, cap = 256;
  pid_t (*procs)[2] = malloc(cap * sizeof *procs);
  DIR *d = opendir("/proc");
  if (!d || !procs) {
    if (d) closedir(d);
    free(procs);
    return 0;
  }
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    pid_t ppid = parent_of(e->d_name);
    if (ppid <= 0) continue;
    if (n == cap) {
      pid_t (*bigger)[2] = realloc(procs, (cap *= 2) * sizeof *procs);
      if (!bigger) break;
      procs = bigger;
    }
    procs[n][0] = (pid_t)atoi(e->d_name);
    procs[n][1] = ppid;
    n++;
  }
  closedir(d);
  /* Breadth-first from us: `tree` holds the subtree found so far; each member's children join. */
  pid_t *tree = malloc((n + 1) * sizeof *tree);
  size_t found = 0;
  if (tree) {
    tree[found++] = getpid();
    for (size_t head = 0; head < found; head++)
      for (size_t i = 0; i < n; i++)
        if (procs[i][1] == tree[head] && procs[i][0] != tree[head]) tree[found++] = procs[i][0];
    for (size_t i = 1; i < found; i++) kill(tree[i], sig);
  }
  free(tree);
  free(procs);
  return found ? found - 1 : 0;
}

/* Reaps whatever exited; the program's status goes to the report pipe. 1 once we have no child. */
static int reap_all(pid_t program, int report, int *program_done) {
  for (;;) {
    int status;
    pid_t p = waitpid(-1, &status, WNOHANG);
    if (p == program) {
      int32_t s = status;
      write_all(report, &s, sizeof s);
      *program_done = 1;
      continue;
    }
    if (p > 0) continue;
    return p < 0 && errno == ECHILD;
  }
}

static void supervise(pid_t program, int report) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR2);
  int program_done = 0, killing = 0;
  for (;;) {
    int none = reap_all(program, report, &program_done);
    if (program_done && (!killing || none)) _exit(0);
    if (killing == SIGKILL) {
      if (!program_done) kill(-program, SIGKILL); /* once reaped, its pid may be reused */
      signal_subtree(SIGKILL);
    }
    struct timespec round = {0, KILL_ROUND_NS};
    int sig = sigtimedwait(&set, NULL, killing == SIGKILL ? &round : NULL);
    if (sig == SIGTERM && killing != SIGKILL) {
      killing = SIGTERM;
      if (!program_done) kill(-program, SIGTERM);
      signal_subtree(SIGTERM);
    }
    if (sig == SIGUSR2) killing = SIGKILL;
  }
}

pid_t start_shepherd(start_fn start, void *arg, const int *close_fds, size_t nclose, int *report) {
  int rep[2];
  if (pipe2(rep, O_CLOEXEC) < 0) return -1;
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int saved = errno;
    close(rep[0]);
    close(rep[1]);
    errno = saved;
    return -1;
  }
  if (pid > 0) {
    close(rep[1]);
    *report = rep[0];
    return pid;
  }
  /* The shepherd: hold none of the launcher's pipes (Node's requests and events, other
     programs' output), so their ends close when their owners close them. */
  close(rep[0]);
  close(STDIN_FILENO);
  close(STDOUT_FILENO);
  for (size_t i = 0; i < nclose; i++)
    if (close_fds[i] >= 0) close(close_fds[i]);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, NULL);
  signal(SIGCHLD, SIG_DFL); /* the launcher's handler writes to a pipe we do not hold */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  prctl(PR_SET_PDEATHSIG, SIGUSR2);
  int32_t started[2] = {0, 0};
  if (getppid() != parent) {
    started[0] = ESRCH; /* the launcher died before we could be told */
    write_all(rep[1], started, sizeof started);
    _exit(0);
  }
  pid_t program;
  started[0] = start(arg, &program);
  started[1] = started[0] ? 0 : program;
  write_all(rep[1], started, sizeof started);
  if (started[0]) _exit(0);
  supervise(program, rep[1]);
  _exit(0);
}

int read_started(int report, pid_t *pid) {
  int32_t started[2];
  if (!read_all(report, started, sizeof started)) return EPIPE;
  *pid = started[1];
  return started[0];
}

int read_exit(int report, int *status) {
  int32_t s;
  if (!read_all(report, &s, sizeof s)) return 0;
  *status = s;
  return 1;
}

void signal_shepherd(pid_t shepherd, int sig) {
  if (shepherd > 0) kill(shepherd, sig == SIGKILL ? SIGUSR2 : SIGTERM);
}
