import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { toCsv } from './csv.js';

describe('CSV export', () => {
  it('quotes commas, quotes and newlines, and a CSV reader gets the cells back', () => {
    const text = toCsv(
      ['a', 'b'],
      [
        ['Duka "Bora", Kariakoo', 'line1\nline2'],
        [-1500, null],
      ],
    );
    expect(parse(text)).toEqual([
      ['a', 'b'],
      ['Duka "Bora", Kariakoo', 'line1\nline2'],
      ['-1500', ''],
    ]);
    expect(text.endsWith('\r\n')).toBe(true);
  });

  it('defuses text a spreadsheet would run as a formula, leaves numbers alone', () => {
    const text = toCsv(['x'], [['=HYPERLINK("http://evil")'], ['+1'], ['@SUM(A1)'], ['-2'], [-2]]);
    expect(parse(text).slice(1)).toEqual([
      [`'=HYPERLINK("http://evil")`],
      ["'+1"],
      ["'@SUM(A1)"],
      ["'-2"],
      ['-2'],
    ]);
  });
});
