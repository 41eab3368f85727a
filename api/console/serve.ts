import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The operator console: three static files read once at start and served at /console by the
 * API process (no build step, nothing fetched from elsewhere). The page talks only to the
 * public GraphQL API at /graphql: queries, the projectionStatus subscription over SSE, and the
 * operator mutations.
 */
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/console': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
};

/**
 * Nothing but this origin: no inline script or style, no frames, no form posts elsewhere. The
 * page builds its DOM from text nodes, so event payloads are shown, never interpreted.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Serves the console's files; returns false for any other path. */
export function consoleHandler(): ConsoleHandler {
  const loaded = new Map(
    Object.entries(FILES).map(([path, { file, type }]) => [
      path,
      { body: readFileSync(new URL(file, import.meta.url)), type },
    ]),
  );
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const found = loaded.get(path);
    if (!found) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    res.writeHead(200, {
      'content-type': found.type,
      'content-length': found.body.length,
      ...SECURITY_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : found.body);
    return true;
  };
}
