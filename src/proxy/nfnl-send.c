/*
 * Sends nf_tables batches to the kernel for the proxy's nftables mode. Node cannot open a netlink socket; this is the
 * only part of Skiff's nftables path that is not TypeScript, and it knows nothing of nf_tables: nft-netlink.ts encodes
 * every message. It runs as long as the proxy does (one start per proxy, not per sync) and reads requests on stdin,
 * each a 4-byte length in host order and that many bytes:
 *
 * - a batch (batch begin ... batch end), which goes out in a single sendmsg so the kernel applies it as one
 *   transaction. It prints a line "SEQ ERRNO MESSAGE" for every acknowledgement or error the kernel returned (ERRNO 0:
 *   acknowledged; MESSAGE: the kernel's extended ack, or "-"), then "end".
 * - with the length's top bit set, a script for `nft -f -`: the first byte is 't' for terse output (`nft -t`) or 'f',
 *   the rest goes to nft's stdin. It prints "nft STATUS OUTLEN ERRLEN", nft's stdout and stderr (that many bytes
 *   each), then "end". STATUS is nft's exit code (127: nft could not be started). Starting nft from this small
 *   process costs a fraction of a millisecond; from the proxy's Node process, with its large heap, ~15 ms.
 *
 * Exits 0 at the end of its input, 1 when the socket or a read fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/netlink.h>
#include <poll.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define NFT_REQUEST 0x80000000u

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Reads exactly n bytes; 0 at a clean end of input before any, -1 on error or a short read. */
static int read_full(unsigned char *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(0, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return got == 0 && r == 0 ? 0 : -1;
    got += (size_t)r;
  }
  return 1;
}

static void print_ack(const struct nlmsghdr *h) {
  const struct nlmsgerr *e = NLMSG_DATA(h);
  const char *text = "-";
  /* With NETLINK_CAP_ACK the original message is not echoed: extended-ack attributes follow the header. */
  if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
    const unsigned char *p = (const unsigned char *)e + sizeof(*e);
    const unsigned char *end = (const unsigned char *)h + h->nlmsg_len;
    while (p + sizeof(struct nlattr) <= end) {
      const struct nlattr *a = (const struct nlattr *)p;
      if (a->nla_len < sizeof(*a) || p + a->nla_len > end) break;
      if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) text = (const char *)(a + 1);
      p += NLA_ALIGN(a->nla_len);
    }
  }
  printf("%u %d %s\n", e->msg.nlmsg_seq, -e->error, text);
}

/* Sends one batch and prints what the kernel answered. Returns 0, or -1 when the socket failed. */
static int send_batch(int fd, const unsigned char *batch, size_t len) {
  /* The whole batch is one message to the socket: its send buffer must hold it (FORCE: beyond wmem_max, as root). */
  int sndbuf = (int)len + 65536;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, batch, len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return perror("nfnl-send: sendto"), -1;
  /* The kernel runs the batch inside sendto: every reply is queued by now. */
  static unsigned char reply[1 << 16];
  for (;;) {
    ssize_t r = recv(fd, reply, sizeof reply, MSG_DONTWAIT);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    if (r < 0) return perror("nfnl-send: recv"), -1;
    int left = (int)r;
    for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_ERROR) print_ack(h);
    }
  }
}

/* A growing byte buffer for nft's output. */
struct bytes {
  char *p;
  size_t len, cap;
};

/* Reads what fd has into b; returns 0 at its end, 1 while open, -1 on error. */
static int drain(int fd, struct bytes *b) {
  if (b->cap - b->len < 65536) {
    size_t cap = b->cap * 2 + 65536;
    char *p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p, b->cap = cap;
  }
  ssize_t r = read(fd, b->p + b->len, b->cap - b->len);
  if (r < 0) return errno == EINTR || errno == EAGAIN ? 1 : -1;
  b->len += (size_t)r;
  return r > 0;
}

