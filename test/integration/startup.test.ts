import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_UNAVAILABLE } from '../../shared/clients/reach.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { OwnNatsServer } from '../support/nats-server.ts';
import { ProjectorProcess } from '../support/projector-process.ts';
import { freePort } from '../support/services.ts';

/** Start-up with a service down (issue 15.6): named, retried for a bounded time, then exit 69. */
describe('start-up with a service unreachable', () => {
  let env: TestEnvironment;
  let lateNats: OwnNatsServer | undefined;

  beforeAll(async () => {
    env = await testEnvironment();
  });

  afterAll(async () => {
    await lateNats?.destroy();
    await env?.cleanup();
  });

  it('the projector names NATS and its URL, retries, then exits 69', async () => {
    const port = await freePort();
    const projector = new ProjectorProcess(env, 'no-nats', {
      NATS_URL: `nats://127.0.0.1:${port}`,
      STARTUP_RETRY_MS: '1500',
    });
    const { code } = await projector.closed;
    expect(code).toBe(EXIT_UNAVAILABLE);
    expect(projector.log).toMatch(`NATS at nats://127.0.0.1:${port} is unreachable`);
    expect(projector.log).toMatch(/gave up after \d+ s of retries \(STARTUP_RETRY_MS=1500\)/);
    expect(projector.log).not.toMatch(/\n\s+at /); // one line, no stack
  });

  it('the projector names PostgreSQL without its password, then exits 69', async () => {
    const port = await freePort();
    const projector = new ProjectorProcess(env, 'no-postgres', {
      DATABASE_URL: `postgres://vista:s3cret@127.0.0.1:${port}/vista`,
      STARTUP_RETRY_MS: '1500',
    });
    const { code } = await projector.closed;
    expect(code).toBe(EXIT_UNAVAILABLE);
    expect(projector.log).toMatch(
      `PostgreSQL at postgres://vista:***@127.0.0.1:${port}/vista is unreachable`,
    );
    expect(projector.log).not.toContain('s3cret');
  });

  it('the API names PostgreSQL, then exits 69', async () => {
    const port = await freePort();
    const api = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
      env: {
        ...process.env,
        ...env.env,
        PORT: String(await freePort()),
        DATABASE_URL: `postgres://vista:s3cret@127.0.0.1:${port}/vista`,
        STARTUP_RETRY_MS: '1500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    api.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    api.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => api.once('close', resolve));
    expect(code).toBe(EXIT_UNAVAILABLE);
    expect(output).toMatch(`PostgreSQL at postgres://vista:***@127.0.0.1:${port}/vista is unreachable`);
    expect(output).not.toContain('s3cret');
  });

  it('the projector waits for a broker that comes up late, and then runs', async () => {
    lateNats = await OwnNatsServer.prepare();
    const projector = new ProjectorProcess(env, 'late-nats', {
      NATS_URL: lateNats.url,
      STARTUP_RETRY_MS: '120000',
    });
    try {
      await projector.waitForLog(
        (l) => /^NATS at .* is unreachable; retrying$/.test(l.msg ?? ''),
        'retrying',
      );
      await lateNats.start();
      await projector.waitForLog((l) => l.msg === 'projectors started', 'projectors started', 60_000);
      expect(await projector.stop('SIGTERM')).toBe(0);
    } finally {
      await projector.stop('SIGKILL').catch(() => undefined);
    }
  });
});
