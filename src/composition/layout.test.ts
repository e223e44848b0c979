// The composition root stays without HTTP, and the HTTP app stays plumbing: checked on the sources,
// so a regression shows here before anyone reads the diff.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const src = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
const imports = (text: string) => [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]);

describe('composition root', () => {
  it('builds the modules without HTTP: composition.ts imports no fastify and no app', () => {
    const deps = imports(src('composition.ts'));
    expect(deps.filter((d) => d?.includes('fastify') || d === './app.js')).toEqual([]);
  });

  it('the worker composes the modules and never builds the HTTP app', () => {
    const deps = imports(src('worker.ts'));
    expect(deps).toContain('./composition.js');
    expect(deps).not.toContain('./app.js');
  });

  it('app.ts is HTTP plumbing only, well under 250 lines, and constructs no module', () => {
    const app = src('app.ts');
    expect(app.split('\n').length).toBeLessThan(250);
    expect(app).not.toMatch(/create\w+(Module|Service)\(/);
  });

  it('the composition file stays small and has no `let` late binding', () => {
    const text = src('composition.ts');
    expect(text.split('\n').length).toBeLessThan(300);
    expect(text).not.toMatch(/^\s*let\s/m);
  });
});
