import type { FastifyInstance } from 'fastify';
import { AppError } from './errors.js';

declare global {
  // ES2024, present in Node 20 (V8 11.3); our TypeScript lib is ES2023.
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

// Input screening shared by every route: the JSON body's nesting depth (checked on the raw text,
// before parsing) and strings PostgreSQL cannot store (NUL, lone surrogates) anywhere in body,
// query or path parameters. Both are linear in the size of the input. The auth guards run before
// either (preParsing, see auth.ts), so a caller with no right to a route learns nothing from them.

/** Why a string was refused by findIllFormedString. */
export type StringFault = 'nul' | 'lone_surrogate';

function stringFault(s: string): StringFault | null {
  if (s.includes('\u0000')) return 'nul';
  // A lone UTF-16 surrogate cannot be encoded as UTF-8: PostgreSQL refuses it in jsonb (a 500) and
  // silently turns it into U+FFFD in text.
  if (!s.isWellFormed()) return 'lone_surrogate';
  return null;
}

/** A key as it can be shown in a field path: without the characters that got it refused. */
const printableKey = (k: string) => k.replaceAll('\u0000', '').toWellFormed();

/**
 * The first string or key (depth first, in order) that PostgreSQL cannot store faithfully: one
 * holding a NUL character or a lone surrogate. Returns its dotted path and the fault, or null.
 *
 * Linear in the size of the value: iterative (a deep value cannot overflow the stack) and each
 * node keeps only a link to its parent, so the path is built once, for the one string reported.
 */
export function findIllFormedString(value: unknown): { field: string; fault: StringFault } | null {
  interface Node {
    v: unknown;
    key: string | null;
    parent: Node | null;
  }
  const pathOf = (node: Node | null, last?: string) => {
    const parts: string[] = last === undefined ? [] : [last];
    for (let n = node; n && n.key !== null; n = n.parent) parts.push(n.key);
    return parts.reverse().join('.') || 'body';
  };
  const stack: Node[] = [{ v: value, key: null, parent: null }];
  while (stack.length) {
    const node = stack.pop()!;
    const v = node.v;
    if (typeof v === 'string') {
      const fault = stringFault(v);
      if (fault) return { field: pathOf(node), fault };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], key: String(i), parent: node });
    } else if (v && typeof v === 'object') {
      const entries = Object.entries(v);
      for (const [k] of entries) {
        const fault = stringFault(k);
        if (fault) return { field: pathOf(node, printableKey(k)), fault };
      }
      for (let i = entries.length - 1; i >= 0; i--)
        stack.push({ v: entries[i]![1], key: entries[i]![0], parent: node });
    }
  }
  return null;
}

/** The 400 for a string findIllFormedString refused. */
export function illFormedStringProblem(found: { field: string; fault: StringFault }): AppError {
  const { field, fault } = found;
  return fault === 'nul'
    ? new AppError('INVALID_CHARACTER', 400, `${field} contains a NUL character.`, { field })
    : new AppError(
        'INVALID_CHARACTER',
        400,
        `${field} contains a lone UTF-16 surrogate (half of a character); send well-formed Unicode.`,
        { field },
      );
}

/**
 * How deeply arrays and objects may nest in a JSON body. No body of ours goes past 5; 64 leaves
 * room and keeps every later walk over the body (validation, screening) cheap and stack-safe.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The nesting depth of JSON text, counted without parsing: one pass, no recursion, stops as soon
 * as `limit` is exceeded (returns limit + 1). Brackets inside strings do not count. The text need
 * not be valid JSON; JSON.parse judges that afterwards.
 */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/**
 * Installs the JSON body parser with the depth limit and the string screen. Call once, on the root
 * instance, before routes are registered.
 */
export function registerInputScreening(app: FastifyInstance) {
  // Fastify's own parser (secure-json-parse: refuses __proto__ and constructor poisoning, keeps
  // its INVALID_JSON / EMPTY_JSON_BODY errors), behind the depth check.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      done(
        new AppError(
          'JSON_TOO_DEEP',
          400,
          `The body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`,
        ),
        undefined,
      );
      return;
    }
    parseJson(request, text, done);
  });
  // A NUL or a lone surrogate would otherwise reach PostgreSQL and come back as a 500 (jsonb) or be
  // stored altered (text). Runs before validation, so it is reported whatever else is wrong.
  app.addHook('preValidation', async (request) => {
    const found =
      findIllFormedString(request.body) ??
      findIllFormedString(request.query) ??
      findIllFormedString(request.params);
    if (found) throw illFormedStringProblem(found);
  });
}
