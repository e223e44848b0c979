import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

// A module is reached only through its index.ts: its other files (tables included) are its own.
// Every TypeScript file of the project is checked (src/, test/, bench/, scripts/ and the root
// configs), tests too: a test outside a module that needs an internal lives beside the module, or
// the module exports what it needs. A module's own files, its tests among them, may import its
// internals.
const root = join(import.meta.dirname, '..');
const modulesDir = join(root, 'src', 'modules');
const scanned = ['src', 'test', 'bench', 'scripts'];

/**
 * The files allowed to reach past a module's index.ts, each with its reason. Keys and values are
 * paths from the project root; a value that ends in '/' covers everything under it.
 */
const ALLOWED: Record<string, { targets: (target: string) => boolean; why: string }> = {
  'src/db/schema.ts': {
    targets: (target) => /^src\/modules\/[^/]+\/schema\.ts$/.test(target),
    why:
      'drizzle-kit (drizzle.config.ts) and the migrator read every table from this one file, and ' +
      'the typed client is built from it; it only re-exports the schema files, nothing else',
  },
  'test/support/seed-riders.ts': {
    targets: (target) => target === 'src/modules/riders/schema.ts',
    why:
      'the assignment bench and the test of its index need thousands of verified, online riders with a ' +
      'fresh ping; the service takes them one application, verification and ping at a time, so this ' +
      'test helper bulk-inserts rider_profiles rows',
  },
  'test/support/riders-app.ts': {
    targets: (target) => target === 'src/modules/identity/schema.ts',
    why:
      'seeds the users rows that riders reference (a foreign key), as the identity service makes a ' +
      'user only through the OTP sign-in, which these riders-only test apps do not wire',
  },
  'src/modules/riders/service.fixtures.ts': {
    targets: (target) => target === 'src/modules/identity/schema.ts',
    why:
      'seeds the users rows that riders reference (a foreign key), as the identity service makes a ' +
      'user only through the OTP sign-in, which the service-*.test.ts files without the app do not wire',
  },
  'src/auth-first.http.test.ts': {
    targets: (target) => target === 'src/modules/identity/schema.ts',
    why:
      'needs callers holding exactly one role (a seller who is not a buyer) to show the 403 comes ' +
      'before the input; identity only ever adds roles to the buyer every sign-in makes',
  },
  'src/http-hardening.http.test.ts': {
    targets: (target) => target === 'src/modules/audit/schema.ts',
    why:
      'counts every audit row to show a refused request wrote none; the audit service lists by ' +
      'filter and page, and a count only for this test would be API for a test',
  },
  'src/modules/identity/otp-enumeration.http.test.ts': {
    targets: (target) => target === 'src/modules/jobs/schema.ts',
    why:
      'checks the OTP purge schedule leaves exactly one pending job; the jobs service has no read of ' +
      'the queue (as for payments-payouts.http.test.ts below)',
  },
  'src/modules/notifications/notify.http.test.ts': {
    targets: (target) => target === 'src/modules/jobs/schema.ts',
    why: 'checks that a retried notify enqueues each send job once; the jobs service has no read of the queue (as payments-payouts.http)',
  },
  'src/modules/payments/payments-payouts.http.test.ts': {
    targets: (target) => target === 'src/modules/jobs/schema.ts',
    why:
      'checks that the long-running schedules leave exactly one pending job each across two ' +
      'processes; the jobs service has no read of the queue, and one only for this test would be API for a test',
  },
};

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name.startsWith('.')) return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? tsFiles(path) : e.name.endsWith('.ts') ? [path] : [];
  });
}

function projectFiles(): string[] {
  const rootConfigs = readdirSync(root)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(root, name));
  return [...rootConfigs, ...scanned.flatMap((dir) => tsFiles(join(root, dir)))];
}

/** Every module specifier a file names: `from '…'` (imports and re-exports), `import '…'`, `import('…')`. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"\n]+)\1/g)) found.push(m[2]!);
  return found;
}

/** The module a project path belongs to ('orders' for src/modules/orders/…), or null. */
function moduleOf(path: string): string | null {
  const rel = relative(modulesDir, path);
  if (rel.startsWith('..') || !rel.includes(sep)) return null;
  return rel.split(sep)[0]!;
}

/** The offences of one file: relative imports that land inside another module, past its index.ts. */
function offencesOf(file: string, source: string): string[] {
  const fromRoot = relative(root, file).split(sep).join('/');
  const own = moduleOf(file);
  const allowed = ALLOWED[fromRoot];
  const out: string[] = [];
  for (const spec of specifiers(source)) {
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    const owner = moduleOf(target);
    if (owner === null || owner === own) continue;
    if (target === join(modulesDir, owner, 'index.ts')) continue;
    const targetFromRoot = relative(root, target).split(sep).join('/');
    if (allowed?.targets(targetFromRoot)) continue;
    out.push(`${fromRoot} -> ${spec}`);
  }
  return out;
}

/** The project files a file imports by a relative path (the ones that exist: a package is left out). */
function importsOf(file: string, source: string): string[] {
  return specifiers(source)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => resolve(dirname(file), spec).replace(/\.js$/, '.ts'))
    .filter((target) => existsSync(target));
}

