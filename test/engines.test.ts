import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The README promises Node.js 20.19+: no installed package may ask for more (npm warns EBADENGINE).
const SUPPORTED = [20, 19, 0] as const;

/** The lowest version one `||` alternative of an engines range accepts, when it states one. */
function lowerBound(alternative: string): number[] | null {
  const m = alternative.match(/(?:>=|\^|~|^)\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/);
  if (!m) return null;
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

const atLeast = (a: readonly number[], b: readonly number[]) => {
  for (let i = 0; i < 3; i++) if (a[i]! !== b[i]!) return a[i]! > b[i]!;
  return true;
};

/** True when some alternative of the range admits the supported Node version (by its lower bound). */
function admits(range: string, version: readonly number[] = SUPPORTED): boolean {
  return range.split('||').some((alt) => {
    const low = lowerBound(alt.trim());
    return low === null || atLeast(version, low);
  });
}

describe('the Node.js version the README promises', () => {
  it('reads engine ranges the way npm does for their lower bound', () => {
    expect(admits('>=22')).toBe(false);
    expect(admits('>= 20.19.0')).toBe(true);
    expect(admits('>=18')).toBe(true);
    expect(admits('^18 || ^20 || >=22')).toBe(true);
    expect(admits('^22.12.0 || >=24')).toBe(false);
    expect(admits('*')).toBe(true);
  });

  it('is accepted by every package in the lock file (npm install prints no EBADENGINE on Node 20.19)', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
      packages: Record<string, { engines?: { node?: string } | string[]; dev?: boolean }>;
    };
    const refusing = Object.entries(lock.packages)
      .filter(([path, p]) => path && p.engines && !Array.isArray(p.engines) && p.engines.node)
      .filter(([, p]) => !admits((p.engines as { node: string }).node))
      .map(([path, p]) => `${path} (${(p.engines as { node: string }).node})`);
    expect(refusing).toEqual([]);
  });
});
