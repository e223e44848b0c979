import { describe, expect, it } from 'vitest';
import { csv, formatError, HEADER, row } from './statement.fixtures.js';
import { darDay, parseAmount, parseDarTime, parseStatement } from './statement.js';

// M-Pesa statement reconciliation. Shared CSV helpers live in statement.fixtures.ts.

describe('amounts and times', () => {
  it.each([
    ['1,500.00', 150_000],
    ['1500', 150_000],
    ['1,234,567.8', 123_456_780],
    ['0.05', 5],
    ['-20.50', -2_050],
    ['-0.00', 0],
    ['1,500.500', 150_050],
    ['', null],
    ['  ', null],
  ])('%j → %j minor units', (raw, minor) => {
    expect(parseAmount(raw)).toBe(minor);
  });

  it.each([
    ['1,500.005', /fraction of a cent/],
    ['0.001', /fraction of a cent/],
    ['1.5.0', /not an amount/],
    ['12,34.00', /not an amount/],
    ['TZS 100', /not an amount/],
    ['1e5', /not an amount/],
    ['abc', /not an amount/],
    ['99999999999999999', /too large/],
  ])('refuses %j', (raw, why) => {
    expect(() => parseAmount(raw)).toThrow(why);
  });

  it('reads Dar es Salaam local time (UTC+3) and stores UTC; refuses impossible dates', () => {
    expect(parseDarTime('2026-11-25 14:03:10').toISOString()).toBe('2026-11-25T11:03:10.000Z');
    expect(parseDarTime('2026-11-26 01:30').toISOString()).toBe('2026-11-25T22:30:00.000Z');
    expect(darDay(new Date('2026-11-25T22:30:00Z'))).toBe('2026-11-26');
    expect(darDay(new Date('2026-11-25T20:59:59Z'))).toBe('2026-11-25');
    expect(() => parseDarTime('2026-02-30 10:00:00')).toThrow(/not a valid date/);
    expect(() => parseDarTime('25/11/2026 10:00:00')).toThrow(/not a time like/);
  });
});

