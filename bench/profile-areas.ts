/**
 * Sums a V8 CPU profile's self time by area of the engine (decode, zod, JSON, the NATS client,
 * folding, statement building, the stores' clients, GC, …), to say where Node's CPU per event
 * goes: `npx tsx bench/profile-areas.ts [--skip=SECONDS] [--top N] DIR/orders.cpuprofile [more.cpuprofile…]`.
 * Shares are of Node's busy time (idle left out); the first matching rule names a frame's area.
 * `--top N` also lists the N frames with the most self time: an area names the room, a frame the
 * function (tsx compiles each file to one line, so a frame is told apart by its column).
 * `--skip` leaves out the profile's first seconds: a whole process's profile (`node --cpu-prof`,
 * as bench/scale.ts takes them) begins with loading and compiling the code, before any event.
 * A `.heapprofile` (V8's sampling heap profiler: `bench/profile-engine.ts --allocations`) is
 * summed the same way by the bytes allocated in each frame (`--skip` does not apply).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly columnNumber?: number };
  readonly hitCount?: number;
}

/** A sampling heap profile: a tree of frames, each with the bytes sampled in it. */
interface HeapNode {
  readonly id: number;
  readonly callFrame: ProfileNode['callFrame'];
  readonly selfSize: number;
  readonly children: readonly HeapNode[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** Areas in the order they are tried: where a frame's code lives, or what a builtin does. */
const AREAS: readonly (readonly [string, (fn: string, url: string) => boolean])[] = [
  ['idle', (fn) => fn === '(idle)'],
  ['GC', (fn) => fn === '(garbage collector)'],
  ['V8 (program)', (fn) => fn === '(program)'],
  [
    'JSON.parse + TextDecoder',
    (fn, url) => (url === '' && fn === 'parse') || (fn === 'decode' && url.includes('encoding')),
  ],
  ['JSON.stringify', (fn, url) => url === '' && fn === 'stringify'],
  ['zod', (_, url) => url.includes('/node_modules/zod/')],
  ['NATS client', (_, url) => url.includes('/@nats-io/')],
  [
    'pg client (parameters, protocol, rows)',
    (_, url) => /\/node_modules\/(pg|pg-protocol|pg-types|pg-pool|postgres-)/.test(url),
  ],
  ['Elasticsearch client', (_, url) => url.includes('/@elastic/') || url.includes('/undici')],
  ['tracing', (_, url) => url.includes('/@opentelemetry/') || url.endsWith('batch-span.ts')],
  ['metrics + status', (_, url) => url.includes('/prom-client/') || url.includes('/engine/status/')],
  ['logging', (_, url) => url.includes('/pino')],
  ['decode + envelope + storable (shared/events)', (_, url) => url.includes('/shared/events/')],
  ['decode batch (pipeline/decode)', (_, url) => url.endsWith('pipeline/decode.ts')],
  ['source + batcher', (_, url) => url.includes('/engine/source/')],
  [
    'fold + caches + key filter',
    (_, url) => /engine\/pipeline\/(fold|document-cache|key-filter|writer)\.ts/.test(url),
  ],
  ['view code (examples/)', (_, url) => url.includes('/examples/')],
  [
    'statements (stores/, commit/)',
    (_, url) => url.includes('/engine/stores/') || url.includes('/engine/commit/'),
  ],
  ['poison + bisection', (_, url) => url.includes('/engine/poison/')],
  ['runner + rest of engine', (_, url) => url.includes('/projectors/')],
  ['Node internals + sockets', (_, url) => url.startsWith('node:')],
  ['bench', (_, url) => url.includes('/bench/')],
];

function areaOf(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  for (const [area, test] of AREAS) if (test(functionName, url)) return area;
  return url === '' ? 'builtins (other)' : 'other';
}

/** Where a frame's code is: its function, file (below the checkout or node_modules) and column. */
function frameOf(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  const file = url.replace(/^.*\/(node_modules|projectors|shared|examples|bench)\//, '$1/');
  return `${functionName || '(anonymous)'} ${file}:${node.callFrame.columnNumber ?? -1}`;
}

/** Self time in ms by `key` of each sampled frame, from the samples and their time deltas, after the first `skipMs`. */
function selfTimes(
  profile: Profile,
  key: (node: ProfileNode) => string,
  skipMs: number,
): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const times = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // A sample's time is the delta to the next one; deltas add up to the time since the start.
  let at = 0;
  for (let i = 0; i < samples.length; i++) {
    at += (deltas[i] ?? 0) / 1000;
    if (at < skipMs) continue;
    const node = byId.get(samples[i] as number);
    if (!node) continue;
    const ms = (deltas[i + 1] ?? 0) / 1000;
    const name = key(node);
    times.set(name, (times.get(name) ?? 0) + ms);
  }
  return times;
}

/** Bytes allocated by `key` of each frame of a heap profile's tree. */
function selfBytes(head: HeapNode, key: (node: ProfileNode) => string): Map<string, number> {
  const bytes = new Map<string, number>();
  const stack = [head];
  for (let node = stack.pop(); node; node = stack.pop()) {
    const name = key(node);
    bytes.set(name, (bytes.get(name) ?? 0) + node.selfSize);
    stack.push(...node.children);
  }
  return bytes;
}

/** Allocations by area (and the top frames) of a heap profile, as shares of all bytes sampled. */
function printAllocations(file: string, head: HeapNode): void {
  const bytes = selfBytes(head, areaOf);
  const total = [...bytes.values()].reduce((sum, b) => sum + b, 0);
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  console.log(`${file}: ${mb(total)} MB allocated (sampled)`);
  console.log('| area | share of bytes | MB |\n|---|---|---|');
  for (const [area, b] of [...bytes].sort((x, y) => y[1] - x[1]))
    console.log(`| ${area} | ${((b / total) * 100).toFixed(1)}% | ${mb(b)} |`);
  if (top > 0) {
    console.log(`\n| top ${top} frames by bytes allocated | share of bytes | MB |\n|---|---|---|`);
    const frames = [...selfBytes(head, frameOf)].sort((x, y) => y[1] - x[1]).slice(0, top);
    for (const [frame, b] of frames)
      console.log(`| ${frame} | ${((b / total) * 100).toFixed(1)}% | ${mb(b)} |`);
  }
}

const { values: flags, positionals: files } = parseArgs({
  allowPositionals: true,
  options: { skip: { type: 'string', default: '0' }, top: { type: 'string', default: '0' } },
});
const skipMs = Number(flags.skip) * 1000;
const top = Number(flags.top);
for (const file of files) {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Profile | { head: HeapNode };
  if ('head' in parsed) {
    printAllocations(file, parsed.head);
    continue;
  }
  const profile = parsed;
  const times = selfTimes(profile, areaOf, skipMs);
  const busy = [...times].filter(([area]) => area !== 'idle').reduce((sum, [, ms]) => sum + ms, 0);
  const total = busy + (times.get('idle') ?? 0);
  console.log(
    `${file}: ${(busy / 1000).toFixed(2)} s busy of ${(total / 1000).toFixed(2)} s (idle ${(((times.get('idle') ?? 0) / total) * 100).toFixed(0)}%)`,
  );
  console.log('| area | share of busy | ms |');
  console.log('|---|---|---|');
  for (const [area, ms] of [...times].sort((a, b) => b[1] - a[1])) {
    if (area === 'idle') continue;
    console.log(`| ${area} | ${((ms / busy) * 100).toFixed(1)}% | ${Math.round(ms)} |`);
  }
  if (top > 0) {
    console.log(`\n| top ${top} frames by self time | share of busy | ms |\n|---|---|---|`);
    const frames = [...selfTimes(profile, frameOf, skipMs)].filter(([frame]) => !frame.startsWith('(idle)'));
    for (const [frame, ms] of frames.sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`| ${frame} | ${((ms / busy) * 100).toFixed(1)}% | ${Math.round(ms)} |`);
  }
}
