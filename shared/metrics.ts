import { createServer, type Server } from 'node:http';

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

export interface Sample {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly values: readonly { labels: Record<string, string>; value: number }[];
}

const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Renders samples in the Prometheus text exposition format (version 0.0.4). */
export function renderPrometheus(samples: readonly Sample[]): string {
  const lines: string[] = [];
  for (const sample of samples) {
    lines.push(`# HELP ${sample.name} ${sample.help}`, `# TYPE ${sample.name} ${sample.type}`);
    for (const { labels, value } of sample.values) {
      const rendered = Object.entries(labels)
        .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
        .join(',');
      lines.push(`${sample.name}${rendered ? `{${rendered}}` : ''} ${Number.isFinite(value) ? value : 0}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The process's own memory: resident set and V8 heap, for soak tests and dashboards. */
export function processSamples(): Sample[] {
  const memory = process.memoryUsage();
  return [
    {
      name: 'vista_process_resident_memory_bytes',
      help: 'Resident set size.',
      type: 'gauge',
      values: [{ labels: {}, value: memory.rss }],
    },
    {
      name: 'vista_process_heap_used_bytes',
      help: 'V8 heap in use.',
      type: 'gauge',
      values: [{ labels: {}, value: memory.heapUsed }],
    },
  ];
}

/** Serves `GET /metrics` from `collect`, `/healthz` (alive) and `/readyz` (`ready()`; 503 when not). */
export function createMetricsServer(collect: () => readonly Sample[], ready: () => boolean): Server {
  return createServer((req, res) => {
    if (req.url === '/readyz') {
      const ok = ready();
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
        .end(ok ? 'ready' : 'database unreachable');
    } else if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderPrometheus(collect()));
    } else if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else {
      res.writeHead(404).end();
    }
  });
}
