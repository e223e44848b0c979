// "Its own raw SQL" (issue 4): the exact statements a checkout sends, recorded once and replayed
// straight through pg, so the ratio measures what HTTP, validation, pricing and the ORM cost and
// nothing else. Recording runs the real checkout but turns its commit into a rollback, so each
// recorded transaction is replayed exactly once against the state it was recorded in.
import pg from 'pg';

export interface Statement {
  name?: string;
  text: string;
  values?: unknown[];
  /** rows the statement touched when recorded; a replay that differs has diverged */
  rows: number | null;
}

type QueryFn = (...args: unknown[]) => unknown;

/**
 * Records every statement any pg client in this process sends until `stop()`, committing none:
 * `commit` is sent as `rollback` (and recorded as `commit`, which the replay sends).
 */
export function recordStatements() {
  const proto = pg.Client.prototype as unknown as { query: QueryFn };
  const original = proto.query;
  let seen: Statement[] = [];
  proto.query = function (this: unknown, ...args: unknown[]) {
    const config = args[0] as string | { text: string; name?: string; values?: unknown[] };
    const text = typeof config === 'string' ? config : config.text;
    const st: Statement = {
      name: typeof config === 'string' ? undefined : config.name,
      text,
      values: Array.isArray(args[1])
        ? (args[1] as unknown[])
        : typeof config === 'string'
          ? undefined
          : config.values,
      rows: null,
    };
    seen.push(st);
    if (text.trim().toLowerCase() === 'commit') {
      args[0] = typeof config === 'string' ? 'rollback' : { ...config, text: 'rollback' };
    }
    const note = (res: unknown) => {
      st.rows = (res as { rowCount?: number | null } | undefined)?.rowCount ?? null;
    };
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const cb = args[last] as (err: unknown, res: unknown) => void;
      args[last] = (err: unknown, res: unknown) => {
        if (!err) note(res);
        cb(err, res);
      };
      return original.apply(this, args);
    }
    const out = original.apply(this, args);
    if (out && typeof (out as Promise<unknown>).then === 'function')
      (out as Promise<unknown>).then(note, () => {});
    return out;
  };
  return {
    /** the statements since the last take */
    take(): Statement[] {
      const out = seen;
      seen = [];
      return out;
    },
    stop() {
      proto.query = original;
    },
  };
}

/**
 * Sends one recorded transaction on one connection, prepared statements under their own names as
 * the app sends them. Resolves false (after a rollback) when a statement touched a different
 * number of rows than it did when recorded: the replay stopped being the same work.
 */
export async function replay(pool: pg.Pool, statements: Statement[]): Promise<boolean> {
  const c = await pool.connect();
  let open = false;
  try {
    for (const st of statements) {
      const lower = st.text.trim().toLowerCase();
      if (lower === 'begin') open = true;
      const res = await c.query(
        st.name ? { name: st.name, text: st.text, values: st.values } : { text: st.text, values: st.values },
      );
      if (lower === 'commit') open = false;
      if (st.rows !== null && res.rowCount !== st.rows) {
        if (open) await c.query('rollback');
        return false;
      }
    }
    return true;
  } catch (err) {
    if (open) await c.query('rollback');
    throw err;
  } finally {
    c.release();
  }
}
