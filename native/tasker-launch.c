/*
 * tasker-launch: a small fork server for the Node runner (shared/exec/launcher.ts).
 *
 * Why: Node forks its whole ~50 MB process for every child (libuv uses fork), which costs
 * about 2 ms here; this process is a few hundred KB, so fork + exec from it costs what bash
 * pays. Node sends spawn requests on our stdin; we start each program in its own process
 * group with stdout/stderr on pipes, relay their output as frames on our stdout, and report
 * the exit status. Node keeps every decision (timeouts, kills, capture); we only launch,
 * relay and reap. Per-stream pause/resume gives Node backpressure.
 *
 * Wire format (integers little-endian):
 *   request  = u32 length, u8 op, u32 id, body          (length counts op, id and body)
 *     'S' spawn:  str cwd (empty = ours), u32 argc, argc × str, u32 envc, envc × str
 *     'A' spawn after: u32 predecessor id, then as 'S' (see "chained starts")
 *     'K' cancel a chained start (no body)
 *     'P' pause / 'R' resume / 'C' close: u8 stream (1 = stdout, 2 = stderr)
 *     'T' kill the program's whole tree: u8 signal (SIGTERM, or SIGKILL which ends the kill)
 *   str      = u32 length, bytes
 *   event    = u32 length, u8 type, u32 id, body
 *     'h' hello (id = protocol version)   'p' started: i32 pid
 *     'e' failed to start: i32 errno, str stage
 *     'd' data: u8 stream, bytes            'z' end of stream: u8 stream
 *     'x' exited: u8 how (0 = code, 1 = signal), i32 value
 *     'k' a chained start was not made (predecessor failed, or cancelled)
 *
 * Each program is its own child subreaper (start-program.c), so every process descended from it
 * stays linked to it in /proc while it runs, also one that left its group with setsid and was
 * double-forked; 'T' signals that whole tree (process-tree.c), and what it found is remembered,
 * so the SIGKILL after the grace period reaches those the program's death orphaned. A program
 * that exits on its own is not killed: what it left behind on purpose (an init script's daemon)
 * is left alone.
 *
 * When our stdin closes (the Node process is gone, for whatever reason), every program still
 * running gets its tree killed: SIGTERM, then SIGKILL after a grace period, and we exit: nothing
 * outlives the run that started it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "process-tree.h"
#include "start-program.h"

#define PROTOCOL_VERSION 3
#define CHUNK (64 * 1024)
#define MAX_REQUEST (64u * 1024u * 1024u)
#define KILL_GRACE_MS 2000
/* How long a 'started' event may wait for company (see hold_until_us). */
#define HOLD_STARTED_US 5000

struct child {
  uint32_t id;
  pid_t pid;      /* 0 once reaped */
  pid_t pgid;     /* the group it leads; members may outlive it */
  int fd[3];      /* [1] stdout, [2] stderr read ends; -1 when closed */
  int paused[3];
  int waited;     /* already waited briefly for its exit after its streams ended */
  struct tree tree; /* its processes found by kills so far */
  int term_pending; /* got SIGTERM, SIGKILL to follow: kept (with `tree`) until then */
  struct child *next;
};

static struct child *children;
static int sigchld_pipe[2];
static char chunk[CHUNK];

static void die(const char *what) {
  fprintf(stderr, "tasker-launch: %s: %s\n", what, strerror(errno));
  exit(70);
}

/* ---- output to Node -------------------------------------------------------------------- */

/* Events are collected during one turn of the main loop and written together, so Node wakes
   once for "stdout ended, stderr ended, exited" instead of three times. */
static unsigned char *obuf;
static size_t olen, ocap;

/* A 'started' event alone is not worth waking Node for: Node needs the pid only to kill a
   program that outlives its timeout, and a short program's end of output and exit status follow
   within a fraction of a millisecond. So while only 'started' events wait, they are held for up
   to HOLD_STARTED_US and go out with whatever comes next: with two programs in flight, Node woke
   ~25 % less often (strace, parallelr -m 2 over 1000 files). Any other event ends the hold at the
   end of its turn, so output and exits are never delayed. */
