import { createHash } from 'node:crypto';
import { getTableColumns, getTableName, Placeholder, type Table } from 'drizzle-orm';
import pg from 'pg';
import type { Database } from './client.js';

// The hot paths (checkout) skip the query builder: building a Drizzle query costs more CPU than
// PostgreSQL spends running it, and every statement is a round trip (docs/benchmarks.md has the
// profile). Everything else keeps Drizzle.

interface Queryable {
  query(...args: unknown[]): Promise<{ rows: unknown[] }>;
}

function clientOf(db: Database): Queryable {
  // A Drizzle database or transaction keeps its driver handle (pool, pooled client, PGlite or a
  // PGlite transaction) on its session.
  return (db as unknown as { session: { client: Queryable } }).session.client;
}

/**
 * One statement straight on the driver, inside whatever transaction `db` is. With a `name`, the
 * node-postgres driver prepares it once per connection; the text under one name must never vary.
 */
export async function rawQuery<T>(
  db: Database,
  statement: { name?: string; text: string },
  values: unknown[],
  opts: { arrays?: boolean } = {},
): Promise<T[]> {
  const client = clientOf(db);
  const rowMode = opts.arrays ? { rowMode: 'array' } : {};
  if (client instanceof pg.Pool || client instanceof pg.Client) {
    const res = await client.query(
      statement.name
        ? { name: statement.name, text: statement.text, values, ...rowMode }
        : { text: statement.text, values, ...rowMode },
    );
    return res.rows as T[];
  }
  return (await client.query(statement.text, values, rowMode)).rows as T[];
}

/**
 * A Drizzle select built once, with `sql.placeholder(...)` for its inputs, and run as a named
 * prepared statement inside any transaction: the rule stays written with the query builder, the
 * builder's cost is paid once at start-up, and PostgreSQL plans it once per connection.
 */
export function compileSelect<
  Q extends { toSQL(): { sql: string; params: unknown[] }; _: { result: unknown[] } },
>(
  name: string,
  /** the select's fields, in the order written (the statement returns its cells in that order) */
  fields: Record<string, unknown>,
  query: Q,
) {
  const { sql: text, params } = query.toSQL();
  const keys = Object.keys(fields);
  type Row = Q['_']['result'][number];
  // Which parameters are placeholders is known once; the per-call work is plain loops (this runs on
  // every listing and product page: no entries arrays per row, no instanceof per parameter).
  const slots = params.map((p) => (p instanceof Placeholder ? p.name : null));
  const n = keys.length;
  return async (db: Database, values: Record<string, unknown>): Promise<Row[]> => {
    const args = new Array<unknown>(params.length);
    for (let i = 0; i < params.length; i++) {
      const slot = slots[i];
      args[i] = slot === null || slot === undefined ? params[i] : values[slot];
    }
    const rows = await rawQuery<unknown[]>(db, { name, text }, args, { arrays: true });
    const out = new Array<Row>(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const cells = rows[r] as unknown[];
      const row: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) row[keys[i] as string] = cells[i];
      out[r] = row as Row;
    }
    return out;
  };
}

const columnNames = new WeakMap<Table, Map<string, string>>();

/** property name → column name, once per table */
function namesOf(table: Table): Map<string, string> {
  let names = columnNames.get(table);
  if (!names) {
    names = new Map(Object.entries(getTableColumns(table)).map(([key, col]) => [key, col.name]));
    columnNames.set(table, names);
  }
  return names;
}

const propertyNames = new WeakMap<Table, Array<[string, string]>>();

/**
 * Rows read with `rawQuery` (`select *`, keyed by column name) as the table's typed rows, keyed by
 * property name as Drizzle returns them. Both drivers already parse timestamps, jsonb and int8.
 */
export function typedRows<T extends Table>(
  table: T,
  rows: Array<Record<string, unknown>>,
): Array<T['$inferSelect']> {
  let pairs = propertyNames.get(table);
  if (!pairs) {
    pairs = [...namesOf(table)].map(([key, name]) => [name, key]);
    propertyNames.set(table, pairs);
  }
  const map = pairs;
  return rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const [name, key] of map) out[key] = r[name];
    return out as T['$inferSelect'];
  });
}

const insertShapes = new WeakMap<Table, Map<string, { cols: string; names: string[] }>>();
const statementNames = new Map<string, string>();

/** The column list and column names of an insert of these properties, built once per shape. */
function insertShape(table: Table, keys: string[]) {
  let shapes = insertShapes.get(table);
  if (!shapes) {
    shapes = new Map();
    insertShapes.set(table, shapes);
  }
  const sig = keys.join(',');
  let shape = shapes.get(sig);
  if (!shape) {
    shape = {
      cols: keys.map((k) => column(table, k)).join(', '),
      names: keys.map((k) => namesOf(table).get(k)!),
    };
    shapes.set(sig, shape);
  }
  return shape;
}

