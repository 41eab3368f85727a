import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import library from '../../docs/snippets/getting-started/src/app.ts';
import { books } from '../../docs/snippets/getting-started/src/books.ts';
import { type AnyEvent, foldDocuments, freePort } from '../../projectors/engine/internal.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';

/**
 * What a team does, as docs/getting-started.md tells it: pack Vista, install the tarball into
 * an empty project, write the guide's application there (its own events, a document view, a
 * SQL view), typecheck it (a typo in an event type fails), check it, start it with the
 * package's `vista` in a namespace of its own, publish its demo history, and query the derived
 * API over HTTP. No file of Vista's checkout is used by the project but the tarball.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const GUIDE = join(ROOT, 'docs/snippets/getting-started');
const run = promisify(execFile);
const devVersions = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies;

let project: string;
let env: TestEnvironment;
let started: ChildProcess | undefined;
let startOutput = '';

async function inProject(command: string, args: string[], extraEnv: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(command, args, {
      cwd: project,
      env: { ...process.env, ...env.env, VISTA_APP: '', ...extraEnv },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'vista-team-'));
  env = await testEnvironment({}, library);
  const packed = await run('npm', ['pack', '--pack-destination', project, '--silent'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const tarball = packed.stdout.trim().split('\n').at(-1) as string;
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'library-app', private: true, type: 'module' }, null, 2),
  );
  await run(
    'npm',
    [
      'install',
      `./${tarball}`,
      `typescript@${devVersions.typescript}`,
      `@types/node@${devVersions['@types/node']}`,
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
    ],
    { cwd: project, maxBuffer: 16 * 1024 * 1024 },
  );
  cpSync(join(GUIDE, 'src'), join(project, 'src'), { recursive: true });
  cpSync(join(GUIDE, 'tsconfig.json'), join(project, 'tsconfig.json'));
}, 300_000);

afterAll(async () => {
  if (started && started.exitCode === null && started.signalCode === null) {
    const exited = new Promise((done) => started?.once('exit', done));
    started.kill('SIGTERM');
    await exited;
  }
  await env?.cleanup();
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('a team installs the package in its own repository', () => {
  it('ships compiled JavaScript with types and no sources of Vista', async () => {
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules/vista/package.json'), 'utf8'));
    expect(manifest.exports['.'].default).toBe('./dist/projectors/engine/index.js');
    const { stdout } = await run('find', ['node_modules/vista', '-name', '*.ts', '-not', '-name', '*.d.ts'], {
      cwd: project,
    });
    expect(stdout.trim()).toBe('');
  });

  it('typechecks its application against the package, and a typo in an event type fails', {
    timeout: 120_000,
  }, async () => {
    const clean = await inProject('node_modules/.bin/tsc', ['--noEmit', '-p', '.']);
    expect(clean.output).toBe('');
    expect(clean.code).toBe(0);

    const file = join(project, 'src/books.ts');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace("'library.book_lent.v1',", "'library.book_lnet.v1',"));
    const typo = await inProject('node_modules/.bin/tsc', ['--noEmit', '-p', '.']);
    writeFileSync(file, text);
    expect(typo.code).not.toBe(0);
    expect(typo.output).toMatch(/src\/books\.ts.*error TS\d+:[\s\S]*library\.book_lnet\.v1/);
  });

  it('vista check loads it, runs the definition checks, derives the API and typechecks it', {
    timeout: 120_000,
  }, async () => {
    const { code, output } = await inProject('node_modules/.bin/vista', ['check', '--app', './src/app.ts']);
    expect(output).toContain('✓ definitions: application library, 2 projection(s)');
    expect(output).toMatch(/✓ GraphQL: \d+ query fields/);
    expect(output).toContain('✓ types: tsc --noEmit');
    expect(code).toBe(0);
  });

  it('starts it, publishes its demo history and serves the views it derives', {
    timeout: 240_000,
  }, async () => {
    const port = await freePort();
    // The reader thread runs from the package's compiled files here (worker.js), not the sources.
    started = spawn('node_modules/.bin/vista', ['start', '--app', './src/app.ts'], {
      cwd: project,
      env: {
        ...process.env,
        ...env.env,
        VISTA_APP: '',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        READER_THREAD: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      startOutput = (startOutput + chunk.toString()).slice(-20_000);
    };
    started.stdout?.on('data', keep);
    started.stderr?.on('data', keep);
    await eventually(
      async () => (startOutput.includes('Vista is running library') ? true : undefined),
      90_000,
      `vista start to report its API (output: ${startOutput})`,
    );

    // No --app: the command operates on the application the installation recorded.
    const published = await inProject('node_modules/.bin/vista', [
      'publish-demo',
      '--events',
      '400',
      '--seed',
      '7',
    ]);
    expect(published.output).toContain('published 400 events');
    expect(published.code).toBe(0);

    const events: AnyEvent[] = [...(library.demo?.({ events: 400, seed: 7 }) ?? [])].map((e, n) => ({
      id: e.id,
      type: e.eventType.type,
      subject: e.eventType.aggregateId(e.data),
      source: e.source,
      time: e.time,
      data: e.data,
      stream: 'LOANS',
      sequence: n + 1,
    }));
    const expectedBooks = foldDocuments(books, [events]);
    const expectedLoans = new Map<string, number>();
    for (const e of events)
      if (e.type === 'library.book_lent.v1') {
        const member = (e.data as { memberId: string }).memberId;
        expectedLoans.set(member, (expectedLoans.get(member) ?? 0) + 1);
      }

    // Read-your-writes: the API waits until both views hold the 400th event.
    const answer = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-vista-min-positions': 'LOANS=400' },
      body: JSON.stringify({
        query: `{ books(first: 50) { totalCount edges { node { id title borrower loanCount } } }
                  members(first: 50, orderBy: [{ loans: DESC }]) { edges { node { memberId loans } } } }`,
      }),
    }).then(
      (r) =>
        r.json() as Promise<{
          data?: Record<string, { edges: { node: Record<string, unknown> }[] }>;
          errors?: unknown;
        }>,
    );
    expect(answer.errors).toBeUndefined();
    const served = Object.fromEntries(
      (answer.data?.books?.edges ?? []).map(({ node: { id, ...book } }) => [id as string, book]),
    );
    expect(served).toEqual(expectedBooks);
    expect(Object.keys(served)).toHaveLength(10);
    const loans = Object.fromEntries(
      (answer.data?.members?.edges ?? []).map(({ node }) => [node.memberId as string, node.loans]),
    );
    expect(loans).toEqual(Object.fromEntries(expectedLoans));
  });
});
