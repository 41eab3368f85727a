import type { Sample } from '../../shared/metrics.ts';
import type { ProjectionHost } from './host.ts';
import type { ProjectionState } from './runner.ts';

const STATES: readonly ProjectionState[] = [
  'standby',
  'starting',
  'catching_up',
  'running',
  'retrying',
  'halted',
  'stopped',
];

/** The projector's Prometheus metrics, read from the host's runners and leases. */
export function projectionSamples(host: ProjectionHost): Sample[] {
  const runners = host.runners;
  const positions: Sample['values'][number][] = [];
  const lag: Sample['values'][number][] = [];
  for (const runner of runners) {
    for (const [stream, position] of Object.entries(runner.progress.positions)) {
      positions.push({ labels: { projection: runner.name, stream }, value: position ?? 0 });
    }
    for (const [stream, pending] of Object.entries(runner.progress.pending)) {
      lag.push({ labels: { projection: runner.name, stream }, value: pending ?? 0 });
    }
  }
  return [
    {
      name: 'vista_projection_owned',
      help: 'Whether this process holds the projection lease (0: another process owns it, or the database is unreachable).',
      type: 'gauge',
      values: host.ownership.map(({ name, owned }) => ({
        labels: { projection: name },
        value: owned ? 1 : 0,
      })),
    },
    {
      name: 'vista_projection_state',
      help: 'Current state of each generation this process runs (1 for the current state).',
      type: 'gauge',
      values: runners.flatMap((r) =>
        STATES.map((state) => ({
          labels: { projection: r.name, generation: String(r.generation), state },
          value: r.progress.state === state ? 1 : 0,
        })),
      ),
    },
    {
      name: 'vista_projection_position',
      help: 'Last stream sequence applied to the projection (its checkpoint).',
      type: 'gauge',
      values: positions,
    },
    {
      name: 'vista_projection_lag',
      help: 'Events in the stream after the projection position.',
      type: 'gauge',
      values: lag,
    },
    {
      name: 'vista_projection_events_total',
      help: 'Events consumed by the projection in this process (applied, skipped or dead-lettered).',
      type: 'counter',
      values: runners.map((r) => ({ labels: { projection: r.name }, value: r.progress.eventsApplied })),
    },
    {
      name: 'vista_projection_events_per_second',
      help: 'Events consumed per second over the last 10 seconds.',
      type: 'gauge',
      values: runners.map((r) => ({ labels: { projection: r.name }, value: r.eventsPerSecond() })),
    },
    {
      name: 'vista_projection_dead_letters_total',
      help: 'Events dead-lettered by the projection in this process.',
      type: 'counter',
      values: runners.map((r) => ({ labels: { projection: r.name }, value: r.progress.deadLetters })),
    },
  ];
}
