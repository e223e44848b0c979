import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/support/app.js';
import { JOB_DEFINITIONS } from './jobs.js';

// Every job kind is declared by its sender, handled by exactly one module, and written somewhere:
// a kind enqueued without a handler would wait forever; a handler for a kind nothing enqueues is
// dead code that hides a message nobody sends. The handlers are read from the composition the
// server, the worker and the tests all build; the enqueued kinds from the source itself.

const root = join(import.meta.dirname, '..', '..');
const declared = Object.keys(JOB_DEFINITIONS).sort();

function productionFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return productionFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The kinds a `kind:` property can hold: string literals, `'x' as const`, a conditional of them. */
function literalKinds(e: ts.Expression): string[] | null {
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return [e.text];
  if (ts.isAsExpression(e) || ts.isParenthesizedExpression(e) || ts.isSatisfiesExpression(e))
    return literalKinds(e.expression);
  if (ts.isConditionalExpression(e)) {
    const a = literalKinds(e.whenTrue);
    const b = literalKinds(e.whenFalse);
    return a && b ? [...a, ...b] : null;
  }
  return null;
}

/**
 * Every `kind` written through `.enqueue(…)` or `.draft(…)` in production code, with where. An
 * object literal with a `kind` and a `payload` anywhere in the call's arguments counts (a `.map` building jobs
 * too); a kind that is not a literal is reported, so nothing escapes the scan.
 */
function enqueuedKinds() {
  const found = new Map<string, string[]>();
  const opaque: string[] = [];
  for (const file of productionFiles(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    if (!/\.(enqueue|draft)\(/.test(text)) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const where = (n: ts.Node) =>
      `${relative(root, file)}:${source.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
    const inCall = (n: ts.Node): void => {
      // A job is an object with a kind and a payload (a payload's own `kind` field is not one).
      const names = ts.isObjectLiteralExpression(n) ? n.properties.map((p) => p.name?.getText(source)) : [];
      if (ts.isObjectLiteralExpression(n) && names.includes('payload'))
        for (const p of n.properties)
          if (ts.isPropertyAssignment(p) && p.name.getText(source) === 'kind') {
            const kinds = literalKinds(p.initializer);
            if (!kinds) opaque.push(`${where(p)} ${p.initializer.getText(source)}`);
            for (const k of kinds ?? []) found.set(k, [...(found.get(k) ?? []), where(p)]);
          }
      ts.forEachChild(n, inCall);
    };
    const visit = (n: ts.Node): void => {
      if (
        ts.isCallExpression(n) &&
        ts.isPropertyAccessExpression(n.expression) &&
        ['enqueue', 'draft'].includes(n.expression.name.text)
      )
        for (const a of n.arguments) inCall(a);
      ts.forEachChild(n, visit);
    };
    visit(source);
  }
  return { found, opaque };
}

describe('the job registry', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('every declared kind has exactly one handler in the composition, and every handler a declared kind', () => {
    const { handled, declared: toService } = t.app.services.jobs.registry();
    expect(handled).toEqual(declared);
    expect(toService).toEqual(declared);
  });

  it('every kind the code enqueues is declared (so handled), and every declared kind is enqueued somewhere', () => {
    const { found, opaque } = enqueuedKinds();
    expect(opaque, 'a kind written through enqueue/draft must be a literal the scan can read').toEqual([]);
    const enqueued = [...found.keys()].sort();
    expect(
      enqueued.filter((k) => !declared.includes(k)),
      'enqueued but not declared',
    ).toEqual([]);
    expect(
      declared.filter((k) => !enqueued.includes(k)),
      'declared (and handled) but never enqueued',
    ).toEqual([]);
  });

  it('the scan sees what it must: a known producer of each module is found', () => {
    const { found } = enqueuedKinds();
    expect(found.get('order.status_changed')?.[0]).toMatch(/^src\/modules\/orders\/transitions\.ts:/);
    expect(found.get('checkout.created')?.[0]).toMatch(/^src\/modules\/orders\/checkout\.ts:/);
    expect(found.get('payments.check_collection')?.[0]).toMatch(/^src\/modules\/payments\/context\.ts:/);
    expect(found.get('notifications.send')?.length).toBeGreaterThanOrEqual(2);
  });
});