describe('parseStatement', () => {
  it('reads M-Pesa rows: money in positive, money out negative, times in UTC', () => {
    const lines = parseStatement(
      csv(
        { receipt: 'QKA1', at: '2026-11-25 14:03:10', paidIn: 1_500_00 },
        { receipt: 'QKA2', at: '2026-11-25 15:00:00', withdrawn: 20_000_00 },
      ),
    );
    expect(lines).toEqual([
      {
        line: 2,
        receipt: 'QKA1',
        completedAt: new Date('2026-11-25T11:03:10Z'),
        amount: 150_000,
        currency: 'TZS',
        status: 'Completed',
        details: 'Customer Payment',
        otherParty: '255754123456 - JUMA',
      },
      expect.objectContaining({ line: 3, receipt: 'QKA2', amount: -2_000_000 }),
    ]);
  });

  it('keeps quoted commas, quotes and line breaks inside fields', () => {
    const text = [
      HEADER,
      'QKB1,2026-11-25 10:00:00,,"Pay Bill from 255754123456, JUMA ""Mzee""",Completed,"1,500.00",,,,,"JUMA, Mzee",,,TZS',
      'QKB2,2026-11-25 10:05:00,,"two\nlines",Completed,"12,000.00",,,,,x,,,TZS',
      'QKB3,2026-11-25 10:06:00,,ok,Completed,"1,2x0.00",,,,,x,,,TZS',
    ].join('\n');
    const err = formatError(text);
    // QKB2 spans lines 3–4, so the bad row is line 5.
    expect(err.line).toBe(5);
    expect(formatError(text.replaceAll('\n', '\r\n')).line).toBe(5);
    const lines = parseStatement(text.split('\n').slice(0, 4).join('\n'));
    expect(lines[0]).toMatchObject({
      details: 'Pay Bill from 255754123456, JUMA "Mzee"',
      otherParty: 'JUMA, Mzee',
      amount: 150_000,
    });
    expect(lines[1]).toMatchObject({ line: 3, details: 'two\nlines', amount: 1_200_000 });
  });

  it('takes a UTF-8 BOM, CRLF, blank lines, trailing commas and the lines M-Pesa prints above the header', () => {
    const text =
      '\uFEFFOrganization Name,K\'KOO LTD\r\nStatement Period,"01 Nov 2026 - 30 Nov 2026"\r\n\r\n' +
      `${HEADER}\r\n${row({ receipt: 'QKC1', at: '2026-11-25 09:00:00', paidIn: 500_00 })}\r\n\r\n` +
      `${row({ receipt: 'QKC2', at: '2026-11-25 09:10:00', paidIn: 700_00 })},,\r\n\r\n\r\n,,,,\r\n`;
    const lines = parseStatement(text);
    expect(lines.map((l) => [l.line, l.receipt, l.amount])).toEqual([
      [5, 'QKC1', 50_000],
      [7, 'QKC2', 70_000],
    ]);
    // The BOM does not stick to the first header name when the header is the first line.
    expect(
      parseStatement(`\uFEFF${csv({ receipt: 'QKC3', at: '2026-11-25 09:00:00', paidIn: 1_00 })}`),
    ).toHaveLength(1);
    // …nor before a quoted first field, as spreadsheets that quote every field write it.
    const quoted = `\uFEFF${HEADER.split(',')
      .map((h) => `"${h}"`)
      .join(',')}\r\n${row({ receipt: 'QKC4', at: '2026-11-25 09:00:00', paidIn: 2_00 })}`;
    expect(parseStatement(quoted)).toEqual([
      expect.objectContaining({ line: 2, receipt: 'QKC4', amount: 200 }),
    ]);
  });

  it('names the line and the column of a bad amount, and refuses fractions of a cent', () => {
    const two = csv(
      { receipt: 'QKD1', at: '2026-11-25 09:00:00', paidIn: 1_00 },
      { receipt: 'QKD2', at: '2026-11-25 09:00:00', withdrawn: 1_00 },
    );
    const e1 = formatError(two.replace(',1.00,', ',lots,'));
    expect(e1.line).toBe(2);
    expect(e1.message).toMatch(/^line 2: Paid In: "lots" is not an amount/);
    const e2 = formatError(two.replace(',1.00,', ',"1,500.005",'));
    expect(e2.message).toMatch(/^line 2: Paid In: "1,500.005" has a fraction of a cent/);
    const e3 = formatError(two.replace(',-1.00,', ',-1.0x,'));
    expect(e3.message).toMatch(/^line 3: Withdrawn: "-1.0x" is not an amount/);
  });

  it('names a missing required column', () => {
    const noWithdrawn = HEADER.replace(',Withdrawn', '');
    const e = formatError(`${noWithdrawn}\r\nQKE1,2026-11-25 09:00:00,,x,Completed,1.00,,,,,,,TZS`);
    expect(e.message).toBe('line 1: missing required column "Withdrawn"');
    const e2 = formatError(
      `${HEADER.replace(',Transaction Status', '').replace('Completion Time,', '')}\r\n`,
    );
    expect(e2.message).toMatch(/missing required columns "Completion Time", "Transaction Status"/);
    expect(formatError('a,b,c\r\n1,2,3\r\n').message).toMatch(/"Receipt No\." is missing/);
    // Header names are matched without case or a trailing dot; Currency is optional (TZS).
    const loose =
      'receipt no,completion time,transaction status,paid in,withdrawn\nQKE2,2026-11-25 09:00:00,Completed,,5.00';
    expect(parseStatement(loose)).toEqual([
      expect.objectContaining({ receipt: 'QKE2', amount: -500, currency: 'TZS' }),
    ]);
  });

  it('refuses rows it cannot take, with their line', () => {
    const base = { at: '2026-11-25 09:00:00' };
    const cases: Array<[string, RegExp]> = [
      [
        row({ ...base, receipt: 'QKF1', paidIn: 1_00 }).replace(',,TZS', ',,TZS,extra'),
        /15 fields where the header has 14/,
      ],
      [
        row({ ...base, receipt: 'QKF2', paidIn: 1_00 }).replace(',,,TZS', ',TZS'),
        /12 fields where the header has 14/,
      ],
      [row({ ...base, receipt: 'QKF4' }), /a completed row moves money/],
      [
        row({ ...base, receipt: 'QKF5', paidIn: 1_00 }).replace('2026-11-25 09:00:00', '2026-11-31 09:00:00'),
        /Completion Time: .* not a valid date/,
      ],
      [row({ ...base, receipt: '', paidIn: 1_00 }), /Receipt No\. is empty/],
      [row({ ...base, receipt: 'QKF6', paidIn: 1_00, status: '' }), /Transaction Status is empty/],
      [
        row({ ...base, receipt: 'QKF7', paidIn: 1_00 }).replace(',TZS', ',shillings'),
        /Currency "SHILLINGS" is not a 3-letter code/,
      ],
      [row({ ...base, receipt: 'QKF8', paidIn: -1_00 }), /Paid In is negative/],
    ];
    for (const [r, why] of cases) {
      const e = formatError(`${HEADER}\r\n${row({ ...base, receipt: 'QKF0', paidIn: 1_00 })}\r\n${r}`);
      expect(e.line, r).toBe(3);
      expect(e.message, r).toMatch(why);
    }
    const both = formatError(`${HEADER}\r\nQKF9,2026-11-25 09:00:00,,x,Completed,1.00,2.00,,,,,,,TZS`);
    expect(both.message).toMatch(/line 2: both Paid In and Withdrawn are set/);
  });

  it('takes a not-completed row without an amount; one receipt twice is one row unless the rows differ', () => {
    const failed = { receipt: 'QKG1', at: '2026-11-25 09:00:00', status: 'Failed' };
    expect(parseStatement(csv(failed))).toEqual([expect.objectContaining({ amount: 0, status: 'Failed' })]);
    const paid = { receipt: 'QKG2', at: '2026-11-25 09:00:00', paidIn: 1_00 };
    expect(parseStatement(csv(paid, paid))).toHaveLength(1);
    const e = formatError(csv(paid, { ...paid, paidIn: 2_00 }));
    expect(e.message).toBe('line 3: Receipt No. QKG2 already appears on line 2 with different values');
  });

  it('says an unclosed quote is not a CSV it can read', () => {
    expect(formatError(`${HEADER}\r\nQKH1,"2026-11-25 09:00:00,,x\r\n`).message).toMatch(
      /not a readable CSV/,
    );
  });
});
