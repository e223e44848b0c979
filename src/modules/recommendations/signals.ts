import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { recCartAdds, recViews } from './schema.js';
import { REC_SETTINGS } from './scoring.js';

// Signals, recorded cheaply: one upsert and one bounded trim per event, nothing computed. A
// viewer keeps only their last REC_SETTINGS.signalsPerViewer products, so a busy (or hostile)
// session cannot grow the table beyond that.

/** `u:<user id>` for a signed-in buyer, `s:<session id>` for an anonymous session. */
export type ViewerKey = `u:${string}` | `s:${string}`;

export function createSignals(deps: { db: Database; clock: Clock }) {
  const keep = REC_SETTINGS.signalsPerViewer;
  const trimViews = (tx: Database, viewer: ViewerKey) =>
    tx.execute(sql`delete from ${recViews} where ${recViews.viewer} = ${viewer}
      and ${recViews.productId} in (select ${recViews.productId} from ${recViews}
        where ${recViews.viewer} = ${viewer} order by ${recViews.viewedAt} desc offset ${keep})`);
  return {
    async recordView(viewer: ViewerKey, productId: string) {
      const now = deps.clock.now();
      await deps.db.transaction(async (tx) => {
        await tx
          .insert(recViews)
          .values({ viewer, productId, viewedAt: now })
          .onConflictDoUpdate({ target: [recViews.viewer, recViews.productId], set: { viewedAt: now } });
        await trimViews(tx, viewer);
      });
    },

    /**
     * At sign-in, in the sign-in's transaction: the anonymous session's views become the account's.
     * Bounded (the session's latest `keep` only, then the account trimmed to `keep`), idempotent
     * (the session's rows are moved, not copied: a second sign-in with the same session finds
     * nothing, and a view seen on both sides keeps its latest time), and never shared: once moved,
     * another account signing in on the same install cannot inherit them.
     */
    async mergeAnonymousViews(tx: Database, sessionId: string, userId: string) {
      const from: ViewerKey = `s:${sessionId}`;
      const to: ViewerKey = `u:${userId}`;
      await tx.execute(sql`insert into ${recViews} (viewer, product_id, viewed_at)
        select ${to}, ${recViews.productId}, ${recViews.viewedAt} from ${recViews}
         where ${recViews.viewer} = ${from} order by ${recViews.viewedAt} desc limit ${keep}
        on conflict (viewer, product_id) do update
          set viewed_at = greatest(${recViews}.viewed_at, excluded.viewed_at)`);
      await tx.delete(recViews).where(eq(recViews.viewer, from));
      await trimViews(tx, to);
    },

    /** The cart's hook: called inside the add's own transaction. */
    async recordCartAdd(tx: Database, added: { buyerId: string; productId: string; at: Date }) {
      await tx
        .insert(recCartAdds)
        .values({ buyerId: added.buyerId, productId: added.productId, addedAt: added.at })
        .onConflictDoUpdate({
          target: [recCartAdds.buyerId, recCartAdds.productId],
          set: { addedAt: added.at },
        });
      await tx.execute(sql`delete from ${recCartAdds} where ${recCartAdds.buyerId} = ${added.buyerId}
        and ${recCartAdds.productId} in (select ${recCartAdds.productId} from ${recCartAdds}
          where ${recCartAdds.buyerId} = ${added.buyerId} order by ${recCartAdds.addedAt} desc offset ${keep})`);
    },
  };
}

export type Signals = ReturnType<typeof createSignals>;
