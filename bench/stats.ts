/** The p-th percentile of latencies sorted ascending (0 for none). */
export function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/**
 * `total` calls of `fn(i)`, `concurrency` at a time, each started as soon as one ends: the
 * seconds all of them took and each call's latency in milliseconds, sorted ascending.
 */
export async function inWorkers(
  concurrency: number,
  total: number,
  fn: (i: number) => Promise<void>,
): Promise<{ seconds: number; lat: number[] }> {
  const lat: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await fn(i);
        lat.push(performance.now() - t0);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { seconds: (performance.now() - started) / 1000, lat };
}

/**
 * Open loop: `count` calls of `fn(i)` started at a fixed rate whether or not earlier ones have
 * answered, each latency measured from its *intended* start, so a slow reply that delays the
 * sender is charged to the requests it delayed (coordinated omission corrected). When the
 * generator falls behind (timers are ~1 ms), due calls are sent at once, still timed from when
 * they were due.
 */
export async function openLoop(
  ratePerSec: number,
  count: number,
  fn: (i: number) => Promise<boolean>,
): Promise<{ lat: number[]; seconds: number; achievedPerSec: number; errors: number }> {
  const interval = 1000 / ratePerSec;
  const lat: number[] = [];
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait >= 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(
      fn(i)
        .catch(() => false)
        .then((ok) => {
          if (!ok) errors++;
          lat.push(performance.now() - due);
        }),
    );
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  return { lat, seconds, achievedPerSec: count / seconds, errors };
}
