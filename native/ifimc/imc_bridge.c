/*
 * tnc-agent's IF-IMC 1.3 library: a TNC client (strongSwan's tnc-imc plugin) loads it as one IMC
 * and every call is relayed over a Unix socket to the tnc-agent daemon, which runs the IMC itself;
 * the daemon's messages come back during the call and go out through TNC_TNCC_SendMessageLong.
 * No posture logic lives here. Built once per IMC name (-DIMC_NAME="OS", see Makefile).
 * Environment: TNC_AGENT_IMC_SOCKET (default /run/tnc-agent/imc.sock), TNC_AGENT_IMC_TIMEOUT_MS
 * (default 5000): the most any one IF-IMC call may take, waiting for the lock, connecting and
 * talking to the daemon together (one monotonic deadline per call). After a failure the library
 * waits (1 s, doubling up to 30 s) before it tries the daemon again; calls in between fail at
 * once. Nothing connects at load: the first call does. When the TNC client offers
 * TNC_TNCC_RequestHandshakeRetry, a watcher thread keeps a second socket on which the daemon
 * asks for handshake retries (it saw the host change); the thread passes them on.
 * Licence: Apache-2.0.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tnc_ifimc.h"
#include "wire.h"

#ifndef IMC_NAME
#error "build with -DIMC_NAME=\"OS\" (see native/ifimc/Makefile)"
#endif

#define EXPORT __attribute__((visibility("default")))
#define DEFAULT_SOCKET "/run/tnc-agent/imc.sock"
#define MAX_TYPES 64
#define ATTR_BUF 256
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 30000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int initialized;
static TNC_IMCID imc_id;
static int fd = -1;
static int warned; /* the daemon is unreachable and that was logged already */
static char socket_path[108];
static int timeout_ms = 5000;
static long long retry_at; /* no connect attempt before this (monotonic ms) */
static int backoff_ms;
/* the retry watcher: its thread, whether it runs, and the flag that stops it */
static pthread_t watcher;
static int watching, stop_watching;

static struct {
  TNC_TNCC_ReportMessageTypesPointer report;
  TNC_TNCC_ReportMessageTypesLongPointer report_long;
  TNC_TNCC_SendMessagePointer send;
  TNC_TNCC_SendMessageLongPointer send_long;
  TNC_TNCC_GetAttributePointer get_attribute;
  TNC_TNCC_RequestHandshakeRetryPointer request_retry;
} tncc;

/* One line per event on stderr (the TNC client's journal), tagged as strongSwan tags IMC lines. */
static void note(const char *what, const char *detail) {
  fprintf(stderr, "[IMC] IMC %lu \"%s\" (tnc-agent bridge): %s%s%s\n", imc_id, IMC_NAME, what, detail ? ": " : "", detail ? detail : "");
}

/* The daemon failed us: no new attempt before the backoff has passed. */
static void back_off(void) {
  backoff_ms = backoff_ms ? (backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff_ms * 2) : BACKOFF_FIRST_MS;
  retry_at = wire_now_ms() + backoff_ms;
}

static void drop_session(const char *why) {
  if (fd >= 0) close(fd);
  fd = -1;
  if (why) {
    note("lost the tnc-agent daemon", why);
    back_off();
  }
}

static void start_watcher(void);

/* IF-IMC 1.3: the IMC reports the message types it wants; the daemon's IMC names them in WELCOME. */
static void report_types(struct rbuf *r) {
  uint16_t version = rbuf_u16(r), count = rbuf_u16(r);
  TNC_VendorID vendors[MAX_TYPES];
  TNC_MessageSubtype subtypes[MAX_TYPES];
  TNC_MessageType types[MAX_TYPES];
  unsigned n = 0;
  for (unsigned i = 0; i < count && !r->failed; i++) {
    uint32_t v = rbuf_u32(r), s = rbuf_u32(r);
    if (r->failed || n == MAX_TYPES) break;
    vendors[n] = v;
    subtypes[n] = s;
    types[n] = (TNC_MessageType)v << 8 | (s & 0xff);
    n++;
  }
  if (version != WIRE_VERSION || r->failed) {
    drop_session("malformed WELCOME");
    return;
  }
  if (tncc.report_long) tncc.report_long(imc_id, vendors, subtypes, n);
  else if (tncc.report) tncc.report(imc_id, types, n);
}

