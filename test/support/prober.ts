import { Worker } from 'node:worker_threads';

/** One probe: how long it took, and whether it was answered without errors. */
export interface Probe {
  readonly ms: number;
  readonly ok: boolean;
  /** When it was answered (epoch ms). */
  readonly at: number;
}

// Plain JavaScript: the worker runs outside the test's TypeScript loader.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
let stopped = false;
let probes = [];
let warm = false;
parentPort.on('message', () => { stopped = true; });
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
 * the HTTP client and opens the connection. On a loaded machine that first probe alone took
 * over a second, and was the worst probe of a run whose others stayed under 200 ms.
 */
const WARM_UP = 5;

/**
 * Another client, on a thread of its own: it sends `query` to `url` again and again, one at a
 * time, until stopped, and reports how long each took. Its own event loop keeps what the
 * test does meanwhile (sending an attack, parsing its answers) out of the latencies it measures.
 * Resolves once warm (see WARM_UP): the probes it reports are the ones after.
 */
export async function startProber(url: string, query: string): Promise<{ stop(): Promise<Probe[]> }> {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { url: `${url}/graphql`, query, warmUp: WARM_UP },
  });
  const messages = (count: number) =>
    new Promise<unknown>((resolve, reject) => {
      let seen = 0;
      const onMessage = (message: unknown) => {
        if (++seen < count) return;
        worker.off('message', onMessage);
        resolve(message);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  // Both listened for at once: the report must not slip past between the two.
  const warm = messages(1);
  const report = messages(2) as Promise<Probe[]>;
  await warm;
  return {
    stop: async () => {
      worker.postMessage('stop');
      const probes = await report;
      await worker.terminate();
      return probes;
    },
  };
}
