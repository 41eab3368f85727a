import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { Elasticsearch } from '../../../shared/clients/elasticsearch.ts';
import { streamHeads } from '../../../shared/clients/jetstream-streams.ts';
import { inTransaction, type Pool } from '../../../shared/clients/postgres.ts';
import type { PullBudget } from '../../../shared/clients/pull-budget.ts';
import type { Contract } from '../../../shared/events/contract.ts';
import { decodeEvent, PoisonEventError } from '../../../shared/events/decode.ts';
import type { AnyEvent } from '../../../shared/events/event-type.ts';
import type { Streams } from '../../../shared/events/streams.ts';
import type { Logger } from '../../../shared/log.ts';
import { RateMeter } from '../../../shared/metrics.ts';
import { type Checkpoint, readCheckpoint } from '../commit/checkpoint-store.ts';
import type { Projection } from '../definition/define.ts';
import { requestRebuild, restartGeneration } from '../generations/generations.ts';
import { type Lease, LeaseLostError } from '../leases/lease.ts';
import { isDataDependent, poisonCode } from '../poison/classification.ts';
import {
  acknowledgeRetry,
  type DeadLetter,
  listDeadLetters,
  settleDeadLetters,
  skippedPositions,
  takeResumeRequest,
} from '../poison/dead-letters.ts';
import { Batcher, type BatchLimits } from '../source/batcher.ts';
import { type RawMessage, readOrdered, StreamGapError } from '../source/ordered-source.ts';
import { recordState } from '../status/projection-catalog.ts';
import { StoreAheadError } from '../stores/elasticsearch/search-index.ts';
import { backoffMs, isTransient, sleep } from '../support/retry.ts';
import { inBatchSpan } from './batch-span.ts';
import type { BatchWriter, GenerationRole, PreparedBatch } from './writer.ts';

export interface RunnerDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly pool: Pool;
  readonly es: Elasticsearch;
  readonly streams: Streams;
  readonly log: Logger;
  readonly batch: BatchLimits;
  /** The NATS connection's pull budget, shared by the stream readers of every projection. */
  readonly pullBudget: PullBudget;
  readonly contract: Contract;
  /**
   * How long a retired generation's storage outlives the switch: the longest a query may run,
   * so searches that started on it before the switch finish before it is dropped.
   */
  readonly retireGraceMs: number;
}

/**
 * `standby`: another process owns it; `catching_up`: behind the stream heads; `running`:
 * caught up; `retrying`: a batch failed and will be retried; `halted`: stopped by a poison
 * event or repeated failures until an operator acts; `stopped`: shut down.
 */
export type ProjectionState =
  | 'standby'
  | 'starting'
  | 'catching_up'
  | 'running'
  | 'retrying'
  | 'halted'
  | 'stopped';

export interface ProjectionProgress {
  state: ProjectionState;
  readonly generation: number;
  positions: Checkpoint;
  /** Per stream, events after the position: the lag. */
  pending: Partial<Record<string, number>>;
  eventsApplied: number;
  deadLetters: number;
  lastError: string | undefined;
  /** Consecutive failed attempts since the last commit. */
  failures: number;
}

/** A decoded and folded batch, waiting for its turn to commit. */
interface PreparedStep {
  /** The raw messages it was prepared from. */
  readonly batch: readonly RawMessage[];
  /** The raw messages it covers: the checkpoint moves past them. */
  readonly applied: readonly RawMessage[];
  readonly deadLetters: readonly DeadLetter[];
  readonly prepared: PreparedBatch;
  /** It ends just before a poison event that halts the projection. */
  readonly halt: boolean;
}

/** How often a running or halted projection looks for operator requests. */
const CONTROL_POLL_MS = 1000;

/** Consecutive failures of a kind not known to be transient before the projection halts. */
const MAX_UNKNOWN_FAILURES = 5;

/** How a commit ended: whether it halts the projection, whether it isolated poison on the way. */
interface Committed {
  readonly halted: boolean;
  /** Batches were committed piecewise: anything prepared meanwhile was folded from an older state. */
  readonly isolated: boolean;
}

/**
 * Runs one projection: reads its sources from the checkpoint, decodes, batches,
 * folds and commits, until `signal` aborts or a poison event halts it. Failures restart the
 * sources from the stored checkpoint, so no event is lost or applied twice whatever fails.
 */
