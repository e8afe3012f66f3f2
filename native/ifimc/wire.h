/*
 * The bridge protocol between the IF-IMC library and the tnc-agent daemon (docs/vpn.md):
 * frames of [u32 length][u8 type][payload] on a Unix stream socket, big-endian, where length
 * counts the type byte and the payload. Every I/O call takes one monotonic deadline for the whole
 * IF-IMC call, so a daemon that hangs or trickles bytes cannot hold the caller past it.
 * Licence: Apache-2.0.
 */
#ifndef TNC_AGENT_WIRE_H
#define TNC_AGENT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_VERSION 1
/* Largest frame either side accepts: a PA-TNC message up to 16 MiB plus its fields. */
#define WIRE_MAX_FRAME ((16u << 20) + 64u)

enum wire_type {
  WIRE_HELLO = 0x01,
  WIRE_NOTIFY = 0x02,
  WIRE_BEGIN = 0x03,
  WIRE_RECEIVE = 0x04,
  WIRE_BATCH_ENDING = 0x05,
  WIRE_TERMINATE = 0x06,
  WIRE_WATCH = 0x07,
  WIRE_WELCOME = 0x81,
  WIRE_SEND = 0x82,
  WIRE_DONE = 0x83,
  WIRE_RETRY = 0x84,
};

/* A growable output buffer; `failed` sticks after an allocation failure or an oversized field. */
struct wbuf {
  unsigned char *p;
  size_t len, cap;
  int failed;
};
void wbuf_u8(struct wbuf *b, uint8_t v);
void wbuf_u16(struct wbuf *b, uint16_t v);
void wbuf_u32(struct wbuf *b, uint32_t v);
void wbuf_bytes(struct wbuf *b, const void *p, size_t n);
/* u16 length-prefixed string (truncated to 0xffff bytes). */
void wbuf_str(struct wbuf *b, const char *s);
void wbuf_free(struct wbuf *b);

/* A bounds-checked reader over a received payload; `failed` sticks once a field runs short. */
struct rbuf {
  const unsigned char *p;
  size_t len, pos;
  int failed;
};
uint16_t rbuf_u16(struct rbuf *r);
uint32_t rbuf_u32(struct rbuf *r);

struct frame {
  uint8_t type;
  unsigned char *payload; /* malloc'd, len bytes */
  size_t len;
};

/* Milliseconds on the monotonic clock; a deadline is now_ms() + budget. */
long long wire_now_ms(void);
/* Connects to the daemon's socket before `deadline`; -1 with errno (ETIMEDOUT past it). */
int wire_connect(const char *path, long long deadline);
/* 0 on success, -1 on an I/O error or past `deadline` (never raises SIGPIPE). */
int wire_write(int fd, uint8_t type, const struct wbuf *payload, long long deadline);
/* 0 on success, -1 on I/O error, EOF, a length outside [1, WIRE_MAX_FRAME] or past `deadline`. */
int wire_read(int fd, struct frame *f, long long deadline);

#endif