/* Connects and says HELLO unless a session is up; 0 when it is. Called with the lock held. */
static int session(long long deadline) {
  if (fd >= 0) return 0;
  if (wire_now_ms() < retry_at) return -1; /* backing off: fail at once */
  fd = wire_connect(socket_path, deadline);
  if (fd < 0) {
    if (!warned) note("cannot reach the tnc-agent daemon", strerror(errno));
    warned = 1;
    back_off();
    return -1;
  }
  struct wbuf hello = {0};
  wbuf_u16(&hello, WIRE_VERSION);
  wbuf_u32(&hello, (uint32_t)imc_id);
  wbuf_str(&hello, IMC_NAME);
  struct frame f;
  int ok = wire_write(fd, WIRE_HELLO, &hello, deadline) == 0 && wire_read(fd, &f, deadline) == 0;
  wbuf_free(&hello);
  if (!ok) {
    drop_session(errno == ETIMEDOUT ? "no answer to HELLO within TNC_AGENT_IMC_TIMEOUT_MS" : "no answer to HELLO");
    return -1;
  }
  struct rbuf r = {.p = f.payload, .len = f.len};
  if (f.type == WIRE_WELCOME) report_types(&r);
  else drop_session(f.type == WIRE_DONE ? "the daemon refused this IMC (see its log)" : "unexpected answer to HELLO");
  free(f.payload);
  if (fd < 0) return -1;
  if (warned) note("reached the tnc-agent daemon", socket_path);
  warned = 0;
  backoff_ms = 0;
  retry_at = 0;
  if (tncc.request_retry && !watching) start_watcher();
  return 0;
}

/* Passes one SEND frame to the TNCC; only the connection the call is about may be named. */
static int relay_send(struct rbuf *r, TNC_ConnectionID conn) {
  uint32_t c = rbuf_u32(r), flags = rbuf_u32(r), vendor = rbuf_u32(r), subtype = rbuf_u32(r), dest = rbuf_u32(r);
  if (r->failed || c != conn) return -1;
  TNC_BufferReference body = (TNC_BufferReference)(r->p + r->pos);
  TNC_UInt32 len = r->len - r->pos;
  if (tncc.send_long) return tncc.send_long(imc_id, conn, flags, body, len, vendor, subtype, dest) == TNC_RESULT_SUCCESS ? 0 : 1;
  /* IF-IMC 1.3: without the long form only non-exclusive, 8-bit-subtype messages can be sent */
  if (tncc.send && !(flags & TNC_MESSAGE_FLAGS_EXCLUSIVE) && vendor < TNC_VENDORID_ANY && subtype < TNC_SUBTYPE_ANY)
    return tncc.send(imc_id, conn, body, len, (TNC_MessageType)vendor << 8 | subtype) == TNC_RESULT_SUCCESS ? 0 : 1;
  return 1;
}

/* Sends one request and relays SEND frames until DONE; returns the daemon's result code. */
static TNC_Result exchange(uint8_t type, const struct wbuf *req, TNC_ConnectionID conn, long long deadline) {
  if (session(deadline) < 0) return TNC_RESULT_OTHER;
  if (wire_write(fd, type, req, deadline) < 0) {
    drop_session(strerror(errno));
    return TNC_RESULT_OTHER;
  }
  for (;;) {
    struct frame f;
    if (wire_read(fd, &f, deadline) < 0) {
      drop_session(errno == ETIMEDOUT ? "no answer within TNC_AGENT_IMC_TIMEOUT_MS" : "no answer (daemon stopped)");
      return TNC_RESULT_OTHER;
    }
    struct rbuf r = {.p = f.payload, .len = f.len};
    int bad = 0;
    TNC_Result result = TNC_RESULT_SUCCESS;
    if (f.type == WIRE_SEND) {
      int s = relay_send(&r, conn);
      bad = s < 0;
      if (s > 0) note("the TNC client did not accept a message", NULL);
    } else if (f.type == WIRE_DONE) {
      result = rbuf_u32(&r);
      bad = r.failed;
    } else {
      bad = 1;
    }
    free(f.payload);
    if (bad) {
      drop_session("malformed frame from the daemon");
      return TNC_RESULT_OTHER;
    }
    if (f.type == WIRE_DONE) return result;
  }
}

