import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** `vista` as a user runs it: every option error and unknown name is a usage error (issue 15.6). */
const vista = (args: string[], env: Record<string, string | undefined> = process.env) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'projectors/cli.ts', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env,
  });

describe('vista CLI usage errors', () => {
  it.each([
    [['publish-demo', '--events', '-5'], /publish-demo: Option '--events' argument is ambiguous/],
    [['publish-demo', '--events', '1.5'], /--events must be a positive integer, got 1\.5/],
    [['publish-demo', '--events', 'many'], /--events must be a positive integer, got many/],
    [['publish-demo', '--bogus'], /publish-demo: Unknown option '--bogus'/],
    [['publish-demo', 'extra'], /publish-demo: unexpected argument extra/],
    [['dead-letters', 'nosuch'], /dead-letters: unknown projection nosuch; known: orders/],
    [['retry-dead-letters', 'nosuch'], /retry-dead-letters: unknown projection nosuch/],
    [['retry-dead-letters'], /retry-dead-letters needs a projection name, one of: orders/],
    [['status', 'extra'], /status: unexpected argument extra/],
    [['rebuild', 'nosuch'], /rebuild: unknown projection nosuch/],
    [['rebuild', 'orders', '--start', 'CATALOG=1'], /orders reads ORDERS, PAYMENTS, not CATALOG/],
    [['frobnicate'], /unknown command: frobnicate/],
    [['status', '--app'], /--app needs the path of an application module/],
    [['check'], /check needs the application: --app PATH/],
  ])('%j exits 64 saying what was wrong, then the usage', (args, message) => {
    const run = vista(args, args[0] === 'check' ? { ...process.env, VISTA_APP: '' } : process.env);
    expect(run.status).toBe(64);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('Usage: vista <command> [--app PATH]');
    expect(run.stderr).not.toMatch(/TypeError|\n\s+at /);
  });
});

describe('vista and the application it operates on', () => {
  it('never falls back to an application of its own: no --app, no VISTA_APP and none recorded exits 78', () => {
    // A namespace no projector ever started in: nothing is recorded there.
    const run = vista(['status'], { ...process.env, VISTA_APP: '', VISTA_NAMESPACE: 'never_started' });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain(
      'No application given: pass --app PATH (or set VISTA_APP); namespace never_started has no application recorded yet',
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('resolves --app from the working directory and names a missing module by its path', () => {
    const run = vista(['status', '--app', './no/such/app.ts']);
    expect(run.status).toBe(78);
    expect(run.stderr).toContain(`no application module at ${process.cwd()}/no/such/app.ts`);
  });
});
