import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');

function sources(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(folder, f));
}

/** Every relative module a file imports (static, dynamic and type-only), as a repo path. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map(
    (m) => m[1] as string,
  );
  return specs.map((spec) => relative(ROOT, resolve(ROOT, dirname(file), spec)));
}

/** Imports from `files` that reach into a forbidden folder, as `file → import`. */
function violations(files: readonly string[], forbidden: (target: string) => boolean): string[] {
  return files.flatMap((file) =>
    importsOf(file)
      .filter(forbidden)
      .map((target) => `${file} → ${target}`),
  );
}

const FACE = 'projectors/engine/index.ts';

describe('module boundaries', () => {
  it('the engine, the API and shared code never import an application', () => {
    const files = [...sources('projectors'), ...sources('api'), ...sources('shared')];
    expect(files.length).toBeGreaterThan(40);
    expect(violations(files, (target) => target.startsWith('examples/'))).toEqual([]);
  });

  it('applications import the engine only through its public face, never test support', () => {
    const files = sources('examples');
    expect(files.length).toBeGreaterThan(5);
    const bad = violations(
      files,
      (target) =>
        target.startsWith('test/') ||
        target.startsWith('api/') ||
        ((target.startsWith('projectors/') || target.startsWith('shared/')) && target !== FACE),
    );
    expect(bad).toEqual([]);
  });

  it('benchmarks use the engine through its face and never test support', () => {
    const files = sources('bench');
    expect(files.length).toBeGreaterThan(5);
    const bad = violations(
      files,
      (target) => target.startsWith('test/') || (target.startsWith('projectors/') && target !== FACE),
    );
    expect(bad).toEqual([]);
  });

  it('finds a forbidden import when there is one (the check can fail)', () => {
    expect(violations(['test/unit/boundaries/imports.test.ts'], (t) => t.startsWith('test/'))).toEqual([]);
    expect(violations(['examples/shop/index.ts'], (t) => t === FACE)).toEqual([
      `examples/shop/index.ts → ${FACE}`,
    ]);
  });
});
