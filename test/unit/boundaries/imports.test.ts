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

type Imports = ReadonlyMap<string, readonly string[]>;

function importMap(files: readonly string[]): Imports {
  return new Map(files.map((file) => [file, importsOf(file)]));
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
const INTERNAL = 'projectors/engine/internal.ts';
const FACES = new Set([FACE, INTERNAL]);

/**
 * The engine's rooms along the event's path, lowest first: a room may import its own files
 * and those of the rooms below it, never one above. The faces stand above them all.
 */
const ROOMS = [
  'support',
  'definition',
  'leases',
  'source',
  'poison',
  'commit',
  'generations',
  'status',
  'pipeline',
  'stores',
  'control',
  'testing',
];

const roomOf = (file: string) => /^projectors\/engine\/([^/]+)\//.exec(file)?.[1];

/** Engine imports that go up the rooms, to a room not listed, or from a room to a face. */
function roomViolations(imports: Imports): string[] {
  const bad: string[] = [];
  for (const [file, targets] of imports) {
    const room = roomOf(file);
    if (!room) continue;
    for (const target of targets) {
      if (!target.startsWith('projectors/engine/')) continue;
      const to = roomOf(target);
      const below = to !== undefined && ROOMS.includes(to) && ROOMS.indexOf(to) <= ROOMS.indexOf(room);
      if (!ROOMS.includes(room) || !below) bad.push(`${file} → ${target}`);
    }
  }
  return bad;
}

/** The import circles among `imports`' files, each as `a → b → … → a`. */
function circles(imports: Imports): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string) => {
    path.push(file);
    for (const target of imports.get(file) ?? []) {
      if (!imports.has(target) || done.has(target)) continue;
      const at = path.indexOf(target);
      if (at >= 0) found.push([...path.slice(at), target].join(' → '));
      else visit(target);
    }
    path.pop();
    done.add(file);
  };
  for (const file of imports.keys()) if (!done.has(file)) visit(file);
  return found;
}

describe('module boundaries', () => {
  it('the engine, the API and shared code never import an application', () => {
    const files = [...sources('projectors'), ...sources('api'), ...sources('shared')];
    expect(files.length).toBeGreaterThan(40);
    expect(violations(files, (target) => target.startsWith('examples/'))).toEqual([]);
  });

  it('shared code imports no other top folder', () => {
    const files = sources('shared');
    expect(files.length).toBeGreaterThan(10);
    expect(violations(files, (target) => !target.startsWith('shared/'))).toEqual([]);
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

  it('benchmarks use the engine through its faces and never test support', () => {
    const files = sources('bench');
    expect(files.length).toBeGreaterThan(5);
    const bad = violations(
      files,
      (target) => target.startsWith('test/') || (target.startsWith('projectors/') && !FACES.has(target)),
    );
    expect(bad).toEqual([]);
  });

  it('the API, the CLI, the projector process, scripts and integration tests use the engine through its faces', () => {
    const files = [
      ...sources('api'),
      'projectors/cli.ts',
      'projectors/main.ts',
      ...sources('scripts'),
      ...sources('test/integration'),
      ...sources('test/faults'),
      ...sources('test/support'),
    ];
    expect(files.length).toBeGreaterThan(80);
    const bad = violations(files, (target) => target.startsWith('projectors/engine/') && !FACES.has(target));
    expect(bad).toEqual([]);
  });

  it('the engine’s rooms import only their own room and the rooms below it', () => {
    const files = sources('projectors/engine');
    expect(files.length).toBeGreaterThan(60);
    const rooms = new Set(files.map(roomOf).filter((room) => room !== undefined));
    expect([...rooms].sort()).toEqual([...ROOMS].sort());
    // At the top, beside the rooms: the two faces and nothing else.
    expect(files.filter((file) => roomOf(file) === undefined).sort()).toEqual([FACE, INTERNAL]);
    expect(roomViolations(importMap(files))).toEqual([]);
  });

  it('no module imports itself back through others (no circles)', () => {
    const files = [...sources('projectors'), ...sources('api'), ...sources('shared'), ...sources('examples')];
    expect(circles(importMap(files))).toEqual([]);
  });

  it('finds a forbidden import, a room out of order and a circle when there is one (the checks can fail)', () => {
    expect(violations(['test/unit/boundaries/imports.test.ts'], (t) => t.startsWith('test/'))).toEqual([]);
    expect(violations(['examples/shop/index.ts'], (t) => t === FACE)).toEqual([
      `examples/shop/index.ts → ${FACE}`,
    ]);
    const upward = new Map([
      ['projectors/engine/pipeline/runner.ts', ['projectors/engine/control/host.ts']],
      ['projectors/engine/control/host.ts', ['projectors/engine/pipeline/runner.ts']],
      ['projectors/engine/poison/isolation.ts', [INTERNAL]],
    ]);
    expect(roomViolations(upward)).toEqual([
      'projectors/engine/pipeline/runner.ts → projectors/engine/control/host.ts',
      `projectors/engine/poison/isolation.ts → ${INTERNAL}`,
    ]);
    expect(circles(upward)).toEqual([
      'projectors/engine/pipeline/runner.ts → projectors/engine/control/host.ts → projectors/engine/pipeline/runner.ts',
    ]);
  });
});
