import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** Events per second over a sliding window, from a monotonically growing count. */
export class RateMeter {
  private samples: { at: number; count: number }[] = [];

  constructor(private readonly windowMs = 10_000) {}

  record(count: number, now = Date.now()): void {
    this.samples.push({ at: now, count });
    while (this.samples.length > 2 && (this.samples[0] as { at: number }).at < now - this.windowMs)
      this.samples.shift();
  }

  perSecond(now = Date.now()): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at === first.at) return 0;
    // An idle stretch after the last sample lowers the rate instead of freezing it.
    return ((last.count - first.count) * 1000) / (Math.max(now, last.at) - first.at);
  }
}

/**
 * A process's Prometheus registry (prom-client): its default process and Node.js metrics (RSS,
 * heap, event-loop lag, GC, handles) and Vista's own `vista_process_*` memory gauges, which
 * dashboards and the soak benchmark read. One per process, created by its entry point (tests
 * may create several: nothing here is a module-level singleton).
 */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'vista_process_resident_memory_bytes',
    help: 'Resident set size.',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  new Gauge({
    name: 'vista_process_heap_used_bytes',
    help: 'V8 heap in use.',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage().heapUsed);
    },
  });
  return registry;
}

/** Serves `GET /metrics` from `registry`, `/healthz` (alive) and `/readyz` (`ready()`; 503 when not). */
export function createMetricsServer(registry: Registry, ready: () => boolean): Server {
  return createServer((req, res) => {
    if (req.url === '/readyz') {
      const ok = ready();
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
        .end(ok ? 'ready' : 'database unreachable');
    } else if (req.url === '/metrics') {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        (error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(error.message),
      );
    } else if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else {
      res.writeHead(404).end();
    }
  });
}
