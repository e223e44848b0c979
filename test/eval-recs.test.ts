import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, GENERATED, generateHistory, readCsv } from '../scripts/eval-recs.js';

// The offline evaluation (npm run eval:recs) is itself tested: reproducible from its seed, the
// engine beats the popularity baseline on the generated history, and a CSV export is read as documented.

describe('offline evaluation of recommendations', () => {
  const small = { ...GENERATED, buyers: 1200 };

  it('the generated history is the same for the same seed, and different for another', () => {
    const a = generateHistory(3, small);
    expect(generateHistory(3, small)).toEqual(a);
    expect(generateHistory(4, small)).not.toEqual(a);
  });

  it('the engine beats the popularity-only baseline on the generated history', () => {
    const r = evaluate(generateHistory(11, small));
    const engine = r.rows.find((x) => x.name.startsWith('engine'))!;
    const baseline = r.rows.find((x) => x.name.startsWith('baseline'))!;
    expect(r.buyersTested).toBeGreaterThan(300);
    expect(engine.hitRate).toBeGreaterThan(baseline.hitRate);
    expect(engine.catalogCoverage).toBeGreaterThan(baseline.catalogCoverage);
  });

  it('reads buyer,product,time with a header, ISO or epoch milliseconds; same buyer and time is one order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kkoo-eval-'));
    try {
      const file = join(dir, 'h.csv');
      writeFileSync(
        file,
        'buyer,product,time\nb1,p1,2026-01-01T00:00:00Z\nb1,p2,2026-01-01T00:00:00Z\nb2,p1,1767312000000\n',
      );
      const rows = readCsv(file);
      expect(rows).toHaveLength(3);
      expect(rows[0]!.order).toBe(rows[1]!.order);
      expect(rows[2]!.at.toISOString()).toBe('2026-01-02T00:00:00.000Z');
      writeFileSync(file, 'b1,p1,2026-01-01\nb1,p2,yesterday\n');
      expect(() => readCsv(file)).toThrow(/line 2/);
      writeFileSync(file, 'b1,p1\n');
      expect(() => readCsv(file)).toThrow(/line 1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