static long long hold_until_us; /* 0 = nothing held */
static int urgent;              /* an event other than 'started' was queued this turn */

static long long now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void flush(void) {
  size_t off = 0;
  while (off < olen) {
    ssize_t w = write(STDOUT_FILENO, obuf + off, olen - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      break; /* Node is gone: the stdin EOF path cleans up */
    }
    off += (size_t)w;
  }
  olen = 0;
}

static void append(const void *p, size_t n) {
  if (olen + n > ocap) {
    while (olen + n > ocap) ocap = ocap ? ocap * 2 : 256 * 1024;
    obuf = realloc(obuf, ocap);
    if (!obuf) die("out of memory");
  }
  memcpy(obuf + olen, p, n);
  olen += n;
}

static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* An event: header (length, type, id), then up to two body parts. */
static void send_event(char type, uint32_t id, const void *a, size_t alen, const void *b, size_t blen) {
  unsigned char head[9];
  put_u32(head, (uint32_t)(1 + 4 + alen + blen));
  head[4] = (unsigned char)type;
  put_u32(head + 5, id);
  if (type != 'p') urgent = 1;
  append(head, 9);
  if (alen) append(a, alen);
  if (blen) append(b, blen);
  if (olen >= 256 * 1024) flush();
}

static void send_i32(char type, uint32_t id, int32_t v) {
  unsigned char b[4];
  put_u32(b, (uint32_t)v);
  send_event(type, id, b, 4, NULL, 0);
}

static void send_failed(uint32_t id, int err, const char *stage) {
  unsigned char b[8];
  put_u32(b, (uint32_t)err);
  put_u32(b + 4, (uint32_t)strlen(stage));
  send_event('e', id, b, 8, stage, strlen(stage));
}

/* ---- children ---------------------------------------------------------------------------- */

/*
 * Signal every process of the program's tree, then its group (members that hold its pipes after
 * it exited). The tree first: a program that died of the group signal before the tree was read
 * would have handed its children to init, out of sight.
 */
static void kill_tree(struct child *c, int sig) {
  c->term_pending = sig == SIGTERM;
  signal_tree(&c->tree, c->pid, sig);
  if (c->pid > 0 || c->fd[1] >= 0 || c->fd[2] >= 0) kill(-c->pgid, sig);
}

static struct child *find(uint32_t id) {
  for (struct child *c = children; c; c = c->next)
    if (c->id == id) return c;
  return NULL;
}

static void close_stream(struct child *c, int s) {
  if (c->fd[s] >= 0) {
    close(c->fd[s]);
    c->fd[s] = -1;
  }
}

/* Forget children that are reaped and whose streams are closed. */
static void sweep(void) {
  struct child **pp = &children;
  while (*pp) {
    struct child *c = *pp;
    if (c->pid == 0 && c->fd[1] < 0 && c->fd[2] < 0 && !c->term_pending) {
      *pp = c->next;
      free_tree(&c->tree);
      free(c);
    } else {
      pp = &c->next;
    }
  }
}

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  ssize_t ignored = write(sigchld_pipe[1], "x", 1);
  (void)ignored;
  errno = saved;
}

/* Exit of recently reaped children, so a chain request that arrives after its predecessor ended
   is still decided correctly. */
#define RECENT 256
static struct {
  uint32_t id;
  int ok; /* exited normally with status 0 */
} recent[RECENT];
static unsigned recent_next;

static void remember_exit(uint32_t id, int ok) {
  recent[recent_next % RECENT].id = id;
  recent[recent_next % RECENT].ok = ok;
  recent_next++;
}

static void reap(void) {
  char drain[64];
  while (read(sigchld_pipe[0], drain, sizeof drain) > 0) {
  }
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    for (struct child *c = children; c; c = c->next) {
      if (c->pid != pid) continue;
      c->pid = 0;
      unsigned char b[5];
      if (WIFSIGNALED(status)) {
        b[0] = 1;
        put_u32(b + 1, (uint32_t)WTERMSIG(status));
      } else {
        b[0] = 0;
        put_u32(b + 1, (uint32_t)WEXITSTATUS(status));
      }
      send_event('x', c->id, b, 5, NULL, 0);
      remember_exit(c->id, WIFEXITED(status) && WEXITSTATUS(status) == 0);
      break;
    }
  }
}

