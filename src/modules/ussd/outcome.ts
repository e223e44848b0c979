// Pure: what the caller reads once an action has run (an END screen), and the SMS receipt text.
import { fitScreen, orderLabel } from './menu.js';
import type { UssdLanguage, UssdOrder } from './ports.js';
import { TEXTS } from './texts.js';

export type UssdOutcome =
  | { kind: 'confirmed'; order: UssdOrder }
  | { kind: 'disputed'; order: UssdOrder }
  | { kind: 'language_set'; language: UssdLanguage }
  /** the order's own rules said no: its state moved on since the list was shown */
  | { kind: 'not_now'; order: UssdOrder; status: string }
  | { kind: 'window_closed'; order: UssdOrder }
  /** another action already ran on this order in this session */
  | { kind: 'already_done' }
  /** a replay arrived while the first request is still running */
  | { kind: 'in_progress' }
  | { kind: 'failed' };

export function outcomeScreen(language: UssdLanguage, o: UssdOutcome): string {
  const t = TEXTS[language];
  switch (o.kind) {
    case 'confirmed':
      return fitScreen(t.confirmed(orderLabel(o.order)));
    case 'disputed':
      return fitScreen(t.disputed(orderLabel(o.order)));
    case 'language_set':
      return fitScreen(TEXTS[o.language].languageSet);
    case 'not_now':
      return fitScreen(t.notNow(orderLabel(o.order), t.status[o.status] ?? o.status));
    case 'window_closed':
      return fitScreen(t.windowClosed(orderLabel(o.order)));
    case 'already_done':
      return t.alreadyDone;
    case 'in_progress':
      return t.inProgress;
    case 'failed':
      return t.failed;
  }
}
