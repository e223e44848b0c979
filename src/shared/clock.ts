/** Where "now" comes from. Everything that depends on time takes a Clock so tests can move it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to; for tests and simulations. */
export class ManualClock implements Clock {
  #ms: number;
  constructor(start: Date | string = '2026-11-25T09:00:00Z') {
    this.#ms = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.#ms);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
  advanceSeconds(s: number): void {
    this.advance(s * 1000);
  }
  set(at: Date | string): void {
    this.#ms = new Date(at).getTime();
  }
}