static void free_list(char **list) {
  if (list)
    for (char **x = list; *x; x++) free(*x);
  free(list);
}

/* A length-prefixed string at *p (advanced past it); NULL when the request is too short. */
static char *read_str(const unsigned char **p, const unsigned char *end) {
  if (end - *p < 4) return NULL;
  uint32_t len = get_u32(*p);
  if ((size_t)(end - *p - 4) < len) return NULL;
  char *s = strndup((const char *)*p + 4, len);
  *p += 4 + len;
  return s;
}

/* A count, then that many strings: a NULL-terminated array; NULL when malformed (or empty and
   `need_one`). */
static char **read_list(const unsigned char **p, const unsigned char *end, int need_one) {
  if (end - *p < 4) return NULL;
  uint32_t n = get_u32(*p);
  *p += 4;
  if ((need_one && n == 0) || n > (uint32_t)(end - *p) / 4) return NULL;
  char **list = calloc(n + 1, sizeof *list);
  for (uint32_t i = 0; i < n; i++) {
    if (!(list[i] = read_str(p, end))) {
      free_list(list);
      return NULL;
    }
  }
  return list;
}

/* A parsed spawn request: what to start. */
struct spec {
  char *cwd;
  char **argv;
  char **envp;
};

static void free_spec(struct spec *sp) {
  free(sp->cwd);
  free_list(sp->argv);
  free_list(sp->envp);
}

/* Parse a spawn body (cwd, argv, env); 0 when malformed. */
static int parse_spec(struct spec *sp, const unsigned char *p, const unsigned char *end) {
  sp->cwd = read_str(&p, end);
  sp->argv = sp->cwd ? read_list(&p, end, 1) : NULL;
  sp->envp = sp->argv ? read_list(&p, end, 0) : NULL;
  if (sp->envp) return 1;
  free_spec(sp);
  return 0;
}

/* Start a parsed request as child `id`: 'started' or 'failed to start'. */
static void launch(uint32_t id, const struct spec *sp) {
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
    send_failed(id, errno, "pipe");
    goto done;
  }
  pid_t pid;
  int rc = start_program(&pid, sp->argv, sp->envp, sp->cwd, out[1], err[1]);
  if (rc != 0) {
    send_failed(id, rc, "exec");
    goto done;
  }
  struct child *c = calloc(1, sizeof *c);
  c->id = id;
  c->pid = pid;
  c->pgid = pid;
  c->fd[0] = -1;
  c->fd[1] = out[0];
  c->fd[2] = err[0];
  out[0] = err[0] = -1;
  c->next = children;
  children = c;
  send_i32('p', id, (int32_t)pid);
  if (!hold_until_us) hold_until_us = now_us() + HOLD_STARTED_US;

done:
  for (int i = 0; i < 2; i++) {
    if (out[i] >= 0) close(out[i]);
    if (err[i] >= 0) close(err[i]);
  }
}

static void do_spawn(uint32_t id, const unsigned char *p, const unsigned char *end) {
  struct spec sp;
  if (!parse_spec(&sp, p, end)) {
    send_failed(id, EINVAL, "request");
    return;
  }
  launch(id, &sp);
  free_spec(&sp);
}

/* ---- chained starts ------------------------------------------------------------------------ */

/*
 * 'A' asks to start a program as soon as another one (`after`) has exited with status 0, without
 * a round trip through Node: the engine sends it for the next task of a sequence when that task's
 * route on success is certain. Node cancels it ('K') before it kills the predecessor (timeout,
 * stop), so a killed program never gets a follower. It ends in exactly one event: 'p' (started),
 * 'e' (failed to start) or 'k' (not started: the predecessor failed, or cancelled).
 */
struct chained {
  uint32_t id, after;
  struct spec sp;
  struct chained *next;
};
static struct chained *chains;

static void do_chain(uint32_t id, const unsigned char *p, const unsigned char *end) {
  struct chained *ch = calloc(1, sizeof *ch);
  if (end - p < 4 || !parse_spec(&ch->sp, p + 4, end)) {
    free(ch);
    send_failed(id, EINVAL, "request");
    return;
  }
  ch->id = id;
  ch->after = get_u32(p);
  ch->next = chains;
  chains = ch;
}

