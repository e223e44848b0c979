/**
 * Which methods the app answers on a path, for a 405 with an `Allow` header when a request uses
 * another one (Fastify itself only knows "no route": a 404). Built from the registered routes.
 */
export interface RouteTable {
  add(method: string | string[], url: string): void;
  /** The methods registered for a concrete path, sorted; empty when no route has this path. */
  allowedMethods(path: string): string[];
}

const trimSlash = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);

/** `/orders/:id/*` → a regex over a concrete path; `:x` is one segment, `*` is the rest. */
function patternOf(url: string): RegExp {
  const parts = trimSlash(url)
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    });
  return new RegExp(`^${parts.join('/')}$`);
}

export function createRouteTable(): RouteTable {
  const routes: Array<{ pattern: RegExp; methods: string[] }> = [];
  return {
    add(method, url) {
      routes.push({ pattern: patternOf(url), methods: [method].flat() });
    },
    allowedMethods(path) {
      const target = trimSlash(path.split('?')[0]!);
      const allowed = new Set<string>();
      for (const r of routes) if (r.pattern.test(target)) for (const m of r.methods) allowed.add(m);
      return [...allowed].sort();
    },
  };
}
