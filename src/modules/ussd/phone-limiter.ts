// Pure apart from its memory: a fixed-window count of requests per phone, on the injected clock.
// Per process, like the app's other limits (see README, scale-out): the telco spreads one caller's
// session over whichever API process answers, so each process allows up to `max` of them.
import type { Clock } from '../../shared/clock.js';

export function createPhoneLimiter(clock: Clock, max: number, windowMs = 60_000) {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    /** Counts one request; false once `phone` has made more than `max` in the current window. */
    allow(phone: string): boolean {
      const now = clock.now().getTime();
      // Forget finished windows now and then, so numbers that called once do not pile up.
      if (windows.size > 10_000)
        for (const [k, w] of windows) if (now - w.start >= windowMs) windows.delete(k);
      const w = windows.get(phone);
      if (!w || now - w.start >= windowMs) {
        windows.set(phone, { start: now, count: 1 });
        return true;
      }
      w.count++;
      return w.count <= max;
    },
  };
}