static void cancel_chain(uint32_t id) {
  for (struct chained **pp = &chains; *pp; pp = &(*pp)->next) {
    struct chained *ch = *pp;
    if (ch->id != id) continue;
    *pp = ch->next;
    send_event('k', id, NULL, 0, NULL, 0);
    free_spec(&ch->sp);
    free(ch);
    return;
  }
}

/* -1 while `id` runs, else whether it exited with status 0 (unknown ids count as failed). */
static int exit_ok(uint32_t id) {
  struct child *c = find(id);
  if (c && c->pid > 0) return -1;
  for (unsigned i = 0; i < RECENT && i < recent_next; i++) {
    unsigned k = (recent_next - 1 - i) % RECENT;
    if (recent[k].id == id) return recent[k].ok;
  }
  return 0;
}

/* Start or drop every chained request whose predecessor has ended. Called once a turn, after
   the turn's requests: a cancel Node wrote before killing the predecessor is always read first
   (it was in our stdin before the kill, so before the exit we saw). Not while more requests wait
   unread: one of them may be that cancel. */
static void run_chains(void) {
  if (!chains) return;
  struct pollfd in = {STDIN_FILENO, POLLIN, 0};
  if (poll(&in, 1, 0) > 0) return;
  for (struct chained **pp = &chains; *pp;) {
    struct chained *ch = *pp;
    int ok = exit_ok(ch->after);
    if (ok < 0) {
      pp = &ch->next;
      continue;
    }
    *pp = ch->next;
    if (ok) {
      /* Node learns of the predecessor's end now, and records it while this one starts; it
         needs this one's pid at once too, to send the start that follows it. */
      flush();
      launch(ch->id, &ch->sp);
      urgent = 1;
    } else {
      send_event('k', ch->id, NULL, 0, NULL, 0);
    }
    free_spec(&ch->sp);
    free(ch);
  }
}

static void handle_request(const unsigned char *p, uint32_t len) {
  if (len < 5) return;
  char op = (char)p[0];
  uint32_t id = get_u32(p + 1);
  const unsigned char *body = p + 5, *end = p + len;
  if (op == 'S') {
    do_spawn(id, body, end);
    return;
  }
  if (op == 'A') {
    do_chain(id, body, end);
    return;
  }
  if (op == 'K') {
    cancel_chain(id);
    return;
  }
  struct child *c = find(id);
  if (!c || end - body < 1) return;
  if (op == 'T') {
    kill_tree(c, body[0] == SIGKILL ? SIGKILL : SIGTERM);
    return;
  }
  int s = body[0];
  if (s != 1 && s != 2) return;
  if (op == 'P') c->paused[s] = 1;
  if (op == 'R') c->paused[s] = 0;
  if (op == 'C') close_stream(c, s);
  sweep();
}

/* ---- shutdown when Node is gone ---------------------------------------------------------- */


/* Every tree whose program runs, or whose pipes are still open (members may hold them), or
   whose kill already began. */
static void kill_all(int sig) {
  for (struct child *c = children; c; c = c->next)
    if (c->pid > 0 || c->fd[1] >= 0 || c->fd[2] >= 0 || c->tree.n > 0) kill_tree(c, sig);
}

static void orphaned(void) {
  kill_all(SIGTERM);
  long long deadline = now_us() + KILL_GRACE_MS * 1000LL;
  for (;;) {
    reap();
    int alive = 0;
    for (struct child *c = children; c; c = c->next) alive |= c->pid > 0;
    if (!alive || now_us() >= deadline) break;
    struct pollfd pfd = {sigchld_pipe[0], POLLIN, 0};
    poll(&pfd, 1, 50);
  }
  kill_all(SIGKILL);
  reap();
  flush();
  exit(0);
}

/* ---- main loop ----------------------------------------------------------------------------- */