export class ProjectionRunner {
  readonly progress: ProjectionProgress;
  private readonly log: Logger;
  private readonly rate = new RateMeter();
  /** State writes in order; awaited before `run` returns so a clean stop is recorded as such. */
  private stateWrites: Promise<void> = Promise.resolve();
  /** Positions (`STREAM#seq`) an operator skipped; read at the start of each life of the sources. */
  private skipped = new Set<string>();
  /** Treat any non-transient commit failure as poison, and halt at it (after repeated failures). */
  private suspect = false;

  constructor(
    private readonly projection: Projection,
    readonly writer: BatchWriter,
    private readonly deps: RunnerDeps,
    generation: number,
    private currentRole: GenerationRole = 'live',
    /** The lease its owner holds; undefined when one process runs it alone (tests, benchmarks). */
    private readonly lease?: Lease,
  ) {
    this.log = deps.log.child({ projection: projection.name, generation });
    this.progress = {
      state: 'starting',
      generation,
      positions: {},
      pending: {},
      eventsApplied: 0,
      deadLetters: 0,
      lastError: undefined,
      failures: 0,
    };
  }

  get name(): string {
    return this.projection.name;
  }

  eventsPerSecond(): number {
    return this.rate.perSecond();
  }

  get role(): GenerationRole {
    return this.currentRole;
  }

  get generation(): number {
    return this.progress.generation;
  }

  /** After a cut-over this generation serves the public name; its state is now the projection's. */
  promote(): void {
    this.currentRole = 'live';
    this.persistState();
  }

  /** Marks the projection as owned elsewhere while this process waits for its lease. */
  standBy(): void {
    this.progress.state = 'standby';
  }

  async run(signal: AbortSignal): Promise<void> {
    /** Consecutive failures not known to be transient: the projection halts at MAX_UNKNOWN_FAILURES. */
    let unknown = 0;
    let prepared = false;
    while (!signal.aborted) {
      try {
        if (!prepared) {
          await this.writer.ensureStorage(this.currentRole);
          prepared = true;
        }
        await this.retryDeadLetters();
        // A batch that keeps failing for a reason not known to be transient is taken apart
        // on its last try, to halt at the event it fails on, with a dead letter naming it.
        this.suspect = unknown >= MAX_UNKNOWN_FAILURES - 1;
        const outcome = await this.consume(signal, () => {
          unknown = 0;
          this.progress.failures = 0;
          this.suspect = false;
        });
        if (outcome === 'halted') await this.waitForResume(signal);
      } catch (error) {
        if (error instanceof LeaseLostError && this.lease) {
          // Another owner has the projection now: stop writing anything, status included.
          this.log.warn({ err: error }, 'lease lost; stopping');
          this.lease.surrender(error.message);
          continue;
        }
        // Without a lease, a newer epoch in the store is as unexplained as any other.
        if (error instanceof StoreAheadError || error instanceof LeaseLostError) {
          this.progress.lastError = error.message;
          this.log.error(error.message);
          this.setState('halted');
          await this.waitForResume(signal);
          continue;
        }
        if (error instanceof StreamGapError) {
          this.progress.lastError = error.message;
          this.log.error(error.message);
          this.setState('halted');
          await this.waitForResume(signal);
          continue;
        }
        const failures = ++this.progress.failures;
        if (!isTransient(error)) unknown++;
        this.progress.lastError = error instanceof Error ? error.message : String(error);
        if (unknown >= MAX_UNKNOWN_FAILURES) {
          this.setState('halted');
          this.log.error({ err: error, failures }, 'projection halted after repeated failures');
          await this.waitForResume(signal);
          unknown = 0;
          this.progress.failures = 0;
          continue;
        }
        this.setState('retrying');
        const delay = backoffMs(failures);
        this.log.warn({ err: error, failures, delayMs: delay }, 'batch failed; restarting from checkpoint');
        await sleep(delay, signal);
      }
    }
    // 'stopped' is recorded by the lease holder (ProjectionHost): after a lost lease another
    // process owns the projection and its state is not ours to write.
    this.progress.state = 'stopped';
    await this.stateWrites;
  }

