import { execFile } from 'node:child_process';
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

export { freePort } from '../../projectors/engine/internal.ts';
