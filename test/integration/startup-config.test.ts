import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamsFor } from '../../shared/events/streams.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';

/** Runs an entry point to its end; its exit code and everything it printed. */
async function runToExit(
  entry: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, output };
}

/** A port held by this test for as long as it runs. */
async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

/**
 * Start-up refusals of issue 21 (5, 6): each is one line naming the variable, port or stream,
 * exit status 78 (EX_CONFIG), no stack, and nothing of a file's content.
 */
describe('start-up refuses a configuration that cannot work, in one line', () => {
  let env: TestEnvironment;
  const held: Server[] = [];

  beforeAll(async () => {
    env = await testEnvironment();
  });

  afterAll(async () => {
    for (const server of held) server.close();
    await env?.cleanup();
  });

  it('the API names PORT when its port is in use: exit 78, no stack', async () => {
    const { port, server } = await occupiedPort();
    held.push(server);
    const { code, output } = await runToExit('api/main.ts', {
      ...env.env,
      PORT: String(port),
      LOG_LEVEL: 'warn',
    });
    expect(code).toBe(78);
    expect(output).toContain(`PORT=${port}: the port is in use by another process (EADDRINUSE)`);
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('the projector names METRICS_PORT when its port is in use: exit 78, no stack', async () => {
    const { port, server } = await occupiedPort();
    held.push(server);
    const { code, output } = await runToExit('projectors/main.ts', {
      ...env.env,
      METRICS_PORT: String(port),
      LOG_LEVEL: 'warn',
    });
    expect(code).toBe(78);
    expect(output).toContain(`METRICS_PORT=${port}: the port is in use by another process (EADDRINUSE)`);
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('the projector names a foreign stream whose subjects do not cover the contract: exit 78, one line', async () => {
    // A namespace of its own, whose ORDERS stream an operator created too narrow.
    const namespace = `${env.config.VISTA_NAMESPACE}f`;
    const streams = streamsFor(env.app.contract, namespace);
    const name = streams.streamName('ORDERS');
    const { jsm } = env.infrastructure.nats;
    await jsm.streams.add({ name, subjects: [`${namespace}.orders.*`] });
    try {
      const { code, output } = await runToExit('projectors/main.ts', {
        ...env.env,
        VISTA_NAMESPACE: namespace,
        LOG_LEVEL: 'fatal',
      });
      expect(code).toBe(78);
      expect(output.trim().split('\n')).toEqual([
        `Cannot start: stream ${name}: subjects is ${namespace}.orders.*, the contract needs ${namespace}.orders.> (an existing stream is never changed: widen its subjects, or set VISTA_NAMESPACE to use other streams)`,
      ]);
    } finally {
      for (const stream of streams.names)
        await jsm.streams.delete(streams.streamName(stream)).catch(() => false);
    }
  });

  it('an application path that is not a module is named by its path only, never its content', async () => {
    const { code, output } = await runToExit('projectors/main.ts', { ...env.env, VISTA_APP: '/etc/passwd' });
    expect(code).toBe(78);
    // The kind is the error's name, which depends on who read the file: Node 20's loader says
    // SyntaxError; on Node 24 tsx hands the file to esbuild first, which says TransformError.
    expect(output).toMatch(
      /VISTA_APP=\/etc\/passwd: \/etc\/passwd could not be loaded as a module \((SyntaxError|TransformError)\)/,
    );
    expect(output).not.toMatch(/root:|\/bin\/|\n\s+at /);
  });
});
