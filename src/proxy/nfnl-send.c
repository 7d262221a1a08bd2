/*
 * Sends nf_tables batches to the kernel for the proxy's nftables mode. Node cannot open a netlink socket; this is the
 * only part of Skiff's nftables path that is not TypeScript, and it knows nothing of nf_tables: nft-netlink.ts encodes
 * every message. It runs as long as the proxy does (one start per proxy, not per sync) and reads requests on stdin:
 * a 4-byte length in host order, then a batch (batch begin ... batch end), which goes out in a single sendmsg so the
 * kernel applies it as one transaction. For each request it prints a line "SEQ ERRNO MESSAGE" for every
 * acknowledgement or error the kernel returned (ERRNO 0: acknowledged; MESSAGE: the kernel's extended ack, or "-"),
 * then "end". Exits 0 at the end of its input, 1 when the socket fails.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

int main(void) {
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
    if (len > cap) {
      free(batch);
      batch = malloc(cap = len);
      if (!batch) return perror("nfnl-send: malloc"), 1;
    }
    if (read_full(batch, len) <= 0) return perror("nfnl-send: reading a batch"), 1;
    if (send_batch(fd, batch, len) < 0) return 1;
    printf("end\n");
    fflush(stdout);
  }
}
