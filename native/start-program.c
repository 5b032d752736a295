/*
 * Starting one program: vfork, set the child up, exec. What posix_spawn did before, plus one
 * thing posix_spawn cannot do: the program is made its own child subreaper
 * (prctl(PR_SET_CHILD_SUBREAPER), kept across execve). A process of the task whose parent exits
 * is then reparented to the task's main program instead of to init, so while the task runs
 * every process descended from it — also one that called setsid and was double-forked — is in
 * its subtree, where a kill finds it (process-tree.c). The program's parent stays the launcher,
 * so $PPID is the same for every task of a run, as it was.
 *
 * vfork: the child shares our memory until it execs (no copy of our page tables, and the exec
 * error comes back through `failure`); it only makes system calls, on data prepared before.
 */
#define _GNU_SOURCE
#include "start-program.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* PATH of the environment the program gets (as libuv's execvp does), else the default. */
static const char *path_of(char **envp) {
  for (char **e = envp; *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0) return *e + 5;
  return "/usr/local/bin:/usr/bin:/bin";
}

/* The files to try, in order: argv[0] itself when it holds a '/', else each PATH entry's match
   (an empty entry is the current directory). NULL-terminated; one allocation. */
static char **candidates(const char *name, char **envp) {
  if (strchr(name, '/')) {
    char **list = calloc(2, sizeof *list);
    if (list) list[0] = strdup(name);
    return list;
  }
  const char *path = path_of(envp);
  size_t n = 1, nlen = strlen(name);
  for (const char *p = path; *p; p++) n += *p == ':';
  char **list = calloc(n + 1, sizeof *list);
  if (!list) return NULL;
  size_t i = 0;
  for (const char *p = path;; p++) {
    const char *colon = strchrnul(p, ':');
    size_t dlen = (size_t)(colon - p);
    char *full = malloc(dlen + nlen + 2);
    if (!full) break;
    if (dlen == 0) {
      memcpy(full, name, nlen + 1);
    } else {
      memcpy(full, p, dlen);
      full[dlen] = '/';
      memcpy(full + dlen + 1, name, nlen + 1);
    }
    list[i++] = full;
    if (!*colon) break;
    p = colon;
  }
  return list;
}

static void free_list(char **list) {
  if (list)
    for (char **x = list; *x; x++) free(*x);
  free(list);
}

/* The signals the launcher ignores; the program gets them at their default again (as
   posix_spawn's SETSIGDEF did). Handled ones return to default by themselves at exec. */
static const int IGNORED_BY_US[] = {SIGPIPE, SIGINT, SIGHUP, SIGQUIT};

int start_program(pid_t *pid, char **argv, char **envp, const char *cwd, int out, int err) {
  char **volatile files = candidates(argv[0], envp);
  size_t argc = 0;
  while (argv[argc]) argc++;
  char **volatile shv = calloc(argc + 2, sizeof *shv); /* execvp's fallback: /bin/sh FILE ARGS… */
  if (!files || !shv) {
    free_list(files);
    free(shv);
    return ENOMEM;
  }
  shv[0] = "/bin/sh";
  for (size_t i = 1; i < argc; i++) shv[i + 1] = argv[i];

  /* No signal handler of ours may run in the child while it shares our memory. */
  sigset_t all, saved;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &saved);
  volatile int failure = 0;
  pid_t child = vfork();
  if (child == 0) {
    setpgid(0, 0);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) {
      failure = errno;
      _exit(127);
    }
    if (null > 2) close(null);
    if (cwd[0] && chdir(cwd) < 0) {
      failure = errno;
      _exit(127);
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    for (size_t i = 0; i < sizeof IGNORED_BY_US / sizeof *IGNORED_BY_US; i++) signal(IGNORED_BY_US[i], SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* As execvp: skip missing entries, remember EACCES, run a file without #! with /bin/sh. */
    int rc = ENOENT, denied = 0;
    for (char **f = files; *f; f++) {
      execve(*f, argv, envp);
      rc = errno;
      if (rc == ENOEXEC) {
        shv[1] = *f;
        execve("/bin/sh", shv, envp);
        rc = errno;
      }
      if (rc == EACCES) denied = 1;
      if (rc != ENOENT && rc != ENOTDIR && rc != EACCES) break;
    }
    failure = denied ? EACCES : rc;
    _exit(127);
  }
  int rc = child < 0 ? errno : failure;
  sigprocmask(SIG_SETMASK, &saved, NULL);
  free_list(files);
  free(shv);
  if (child > 0 && rc != 0) waitpid(child, NULL, 0); /* exited already: reap it here */
  if (rc == 0) *pid = child;
  return rc;
}
