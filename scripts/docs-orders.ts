// npm run docs:orders — writes docs/order-states.md from the state machine table.
import { writeFileSync } from 'node:fs';
import { ORDER_MACHINE, renderMermaid } from '../src/modules/orders/index.js';

const rows = Object.entries(ORDER_MACHINE).map(
  ([event, t]) =>
    `| \`${event}\` | ${t.from.join(', ')} | ${t.to} | ${t.by.join(', ')} | ${t.evidence} | ${t.effects.join(', ') || '—'} |`,
);
const doc = `# Order states

Generated from \`src/modules/orders/machine.ts\` by \`npm run docs:orders\`; a test fails when this page and the table disagree.

\`\`\`mermaid
${renderMermaid()}
\`\`\`

| event | from | to | who | evidence | effects |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

- An event from any other status is \`409 INVALID_TRANSITION\`; an actor not listed is \`403 FORBIDDEN_ACTOR\`.
- Transitions of one order are serialised by a row lock on the order, so of two at once exactly one wins.
- \`delivery_proof\`: the buyer's delivery code (checked in constant time, limited tries) or a photo plus a GPS point plus a note.
- \`dispute\`: a reason and at least one evidence upload, inside the dispute window after delivery.
- \`return_proof\`: the parcel is back at the seller: the rider gives the seller's return handover code (a new one, issued when the parcel starts back; constant time, limited tries), or an admin records it with a reason, or the seller records it for a parcel they carried themselves.
- A failed attempt's evidence (the reason, and a rider's photo and GPS point) is on the order's timeline. \`retry_delivery\` is refused with \`409 REDELIVERY_WINDOW_CLOSED\` once the window of the latest failed attempt has passed; the buyer is refunded then (\`refund_undeliverable\`), and the stock comes back only with the parcel (\`record_return\`).
`;
writeFileSync(new URL('../docs/order-states.md', import.meta.url), doc);
console.log('docs/order-states.md written');
