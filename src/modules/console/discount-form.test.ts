import { describe, expect, it } from 'vitest';
import { MONEY_UNIT } from '../../shared/money.js';
import { discountFromForm } from './promotions.js';

const form = (values: Record<string, string>) => (name: string) => values[name] ?? '';

describe('discountFromForm (promotion and code forms)', () => {
  it('turns a percentage with up to two decimals into exact basis points', () => {
    expect(discountFromForm(form({ percent: '12.5' }))).toEqual({
      type: 'percentage',
      percent_bp: 1250,
      cap_amount: null,
    });
    expect(discountFromForm(form({ percent: '0.07', cap: '500' }))).toEqual({
      type: 'percentage',
      percent_bp: 7,
      cap_amount: 500 * MONEY_UNIT,
    });
  });

  it('passes anything else on as typed, for the API schema to refuse', () => {
    expect(discountFromForm(form({ percent: '12.345' })).percent_bp).toBe('12.345');
    expect(discountFromForm(form({ percent: '1e3' })).percent_bp).toBe('1e3');
    expect(discountFromForm(form({ value_type: 'fixed', amount: '2.5' }))).toEqual({
      type: 'fixed',
      amount: '2.5',
    });
  });

  it('a fixed amount is whole shillings in minor units', () => {
    expect(discountFromForm(form({ value_type: 'fixed', amount: '2000' }))).toEqual({
      type: 'fixed',
      amount: 2000 * MONEY_UNIT,
    });
  });
});