/* Takes the lock before `deadline` (another thread's call may hold it); 0 when held. */
static int lock_until(long long deadline) {
  struct timespec now, abs;
  clock_gettime(CLOCK_REALTIME, &now);
  long long left = deadline - wire_now_ms();
  if (left < 0) left = 0;
  abs.tv_sec = now.tv_sec + left / 1000;
  abs.tv_nsec = now.tv_nsec + (left % 1000) * 1000000L;
  if (abs.tv_nsec >= 1000000000L) {
    abs.tv_sec++;
    abs.tv_nsec -= 1000000000L;
  }
  return pthread_mutex_timedlock(&lock, &abs);
}

static TNC_Result call(uint8_t type, struct wbuf *req, TNC_ConnectionID conn) {
  if (req->failed) {
    wbuf_free(req);
    return TNC_RESULT_INVALID_PARAMETER;
  }
  long long deadline = wire_now_ms() + timeout_ms;
  TNC_Result r = TNC_RESULT_OTHER;
  if (lock_until(deadline) == 0) {
    r = exchange(type, req, conn, deadline);
    pthread_mutex_unlock(&lock);
  } else {
    note("another call holds the bridge past TNC_AGENT_IMC_TIMEOUT_MS", NULL);
  }
  wbuf_free(req);
  return r;
}

/* Sleeps up to `ms` unless told to stop. */
static void pause_watcher(int ms) {
  for (int waited = 0; waited < ms && !__atomic_load_n(&stop_watching, __ATOMIC_ACQUIRE); waited += 100) poll(NULL, 0, 100);
}

/* One watch session: WATCH, DONE, then RETRY frames until the socket ends or we are stopped. */
static void watch_once(void) {
  int w = wire_connect(socket_path, wire_now_ms() + timeout_ms);
  if (w < 0) return;
  struct wbuf b = {0};
  wbuf_u16(&b, WIRE_VERSION);
  wbuf_u32(&b, (uint32_t)imc_id);
  wbuf_str(&b, IMC_NAME);
  struct frame f;
  int ok = wire_write(w, WIRE_WATCH, &b, wire_now_ms() + timeout_ms) == 0 && wire_read(w, &f, wire_now_ms() + timeout_ms) == 0;
  wbuf_free(&b);
  if (ok) {
    ok = f.type == WIRE_DONE;
    free(f.payload);
  }
  while (ok && !__atomic_load_n(&stop_watching, __ATOMIC_ACQUIRE)) {
    struct pollfd p = {.fd = w, .events = POLLIN};
    if (poll(&p, 1, 200) <= 0) continue;
    if (wire_read(w, &f, wire_now_ms() + timeout_ms) < 0) break;
    struct rbuf r = {.p = f.payload, .len = f.len};
    uint32_t conn = rbuf_u32(&r), reason = rbuf_u32(&r);
    if (f.type == WIRE_RETRY && !r.failed && r.pos == r.len) {
      char detail[64];
      TNC_Result res = tncc.request_retry(imc_id, conn, reason);
      snprintf(detail, sizeof detail, "Connection ID %u, reason %u, result %lu", conn, reason, res);
      note("asked the TNC client for a handshake retry", detail);
    } else {
      ok = 0;
    }
    free(f.payload);
  }
  close(w);
}

/* IF-IMC 1.3 TNC_TNCC_RequestHandshakeRetry may be called at any time: the daemon's requests come in here. */
static void *watch(void *unused) {
  (void)unused;
  while (!__atomic_load_n(&stop_watching, __ATOMIC_ACQUIRE)) {
    watch_once();
    pause_watcher(BACKOFF_FIRST_MS);
  }
  return NULL;
}

static void start_watcher(void) {
  __atomic_store_n(&stop_watching, 0, __ATOMIC_RELEASE);
  watching = pthread_create(&watcher, NULL, watch, NULL) == 0;
}

static int bad_id(TNC_IMCID id) { return !initialized || id != imc_id; }

/* IF-IMC IDs and connection IDs travel as u32; a TNC client's unsigned long never exceeds that. */
static int fits32(TNC_UInt32 v) { return v <= 0xffffffffUL; }

