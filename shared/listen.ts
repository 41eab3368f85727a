import type { Server } from 'node:net';

/** sysexits.h EX_CONFIG: the configuration cannot work (here: a port that cannot be listened on). */
const EXIT_CONFIG = 78;

const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'is in use by another process',
  EACCES: 'may not be listened on by this user',
  EADDRNOTAVAIL: 'is not available on this host',
};

/**
 * For process entry points: listens on `port` of every interface; a port that cannot be taken
 * (in use, privileged) ends the process with one line naming the variable and the port, and
 * exit status 78, like any other bad configuration — not an uncaught `EADDRINUSE` stack.
 */
export async function listenOrExit(server: Server, port: number, variable: string): Promise<void> {
  const outcome = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      resolve(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(undefined);
    };
    server.once('error', onError).once('listening', onListening);
    server.listen(port, '0.0.0.0');
  });
  if (outcome === undefined) return;
  const reason = REASONS[outcome.code ?? ''];
  if (!reason) throw outcome;
  process.stderr.write(
    `Invalid configuration:\n  ${variable}=${port}: the port ${reason} (${outcome.code})\n`,
  );
  process.exit(EXIT_CONFIG);
}
