/**
 * Runs the engine stage of bench/run.ts alone for one projection, a few times, so it can be
 * profiled: `npx tsx bench/profile-engine.ts orders 100000 3 DIR` writes DIR/orders.cpuprofile,
 * a CPU profile of the engine's repetitions only (not of publishing the history), which
 * `npx tsx bench/profile-areas.ts DIR/orders.cpuprofile` sums by area. With `--allocations` it
 * writes DIR/orders.heapprofile instead: where the engine allocates, every sampled allocation
 * counted whether it survived or not (the garbage is what the collector pays for), which
 * profile-areas.ts sums by area the same way; with `--survivors` as well, only what outlived a
 * young-generation collection (what the scavenger copied and promoted: the costly part of
 * GC at this allocation rate). Allocations, like CPU per event, hold on a loaded
 * machine. Each repetition prints its rate,
 * its CPU-seconds per 1k events (Node's own, and the stores' too) and the cores it kept busy,
 * with the share of the time its main thread ran and the share it was ready to run but waited
 * for a core (the two near 1 together: that thread sets the pace, and needs a core to itself),
 * and how busy the machine's cores were with everything on it (an idle core shows there),
 * and what the collector did on the main thread's heap (support/gc-summary.ts): CPU per event
 * holds on a loaded machine, events/s does not. With `--timeline`, each repetition
 * also prints where its batches' time went (pipeline/batch-timeline.ts: waiting for the batch,
 * preparing it, waiting for the previous commit, its own commit, and how busy the event loop was
 * during the commit), and DIR, when given, gets every batch's timing in NAME.timeline.json.
 */

import { subscribe } from 'node:diagnostics_channel';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { demoHistory } from '../examples/shop/demo/history.ts';
import shopApp from '../examples/shop/index.ts';
import {
  BATCH_TIMELINE,
  type BatchTiming,
  engineDeps,
  isolatedInstallation,
  publishMany,
  readerThreadFor,
} from '../projectors/engine/internal.ts';
import { streamHeads } from '../shared/clients/jetstream-streams.ts';
import { engine } from './stages.ts';
import { cpuBetween, loadAverage, ownBackends, sampleCpu } from './support/cpu.ts';
import { describeGc, startGcSummary } from './support/gc-summary.ts';
import { percentile } from './support/load.ts';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    allocations: { type: 'boolean', default: false },
    survivors: { type: 'boolean', default: false },
    timeline: { type: 'boolean', default: false },
  },
});
const name = positionals[0] ?? 'orders';
const events = Number(positionals[1] ?? 100_000);
const repetitions = Number(positionals[2] ?? 3);
const profileDir = positionals[3];

// READER_THREAD, BATCH_SIZE and PULL_BUDGET_BYTES from the environment pick where the stream
// readers run, how large a batch may grow and how far the readers' pulls run ahead.
const passed = Object.fromEntries(
  ['READER_THREAD', 'BATCH_SIZE', 'PULL_BUDGET_BYTES'].flatMap((name) =>
    process.env[name] ? [[name, process.env[name]]] : [],
  ),
);
const env = await isolatedInstallation(shopApp, { LOG_LEVEL: 'warn', VISTA_APP: 'shop', ...passed });
const readers = readerThreadFor(env.config, env.log);
try {
  const deps = engineDeps(env.config, env.infrastructure, env.log, readers);
  await publishMany(deps.js, deps.streams, demoHistory({ events, seed: 42 }));
  const heads = await streamHeads(deps.jsm, deps.streams);
  const profiler = profileDir
    ? await (flags.allocations ? startAllocationProfile() : startProfile())
    : undefined;
  const timings: BatchTiming[] = [];
  if (flags.timeline) subscribe(BATCH_TIMELINE, (timing) => timings.push(timing as BatchTiming));
  for (let rep = 0; rep < repetitions; rep++) {
    const firstTiming = timings.length;
    const backends = await ownBackends(deps.pool);
    const before = sampleCpu(backends);
    const collections = startGcSummary();
    const started = performance.now();
    const handled = await engine(deps, name, heads, 1000 + rep);
    const seconds = (performance.now() - started) / 1000;
    const gc = collections.stop();
    const cpu = cpuBetween(before, sampleCpu([...new Set([...backends, ...(await ownBackends(deps.pool))])]));
    const total = cpu.node + cpu.postgres + cpu.nats + cpu.elasticsearch;
    const per1k = (s: number) => ((s / handled) * 1000).toFixed(4);
    console.log(
      `${name}: ${handled} events in ${seconds.toFixed(2)} s, ${Math.round(handled / seconds)} events/s; ` +
        `CPU-s per 1k events: all ${per1k(total)} (node ${per1k(cpu.node)}, postgres ${per1k(cpu.postgres)}, ` +
        `nats ${per1k(cpu.nats)}, es ${per1k(cpu.elasticsearch)}); cores busy ${(total / seconds).toFixed(2)} ` +
        `(node ${(cpu.node / seconds).toFixed(2)}, its main thread ${(cpu.mainThread / seconds).toFixed(2)}, ` +
        `which waited for a core ${(cpu.mainThreadWaiting / seconds).toFixed(2)} more; the machine's ` +
        `${(cpu.machine / seconds).toFixed(2)} with every other process); load ${loadAverage()}`,
    );
    console.log(describeGc(gc, handled));
    if (flags.timeline) console.log(describeTimeline(timings.slice(firstTiming)));
  }
  if (flags.timeline && profileDir) {
    mkdirSync(profileDir, { recursive: true });
    writeFileSync(join(profileDir, `${name}.timeline.json`), JSON.stringify(timings, null, 1));
  }
  if (profiler && profileDir) {
    mkdirSync(profileDir, { recursive: true });
    const file = `${name}.${flags.allocations ? 'heapprofile' : 'cpuprofile'}`;
    writeFileSync(join(profileDir, file), JSON.stringify(await profiler.stop()));
  }
} finally {
  await readers?.close();
  await env.cleanup();
}

/** Starts V8's sampling profiler in this process; `stop` returns the profile (`.cpuprofile` JSON). */
async function startProfile(): Promise<{ stop(): Promise<unknown> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return profile;
    },
  };
}

/**
 * Starts V8's sampling heap profiler, one sample per 16 KB allocated on average, keeping the
 * samples of objects that scavenges and full collections freed: a profile of what was allocated,
 * not of what is still alive at the end.
 */
async function startAllocationProfile(): Promise<{ stop(): Promise<unknown> }> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: !flags.survivors,
  });
  return {
    async stop() {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      session.disconnect();
      return profile;
    },
  };
}

/** A repetition's batches in one line: medians and 90th percentiles of each part of their time. */
function describeTimeline(batches: readonly BatchTiming[]): string {
  const part = (label: string, value: (t: BatchTiming) => number, digits = 1) => {
    const values = batches.map(value);
    return `${label} ${percentile(values, 0.5).toFixed(digits)} / ${percentile(values, 0.9).toFixed(digits)}`;
  };
  return (
    `  timeline, ${batches.length} batches, median / p90: ` +
    [
      part('queued', (t) => t.queued, 0),
      part('messages', (t) => t.events, 0),
      part('used', (t) => t.used, 0),
      part('waited for the batch ms', (t) => t.waitedForBatchMs),
      part('prepare ms', (t) => t.prepareMs),
      part('waited for the previous commit ms', (t) => t.waitedForCommitMs),
      part('commit ms', (t) => t.commitMs),
      part('event loop busy during the commit', (t) => t.loopBusyDuringCommit, 2),
    ].join('; ')
  );
}
