// CPU use of the processes a bench measures, from Linux /proc (utime + stime, 100 ticks a second).
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

/** CPU seconds a process has used; 0 once it is gone. */
export function cpuOf(pid: number | 'self'): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used by PostgreSQL for the bench: the backends in `pids` (see `benchBackends`), or,
 * without them, every process named postgres on the machine (backends of other databases too,
 * WAL writer, checkpointer: on a shared machine that counts other people's work).
 */
export function postgresCpu(pids?: readonly number[]): number {
  if (pids) return pids.reduce((sum, pid) => sum + cpuOf(pid), 0);
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') total += cpuOf(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/**
 * The PostgreSQL backends connected to the bench's own database (pg_stat_activity), asked for after
 * the pools are warm so the set does not change while it is measured. A backend that leaves in the
 * middle takes its CPU with it (its /proc entry is gone), so measure between two calls, not across pool restarts.
 */
export async function benchBackends(databaseUrl: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    return rows.map((r) => r.pid);
  } finally {
    await client.end();
  }
}

/**
 * CPU seconds PostgreSQL spends for the bench's own database between this call and the returned
 * one: the backends connected to it at either end (a backend opened in between counts whole, one
 * that closed in between counts nothing for that stretch). Background processes shared by every
 * database (WAL writer, checkpointer) are left out, and so is every other database's work.
 */
export async function benchPostgresMeter(databaseUrl: string): Promise<() => Promise<number>> {
  const before = new Map((await benchBackends(databaseUrl)).map((pid) => [pid, cpuOf(pid)]));
  return async () => {
    let total = 0;
    for (const pid of await benchBackends(databaseUrl)) total += cpuOf(pid) - (before.get(pid) ?? 0);
    return total;
  };
}
