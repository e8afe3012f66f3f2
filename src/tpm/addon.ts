import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TpmError, TpmUnavailableError } from './errors';

/** The native context (native/tpm.cc): marshalled TPM structures in and out, one call at a time. */
export interface NativeContext {
  open(tcti: string): Promise<object>;
  close(): Promise<object>;
  startup(state: number): Promise<object>;
  getCapability(cap: number, property: number, count: number): Promise<{ moreData: number; data: Buffer }>;
  pcrRead(selection: Buffer): Promise<{ updateCounter: number; selection: Buffer; values: Buffer }>;
  pcrExtend(index: number, digests: Buffer): Promise<object>;
  quote(
    akHandle: number,
    nonce: Buffer,
    selection: Buffer,
    scheme: Buffer,
  ): Promise<{ attest: Buffer; signature: Buffer }>;
  readPublic(handle: number): Promise<{ public: Buffer; name: Buffer }>;
  provisionAk(ekTemplate: Buffer, akTemplate: Buffer, handle: number): Promise<{ ek: Buffer; ak: Buffer }>;
  evictPersistent(handle: number): Promise<object>;
  nvRead(index: number): Promise<{ data: Buffer }>;
  getRandom(n: number): Promise<{ bytes: Buffer }>;
}

let ctor: (new () => NativeContext) | undefined;

/** Loads build/Release/tnc_tpm.node from the source tree (src/tpm) or the build (dist/src/tpm). */
export function newNativeContext(): NativeContext {
  if (!ctor) {
    const candidates = [join(__dirname, '..', '..', 'build'), join(__dirname, '..', '..', '..', 'build')].map((d) =>
      join(d, 'Release', 'tnc_tpm.node'),
    );
    const found = candidates.find((p) => existsSync(p));
    if (!found)
      throw new TpmUnavailableError(
        'the TPM addon is not built (run `npm run build:native`; it needs libtss2-dev and a C++ compiler)',
      );
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ctor = (require(found) as { Context: new () => NativeContext }).Context;
  }
  return serialized(new ctor());
}

/**
 * One job per TPM context in the libuv pool at a time: later calls wait here, in JS, instead of
 * on the addon's per-context mutex inside a pool thread, where seven queued jobs would hold the
 * pool (4 threads) and stall every fs call of the process behind the TPM.
 */
export function serialized<C extends object>(ctx: C): C {
  let tail: Promise<unknown> = Promise.resolve();
  return new Proxy(ctx, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        const run = tail.then(() => (v as (...a: unknown[]) => Promise<unknown>).apply(target, args));
        tail = run.catch(() => undefined);
        return run;
      };
    },
  });
}

/** Turns the addon's rejections (Error with rc, op, text) into TpmError. */
export async function native<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (e) {
    const f = e as { rc?: unknown; op?: unknown; text?: unknown };
    if (typeof f?.rc === 'number') throw new TpmError(f.rc, String(f.op), String(f.text));
    throw e;
  }
}
