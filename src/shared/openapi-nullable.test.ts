import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { listNullInNullableEnums } from './openapi-nullable.js';

describe('listNullInNullableEnums', () => {
  const doc = {
    components: {
      schemas: {
        Collection: {
          type: 'object',
          properties: {
            used_for: { type: 'string', enum: ['funded_checkout', 'refunded_late'], nullable: true },
            status: { type: 'string', enum: ['pending', 'paid'] },
            note: { type: 'string', nullable: true },
          },
        },
      },
    },
  };

  it('adds null to the values of a nullable enum, and leaves other schemas as they were', () => {
    const out = listNullInNullableEnums(doc);
    const props = out.components.schemas.Collection.properties;
    expect(props.used_for.enum).toEqual(['funded_checkout', 'refunded_late', null]);
    expect(props.status).toEqual({ type: 'string', enum: ['pending', 'paid'] });
    expect(props.note).toEqual({ type: 'string', nullable: true });
    // Pure: the input is not changed, and a second pass adds nothing.
    expect(doc.components.schemas.Collection.properties.used_for.enum).toHaveLength(2);
    expect(listNullInNullableEnums(out)).toEqual(out);
  });

  it('makes a null reply valid for a validator that reads nullable as OpenAPI 3.0.3 does', () => {
    const ajv = new Ajv({ strict: false });
    const validateOld = ajv.compile(doc.components.schemas.Collection);
    const validateNew = ajv.compile(listNullInNullableEnums(doc).components.schemas.Collection);
    expect(validateOld({ used_for: null })).toBe(false);
    expect(validateNew({ used_for: null })).toBe(true);
    expect(validateNew({ used_for: 'refunded_late' })).toBe(true);
    expect(validateNew({ used_for: 'spent' })).toBe(false);
  });
});
