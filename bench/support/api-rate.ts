import http from 'node:http';

/** One GraphQL request a benchmark repeats: where it goes and the JSON body it posts. */
export interface Target {
  readonly url: string;
  readonly body: string;
}

/** What one fixed-rate run saw. Latencies are from each request's *intended* send time. */
export interface RateRun {
  readonly rate: number;
  readonly latenciesMs: readonly number[];
  /** Transport errors, timeouts, non-200 answers and answers with GraphQL `errors`. */
  readonly failures: number;
  /** Why the first failed request failed, for the report. */
  readonly firstFailure: string | undefined;
}

export interface RateOptions {
  /** Keep-alive connections the client may open (requests beyond them queue in the client). */
  readonly connections?: number;
  readonly timeoutMs?: number;
}

/** Node's HTTP server closes a keep-alive connection idle this long (`keepAliveTimeout`). */
const SERVER_IDLE_MS = 5000;

/**
 * A keep-alive connection pool for one target, reused across runs so that connection set-up
 * is paid in the warm-up, not in a measured run. Idle connections are closed well before the
 * server would close them: a request written to a connection the server is closing at that
 * instant fails with "socket hang up", a client artefact that would count as a failure.
 */
export function clientFor(connections = 64): http.Agent {
  return new http.Agent({
    keepAlive: true,
    maxSockets: connections,
    maxFreeSockets: connections,
    timeout: SERVER_IDLE_MS / 2,
  });
}

/**
 * Sends `target` open-loop at `rate` requests per second for `seconds`: request i is due at
 * start + i / rate whatever happened to the ones before it, and its latency is measured from
 * that due time to the end of its response. A server that stalls therefore pays for every
 * request that should have been sent meanwhile (no coordinated omission), and so does a client
 * that fell behind (a late timer, all connections busy): the figures are an upper bound, never
 * flattered. Responses are drained before it resolves.
 */
export async function runAtRate(
  target: Target,
  agent: http.Agent,
  rate: number,
  seconds: number,
  options: RateOptions = {},
): Promise<RateRun> {
  const url = new URL(target.url);
  const payload = Buffer.from(target.body);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const total = Math.max(1, Math.round(rate * seconds));
  const latenciesMs: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let outstanding = 0;
  let drained: (() => void) | undefined;

  const send = (due: number) => {
    outstanding++;
    let settled = false;
    const settle = (failure?: string) => {
      if (settled) return;
      settled = true;
      if (failure === undefined) latenciesMs.push(performance.now() - due);
      else {
        failures++;
        firstFailure ??= failure;
      }
      if (--outstanding === 0) drained?.();
    };
    const request = http.request(
      {
        agent,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          if (response.statusCode !== 200) settle(`HTTP ${response.statusCode}`);
          else if (body.includes('"errors"')) settle(body.toString('utf8', 0, 200));
          else settle();
        });
        response.on('error', (error) => settle(error.message));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (error) => settle(error.message));
    request.end(payload);
  };

  const intervalMs = 1000 / rate;
  const start = performance.now();
  for (let i = 0; i < total; ) {
    // Everything due by now goes out at once: a timer that fires late must not thin the rate.
    const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
    for (; i < due; i++) send(start + i * intervalMs);
    if (i < total) {
      const wait = start + i * intervalMs - performance.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    }
  }
  if (outstanding > 0) await new Promise<void>((resolve) => (drained = resolve));
  return { rate, latenciesMs, failures, firstFailure };
}
