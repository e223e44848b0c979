/**
 * OpenAPI 3.0 writes "or null" as `nullable: true`. Beside an `enum` that is not enough: the
 * 3.0.3 clarification says `nullable` does not widen an explicit `enum`, so a validator that
 * follows the text (Ajv, our contract check) refuses `null` for `{ enum: ['a'], nullable: true }`,
 * while Zod's `z.enum([...]).nullable()` really answers null. Listing `null` among the values
 * says the same thing to every reader.
 */
export function listNullInNullableEnums<T>(node: T): T {
  if (Array.isArray(node)) return node.map(listNullInNullableEnums) as T;
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = listNullInNullableEnums(v);
  if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null))
    out.enum = [...out.enum, null];
  return out as T;
}
