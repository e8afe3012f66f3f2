/* Frame I/O and field encoding for the bridge protocol (wire.h). Licence: Apache-2.0. */
#include "wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <poll.h>
#include <time.h>
#include <sys/un.h>
#include <unistd.h>

static int wbuf_reserve(struct wbuf *b, size_t n) {
  if (b->failed) return -1;
  if (n > WIRE_MAX_FRAME || b->len + n > WIRE_MAX_FRAME) {
    b->failed = 1;
    return -1;
  }
  if (b->len + n <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + n) cap *= 2;
  unsigned char *p = realloc(b->p, cap);
  if (!p) {
    b->failed = 1;
    return -1;
  }
  b->p = p;
  b->cap = cap;
  return 0;
}

void wbuf_bytes(struct wbuf *b, const void *p, size_t n) {
  if (n == 0 || wbuf_reserve(b, n) < 0) return;
  memcpy(b->p + b->len, p, n);
  b->len += n;
}

void wbuf_u8(struct wbuf *b, uint8_t v) { wbuf_bytes(b, &v, 1); }

void wbuf_u16(struct wbuf *b, uint16_t v) {
  unsigned char x[2] = {(unsigned char)(v >> 8), (unsigned char)v};
  wbuf_bytes(b, x, 2);
}

void wbuf_u32(struct wbuf *b, uint32_t v) {
  unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
  wbuf_bytes(b, x, 4);
}

void wbuf_str(struct wbuf *b, const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n > 0xffff) n = 0xffff;
  wbuf_u16(b, (uint16_t)n);
  wbuf_bytes(b, s, n);
}

void wbuf_free(struct wbuf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

static const unsigned char *rbuf_take(struct rbuf *r, size_t n) {
  if (r->failed || n > r->len - r->pos) {
    r->failed = 1;
    return NULL;
  }
  const unsigned char *p = r->p + r->pos;
  r->pos += n;
  return p;
}

uint16_t rbuf_u16(struct rbuf *r) {
  const unsigned char *p = rbuf_take(r, 2);
  return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

uint32_t rbuf_u32(struct rbuf *r) {
  const unsigned char *p = rbuf_take(r, 4);
  return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

long long wire_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits until fd is ready for `events` or the deadline passes: 0 ready, -1 (errno ETIMEDOUT) past it. */
static int wait_for(int fd, short events, long long deadline) {
  for (;;) {
    long long left = deadline - wire_now_ms();
    if (left <= 0) {
      errno = ETIMEDOUT;
      return -1;
    }
    struct pollfd p = {.fd = fd, .events = events};
    int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n > 0) return 0; /* readable, writable, or an error/hang-up the next call reports */
  }
}

int wire_connect(const char *path, long long deadline) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(addr.sun_path, path);
  /* non-blocking: connect to a listener whose backlog is full returns EAGAIN instead of waiting */
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int e = errno;
    int err = 0;
    socklen_t len = sizeof err;
    if (e != EINPROGRESS || wait_for(fd, POLLOUT, deadline) < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
      e = err ? err : errno ? errno : e;
      close(fd);
      errno = e;
      return -1;
    }
  }
  return fd;
}

static int write_all(int fd, const unsigned char *p, size_t n, long long deadline) {
  while (n > 0) {
    if (wait_for(fd, POLLOUT, deadline) < 0) return -1;
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT); /* a daemon gone must not kill the TNC client with SIGPIPE */
    if (w < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_all(int fd, unsigned char *p, size_t n, long long deadline) {
  while (n > 0) {
    if (wait_for(fd, POLLIN, deadline) < 0) return -1;
    ssize_t r = recv(fd, p, n, MSG_DONTWAIT);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) return -1; /* error or EOF */
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

int wire_write(int fd, uint8_t type, const struct wbuf *payload, long long deadline) {
  if (payload->failed) return -1;
  uint32_t len = (uint32_t)payload->len + 1;
  unsigned char head[5] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8), (unsigned char)len, type};
  return write_all(fd, head, sizeof head, deadline) < 0 || write_all(fd, payload->p, payload->len, deadline) < 0 ? -1 : 0;
}

int wire_read(int fd, struct frame *f, long long deadline) {
  unsigned char head[5];
  memset(f, 0, sizeof *f);
  if (read_all(fd, head, sizeof head, deadline) < 0) return -1;
  uint32_t len = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
  if (len < 1 || len > WIRE_MAX_FRAME) return -1;
  f->type = head[4];
  f->len = len - 1;
  /* grow as bytes arrive: the buffer never exceeds what the peer has really sent plus one chunk */
  size_t have = 0, cap = 0;
  while (have < f->len) {
    size_t chunk = f->len - have < 65536 ? f->len - have : 65536;
    if (have + chunk > cap) {
      cap = cap ? cap * 2 : 65536;
      if (cap > f->len) cap = f->len;
      unsigned char *p = realloc(f->payload, cap);
      if (!p) break;
      f->payload = p;
    }
    if (read_all(fd, f->payload + have, chunk, deadline) < 0) break;
    have += chunk;
  }
  if (have < f->len) {
    free(f->payload);
    f->payload = NULL;
    return -1;
  }
  return 0;
}