/* Runs `nft [-t] -f -` with `script` on its stdin; prints its status and output as described above. */
static void run_nft(const unsigned char *req, size_t len) {
  struct bytes out = {0}, err = {0};
  int status = 127;
  int in[2] = {-1, -1}, o[2] = {-1, -1}, e[2] = {-1, -1};
  if (len < 1 || pipe2(in, O_CLOEXEC) < 0 || pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0) {
    for (int i = 0; i < 2; i++) {
      if (in[i] >= 0) close(in[i]);
      if (o[i] >= 0) close(o[i]);
    }
    err.p = strdup("nfnl-send: cannot make pipes for nft\n"), err.len = err.p ? strlen(err.p) : 0;
  } else {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, o[1], 1);
    posix_spawn_file_actions_adddup2(&fa, e[1], 2);
    /* nft gets SIGPIPE back at its default (this process ignores it). */
    posix_spawnattr_t attr;
    sigset_t pipe_only;
    posix_spawnattr_init(&attr);
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &pipe_only);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    char *terse[] = {"nft", "-t", "-f", "-", NULL}, *plain[] = {"nft", "-f", "-", NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "nft", &fa, &attr, req[0] == 't' ? terse : plain, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(in[0]), close(o[1]), close(e[1]);
    if (rc != 0) {
      close(in[1]), close(o[0]), close(e[0]);
      const char *why = rc == ENOENT ? "nft: command not found\n" : "nfnl-send: cannot start nft\n";
      err.p = strdup(why), err.len = err.p ? strlen(err.p) : 0;
    } else {
      /* Feed the script and read both outputs at once, so neither side waits on a full pipe. */
      const unsigned char *script = req + 1;
      size_t left = len - 1;
      int open_out = 1, open_err = 1, open_in = 1;
      if (left == 0) close(in[1]), open_in = 0;
      while (open_in || open_out || open_err) {
        struct pollfd fds[3] = {{open_in ? in[1] : -1, POLLOUT, 0}, {open_out ? o[0] : -1, POLLIN, 0}, {open_err ? e[0] : -1, POLLIN, 0}};
        if (poll(fds, 3, -1) < 0) {
          if (errno == EINTR) continue;
          break;
        }
        if (open_in && fds[0].revents) {
          ssize_t w = write(in[1], script, left > 65536 ? 65536 : left);
          if (w > 0) script += w, left -= (size_t)w;
          if ((w < 0 && errno != EINTR && errno != EAGAIN) || left == 0) close(in[1]), open_in = 0;
        }
        if (open_out && fds[1].revents && drain(o[0], &out) <= 0) close(o[0]), open_out = 0;
        if (open_err && fds[2].revents && drain(e[0], &err) <= 0) close(e[0]), open_err = 0;
      }
      int ws = 0;
      pid_t waited;
      while ((waited = waitpid(pid, &ws, 0)) < 0 && errno == EINTR) {
      }
      if (waited < 0) status = 128;
      else status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
    }
  }
  printf("nft %d %zu %zu\n", status, out.len, err.len);
  if (out.len) fwrite(out.p, 1, out.len, stdout);
  if (err.len) fwrite(err.p, 1, err.len, stdout);
  free(out.p), free(err.p);
}

int main(void) {
  /* nft's exit is collected by waitpid; a write to a pipe nft closed must fail, not end this process. */
  signal(SIGPIPE, SIG_IGN);
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) return perror("nfnl-send: netlink socket"), 1;
  int one = 1, rcvbuf = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  unsigned char *batch = NULL;
  size_t cap = 0;
  for (;;) {
    uint32_t len;
    int r = read_full((unsigned char *)&len, sizeof len);
    if (r == 0) return 0;
    if (r < 0) return perror("nfnl-send: reading a request"), 1;
    int nft = (len & NFT_REQUEST) != 0;
    len &= ~NFT_REQUEST;
    if (len > cap) {
      free(batch);
      batch = malloc(cap = len);
      if (!batch) return perror("nfnl-send: malloc"), 1;
    }
    if (len && read_full(batch, len) <= 0) return perror("nfnl-send: reading a request"), 1;
    if (nft) run_nft(batch, len);
    else if (send_batch(fd, batch, len) < 0) return 1;
    printf("end\n");
    fflush(stdout);
  }
}
