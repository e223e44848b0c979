import { type Placeholder, type SQL, sql } from 'drizzle-orm';
import { DEFAULT_PREFERENCES } from './rules.js';
import { notificationPreferences as p } from './schema.js';

/**
 * A user's language as an SQL scalar (Swahili unless they chose, as getLanguage answers), for a
 * module that folds it into a statement of its own (recommendations: one round trip per read).
 * Keeps this module's table private: callers get the expression, never the table.
 */
export function languageOfSql(userId: SQL | Placeholder): SQL {
  return sql`coalesce((select ${p.language}::text from ${p} where ${p.userId} = ${userId}), ${sql.raw(`'${DEFAULT_PREFERENCES.language}'`)})`;
}