/**
 * The import cycles among `files` (Tarjan's strongly connected components of more than one file,
 * or a file importing itself), each as its files from the project root, sorted.
 */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next);
    next++;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let top: string;
    do {
      top = stack.pop()!;
      onStack.delete(top);
      component.push(top);
    } while (top !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) {
      cycles.push(component.map((f) => relative(root, f).split(sep).join('/')).sort());
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles;
}

describe('module boundaries', () => {
  it('no file outside a module imports anything of it but its index.ts', () => {
    // This file is left out: its own examples below are offences on purpose.
    const offences = projectFiles()
      .filter((file) => file !== import.meta.filename)
      .flatMap((file) => offencesOf(file, readFileSync(file, 'utf8')));
    expect(offences).toEqual([]);
  });

  it('no import cycle among the production files of src/ (type-only imports count too)', () => {
    // A loop makes the load order matter and hides which file is the face of a module: logistics'
    // riders.ts and its services imported each other before the port types left for riders/ports.ts.
    const production = tsFiles(join(root, 'src')).filter((file) => !file.endsWith('.test.ts'));
    const graph = new Map(production.map((file) => [file, importsOf(file, readFileSync(file, 'utf8'))]));
    expect(importCycles(graph)).toEqual([]);
  });

  it('finds an import cycle, however long, and not a mere diamond', () => {
    const f = (name: string) => join(root, 'src', name);
    const loop = new Map([
      [f('a.ts'), [f('b.ts')]],
      [f('b.ts'), [f('c.ts')]],
      [f('c.ts'), [f('a.ts'), f('d.ts')]],
      [f('d.ts'), []],
    ]);
    expect(importCycles(loop)).toEqual([['src/a.ts', 'src/b.ts', 'src/c.ts']]);
    expect(importCycles(new Map([[f('self.ts'), [f('self.ts')]]]))).toEqual([['src/self.ts']]);
    const diamond = new Map([
      [f('top.ts'), [f('left.ts'), f('right.ts')]],
      [f('left.ts'), [f('bottom.ts')]],
      [f('right.ts'), [f('bottom.ts')]],
      [f('bottom.ts'), []],
    ]);
    expect(importCycles(diamond)).toEqual([]);
  });

  it('every allowed exception still exists, so the list cannot go stale', () => {
    for (const [path, { why }] of Object.entries(ALLOWED)) {
      expect(existsSync(join(root, path)), path).toBe(true);
      expect(why.length).toBeGreaterThan(20);
    }
  });

  it('catches every import form that reaches past an index.ts, and lets the allowed ones through', () => {
    const at = (path: string) => join(root, path);
    // Shallow and deep paths, from another module, from outside src/modules, multi-line and dynamic.
    expect(
      offencesOf(at('src/modules/cart/service.ts'), "import { x } from '../orders/service.js';"),
    ).toEqual(['src/modules/cart/service.ts -> ../orders/service.js']);
    expect(
      offencesOf(at('src/modules/cart/service.ts'), "import {\n  a,\n  b,\n} from '../orders/sub/deep.js';"),
    ).toEqual(['src/modules/cart/service.ts -> ../orders/sub/deep.js']);
    expect(
      offencesOf(at('src/modules/cart/sub/file.ts'), "import { x } from '../../orders/schema.js';"),
    ).toEqual(['src/modules/cart/sub/file.ts -> ../../orders/schema.js']);
    expect(
      offencesOf(at('test/support/app.ts'), "export * from '../../src/modules/orders/schema.js';"),
    ).toEqual(['test/support/app.ts -> ../../src/modules/orders/schema.js']);
    expect(
      offencesOf(at('bench/run.ts'), "const m = await import('../src/modules/riders/ports.js');"),
    ).toEqual(['bench/run.ts -> ../src/modules/riders/ports.js']);
    expect(offencesOf(at('src/app.ts'), "import './modules/zones/routes.js';")).toEqual([
      'src/app.ts -> ./modules/zones/routes.js',
    ]);
    // The allowed forms: an index.ts, a module's own internals, packages, non-module files.
    expect(
      offencesOf(
        at('src/modules/cart/service.ts'),
        [
          "import { a } from '../orders/index.js';",
          "import { b } from './schema.js';",
          "import { c } from '../../shared/errors.js';",
          "import { d } from 'drizzle-orm';",
        ].join('\n'),
      ),
    ).toEqual([]);
    expect(
      offencesOf(at('src/modules/riders/riders.test.ts'), "import { e } from './assignment.js';"),
    ).toEqual([]);
    expect(
      offencesOf(at('test/races.test.ts'), "import { f } from '../src/modules/orders/index.js';"),
    ).toEqual([]);
    // src/db/schema.ts may re-export tables, and only tables.
    expect(offencesOf(at('src/db/schema.ts'), "export * from '../modules/orders/schema.js';")).toEqual([]);
    expect(offencesOf(at('src/db/schema.ts'), "export * from '../modules/orders/service.js';")).toEqual([
      'src/db/schema.ts -> ../modules/orders/service.js',
    ]);
  });
});
