/*
 * A minimal TNC client (TNCC) for testing the IF-IMC bridge library as strongSwan would use it:
 * dlopen, dlsym of every TNC_IMC_* function, Initialize, ProvideBindFunction with our bind
 * function, then one IF-IMC call per command line on stdin. Events go to stdout, one per line:
 *   types V/S ...          TNC_TNCC_ReportMessageTypesLong (or the short form: "types-short T ...")
 *   send IMC CONN FLAGS VENDOR SUBTYPE IMV HEX   TNC_TNCC_SendMessageLong
 *   ok RESULT              after every command
 *   retry IMC CONN REASON  TNC_TNCC_RequestHandshakeRetry (at any time, from any thread)
 *   error TEXT             a broken IF-IMC rule (e.g. SendMessage outside a call)
 * Commands: create CONN MAXSIZE LANG | state CONN N | begin CONN | end CONN
 *           recv CONN FLAGS VENDOR SUBTYPE SRCIMV DSTIMC HEX | recvshort CONN TYPE HEX | quit
 * Usage: harness LIBRARY IMCID [long|short|noretry]   ("short" binds only the short message
 * functions, "noretry" everything but TNC_TNCC_RequestHandshakeRetry).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../native/ifimc/tnc_ifimc.h"

static struct {
  TNC_Result (*initialize)(TNC_IMCID, TNC_Version, TNC_Version, TNC_Version *);
  TNC_Result (*notify)(TNC_IMCID, TNC_ConnectionID, TNC_ConnectionState);
  TNC_Result (*begin)(TNC_IMCID, TNC_ConnectionID);
  TNC_Result (*receive)(TNC_IMCID, TNC_ConnectionID, TNC_BufferReference, TNC_UInt32, TNC_MessageType);
  TNC_Result (*receive_long)(TNC_IMCID, TNC_ConnectionID, TNC_UInt32, TNC_BufferReference, TNC_UInt32, TNC_VendorID, TNC_MessageSubtype,
                             TNC_UInt32, TNC_UInt32);
  TNC_Result (*batch_ending)(TNC_IMCID, TNC_ConnectionID);
  TNC_Result (*terminate)(TNC_IMCID);
  TNC_Result (*provide_bind)(TNC_IMCID, TNC_TNCC_BindFunctionPointer);
} imc;

static TNC_IMCID my_imc;
static int in_call, short_only, no_retry;
static char language[64] = "en";
static unsigned long max_size;

static void hex_out(const unsigned char *p, TNC_UInt32 n) {
  for (TNC_UInt32 i = 0; i < n; i++) printf("%02x", p[i]);
  if (n == 0) printf("-");
}

static TNC_Result report_long(TNC_IMCID id, TNC_VendorID *vendors, TNC_MessageSubtype *subtypes, TNC_UInt32 count) {
  if (id != my_imc) printf("error report for IMC %lu\n", id);
  printf("types");
  for (TNC_UInt32 i = 0; i < count; i++) printf(" %lu/%lu", vendors[i], subtypes[i]);
  printf("\n");
  return TNC_RESULT_SUCCESS;
}

static TNC_Result report_short(TNC_IMCID id, TNC_MessageType *types, TNC_UInt32 count) {
  (void)id;
  printf("types-short");
  for (TNC_UInt32 i = 0; i < count; i++) printf(" %lu", types[i]);
  printf("\n");
  return TNC_RESULT_SUCCESS;
}

static TNC_Result send_long(TNC_IMCID id, TNC_ConnectionID conn, TNC_UInt32 flags, TNC_BufferReference msg, TNC_UInt32 len,
                            TNC_VendorID vendor, TNC_MessageSubtype subtype, TNC_UInt32 imv) {
  /* IF-IMC 1.3: an IMC may send only during BeginHandshake, ReceiveMessage or BatchEnding */
  if (!in_call) printf("error SendMessage outside a call\n");
  printf("send %lu %lu %lu %lu %lu %lu ", id, conn, flags, vendor, subtype, imv);
  hex_out(msg, len);
  printf("\n");
  return TNC_RESULT_SUCCESS;
}

static TNC_Result send_short(TNC_IMCID id, TNC_ConnectionID conn, TNC_BufferReference msg, TNC_UInt32 len, TNC_MessageType type) {
  return send_long(id, conn, 0, msg, len, type >> 8, type & 0xff, TNC_IMVID_ANY);
}

static TNC_Result get_attribute(TNC_IMCID id, TNC_ConnectionID conn, TNC_AttributeID attr, TNC_UInt32 buflen, TNC_BufferReference buf,
                                TNC_UInt32 *outlen) {
  (void)id;
  (void)conn;
  if (attr == TNC_ATTRIBUTEID_PREFERRED_LANGUAGE || attr == TNC_ATTRIBUTEID_IFT_PROTOCOL) {
    const char *v = attr == TNC_ATTRIBUTEID_PREFERRED_LANGUAGE ? language : "IF-T for Tunneled EAP";
    *outlen = strlen(v) + 1;
    if (buflen >= *outlen) memcpy(buf, v, *outlen);
    return TNC_RESULT_SUCCESS;
  }
  if (attr == TNC_ATTRIBUTEID_MAX_MESSAGE_SIZE && buflen >= 4) {
    unsigned char b[4] = {(unsigned char)(max_size >> 24), (unsigned char)(max_size >> 16), (unsigned char)(max_size >> 8), (unsigned char)max_size};
    memcpy(buf, b, 4);
    *outlen = 4;
    return TNC_RESULT_SUCCESS;
  }
  return TNC_RESULT_INVALID_PARAMETER;
}

