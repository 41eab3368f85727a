import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { Pool } from '../../../shared/clients/postgres.ts';
import type { Contract } from '../../../shared/events/contract.ts';
import type { Logger } from '../../../shared/log.ts';
import type { RunningRole } from '../generations/generations.ts';
import type { HeldFence } from '../leases/fence.ts';
import type { SourceDeps } from '../source/open-sources.ts';
import type { StatusReporter } from '../status/reporter.ts';
import type { DecodeMemo } from './decode-memo.ts';
import type { BatchWriter } from './writer.ts';

// What a runner is handed: the process's clients, and the parts of the one generation it runs.
// The host (control/) assembles them; the runner knows no lease, store or operator beyond these.

/** What the pipeline needs of the process: its clients, its batch limits, its event contract. */
export interface PipelineDeps extends SourceDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly pool: Pool;
  readonly log: Logger;
  readonly contract: Contract;
  /** Decodings the process's runners share (partitions and projections reading the same streams). */
  readonly decoded?: DecodeMemo;
}

/** What operators ask of a generation while it runs, as its runner sees it (see control/operator-requests.ts). */
export interface RunnerControl {
  /** Acts on what was asked before a life of the sources starts (dead letters to retry). */
  beforeStart(): Promise<void>;
  /** Resolves once an operator asks the halted generation to resume, or `signal` aborts. */
  waitForResume(signal: AbortSignal): Promise<void>;
  /** A signal that aborts when an operator asks the running generation to resume; `close` stops watching. */
  watchResume(): { readonly signal: AbortSignal; close(): void };
}

/** One generation as its runner drives it: how batches are written, who hears of them, who may stop them. */
export interface RunnerParts {
  /** The generation's storage, which the runner makes sure of before its first batch. */
  readonly storage: { ensure(role: RunningRole): Promise<void> };
  readonly writer: BatchWriter;
  readonly status: StatusReporter;
  readonly control: RunnerControl;
  /** The owner's fence; undefined when one process runs the generation alone (tests, benchmarks). */
  readonly fence?: HeldFence;
}
