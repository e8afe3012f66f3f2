/**
 * Node's setTimeout keeps its delay in a signed 32-bit millisecond count: a longer delay (over
 * 24.8 days) is taken as 1 ms and fires at once. Longer waits are chained here in steps that fit,
 * so a timer never fires early.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  cancel(): void;
}

export function longTimeout(fn: () => void, delayMs: number): LongTimer {
  const due = Date.now() + delayMs;
  let t: NodeJS.Timeout;
  const arm = (): void => {
    const left = due - Date.now();
    t = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fn, Math.max(0, left));
  };
  arm();
  return { cancel: () => clearTimeout(t) };
}
