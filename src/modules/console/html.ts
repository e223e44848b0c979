// The console's only way to build markup: every interpolated value is escaped unless it is an
// Html value (made by this tag) or passed through the explicit, greppable unsafeRaw().

const HTML_BRAND = Symbol('kkoo.html');

export interface Html {
  readonly [HTML_BRAND]: true;
  readonly value: string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
  '=': '&#61;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`=]/g, (c) => ESCAPES[c]!);
}

function isHtml(v: unknown): v is Html {
  return typeof v === 'object' && v !== null && HTML_BRAND in v;
}

/** Trusted markup, as is. Only for strings the console itself built (never for data). */
export function unsafeRaw(markup: string): Html {
  return { [HTML_BRAND]: true, value: markup };
}

type Value = Html | string | number | bigint | boolean | null | undefined | readonly Value[];

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (Array.isArray(v)) return v.map(render).join('');
  if (isHtml(v)) return v.value;
  return escapeHtml(String(v));
}

/** A tagged template: `html\`<td>${name}</td>\`` escapes `name`; arrays of Html are joined. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return unsafeRaw(out);
}
