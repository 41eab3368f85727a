import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Relative links between README.md, bench/README.md and docs/*.md point at files and headings that exist. */

const ROOT = resolve(import.meta.dirname, '../../..');

/** Markdown without its fenced code blocks (links and headings in code are not links and headings). */
function prose(markdown: string): string {
  return markdown.replace(/^(`{3,})[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, '');
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens; repeats get -1, -2. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = (heading as string).replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  for (const [, id] of markdown.matchAll(/<a (?:id|name)="([^"]+)"/g)) anchors.add(id as string);
  return anchors;
}

/** Broken relative links of one Markdown file, as `file: target (why)`. */
function brokenLinks(file: string, markdown: string, read: (path: string) => string | undefined): string[] {
  const problems: string[] = [];
  for (const [, raw] of prose(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = raw as string;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
    const [path = '', anchor] = target.split('#');
    const resolved = path === '' ? file : relative(ROOT, resolve(ROOT, dirname(file), decodeURI(path)));
    const text = read(resolved);
    if (text === undefined) {
      problems.push(`${file}: ${target} (no such file)`);
    } else if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(text).has(anchor)) {
      problems.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
    }
  }
  return problems;
}

function readRepoFile(path: string): string | undefined {
  const full = join(ROOT, path);
  if (!existsSync(full)) return undefined;
  return statSync(full).isDirectory() ? '' : readFileSync(full, 'utf8');
}

const documents = [
  'README.md',
  'bench/README.md',
  ...readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];

describe('links between the docs', () => {
  it('every relative link of README.md, bench/README.md and docs/*.md resolves, anchors included', () => {
    expect(documents.length).toBeGreaterThan(5);
    const problems = documents.flatMap((file) => brokenLinks(file, readRepoFile(file) ?? '', readRepoFile));
    expect(problems).toEqual([]);
  });

  it('finds a broken link when there is one (the check can fail)', () => {
    const files: Record<string, string> = {
      'docs/a.md':
        '# Rebuilds and generations\n## `vista status`\n## Errors\n## Errors\n```sh\n[x](nowhere.md)\n```\n',
    };
    const read = (path: string) => files[path];
    const doc = (link: string) => `see [here](${link})`;
    expect(brokenLinks('docs/b.md', doc('a.md#rebuilds-and-generations'), read)).toEqual([]);
    expect(brokenLinks('docs/b.md', doc('a.md#vista-status'), read)).toEqual([]);
    expect(brokenLinks('docs/b.md', doc('a.md#errors-1'), read)).toEqual([]);
    expect(brokenLinks('docs/b.md', doc('https://example.com/x.md#y'), read)).toEqual([]);
    expect(brokenLinks('docs/a.md', files['docs/a.md'] as string, read)).toEqual([]);
    expect(brokenLinks('docs/b.md', doc('a.md#rebuilds'), read)).toHaveLength(1);
    expect(brokenLinks('docs/b.md', doc('c.md'), read)).toHaveLength(1);
    expect(brokenLinks('docs/a.md', doc('#errors-2'), read)).toHaveLength(1);
  });
});