static TNC_Result request_retry(TNC_IMCID id, TNC_ConnectionID conn, TNC_RetryReason reason) {
  printf("retry %lu %lu %lu\n", id, conn, reason);
  return TNC_RESULT_SUCCESS;
}

static TNC_Result tncc_bind(TNC_IMCID id, char *name, void **out) {
  (void)id;
  *out = NULL;
  if (!strcmp(name, "TNC_TNCC_ReportMessageTypes")) *out = (void *)report_short;
  else if (!strcmp(name, "TNC_TNCC_SendMessage")) *out = (void *)send_short;
  else if (!strcmp(name, "TNC_TNCC_GetAttribute")) *out = (void *)get_attribute;
  else if (!short_only && !strcmp(name, "TNC_TNCC_ReportMessageTypesLong")) *out = (void *)report_long;
  else if (!short_only && !strcmp(name, "TNC_TNCC_SendMessageLong")) *out = (void *)send_long;
  else if (!short_only && !no_retry && !strcmp(name, "TNC_TNCC_RequestHandshakeRetry")) *out = (void *)request_retry;
  return *out ? TNC_RESULT_SUCCESS : TNC_RESULT_INVALID_PARAMETER;
}

static void *must(void *lib, const char *name) {
  void *f = dlsym(lib, name);
  if (!f) {
    printf("error missing %s\n", name);
    exit(2);
  }
  return f;
}

/* Decodes hex in place ("-" is empty); returns the byte count or -1. */
static long unhex(char *s) {
  if (!strcmp(s, "-")) return 0;
  size_t n = strlen(s);
  if (n % 2) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
    s[i] = (char)v;
  }
  return (long)(n / 2);
}

static TNC_Result run(char *line) {
  unsigned long c, a, b, d, e, f;
  static char hexbuf[1 << 22];
  TNC_Result r = TNC_RESULT_INVALID_PARAMETER;
  in_call = 1;
  if (sscanf(line, "create %lu %lu %63s", &c, &max_size, language) == 3) r = imc.notify(my_imc, c, TNC_CONNECTION_STATE_CREATE);
  else if (sscanf(line, "state %lu %lu", &c, &a) == 2) r = imc.notify(my_imc, c, a);
  else if (sscanf(line, "begin %lu", &c) == 1) r = imc.begin(my_imc, c);
  else if (sscanf(line, "end %lu", &c) == 1) r = imc.batch_ending(my_imc, c);
  else if (sscanf(line, "recv %lu %lu %lu %lu %lu %lu %4194303s", &c, &a, &b, &d, &e, &f, hexbuf) == 7) {
    long n = unhex(hexbuf);
    if (n >= 0) r = imc.receive_long(my_imc, c, a, (TNC_BufferReference)hexbuf, n, b, d, e, f);
  } else if (sscanf(line, "recvshort %lu %lu %4194303s", &c, &a, hexbuf) == 3) {
    long n = unhex(hexbuf);
    if (n >= 0) r = imc.receive(my_imc, c, (TNC_BufferReference)hexbuf, n, a);
  } else printf("error unknown command\n");
  in_call = 0;
  return r;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s LIBRARY IMCID [long|short]\n", argv[0]);
    return 2;
  }
  short_only = argc > 3 && !strcmp(argv[3], "short");
  no_retry = argc > 3 && !strcmp(argv[3], "noretry");
  my_imc = strtoul(argv[2], NULL, 10);
  setvbuf(stdout, NULL, _IOLBF, 0);
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    printf("error dlopen %s\n", dlerror());
    return 2;
  }
  *(void **)&imc.initialize = must(lib, "TNC_IMC_Initialize");
  *(void **)&imc.notify = must(lib, "TNC_IMC_NotifyConnectionChange");
  *(void **)&imc.begin = must(lib, "TNC_IMC_BeginHandshake");
  *(void **)&imc.receive = must(lib, "TNC_IMC_ReceiveMessage");
  *(void **)&imc.receive_long = must(lib, "TNC_IMC_ReceiveMessageLong");
  *(void **)&imc.batch_ending = must(lib, "TNC_IMC_BatchEnding");
  *(void **)&imc.terminate = must(lib, "TNC_IMC_Terminate");
  *(void **)&imc.provide_bind = must(lib, "TNC_IMC_ProvideBindFunction");
  TNC_Version v = 0;
  TNC_Result r = imc.initialize(my_imc, TNC_IFIMC_VERSION_1, TNC_IFIMC_VERSION_1, &v);
  printf("init %lu %lu\n", r, v);
  printf("bind %lu\n", imc.provide_bind(my_imc, tncc_bind));
  static char line[(1 << 23) + 256];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    if (!strcmp(line, "quit")) break;
    printf("ok %lu\n", run(line));
  }
  printf("ok %lu\n", imc.terminate(my_imc));
  dlclose(lib);
  return 0;
}
