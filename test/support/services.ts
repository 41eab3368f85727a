import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Stops or starts one of the shared local services with scripts/services.sh: the fault suite's
 * outages. Only for the fault suite, which runs alone.
 */
export async function service(
  action: 'stop' | 'start',
  name: 'elasticsearch' | 'nats' | 'postgres',
): Promise<void> {
  await run('bash', ['scripts/services.sh', action, name], { timeout: 180_000 });
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
