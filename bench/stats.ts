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
