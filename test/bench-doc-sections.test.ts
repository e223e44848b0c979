import { describe, expect, it } from 'vitest';
import { markedSection, mergeGeneratedSections } from '../bench/doc-sections.js';

// A bench run replaces only its generated sections of docs/benchmarks.md; hand-written text between
// and around them stays as written.
const doc = `# Benchmarks

<!-- bench:header -->
old header
<!-- /bench:header -->

## Start-up

<!-- bench:startup -->
| old | table |
<!-- /bench:startup -->

What changed and why: written by hand.

<!-- bench:reads -->
old reads
<!-- /bench:reads -->
Hand-written note after reads.
`;

describe('mergeGeneratedSections', () => {
  it('replaces the text between the markers of the given sections and nothing else', () => {
    const out = mergeGeneratedSections(doc, { startup: '| new | table |\n' });
    expect(out).toBe(doc.replace('| old | table |', '| new | table |'));
    expect(out).toContain('What changed and why: written by hand.');
    expect(out).toContain('old header');
    expect(out).toContain('old reads');
  });

  it('replaces several sections in one pass', () => {
    const out = mergeGeneratedSections(doc, { header: 'new header', reads: 'new reads' });
    expect(out).toContain('<!-- bench:header -->\nnew header\n<!-- /bench:header -->');
    expect(out).toContain(
      '<!-- bench:reads -->\nnew reads\n<!-- /bench:reads -->\nHand-written note after reads.',
    );
    expect(out).toContain('| old | table |');
  });

  it('is stable: merging the same section twice gives the same document', () => {
    const once = mergeGeneratedSections(doc, { startup: 'x' });
    expect(mergeGeneratedSections(once, { startup: 'x' })).toBe(once);
  });

  it('appends a section the document does not hold yet, in its markers', () => {
    const out = mergeGeneratedSections(doc, { analytics: '## Analytics\n\nrows' });
    expect(out.startsWith(doc.trimEnd())).toBe(true);
    expect(out.endsWith(`${markedSection('analytics', '## Analytics\n\nrows')}\n`)).toBe(true);
  });

  it('refuses markers that do not pair up rather than overwrite hand-written text', () => {
    expect(() =>
      mergeGeneratedSections(doc.replace('<!-- /bench:startup -->', ''), { startup: 'x' }),
    ).toThrow(/do not pair up/);
    expect(() => mergeGeneratedSections(`${doc}\n<!-- bench:reads -->\n`, { reads: 'x' })).toThrow(
      /do not pair up/,
    );
    const swapped = '<!-- /bench:a -->\ntext\n<!-- bench:a -->\n';
    expect(() => mergeGeneratedSections(swapped, { a: 'x' })).toThrow(/do not pair up/);
  });

  it('does not treat a longer name as the same section', () => {
    const out = mergeGeneratedSections('<!-- bench:reads-open -->\nkeep\n<!-- /bench:reads-open -->\n', {
      reads: 'r',
    });
    expect(out).toContain('keep');
    expect(out).toContain('<!-- bench:reads -->\nr\n<!-- /bench:reads -->');
  });
});
