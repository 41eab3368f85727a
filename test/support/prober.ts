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
const probes = [];
parentPort.on('message', () => { stopped = true; });
(async () => {
  while (!stopped) {
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
 * Another client, on a thread of its own: it sends `query` to `url` again and again, one at a
 * time, until stopped, and reports how long each took. Its own event loop keeps what the
 * test does meanwhile (sending an attack, parsing its answers) out of the latencies it measures.
 */
export function startProber(url: string, query: string): { stop(): Promise<Probe[]> } {
  const worker = new Worker(WORKER, { eval: true, workerData: { url: `${url}/graphql`, query } });
  const report = new Promise<Probe[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    stop: async () => {
      worker.postMessage('stop');
      const probes = await report;
      await worker.terminate();
      return probes;
    },
  };
}