  /** A halted projection keeps its lease and waits for `retry-dead-letters` (or shutdown). */
  private async waitForResume(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (
        await takeResumeRequest(this.deps.pool, this.projection.name, this.progress.generation).catch(
          () => false,
        )
      ) {
        this.log.info('resuming on operator request');
        return;
      }
      await sleep(CONTROL_POLL_MS, signal);
    }
  }

  /**
   * Acts on dead letters an operator asked to retry (after a fix was deployed). A halting
   * projection's checkpoint is still before its poison event, so resuming re-reads it from the
   * stream, in order. A skipping one has applied later events already, and re-applying an old
   * event on top of them would not give the in-order fold (a placement after its cancellation,
   * an old category after a newer one): its letters are retried by replaying the history, in
   * order, into a fresh generation. The live generation asks for a rebuild and keeps serving
   * (its letters go with it when it is retired); a building generation, which nobody reads,
   * starts over from sequence 1.
   */
  private async retryDeadLetters(): Promise<void> {
    const { pool } = this.deps;
    const { projection } = this;
    const { generation } = this.progress;
    const letters = await listDeadLetters(pool, projection.name, { generation, retryRequestedOnly: true });
    if (letters.length === 0) return;
    const ids = letters.map((l) => l.id);
    if ((projection.onPoison ?? 'skip') === 'halt') {
      await inTransaction(pool, (tx) => settleDeadLetters(tx, projection.name, generation, [], ids));
      return;
    }
    if (this.currentRole === 'building') {
      await this.writer.drop();
      await restartGeneration(pool, projection.name, generation);
      await this.writer.ensureStorage('building');
      this.log.info(
        { letters: letters.length },
        'retrying dead letters: the building generation starts over',
      );
      return;
    }
    const rebuilding = await requestRebuild(pool, projection.name);
    // With a rebuild under way, the building generation replays these events itself.
    await acknowledgeRetry(pool, projection.name, generation, ids);
    this.log.info(
      { letters: letters.length, rebuilding },
      'retrying dead letters by replaying the history into a new generation',
    );
  }

  /** One life of the sources: from the stored checkpoint until abort, halt, resume request or failure. */
  private async consume(
    signal: AbortSignal,
    onCommitted: () => void,
  ): Promise<'stopped' | 'halted' | 'restart'> {
    const { projection, deps } = this;
    const checkpoint = await readCheckpoint(deps.pool, projection.name, this.progress.generation);
    this.skipped = await skippedPositions(deps.pool, projection.name);
    const heads = await streamHeads(
      deps.jsm,
      deps.streams,
      projection.sources.map((s) => s.stream),
    );
    this.progress.positions = { ...checkpoint };
    for (const source of projection.sources) {
      const position = checkpoint[source.stream] ?? 0;
      const first = await firstSequence(deps, source.stream);
      if (position < first - 1) {
        // A purge or a limit removed events this projection has not read: carrying on would
        // build a view without them. Only a history that holds them repairs it.
        this.progress.lastError = `gap at ${source.stream} seq ${position + 1}: the stream now starts at ${first}`;
        this.log.error(this.progress.lastError);
        this.setState('halted');
        return 'halted';
      }
      const head = heads[source.stream] ?? 0;
      if (position > head) {
        // The broker lost an acknowledged tail and will reuse these sequences: carrying on
        // would mix different events under old positions. Only a rebuild repairs the view.
        this.progress.lastError = `diverged: checkpoint ${position} is beyond ${source.stream}'s last sequence ${head}; rebuild the projection`;
        this.log.error(this.progress.lastError);
        this.setState('halted');
        return 'halted';
      }
      this.progress.pending[source.stream] = head - position;
    }
    this.updateState();

    // Operator requests (retry-dead-letters) restart the sources after the current batch.
    const control = new AbortController();
    let resumeRequested = false;
    // One poll at a time: a row held by a switch must not collect a queue of them, each
    // holding a pooled connection.
    let polling = false;
    const controlTimer = setInterval(() => {
      if (polling) return;
      polling = true;
      takeResumeRequest(deps.pool, projection.name, this.progress.generation)
        .then(
          (requested) => {
            if (requested) {
              resumeRequested = true;
              control.abort();
            }
          },
          () => undefined,
        )
        .finally(() => {
          polling = false;
        });
    }, CONTROL_POLL_MS);
    const active = AbortSignal.any([signal, control.signal]);

    const sources = new AbortController();
    const stopSources = () => sources.abort();
    active.addEventListener('abort', stopSources, { once: true });
    const batcher = new Batcher<RawMessage>(
      { items: deps.batch.maxSize * 4, bytes: deps.batch.maxBytes * 2 },
      deps.batch,
      (message) => message.payload.byteLength,
    );
    const pumps = projection.sources.map(async (source) => {
      try {
        for await (const message of readOrdered(
          deps.js,
          deps.streams,
          source,
          checkpoint[source.stream] ?? 0,
          sources.signal,
          { budget: deps.pullBudget, log: this.log },
        )) {
          await batcher.push(message, sources.signal);
          if (sources.signal.aborted) break;
        }
      } catch (error) {
        if (!sources.signal.aborted) batcher.fail(error as Error);
      }
    });
    // A batch's commit is awaited only after the next batch is prepared (decoded, loaded,
    // folded), so Node's work overlaps PostgreSQL's and Elasticsearch's. Not on the live
    // tail: with no full batch queued, the commit is awaited first, for freshness.
    let committing: Promise<Committed> | undefined;
    const settle = async (): Promise<Committed> => {
      const committed = committing ? await committing : { halted: false, isolated: false };
      committing = undefined;
      onCommitted();
      return committed;
    };
    try {
      while (!active.aborted) {
        if (committing && !batcher.holdsFullBatch && (await settle()).halted) return this.halted();
        const batch = await batcher.nextBatch(active);
        if (batch.length === 0) break;
        let step = await this.prepare(batch);
        if (committing) {
          const committed = await settle();
          if (committed.halted) return this.halted();
          if (committed.isolated) step = await this.prepare(batch);
        }
        if (step.prepared.stale) step = await this.prepare(batch);
        committing = this.commit(step);
        // Awaited by settle(), or by the finally below when this loop is left.
        committing.catch(() => undefined);
      }
      if ((await settle()).halted) return this.halted();
      return resumeRequested ? 'restart' : 'stopped';
    } finally {
      // A batch still committing when the loop is left (a failure, an abort) settles first, so
      // the next life of the sources reads a checkpoint that no commit is about to move.
      await committing?.catch(() => undefined);
      clearInterval(controlTimer);
      active.removeEventListener('abort', stopSources);
      sources.abort();
      await Promise.allSettled(pumps);
    }
  }

  /** Decodes raw messages into the events this projection handles, and the poison among them. */
  private decode(batch: readonly RawMessage[]) {
    const handled = new Set<string>(this.projection.handles);
    const events: AnyEvent[] = [];
    const indexOf = new Map<AnyEvent, number>();
    const poison: { index: number; letter: DeadLetter }[] = [];
    batch.forEach((raw, index) => {
      // An event an operator skipped is passed over, in this generation and any later one.
      if (this.skipped.has(`${raw.stream}#${raw.sequence}`)) return;
      try {
        const event = decodeEvent(raw.payload, raw.stream, raw.sequence, this.deps.contract);
        if (!handled.has(event.type)) return;
        events.push(event);
        indexOf.set(event, index);
      } catch (error) {
        if (!(error instanceof PoisonEventError)) throw error;
        poison.push({ index, letter: this.deadLetter(raw, error.code, error.message, error.eventType) });
      }
    });
    return { events, indexOf, poison };
  }

  private halted(): 'halted' {
    this.setState('halted');
    return 'halted';
  }

  /** Decodes and folds one batch, and decides what it applies: all of it, or what precedes a halting poison event. */
  private async prepare(batch: readonly RawMessage[]): Promise<PreparedStep> {
    const { events, indexOf, poison } = this.decode(batch);

    let prepared = await this.writer.prepare(events);
    for (const { event, error } of prepared.failures) {
      const index = indexOf.get(event) as number;
      poison.push({
        index,
        letter: this.deadLetter(batch[index] as RawMessage, 'HANDLER_FAILED', error.message, event.type),
      });
    }

    const halt = this.halts() && poison.length > 0;
    if (!halt) return { batch, applied: batch, deadLetters: poison.map((p) => p.letter), prepared, halt };
    // Halting means stopping just before the first poison event: it is recorded, nothing at
    // or after it is applied, and the checkpoint stays before it so a restart meets it again.
    const first = poison.reduce((a, b) => (b.index < a.index ? b : a));
    prepared = await this.writer.prepare(events.filter((e) => (indexOf.get(e) as number) < first.index));
    return { batch, applied: batch.slice(0, first.index), deadLetters: [first.letter], prepared, halt };
  }

  private halts(): boolean {
    return (this.projection.onPoison ?? 'skip') === 'halt';
  }

  /**
   * Commits a prepared batch from the checkpoint the previous one reached. When it fails for
   * what it holds (a value a column cannot take, a document the index refuses, a view's code
   * throwing), the poison is the event, not the batch: the batch is bisected, each half that
   * commits is kept, and each single event that still fails is dead-lettered under the
   * projection's policy. Failures of the stores themselves are thrown: the batch is retried whole.
   */
  private async commit(step: PreparedStep): Promise<Committed> {
    try {
      return { halted: await this.commitOnce(step), isolated: false };
    } catch (error) {
      if (!this.isPoison(error)) throw error;
      this.log.warn(
        { err: error, events: step.batch.length },
        'batch failed on its data; isolating the poison',
      );
      return { halted: await this.isolate(step.batch, error), isolated: true };
    }
  }

  private isPoison(error: unknown): boolean {
    return isDataDependent(error) || (this.suspect && !isTransient(error));
  }

  /** Commits `batch` piecewise around the events it fails on; true when one halts the projection. */
  private async isolate(batch: readonly RawMessage[], error: unknown): Promise<boolean> {
    if (batch.length === 1) {
      const raw = batch[0] as RawMessage;
      const letter = this.deadLetter(raw, poisonCode(error), errorMessage(error), this.typeOf(raw));
      const halt = this.halts() || this.suspect;
      const prepared = await this.writer.prepare([]);
      return this.commitOnce({ batch, applied: halt ? [] : batch, deadLetters: [letter], prepared, halt });
    }
    const middle = Math.ceil(batch.length / 2);
    for (const half of [batch.slice(0, middle), batch.slice(middle)]) {
      const step = await this.prepare(half);
      try {
        if (await this.commitOnce(step)) return true;
      } catch (failure) {
        if (!this.isPoison(failure)) throw failure;
        if (await this.isolate(half, failure)) return true;
      }
    }
    return false;
  }

  /** The event type of a message that decodes, for its dead letter. */
  private typeOf(raw: RawMessage): string | undefined {
    try {
      return decodeEvent(raw.payload, raw.stream, raw.sequence, this.deps.contract).type;
    } catch {
      return undefined;
    }
  }

  /** Commits a prepared batch once, in its trace span; true when it halts the projection. */
  private commitOnce(step: PreparedStep): Promise<boolean> {
    const { name, generation } = this;
    return inBatchSpan(name, generation, this.progress.positions, step.applied, () => this.commitStep(step));
  }

  private async commitStep({ applied, deadLetters, prepared, halt }: PreparedStep): Promise<boolean> {
    const next: Checkpoint = {};
    for (const raw of applied) next[raw.stream] = Math.max(next[raw.stream] ?? 0, raw.sequence);
    // A courtesy before writing: an owner whose renewal is overdue stops here. The epoch in
    // the commit's transaction and in Elasticsearch's versions is what actually fences it.
    this.lease?.assertHeld();
    await prepared.commit({ deadLetters, resolvedDeadLetters: [], expected: this.progress.positions, next });

    this.progress.positions = { ...this.progress.positions, ...next };
    this.progress.eventsApplied += applied.length;
    this.rate.record(this.progress.eventsApplied);
    this.progress.deadLetters += deadLetters.length;
    for (const raw of applied) this.progress.pending[raw.stream] = raw.pending;
    if (halt) {
      const [letter] = deadLetters as [DeadLetter];
      this.progress.lastError = `${letter.errorCode} at ${letter.stream} #${letter.sequence}: ${letter.error}`;
    }
    for (const letter of deadLetters) {
      this.log.warn(
        { stream: letter.stream, sequence: letter.sequence, code: letter.errorCode, error: letter.error },
        halt ? 'poison event; projection halted' : 'event dead-lettered',
      );
    }
    if (!halt) this.updateState();
    return halt;
  }

  private deadLetter(
    raw: RawMessage,
    errorCode: string,
    error: string,
    type: string | undefined,
  ): DeadLetter {
    return {
      stream: raw.stream,
      sequence: raw.sequence,
      subject: raw.subject,
      type,
      payload: raw.payload,
      errorCode,
      error,
    };
  }

  private updateState(): void {
    const lagging = Object.values(this.progress.pending).some((pending) => (pending ?? 0) > 0);
    this.setState(lagging ? 'catching_up' : 'running');
  }

  /** Records a state change in `vista_projections`; best effort, since status is advisory. */
  private setState(state: ProjectionState): void {
    if (this.progress.state === state) return;
    this.progress.state = state;
    this.persistState();
  }

  private persistState(): void {
    const { state, generation, lastError } = this.progress;
    const detail = state === 'halted' || state === 'retrying' ? (lastError ?? null) : null;
    this.stateWrites = this.stateWrites
      .then(() => recordState(this.deps.pool, this.projection.name, generation, state, detail, this.lease))
      .catch((error: unknown) => this.log.debug({ err: error }, 'could not record projection state'));
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The first sequence a stream still holds (its last + 1 when it holds none). */
async function firstSequence(
  deps: RunnerDeps,
  stream: Parameters<RunnerDeps['streams']['streamName']>[0],
): Promise<number> {
  const info = await deps.jsm.streams.info(deps.streams.streamName(stream));
  return info.state.first_seq;
}
