import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The guides' TypeScript is compiled: every ```ts block of README.md and docs/*.md names, on the
 * line before it, the region of a file under docs/snippets/ it shows
 * (`<!-- snippet: docs/snippets/shop/views/orders.ts#orders -->`), and must equal that region
 * byte for byte (marker lines left out, the region's common indentation removed). The snippet
 * files are in tsconfig.json's `include`, so `npm run typecheck` compiles what the guides show.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
const SNIPPETS = 'docs/snippets';
// The faces a team imports as `vista` and `vista/testing`.
const FACES = new Set(['projectors/engine/index.ts', 'projectors/engine/testing/face.ts']);
const MARKER = /^<!-- snippet: (\S+)#([\w-]+) -->$/;

/** The regions of a snippet file by name: `// #region name` … `// #endregion`, nesting allowed. */
function regionsOf(text: string): Map<string, string> {
  const regions = new Map<string, string[]>();
  const open: string[] = [];
  for (const line of text.split('\n')) {
    const start = /^\s*\/\/ #region ([\w-]+)\s*$/.exec(line);
    if (start) {
      const name = start[1] as string;
      if (regions.has(name)) throw new Error(`region ${name} is defined twice`);
      regions.set(name, []);
      open.push(name);
    } else if (/^\s*\/\/ #endregion\s*$/.test(line)) {
      if (!open.pop()) throw new Error('#endregion without #region');
    } else {
      for (const name of open) regions.get(name)?.push(line);
    }
  }
  if (open.length > 0) throw new Error(`region ${open.join(', ')} is not closed`);
  return new Map([...regions].map(([name, lines]) => [name, dedent(lines)]));
}

function dedent(lines: readonly string[]): string {
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)?.[0].length ?? 0);
  const cut = Math.min(...indents, Number.MAX_SAFE_INTEGER);
  return lines.map((l) => l.slice(cut)).join('\n');
}

/** The ```ts blocks of a Markdown text, with the snippet marker on the line before each, if any. */
function tsBlocks(markdown: string): { line: number; marker: string | undefined; code: string }[] {
  const lines = markdown.split('\n');
  const blocks: { line: number; marker: string | undefined; code: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(`{3,})(\S*)/.exec(lines[i] as string);
    if (!fence) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith(fence[1] as string) && l.trim() === fence[1]);
    const close = end < 0 ? lines.length : end;
    if (['ts', 'typescript', 'tsx'].includes(fence[2] as string)) {
      blocks.push({ line: i + 1, marker: lines[i - 1], code: lines.slice(i + 1, close).join('\n') });
    }
    i = close;
  }
  return blocks;
}

/** Each block compared with the region it names; what is wrong, as messages. */
function checkBlocks(
  file: string,
  markdown: string,
  regionsIn: (path: string) => Map<string, string> | undefined,
  used = new Set<string>(),
): string[] {
  return tsBlocks(markdown).flatMap(({ line, marker, code }) => {
    const at = `${file}:${line}`;
    const named = MARKER.exec(marker ?? '');
    if (!named)
      return [
        `${at}: a ts block needs <!-- snippet: ${SNIPPETS}/<file>.ts#<region> --> on the line before it`,
      ];
    const [, path, region] = named as unknown as [string, string, string];
    const regions = path.startsWith(`${SNIPPETS}/`) ? regionsIn(path) : undefined;
    if (!regions) return [`${at}: ${path} is not a snippet file under ${SNIPPETS}/`];
    const expected = regions.get(region);
    if (expected === undefined) return [`${at}: ${path} has no region ${region}`];
    used.add(`${path}#${region}`);
    return code === expected ? [] : [`${at}: differs from ${path}#${region}, which reads:\n${expected}`];
  });
}

function files(folder: string, extension: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(extension))
    .map((f) => join(folder, f))
    .sort();
}

const guides = ['README.md', ...files('docs', '.md')];
const snippetFiles = files(SNIPPETS, '.ts');
const regions = new Map(snippetFiles.map((f) => [f, regionsOf(readFileSync(join(ROOT, f), 'utf8'))]));

describe('the guides show compiled code', () => {
  it('every ts block of README.md and docs/*.md is a region of a snippet file, byte for byte', () => {
    const used = new Set<string>();
    const problems = guides.flatMap((g) =>
      checkBlocks(g, readFileSync(join(ROOT, g), 'utf8'), (path) => regions.get(path), used),
    );
    expect(problems).toEqual([]);
    expect(used.size).toBeGreaterThan(10);
  });

  it('every region is shown in a guide (no snippet drifts unseen)', () => {
    const used = new Set<string>();
    for (const g of guides)
      checkBlocks(g, readFileSync(join(ROOT, g), 'utf8'), (path) => regions.get(path), used);
    const all = [...regions].flatMap(([file, named]) => [...named.keys()].map((name) => `${file}#${name}`));
    expect(all.filter((region) => !used.has(region))).toEqual([]);
  });

  it('snippets import only the engine faces, other snippets and packages', () => {
    const bad = snippetFiles.flatMap((file) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      return [...text.matchAll(/from\s+['"](\.{1,2}\/[^'"]+)['"]/g)]
        .map((m) => relative(ROOT, resolve(ROOT, dirname(file), m[1] as string)))
        .filter((target) => !FACES.has(target) && !target.startsWith(`${SNIPPETS}/`))
        .map((target) => `${file} → ${target}`);
    });
    expect(snippetFiles.length).toBeGreaterThan(5);
    expect(bad).toEqual([]);
  });

  it('the check fails on a block that differs, lacks its marker or names no region', () => {
    const file = 'docs/snippets/x.ts';
    const snippet = regionsOf('const a = 1;\n// #region r\n  if (a) {\n    go();\n  }\n// #endregion\n');
    expect(snippet.get('r')).toBe('if (a) {\n  go();\n}');
    const lookup = (path: string) => (path === file ? snippet : undefined);
    const doc = (marker: string, code: string) => `text\n${marker}\n\`\`\`ts\n${code}\n\`\`\`\n`;
    const marker = `<!-- snippet: ${file}#r -->`;
    expect(checkBlocks('g.md', doc(marker, 'if (a) {\n  go();\n}'), lookup)).toEqual([]);
    expect(checkBlocks('g.md', doc(marker, 'if (a) {\n  go() ;\n}'), lookup)).toHaveLength(1);
    expect(checkBlocks('g.md', doc('', 'if (a) {}'), lookup)).toHaveLength(1);
    expect(checkBlocks('g.md', doc(`<!-- snippet: ${file}#nope -->`, 'x'), lookup)).toHaveLength(1);
    expect(checkBlocks('g.md', doc('<!-- snippet: api/app.ts#r -->', 'x'), lookup)).toHaveLength(1);
    expect(() => regionsOf('// #region a\n')).toThrow(/not closed/);
  });
});
