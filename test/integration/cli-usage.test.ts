import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** `vista` as a user runs it: every option error and unknown name is a usage error (issue 15.6). */
const vista = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'projectors/cli.ts', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
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
  ])('%j exits 64 saying what was wrong, then the usage', (args, message) => {
    const run = vista(...args);
    expect(run.status).toBe(64);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('Usage: npm run vista');
    expect(run.stderr).not.toMatch(/TypeError|\n\s+at /);
  });
});
