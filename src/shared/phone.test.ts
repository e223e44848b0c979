import { describe, expect, it } from 'vitest';
import { maskPhone, normalizeMobile } from './phone.js';

describe('normalizeMobile', () => {
  it.each([
    ['0712345678', '+255712345678'],
    ['0712 345 678', '+255712345678'],
    ['+255712345678', '+255712345678'],
    ['255712345678', '+255712345678'],
    ['+255 754-123-456', '+255754123456'],
    ['0688123456', '+255688123456'], // Airtel
    ['0655123456', '+255655123456'], // Yas
    ['0621123456', '+255621123456'], // Halotel
    ['0722123456', '+255722123456'], // Vodacom 72: libphonenumber rejects it; our prefix table does not
  ])('accepts the Tanzanian mobile %s as %s', (input, e164) => {
    expect(normalizeMobile(input)).toEqual({ ok: true, e164, country: 'TZ' });
  });

  it.each([
    ['+254712345678', 'KE'],
    ['254712345678', 'KE'],
    ['+254110123456', 'KE'],
    ['+256772123456', 'UG'],
    ['+250788123456', 'RW'],
  ])('accepts the East African mobile %s', (input, country) => {
    const r = normalizeMobile(input);
    expect(r.ok && r.country).toBe(country);
  });

  it.each([
    ['+255222123456', 'NOT_MOBILE'], // Dar es Salaam fixed line
    ['0641234567', 'NOT_MOBILE'], // 64 is not allocated to mobiles
    ['07123456789', 'NOT_MOBILE'], // one digit too many
    ['+12025550100', 'COUNTRY_NOT_SUPPORTED'],
    ['+447700900123', 'COUNTRY_NOT_SUPPORTED'],
    ['12', 'NOT_A_NUMBER'],
    ['abc', 'NOT_A_NUMBER'],
    ['0712345678x', 'NOT_A_NUMBER'],
    ['call me on 0712345678', 'NOT_A_NUMBER'],
    ['', 'NOT_A_NUMBER'],
  ])('refuses %s (%s)', (input, reason) => {
    expect(normalizeMobile(input)).toEqual({ ok: false, reason });
  });

  it('masks all but the prefix and the last digits', () => {
    expect(maskPhone('+255712345678')).toBe('+25571***678');
    expect(maskPhone('+255712345678')).not.toContain('2345');
  });
});
