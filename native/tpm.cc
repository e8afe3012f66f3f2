// SPDX-License-Identifier: Apache-2.0
// Thin N-API binding to tpm2-tss ESYS. Every operation runs on the libuv thread pool
// (Napi::AsyncWorker) and resolves a Promise. Calls on one context are queued in JS
// (src/tpm/addon.ts `serialized`), so at most one job per context occupies a pool thread; the
// mutex below only guards against a caller that bypasses that queue.
// Structures cross the boundary as TPM-marshalled bytes (Tss2_MU): all parsing is TypeScript.
#include <napi.h>

#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

namespace {

using Bytes = std::vector<uint8_t>;

// What a job hands back to JS: named byte strings and numbers.
struct Result {
  std::map<std::string, Bytes> bufs;
  std::map<std::string, double> nums;
};

// A failed call: which ESYS function and its response code.
struct Failure {
  std::string op;
  TSS2_RC rc;
};

template <typename T>
struct EsysFree {
  void operator()(T* p) const { Esys_Free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, EsysFree<T>>;

// TPM 2.0 Part 2 6.6.3: RETRY, YIELDED and TESTING ask the caller to resubmit; ESYS does that
// itself (each Esys_*_Finish resubmits up to its maximum), so a failure here is final: no sleeping
// retry loop that would hold a pool thread.
void check(const char* op, const std::function<TSS2_RC()>& call) {
  TSS2_RC rc = call();
  if (rc != TSS2_RC_SUCCESS) throw Failure{op, rc};
}

template <typename T>
Bytes marshal(const T& value, TSS2_RC (*fn)(const T*, uint8_t*, size_t, size_t*)) {
  Bytes out(sizeof(T) + 64);
  size_t off = 0;
  check("Tss2_MU marshal", [&] { return fn(&value, out.data(), out.size(), &off); });
  out.resize(off);
  return out;
}

template <typename T>
T unmarshal(const Bytes& in, TSS2_RC (*fn)(const uint8_t*, size_t, size_t*, T*), const char* what) {
  T value;
  std::memset(&value, 0, sizeof value);
  size_t off = 0;
  check(what, [&] { return fn(in.data(), in.size(), &off, &value); });
  if (off != in.size()) throw Failure{what, TSS2_MU_RC_BAD_SIZE};
  return value;
}

class Context;
using Job = std::function<void(Context&, Result&)>;

class Context : public Napi::ObjectWrap<Context> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Context(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Context>(info) {}
  ~Context() override { closeNow(); }

  std::mutex mu;
  TSS2_TCTI_CONTEXT* tcti = nullptr;
  ESYS_CONTEXT* esys = nullptr;

  ESYS_CONTEXT* ctx() {
    if (esys == nullptr) throw Failure{"context not open", TSS2_ESYS_RC_BAD_REFERENCE};
    return esys;
  }

  void closeNow() {
    if (esys != nullptr) Esys_Finalize(&esys);
    if (tcti != nullptr) Tss2_TctiLdr_Finalize(&tcti);
    esys = nullptr;
    tcti = nullptr;
  }

  // Resolves a handle that lives in the TPM (persistent, NV) to an ESYS_TR.
  ESYS_TR fromTpm(uint32_t handle) {
    ESYS_TR tr = ESYS_TR_NONE;
    check("Esys_TR_FromTPMPublic", [&] {
      return Esys_TR_FromTPMPublic(ctx(), handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr);
    });
    return tr;
  }

  // Closes an ESYS_TR for a persistent or NV handle (no TPM command).
  void release(ESYS_TR tr) {
    if (tr != ESYS_TR_NONE && esys != nullptr) Esys_TR_Close(esys, &tr);
  }

  // Unloads a transient object or session (ignoring failures: cleanup only).
  void flush(ESYS_TR tr) {
    if (tr != ESYS_TR_NONE && esys != nullptr) Esys_FlushContext(esys, tr);
  }

 private:
  Napi::Value Run(const Napi::CallbackInfo& info, Job job);
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Startup(const Napi::CallbackInfo& info);
  Napi::Value GetCapability(const Napi::CallbackInfo& info);
  Napi::Value PcrRead(const Napi::CallbackInfo& info);
  Napi::Value PcrExtend(const Napi::CallbackInfo& info);
  Napi::Value Quote(const Napi::CallbackInfo& info);
  Napi::Value ReadPublic(const Napi::CallbackInfo& info);
  Napi::Value ProvisionAk(const Napi::CallbackInfo& info);
  Napi::Value EvictPersistent(const Napi::CallbackInfo& info);
  Napi::Value NvRead(const Napi::CallbackInfo& info);
  Napi::Value GetRandom(const Napi::CallbackInfo& info);
};

class Worker : public Napi::AsyncWorker {
 public:
  Worker(Napi::Env env, Context* owner, Napi::Object self, Job job)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), owner_(owner), job_(std::move(job)) {
    self_ = Napi::Persistent(self);  // keeps the context alive while the job runs
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    std::lock_guard<std::mutex> lock(owner_->mu);
    try {
      job_(*owner_, result_);
    } catch (const Failure& f) {
      failure_ = f;
      failed_ = true;
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    self_.Reset();
    if (failed_) {
      Napi::Error err = Napi::Error::New(env, failure_.op + ": " + Tss2_RC_Decode(failure_.rc));
      err.Set("rc", Napi::Number::New(env, failure_.rc));
      err.Set("op", Napi::String::New(env, failure_.op));
      err.Set("text", Napi::String::New(env, Tss2_RC_Decode(failure_.rc)));
      deferred_.Reject(err.Value());
      return;
    }
    Napi::Object out = Napi::Object::New(env);
    for (auto& [k, v] : result_.bufs) out.Set(k, Napi::Buffer<uint8_t>::Copy(env, v.data(), v.size()));
    for (auto& [k, v] : result_.nums) out.Set(k, Napi::Number::New(env, v));
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& e) override {
    self_.Reset();
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Context* owner_;
  Napi::ObjectReference self_;
  Job job_;
  Result result_;
  Failure failure_{"", 0};
  bool failed_ = false;
};

Napi::Value Context::Run(const Napi::CallbackInfo& info, Job job) {
  auto* w = new Worker(info.Env(), this, info.This().As<Napi::Object>(), std::move(job));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

uint32_t argU32(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().Uint32Value();
}

Bytes argBytes(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsBuffer()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a Buffer");
  auto b = info[i].As<Napi::Buffer<uint8_t>>();
  return Bytes(b.Data(), b.Data() + b.Length());
}

Napi::Value Context::Open(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "tcti must be a string");
  std::string conf = info[0].As<Napi::String>();
  return Run(info, [conf](Context& c, Result&) {
    c.closeNow();
    check("Tss2_TctiLdr_Initialize", [&] { return Tss2_TctiLdr_Initialize(conf.c_str(), &c.tcti); });
    try {
      check("Esys_Initialize", [&] { return Esys_Initialize(&c.esys, c.tcti, nullptr); });
    } catch (const Failure&) {
      c.closeNow();
      throw;
    }
  });
}

Napi::Value Context::Close(const Napi::CallbackInfo& info) {
  return Run(info, [](Context& c, Result&) { c.closeNow(); });
}

// Lab and tests only: TPM2_Startup(CLEAR or STATE).
Napi::Value Context::Startup(const Napi::CallbackInfo& info) {
  TPM2_SU type = argU32(info, 0) ? TPM2_SU_STATE : TPM2_SU_CLEAR;
  return Run(info, [type](Context& c, Result&) {
    check("Esys_Startup", [&] { return Esys_Startup(c.ctx(), type); });
  });
}

// getCapability(capability, property, count) -> { moreData, data: TPMS_CAPABILITY_DATA }
Napi::Value Context::GetCapability(const Napi::CallbackInfo& info) {
  uint32_t cap = argU32(info, 0), prop = argU32(info, 1), count = argU32(info, 2);
  return Run(info, [cap, prop, count](Context& c, Result& r) {
    TPMI_YES_NO more = 0;
    TPMS_CAPABILITY_DATA* raw = nullptr;
    check("Esys_GetCapability", [&] {
      return Esys_GetCapability(c.ctx(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, cap, prop, count, &more, &raw);
    });
    Owned<TPMS_CAPABILITY_DATA> data(raw);
    r.nums["moreData"] = more;
    r.bufs["data"] = marshal(*data, Tss2_MU_TPMS_CAPABILITY_DATA_Marshal);
  });
}

// pcrRead(TPML_PCR_SELECTION) -> { updateCounter, selection: TPML_PCR_SELECTION, values: TPML_DIGEST }
Napi::Value Context::PcrRead(const Napi::CallbackInfo& info) {
  Bytes sel = argBytes(info, 0);
  return Run(info, [sel](Context& c, Result& r) {
    auto in = unmarshal(sel, Tss2_MU_TPML_PCR_SELECTION_Unmarshal, "PCR selection");
    UINT32 counter = 0;
    TPML_PCR_SELECTION* outSel = nullptr;
    TPML_DIGEST* values = nullptr;
    check("Esys_PCR_Read", [&] {
      return Esys_PCR_Read(c.ctx(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &in, &counter, &outSel, &values);
    });
    Owned<TPML_PCR_SELECTION> s(outSel);
    Owned<TPML_DIGEST> v(values);
    r.nums["updateCounter"] = counter;
    r.bufs["selection"] = marshal(*s, Tss2_MU_TPML_PCR_SELECTION_Marshal);
    r.bufs["values"] = marshal(*v, Tss2_MU_TPML_DIGEST_Marshal);
  });
}

// Lab and tests only: pcrExtend(index, TPML_DIGEST_VALUES).
Napi::Value Context::PcrExtend(const Napi::CallbackInfo& info) {
  uint32_t index = argU32(info, 0);
  Bytes digests = argBytes(info, 1);
  return Run(info, [index, digests](Context& c, Result&) {
    auto in = unmarshal(digests, Tss2_MU_TPML_DIGEST_VALUES_Unmarshal, "PCR digests");
    check("Esys_PCR_Extend", [&] {
      return Esys_PCR_Extend(c.ctx(), ESYS_TR_PCR0 + index, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &in);
    });
  });
}

// quote(akHandle, qualifyingData, TPML_PCR_SELECTION, TPMT_SIG_SCHEME) -> { attest, signature }
Napi::Value Context::Quote(const Napi::CallbackInfo& info) {
  uint32_t handle = argU32(info, 0);
  Bytes nonce = argBytes(info, 1), sel = argBytes(info, 2), scheme = argBytes(info, 3);
  return Run(info, [=](Context& c, Result& r) {
    TPM2B_DATA qualifying{};
    if (nonce.size() > sizeof qualifying.buffer) throw Failure{"qualifying data", TSS2_ESYS_RC_BAD_VALUE};
    qualifying.size = static_cast<UINT16>(nonce.size());
    std::memcpy(qualifying.buffer, nonce.data(), nonce.size());
    auto pcrs = unmarshal(sel, Tss2_MU_TPML_PCR_SELECTION_Unmarshal, "PCR selection");
    auto inScheme = unmarshal(scheme, Tss2_MU_TPMT_SIG_SCHEME_Unmarshal, "signature scheme");
    ESYS_TR ak = c.fromTpm(handle);
    TPM2B_ATTEST* quoted = nullptr;
    TPMT_SIGNATURE* sig = nullptr;
    try {
      check("Esys_Quote", [&] {
        return Esys_Quote(c.ctx(), ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying, &inScheme, &pcrs,
                          &quoted, &sig);
      });
    } catch (const Failure&) {
      c.release(ak);
      throw;
    }
    c.release(ak);
    Owned<TPM2B_ATTEST> q(quoted);
    Owned<TPMT_SIGNATURE> s(sig);
    r.bufs["attest"] = Bytes(q->attestationData, q->attestationData + q->size);
    r.bufs["signature"] = marshal(*s, Tss2_MU_TPMT_SIGNATURE_Marshal);
  });
}

// readPublic(handle) -> { public: TPMT_PUBLIC, name }
Napi::Value Context::ReadPublic(const Napi::CallbackInfo& info) {
  uint32_t handle = argU32(info, 0);
  return Run(info, [handle](Context& c, Result& r) {
    ESYS_TR tr = c.fromTpm(handle);
    TPM2B_PUBLIC* pub = nullptr;
    TPM2B_NAME *name = nullptr, *qname = nullptr;
    TSS2_RC rc = Esys_ReadPublic(c.ctx(), tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name, &qname);
    c.release(tr);
    if (rc != TSS2_RC_SUCCESS) throw Failure{"Esys_ReadPublic", rc};
    Owned<TPM2B_PUBLIC> p(pub);
    Owned<TPM2B_NAME> n(name), qn(qname);
    r.bufs["public"] = marshal(p->publicArea, Tss2_MU_TPMT_PUBLIC_Marshal);
    r.bufs["name"] = Bytes(n->name, n->name + n->size);
  });
}

// A policy session satisfying PolicySecret(TPM_RH_ENDORSEMENT): the authPolicy of the TCG
// default EK templates (TCG EK Credential Profile 2.0, B.3.3).
ESYS_TR endorsementPolicySession(Context& c) {
  TPMT_SYM_DEF sym{};
  sym.algorithm = TPM2_ALG_NULL;
  ESYS_TR sess = ESYS_TR_NONE;
  check("Esys_StartAuthSession", [&] {
    return Esys_StartAuthSession(c.ctx(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, nullptr,
                                 TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256, &sess);
  });
  TPM2B_TIMEOUT* timeout = nullptr;
  TPMT_TK_AUTH* ticket = nullptr;
  TSS2_RC rc = Esys_PolicySecret(c.ctx(), ESYS_TR_RH_ENDORSEMENT, sess, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                 nullptr, nullptr, nullptr, 0, &timeout, &ticket);
  Esys_Free(timeout);
  Esys_Free(ticket);
  if (rc != TSS2_RC_SUCCESS) {
    c.flush(sess);
    throw Failure{"Esys_PolicySecret", rc};
  }
  return sess;
}

// Creates the EK primary from ekTemplate, an AK under it from akTemplate, and persists the AK.
void provision(Context& c, const TPM2B_PUBLIC& ekT, const TPM2B_PUBLIC& akT, uint32_t handle, Result& r) {
  TPM2B_SENSITIVE_CREATE noSecret{};
  TPM2B_DATA noOutside{};
  TPML_PCR_SELECTION noPcrs{};
  ESYS_TR ek = ESYS_TR_NONE, ak = ESYS_TR_NONE, sess = ESYS_TR_NONE, persisted = ESYS_TR_NONE;
  auto cleanup = [&] {
    c.flush(sess);
    c.flush(ak);
    c.flush(ek);
    c.release(persisted);
  };
  try {
    TPM2B_PUBLIC* ekPub = nullptr;
    check("Esys_CreatePrimary", [&] {
      return Esys_CreatePrimary(c.ctx(), ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                &noSecret, &ekT, &noOutside, &noPcrs, &ek, &ekPub, nullptr, nullptr, nullptr);
    });
    Owned<TPM2B_PUBLIC> ekOut(ekPub);
    sess = endorsementPolicySession(c);
    TPM2B_PRIVATE* priv = nullptr;
    TPM2B_PUBLIC* akPub = nullptr;
    check("Esys_Create", [&] {
      return Esys_Create(c.ctx(), ek, sess, ESYS_TR_NONE, ESYS_TR_NONE, &noSecret, &akT, &noOutside, &noPcrs, &priv,
                         &akPub, nullptr, nullptr, nullptr);
    });
    Owned<TPM2B_PRIVATE> akPriv(priv);
    Owned<TPM2B_PUBLIC> akOut(akPub);
    c.flush(sess);
    sess = endorsementPolicySession(c);
    check("Esys_Load", [&] {
      return Esys_Load(c.ctx(), ek, sess, ESYS_TR_NONE, ESYS_TR_NONE, akPriv.get(), akOut.get(), &ak);
    });
    check("Esys_EvictControl", [&] {
      return Esys_EvictControl(c.ctx(), ESYS_TR_RH_OWNER, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, handle,
                               &persisted);
    });
    r.bufs["ek"] = marshal(ekOut->publicArea, Tss2_MU_TPMT_PUBLIC_Marshal);
    r.bufs["ak"] = marshal(akOut->publicArea, Tss2_MU_TPMT_PUBLIC_Marshal);
  } catch (const Failure&) {
    cleanup();
    throw;
  }
  cleanup();
}

TPM2B_PUBLIC publicTemplate(const Bytes& b, const char* what) {
  TPM2B_PUBLIC t{};
  t.publicArea = unmarshal(b, Tss2_MU_TPMT_PUBLIC_Unmarshal, what);
  return t;
}

// provisionAk(ekTemplate: TPMT_PUBLIC, akTemplate: TPMT_PUBLIC, persistentHandle) -> { ek, ak }
Napi::Value Context::ProvisionAk(const Napi::CallbackInfo& info) {
  Bytes ekT = argBytes(info, 0), akT = argBytes(info, 1);
  uint32_t handle = argU32(info, 2);
  return Run(info, [=](Context& c, Result& r) {
    provision(c, publicTemplate(ekT, "EK template"), publicTemplate(akT, "AK template"), handle, r);
  });
}

// evictPersistent(handle): removes a persistent object (owner authorization, empty password).
Napi::Value Context::EvictPersistent(const Napi::CallbackInfo& info) {
  uint32_t handle = argU32(info, 0);
  return Run(info, [handle](Context& c, Result&) {
    ESYS_TR tr = c.fromTpm(handle);
    ESYS_TR out = ESYS_TR_NONE;
    TSS2_RC rc = Esys_EvictControl(c.ctx(), ESYS_TR_RH_OWNER, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, handle, &out);
    c.release(tr);
    if (rc != TSS2_RC_SUCCESS) throw Failure{"Esys_EvictControl", rc};
  });
}

// nvRead(index) -> { data }: the whole index, read with its own (empty) authorization.
Napi::Value Context::NvRead(const Napi::CallbackInfo& info) {
  uint32_t index = argU32(info, 0);
  return Run(info, [index](Context& c, Result& r) {
    ESYS_TR nv = c.fromTpm(index);
    Bytes data;
    try {
      TPM2B_NV_PUBLIC* pub = nullptr;
      TPM2B_NAME* name = nullptr;
      check("Esys_NV_ReadPublic", [&] {
        return Esys_NV_ReadPublic(c.ctx(), nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name);
      });
      Owned<TPM2B_NV_PUBLIC> p(pub);
      Owned<TPM2B_NAME> n(name);
      const uint16_t total = p->nvPublic.dataSize;
      for (uint16_t off = 0; off < total;) {
        const uint16_t chunk = static_cast<uint16_t>(std::min<int>(512, total - off));
        TPM2B_MAX_NV_BUFFER* part = nullptr;
        check("Esys_NV_Read", [&] {
          return Esys_NV_Read(c.ctx(), nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, chunk, off, &part);
        });
        Owned<TPM2B_MAX_NV_BUFFER> got(part);
        data.insert(data.end(), got->buffer, got->buffer + got->size);
        off = static_cast<uint16_t>(off + chunk);
      }
    } catch (const Failure&) {
      c.release(nv);
      throw;
    }
    c.release(nv);
    r.bufs["data"] = std::move(data);
  });
}

// getRandom(n) -> { bytes } (the TPM may return fewer than asked).
Napi::Value Context::GetRandom(const Napi::CallbackInfo& info) {
  uint32_t n = argU32(info, 0);
  return Run(info, [n](Context& c, Result& r) {
    TPM2B_DIGEST* out = nullptr;
    check("Esys_GetRandom", [&] {
      return Esys_GetRandom(c.ctx(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, static_cast<UINT16>(n), &out);
    });
    Owned<TPM2B_DIGEST> d(out);
    r.bufs["bytes"] = Bytes(d->buffer, d->buffer + d->size);
  });
}

Napi::Function Context::Define(Napi::Env env) {
  return DefineClass(env, "Context",
                     {
                         InstanceMethod<&Context::Open>("open"),
                         InstanceMethod<&Context::Close>("close"),
                         InstanceMethod<&Context::Startup>("startup"),
                         InstanceMethod<&Context::GetCapability>("getCapability"),
                         InstanceMethod<&Context::PcrRead>("pcrRead"),
                         InstanceMethod<&Context::PcrExtend>("pcrExtend"),
                         InstanceMethod<&Context::Quote>("quote"),
                         InstanceMethod<&Context::ReadPublic>("readPublic"),
                         InstanceMethod<&Context::ProvisionAk>("provisionAk"),
                         InstanceMethod<&Context::EvictPersistent>("evictPersistent"),
                         InstanceMethod<&Context::NvRead>("nvRead"),
                         InstanceMethod<&Context::GetRandom>("getRandom"),
                     });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Context", Context::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(tnc_tpm, Init)
