import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// A module reaches another only through that module's index.ts; its tables stay its own.
const modulesDir = join(import.meta.dirname, '..', 'src', 'modules');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

describe('module boundaries', () => {
  it('no module imports another module other than through its index.ts', () => {
    const offences: string[] = [];
    for (const file of sourceFiles(modulesDir)) {
      const own = relative(modulesDir, file).split('/')[0];
      for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.\.\/[^']+)'/g)) {
        const spec = m[1]!;
        const parts = spec.split('/');
        // '../other/xyz.js' from a module's top level, or '../../modules/other/…' deeper down.
        if (
          parts[0] === '..' &&
          parts.length === 3 &&
          parts[1] !== own &&
          !spec.startsWith('../..') &&
          parts[2] !== 'index.js'
        ) {
          offences.push(`${relative(modulesDir, file)} -> ${spec}`);
        }
      }
    }
    expect(offences).toEqual([]);
  });
});
