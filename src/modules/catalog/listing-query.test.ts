import { describe, expect, it } from 'vitest';
import { rowsFetched } from './listing-query.js';

describe('rows a listing page asks PostgreSQL for', () => {
  it('a page without a text search asks for one of a few literal sizes, at least limit + 1', () => {
    // A literal limit lets PostgreSQL keep the generic plan of the prepared statement; one size
    // per limit would mean up to 100 prepared statements per shape on every connection.
    expect(rowsFetched({ limit: 20 })).toBe(21);
    expect(rowsFetched({ limit: 1 })).toBe(21);
    expect(rowsFetched({ limit: 21 })).toBe(51);
    expect(rowsFetched({ limit: 50 })).toBe(51);
    expect(rowsFetched({ limit: 51 })).toBe(101);
    expect(rowsFetched({ limit: 100 })).toBe(101);
    for (let limit = 1; limit <= 100; limit++) expect(rowsFetched({ limit })!).toBeGreaterThan(limit);
  });
  it('a text search keeps its limit a parameter (its plan depends on the words)', () => {
    expect(rowsFetched({ limit: 20, q: 'kanga' })).toBeUndefined();
  });
});
