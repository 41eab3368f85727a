import { Worker } from 'node:worker_threads';

/** One probe: how long it took, and whether it was answered without errors. */
export interface Probe {
  readonly ms: number;
  readonly ok: boolean;
  /** When it was answered (epoch ms). */
  readonly at: number;
}

// Plain JavaScript: the worker runs outside the test's TypeScript loader. It answers each
// message with the probes answered since the last (a 'stop' ends it), and says 'warm' once
// its first `warmUp` probes are done, which it drops.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
let stopped = false;
let probes = [];
let warm = false;
parentPort.on('message', (message) => {
  if (message === 'stop') stopped = true;
  else {
    parentPort.postMessage(probes);
    probes = [];
  }
});
(async () => {
  while (!stopped) {
    if (!warm && probes.length === workerData.warmUp) {
      warm = true;
      probes = [];
      parentPort.postMessage('warm');
    }
    const started = performance.now();
    let ok = false;
    try {
      const response = await fetch(workerData.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query: workerData.query }),
      });
      const body = await response.json();
      ok = response.status === 200 && !body.errors;
    } catch {}
    probes.push({ ms: performance.now() - started, ok, at: Date.now() });
  }
  parentPort.postMessage(probes);
})();
`;

/**
 * Probes sent before the prober counts any: a new thread's first `fetch` loads and compiles
 * the HTTP client and opens the connection. Under load 7–9 that first probe took 100–340 ms,
 * as much as the worst of the hundreds after it, and it measures the prober, not the API.
 */
const WARM_UP = 5;

/** Another client probing the API (see startProber). */
export interface Prober {
  /** The probes answered since the last `take` (or since the prober was warm). */
  take(): Promise<Probe[]>;
  /** Ends the prober, with the probes answered since the last `take`. */
  stop(): Promise<Probe[]>;
}

/**
 * Another client, on a thread of its own: it sends `query` to `url` again and again, one at a
 * time, until stopped, and reports how long each took. Its own event loop keeps what the
 * test does meanwhile (sending an attack, parsing its answers) out of the latencies it measures.
 * Resolves once warm (see WARM_UP). One prober serves a test's windows one after the other
 * (`take`): a new thread and its warm-up for each of its 24 windows took the hostile-request
 * test past its timeout in CI.
 */
export async function startProber(url: string, query: string): Promise<Prober> {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { url: `${url}/graphql`, query, warmUp: WARM_UP },
  });
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  failed.catch(() => undefined);
  const next = <T>() => Promise.race([new Promise<T>((resolve) => worker.once('message', resolve)), failed]);
  await next<'warm'>();
  return {
    take: () => {
      const probes = next<Probe[]>();
      worker.postMessage('take');
      return probes;
    },
    stop: async () => {
      const probes = next<Probe[]>();
      worker.postMessage('stop');
      const last = await probes;
      await worker.terminate();
      return last;
    },
  };
}
