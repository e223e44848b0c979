import { describe, expect, it } from 'vitest';
import { createRouteTable } from './allowed-methods.js';

describe('createRouteTable', () => {
  const table = createRouteTable();
  table.add(['GET', 'HEAD'], '/health');
  table.add('GET', '/api/v1/orders/:id');
  table.add('POST', '/api/v1/orders/:id/cancel');
  table.add('PATCH', '/api/v1/orders/:id');
  table.add('GET', '/docs/*');

  it('lists the methods of every route matching a concrete path, sorted', () => {
    expect(table.allowedMethods('/health')).toEqual(['GET', 'HEAD']);
    expect(table.allowedMethods('/health/?x=1')).toEqual(['GET', 'HEAD']);
    expect(table.allowedMethods('/api/v1/orders/abc')).toEqual(['GET', 'PATCH']);
    expect(table.allowedMethods('/api/v1/orders/abc/cancel')).toEqual(['POST']);
    expect(table.allowedMethods('/docs/static/a.css')).toEqual(['GET']);
  });

  it('knows no methods for a path no route has; a parameter is one whole segment', () => {
    expect(table.allowedMethods('/nowhere')).toEqual([]);
    expect(table.allowedMethods('/api/v1/orders')).toEqual([]);
    expect(table.allowedMethods('/api/v1/orders/a/b')).toEqual([]);
    expect(table.allowedMethods('/healthz')).toEqual([]);
  });
});