int main(void) {
  if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) < 0) die("pipe");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  /* Terminal signals belong to the Node process; it decides what to kill. */
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);

  send_event('h', PROTOCOL_VERSION, NULL, 0, NULL, 0);
  flush();

  size_t cap = 64 * 1024, have = 0;
  unsigned char *in = malloc(cap);
  struct pollfd *pfds = NULL;
  struct child **owners = NULL;
  int *streams = NULL;
  size_t pcap = 0;

  for (;;) {
    size_t n = 0, want = 2;
    for (struct child *c = children; c; c = c->next) want += 2;
    if (want > pcap) {
      pcap = want * 2;
      pfds = realloc(pfds, pcap * sizeof *pfds);
      owners = realloc(owners, pcap * sizeof *owners);
      streams = realloc(streams, pcap * sizeof *streams);
    }
    pfds[n++] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
    pfds[n++] = (struct pollfd){sigchld_pipe[0], POLLIN, 0};
    for (struct child *c = children; c; c = c->next)
      for (int s = 1; s <= 2; s++)
        if (c->fd[s] >= 0 && !c->paused[s]) {
          owners[n] = c;
          streams[n] = s;
          pfds[n++] = (struct pollfd){c->fd[s], POLLIN, 0};
        }
    struct timespec wait, *timeout = NULL;
    if (hold_until_us) {
      long long left = hold_until_us - now_us();
      if (left < 0) left = 0;
      wait.tv_sec = (time_t)(left / 1000000);
      wait.tv_nsec = (long)(left % 1000000) * 1000;
      timeout = &wait;
    }
    if (ppoll(pfds, n, timeout, NULL) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    /* Output first: a program that ended usually has its EOFs ready too, so Node gets them
       before the exit status and can settle the run at once. Then requests, so a 'C' for a
       stream never races data we already read. */
    for (size_t i = 2; i < n; i++) {
      if (!pfds[i].revents) continue;
      struct child *c = owners[i];
      int s = streams[i];
      ssize_t r;
      do r = read(c->fd[s], chunk, sizeof chunk);
      while (r < 0 && errno == EINTR);
      if (r > 0) {
        unsigned char sb = (unsigned char)s;
        send_event('d', c->id, &sb, 1, chunk, (size_t)r);
      } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        unsigned char sb = (unsigned char)s;
        close_stream(c, s);
        send_event('z', c->id, &sb, 1, NULL, 0);
      }
    }
    /* Both streams of a running child just ended: it is exiting; its SIGCHLD follows within
       microseconds, so wait for it (briefly: a program may close its output and go on). */
    int ending = 0;
    for (struct child *c = children; c; c = c->next) ending |= c->pid > 0 && c->fd[1] < 0 && c->fd[2] < 0 && !c->waited;
    if (ending && !pfds[1].revents) {
      struct pollfd sp = {sigchld_pipe[0], POLLIN, 0};
      if (poll(&sp, 1, 2) > 0) pfds[1].revents = POLLIN;
      for (struct child *c = children; c; c = c->next) c->waited |= c->fd[1] < 0 && c->fd[2] < 0;
    }
    if (pfds[1].revents) reap();
    if (pfds[0].revents) {
      if (have == cap) {
        cap *= 2;
        in = realloc(in, cap);
      }
      ssize_t r = read(STDIN_FILENO, in + have, cap - have);
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) orphaned();
      if (r > 0) have += (size_t)r;
      size_t off = 0;
      while (have - off >= 4) {
        uint32_t len = get_u32(in + off);
        if (len > MAX_REQUEST) {
          fprintf(stderr, "tasker-launch: request of %u bytes refused\n", len);
          orphaned();
        }
        if (have - off - 4 < len) {
          if (len + 4 > cap) {
            while (cap < len + 4) cap *= 2;
            unsigned char *bigger = malloc(cap);
            memcpy(bigger, in + off, have - off);
            free(in);
            in = bigger;
            have -= off;
            off = 0;
          }
          break;
        }
        handle_request(in + off + 4, len);
        off += 4 + len;
      }
      if (off > 0) {
        memmove(in, in + off, have - off);
        have -= off;
      }
    }
    run_chains();
    sweep();
    if (urgent || !hold_until_us || now_us() >= hold_until_us) {
      flush();
      hold_until_us = 0;
    }
    urgent = 0;
  }
}