function column(table: Table, key: string): string {
  const name = namesOf(table).get(key);
  if (!name) throw new Error(`${getTableName(table)} has no column ${key}`);
  return `"${name}"`;
}

/**
 * A parameter for either driver: plain objects (jsonb) go as JSON text; dates, scalars and arrays
 * (PostgreSQL arrays) as they are. A jsonb array must be given as JSON text.
 */
function param(v: unknown): unknown {
  return v !== null && typeof v === 'object' && !(v instanceof Date) && !Array.isArray(v)
    ? JSON.stringify(v)
    : v;
}

export type BatchPart =
  /** rows keyed by the table's property names; a column absent from a row is NULL, not its default */
  | {
      insert: Table;
      rows: Array<Record<string, unknown>>;
      /** skip rows that clash on this unique column (a property name) */
      onConflictDoNothing?: string;
    }
  | { update: Table; set: Record<string, unknown>; where: Record<string, unknown> }
  | { delete: Table; where: Record<string, unknown> }
  /**
   * A module's own statement (it must end in RETURNING), written with `$` binding each value;
   * the batch fails with `short()` when it returns fewer than `rows` rows. The count is checked
   * once the statement has run, so use it inside a transaction: the error rolls the batch back.
   */
  | { statement: ($: (v: unknown) => string) => string; rows: number; short: () => Error };

/**
 * Several writes as one statement (one round trip): each part is a data-modifying CTE. They all
 * see the snapshot from before the statement, so no part may depend on another's effect (foreign
 * keys are checked at the statement's end, so children may reference parents of the same batch).
 */
export async function writeBatch(db: Database, parts: BatchPart[]): Promise<void> {
  const values: unknown[] = [];
  const $ = (v: unknown) => {
    values.push(param(v));
    return `$${values.length}`;
  };
  // A module's own statement binds its values as they are (arrays stay arrays for `::uuid[]`).
  const bindRaw = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  const where = (table: Table, eqs: Record<string, unknown>) =>
    Object.entries(eqs)
      .map(([k, v]) => `${column(table, k)} = ${$(v)}`)
      .join(' and ');
  const ctes: string[] = [];
  const checked: Array<{ cte: number; part: Extract<BatchPart, { statement: unknown }> }> = [];
  for (const part of parts) {
    if ('insert' in part) {
      if (!part.rows.length) continue;
      const keys = [...new Set(part.rows.flatMap((r) => Object.keys(r)))].filter((k) =>
        part.rows.some((r) => r[k] !== undefined),
      );
      const { cols, names } = insertShape(part.insert, keys);
      const json = part.rows.map((r) => {
        const o: Record<string, unknown> = {};
        for (let i = 0; i < keys.length; i++) o[names[i]!] = r[keys[i]!] ?? null;
        return o;
      });
      const table = `"${getTableName(part.insert)}"`;
      ctes.push(
        `insert into ${table} (${cols}) select ${cols} from jsonb_populate_recordset(null::${table}, ${$(JSON.stringify(json))}::jsonb)${part.onConflictDoNothing ? ` on conflict (${column(part.insert, part.onConflictDoNothing)}) do nothing` : ''}`,
      );
    } else if ('update' in part) {
      const set = Object.entries(part.set)
        .map(([k, v]) => `${column(part.update, k)} = ${$(v)}`)
        .join(', ');
      ctes.push(`update "${getTableName(part.update)}" set ${set} where ${where(part.update, part.where)}`);
    } else if ('delete' in part) {
      ctes.push(`delete from "${getTableName(part.delete)}" where ${where(part.delete, part.where)}`);
    } else {
      checked.push({ cte: ctes.length, part });
      ctes.push(part.statement(bindRaw));
    }
  }
  if (!ctes.length) return;
  const counts = checked.length
    ? checked.map((c, i) => `(select count(*) from w${c.cte})::int as n${i}`).join(', ')
    : '1';
  const text = `with ${ctes.map((c, i) => `w${i} as (${c})`).join(', ')} select ${counts}`;
  // A call site writes the same shape each time (the rows travel as JSON parameters), so the text
  // repeats: named by its hash, it is parsed and planned once per connection.
  let name = statementNames.get(text);
  if (!name) {
    name = `batch-${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    // A few shapes per call site; the cap only guards against a caller whose shapes never repeat.
    if (statementNames.size < 1000) statementNames.set(text, name);
  }
  const [got] = await rawQuery<Record<string, number>>(db, { name, text }, values);
  for (const [i, c] of checked.entries()) if ((got?.[`n${i}`] ?? 0) < c.part.rows) throw c.part.short();
}