EXPORT TNC_Result TNC_IMC_Initialize(TNC_IMCID imcID, TNC_Version minVersion, TNC_Version maxVersion, TNC_Version *pOutActualVersion) {
  if (initialized) return TNC_RESULT_ALREADY_INITIALIZED;
  if (!pOutActualVersion || !fits32(imcID)) return TNC_RESULT_INVALID_PARAMETER;
  if (minVersion > TNC_IFIMC_VERSION_1 || maxVersion < TNC_IFIMC_VERSION_1) return TNC_RESULT_NO_COMMON_VERSION;
  const char *path = getenv("TNC_AGENT_IMC_SOCKET"), *t = getenv("TNC_AGENT_IMC_TIMEOUT_MS");
  if (!path || !*path) path = DEFAULT_SOCKET;
  if (strlen(path) >= sizeof socket_path) return TNC_RESULT_INVALID_PARAMETER;
  strcpy(socket_path, path);
  if (t && atoi(t) > 0) timeout_ms = atoi(t);
  *pOutActualVersion = TNC_IFIMC_VERSION_1;
  imc_id = imcID;
  initialized = 1;
  return TNC_RESULT_SUCCESS;
}

static void *bind_one(TNC_TNCC_BindFunctionPointer bind, const char *name) {
  void *fn = NULL;
  return bind(imc_id, (char *)name, &fn) == TNC_RESULT_SUCCESS ? fn : NULL;
}

EXPORT TNC_Result TNC_IMC_ProvideBindFunction(TNC_IMCID imcID, TNC_TNCC_BindFunctionPointer bindFunction) {
  if (bad_id(imcID)) return TNC_RESULT_NOT_INITIALIZED;
  if (!bindFunction) return TNC_RESULT_INVALID_PARAMETER;
  pthread_mutex_lock(&lock);
  tncc.report = (TNC_TNCC_ReportMessageTypesPointer)bind_one(bindFunction, "TNC_TNCC_ReportMessageTypes");
  tncc.report_long = (TNC_TNCC_ReportMessageTypesLongPointer)bind_one(bindFunction, "TNC_TNCC_ReportMessageTypesLong");
  tncc.send = (TNC_TNCC_SendMessagePointer)bind_one(bindFunction, "TNC_TNCC_SendMessage");
  tncc.send_long = (TNC_TNCC_SendMessageLongPointer)bind_one(bindFunction, "TNC_TNCC_SendMessageLong");
  tncc.get_attribute = (TNC_TNCC_GetAttributePointer)bind_one(bindFunction, "TNC_TNCC_GetAttribute");
  tncc.request_retry = (TNC_TNCC_RequestHandshakeRetryPointer)bind_one(bindFunction, "TNC_TNCC_RequestHandshakeRetry");
  /* no connect here: loading must not wait for the daemon; the first call reports the message types */
  TNC_Result r = tncc.send || tncc.send_long ? TNC_RESULT_SUCCESS : TNC_RESULT_FATAL;
  pthread_mutex_unlock(&lock);
  return r;
}

/* A string attribute of the connection (empty when the TNCC has none). */
static void get_string(TNC_ConnectionID conn, TNC_AttributeID id, char out[ATTR_BUF]) {
  TNC_UInt32 len = 0;
  out[0] = 0;
  if (!tncc.get_attribute || tncc.get_attribute(imc_id, conn, id, ATTR_BUF - 1, (TNC_BufferReference)out, &len) != TNC_RESULT_SUCCESS) return;
  out[len < ATTR_BUF - 1 ? len : ATTR_BUF - 1] = 0;
}

