// docs/benchmarks.md mixes what `npm run bench` measures with what people wrote about it (what
// changed and why, earlier runs kept for comparison). Each generated part sits between
//   <!-- bench:NAME -->  and  <!-- /bench:NAME -->
// and a run replaces only the text between the markers of the sections it measured: a full run
// every section and the header, `BENCH_ONLY=x` its own section; everything outside stays as written.

const open = (name: string) => `<!-- bench:${name} -->`;
const close = (name: string) => `<!-- /bench:${name} -->`;
const NAME = /^[a-z0-9-]+$/;

/** The section wrapped in its markers, as it is appended when the document does not hold it yet. */
export function markedSection(name: string, markdown: string): string {
  return `${open(name)}\n${markdown.trim()}\n${close(name)}`;
}

/**
 * `doc` with the text between each named section's markers replaced by `sections[name]`. A section
 * the document does not hold yet is appended at the end (a new bench section shows up without a
 * hand edit). Markers that do not pair up are an error: guessing where a generated part ends could
 * overwrite hand-written text.
 */
export function mergeGeneratedSections(doc: string, sections: Record<string, string>): string {
  let out = doc;
  for (const [name, markdown] of Object.entries(sections)) {
    if (!NAME.test(name))
      throw new Error(`bench section name "${name}" must be lowercase letters, digits, -`);
    const starts = out.split(open(name)).length - 1;
    const ends = out.split(close(name)).length - 1;
    if (starts === 0 && ends === 0) {
      out = `${out.trimEnd()}\n\n${markedSection(name, markdown)}\n`;
      continue;
    }
    const from = out.indexOf(open(name));
    const to = out.indexOf(close(name));
    if (starts !== 1 || ends !== 1 || to < from)
      throw new Error(`docs/benchmarks.md: the markers of bench section "${name}" do not pair up`);
    out = out.slice(0, from) + markedSection(name, markdown) + out.slice(to + close(name).length);
  }
  return out;
}

/** One line inside a generated section saying when and how it was measured, and how busy the machine was. */
export function runStamp(how: string, loadBefore: number, loadAfter: number, cores: number): string {
  const at = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return `_Measured ${at} UTC by ${how}; load average (1 min) ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after, on ${cores} cores._`;
}
