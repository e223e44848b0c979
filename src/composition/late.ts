/**
 * A port whose implementation exists only once a later module is built (orders asks payments
 * whether a prompt is in flight; payments pays orders' checkouts). Declared by name before either
 * side, bound exactly once after both exist; a call before that is a wiring bug and says so.
 */
export function latePort<T extends object>(name: string) {
  let impl: T | null = null;
  const port = new Proxy({} as T, {
    get(_target, key) {
      if (!impl) throw new Error(`${name} is used before it was bound (composition order)`);
      return Reflect.get(impl, key);
    },
  });
  return {
    port,
    bind(value: T) {
      if (impl) throw new Error(`${name} is bound twice`);
      impl = value;
    },
  };
}