static uint32_t get_uint(TNC_ConnectionID conn, TNC_AttributeID id) {
  unsigned char b[4];
  TNC_UInt32 len = 0;
  if (!tncc.get_attribute || tncc.get_attribute(imc_id, conn, id, 4, b, &len) != TNC_RESULT_SUCCESS || len != 4) return 0;
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

EXPORT TNC_Result TNC_IMC_NotifyConnectionChange(TNC_IMCID imcID, TNC_ConnectionID connectionID, TNC_ConnectionState newState) {
  if (bad_id(imcID)) return TNC_RESULT_NOT_INITIALIZED;
  if (!fits32(connectionID) || newState > TNC_CONNECTION_STATE_DELETE) return TNC_RESULT_INVALID_PARAMETER;
  char language[ATTR_BUF] = "", ift[ATTR_BUF] = "";
  uint32_t max_size = 0;
  if (newState == TNC_CONNECTION_STATE_CREATE) {
    get_string(connectionID, TNC_ATTRIBUTEID_PREFERRED_LANGUAGE, language);
    get_string(connectionID, TNC_ATTRIBUTEID_IFT_PROTOCOL, ift);
    max_size = get_uint(connectionID, TNC_ATTRIBUTEID_MAX_MESSAGE_SIZE);
  }
  struct wbuf b = {0};
  wbuf_u32(&b, (uint32_t)connectionID);
  wbuf_u8(&b, (uint8_t)newState);
  wbuf_u32(&b, max_size);
  wbuf_str(&b, language);
  wbuf_str(&b, ift);
  return call(WIRE_NOTIFY, &b, connectionID);
}

static TNC_Result conn_call(uint8_t type, TNC_IMCID imcID, TNC_ConnectionID connectionID) {
  if (bad_id(imcID)) return TNC_RESULT_NOT_INITIALIZED;
  if (!fits32(connectionID)) return TNC_RESULT_INVALID_PARAMETER;
  struct wbuf b = {0};
  wbuf_u32(&b, (uint32_t)connectionID);
  return call(type, &b, connectionID);
}

EXPORT TNC_Result TNC_IMC_BeginHandshake(TNC_IMCID imcID, TNC_ConnectionID connectionID) {
  return conn_call(WIRE_BEGIN, imcID, connectionID);
}

EXPORT TNC_Result TNC_IMC_BatchEnding(TNC_IMCID imcID, TNC_ConnectionID connectionID) {
  return conn_call(WIRE_BATCH_ENDING, imcID, connectionID);
}

EXPORT TNC_Result TNC_IMC_ReceiveMessageLong(TNC_IMCID imcID, TNC_ConnectionID connectionID, TNC_UInt32 messageFlags,
                                             TNC_BufferReference message, TNC_UInt32 messageLength, TNC_VendorID messageVendorID,
                                             TNC_MessageSubtype messageSubtype, TNC_UInt32 sourceIMVID, TNC_UInt32 destinationIMCID) {
  if (bad_id(imcID)) return TNC_RESULT_NOT_INITIALIZED;
  if (!fits32(connectionID) || !fits32(messageFlags) || !fits32(messageSubtype) || !fits32(sourceIMVID) || !fits32(destinationIMCID) ||
      messageVendorID >= TNC_VENDORID_ANY || (messageLength > 0 && !message) || messageLength > WIRE_MAX_FRAME)
    return TNC_RESULT_INVALID_PARAMETER;
  struct wbuf b = {0};
  wbuf_u32(&b, (uint32_t)connectionID);
  wbuf_u32(&b, (uint32_t)messageFlags);
  wbuf_u32(&b, (uint32_t)messageVendorID);
  wbuf_u32(&b, (uint32_t)messageSubtype);
  wbuf_u32(&b, (uint32_t)sourceIMVID);
  wbuf_u32(&b, (uint32_t)destinationIMCID);
  wbuf_bytes(&b, message, messageLength);
  return call(WIRE_RECEIVE, &b, connectionID);
}

/* IF-IMC 1.3: the short form's type is vendor << 8 | subtype, with no flags and no IDs. */
EXPORT TNC_Result TNC_IMC_ReceiveMessage(TNC_IMCID imcID, TNC_ConnectionID connectionID, TNC_BufferReference message,
                                         TNC_UInt32 messageLength, TNC_MessageType messageType) {
  if (!fits32(messageType)) return TNC_RESULT_INVALID_PARAMETER;
  return TNC_IMC_ReceiveMessageLong(imcID, connectionID, 0, message, messageLength, messageType >> 8, messageType & 0xff, TNC_IMVID_ANY,
                                    TNC_IMCID_ANY);
}

EXPORT TNC_Result TNC_IMC_Terminate(TNC_IMCID imcID) {
  if (bad_id(imcID)) return TNC_RESULT_NOT_INITIALIZED;
  if (watching) {
    __atomic_store_n(&stop_watching, 1, __ATOMIC_RELEASE);
    pthread_join(watcher, NULL);
    watching = 0;
  }
  long long deadline = wire_now_ms() + timeout_ms;
  int locked = lock_until(deadline) == 0;
  if (fd >= 0) {
    struct wbuf b = {0};
    exchange(WIRE_TERMINATE, &b, 0, deadline); /* best effort: the TNC client unloads us either way */
    drop_session(NULL);
  }
  memset(&tncc, 0, sizeof tncc);
  initialized = 0;
  warned = 0;
  backoff_ms = 0;
  retry_at = 0;
  if (locked) pthread_mutex_unlock(&lock);
  return TNC_RESULT_SUCCESS;
}
