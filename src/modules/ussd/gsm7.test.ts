import { describe, expect, it } from 'vitest';
import { gsm7Length, isGsm7, toGsm7 } from './gsm7.js';

describe('GSM-7', () => {
  it('accepts the basic and extension tables, refuses the rest', () => {
    expect(isGsm7("Karibu K'KOO\n1 Oda zangu 0 Nyuma 00 Mwanzo")).toBe(true);
    expect(isGsm7('TSh 10,000 @ 15:30 [ok] €')).toBe(true);
    expect(isGsm7('Café')).toBe(true); // é is in the basic table
    expect(isGsm7('Kanga ✓')).toBe(false);
    expect(isGsm7('emoji 😀')).toBe(false);
    expect(isGsm7('“quotes”')).toBe(false);
    expect(isGsm7('naïve')).toBe(false); // ï is not
    expect(isGsm7('')).toBe(true);
  });

  it('counts extension characters as two septets', () => {
    expect(gsm7Length('abc')).toBe(3);
    expect(gsm7Length('[x]')).toBe(5);
    expect(gsm7Length('€')).toBe(2);
    expect(gsm7Length('✓')).toBeNull();
  });

  it('folds accents, drops what cannot be shown and cuts to the limit', () => {
    expect(toGsm7('Naïve Ça ✓ Kanga  ya\tPwani', 40)).toBe('Naive Ca Kanga ya Pwani');
    expect(toGsm7('Redio ya Sola ndefu sana', 10)).toBe('Redio ya.');
    expect(toGsm7('😀😀', 10)).toBe('');
    expect(isGsm7(toGsm7('“Kanga” – ya kisasa…', 30))).toBe(true);
  });
});
