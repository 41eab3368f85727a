import { streamHeads } from '../../../shared/clients/jetstream-streams.ts';
import type { Logger } from '../../../shared/log.ts';
import { readCheckpoint } from '../commit/checkpoint-store.ts';
import type { Positions } from '../commit/positions.ts';
import type { Projection } from '../definition/define.ts';
import { aggregateKeyedStreams } from '../definition/partitions.ts';
import { LeaseLostError, StoreAheadError } from '../leases/fence.ts';
import { DocumentRefusedError, poisonCode } from '../poison/classification.ts';
import { type DeadLetter, deadLetterOf, skippedPositions } from '../poison/dead-letters.ts';
import { cutAtPoison, type IsolationPolicy, isolatePoison, isPoison } from '../poison/isolation.ts';
import { openSources } from '../source/open-sources.ts';
import { type RawMessage, StreamGapError } from '../source/ordered-source.ts';
import { checkSources, lagAfter } from '../source/stream-checks.ts';
import type { ProjectionProgress, StatusReporter } from '../status/reporter.ts';
import { nextTurn, TimeSlices } from '../support/event-loop.ts';
import { backoffMs, isTransient, sleep } from '../support/retry.ts';
import { inBatchSpan } from './batch-span.ts';
import { type BatchClock, batchClock } from './batch-timeline.ts';
import { decodeBatch, typeOf } from './decode.ts';
import type { MemoReading } from './decode-memo.ts';
import { foreignMessages } from './partition-filter.ts';
import type { PipelineDeps, RunnerParts } from './runner-parts.ts';
import type { PreparedBatch } from './writer.ts';

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
  /** How many of its messages the projection used: events of types it handles, and poison. */
  readonly used: number;
}

/** Consecutive failures of a kind not known to be transient before the projection halts. */
const MAX_UNKNOWN_FAILURES = 5;

/**
 * The longest a batch's decoding holds the thread, while the previous batch commits, before that
 * commit may take its answers (event-loop.ts): a catch-up batch of 2,000 messages decodes in
 * about a dozen slices. 0.5, 1, 2 and 4 ms were measured (bench/README.md, "Decoding in slices").
 */
const PREPARE_SLICE_MS = 1;

/** How a commit ended: whether it halts the projection, whether it isolated poison on the way. */
interface Committed {
  readonly halted: boolean;
  /** Batches were committed piecewise: anything prepared meanwhile was folded from an older state. */
  readonly isolated: boolean;
}

/**
 * The batch pipeline of one generation: reads its sources from the checkpoint, decodes,
 * batches, folds and commits, until `signal` aborts. Failures restart the sources from the
 * stored checkpoint, so no event is lost or applied twice whatever fails; poison is isolated
 * (poison/isolation.ts), status goes to the reporter, operator requests come from `control`.
 */
export class ProjectionRunner {
  private readonly log: Logger;
  /** Positions (`STREAM#seq`) an operator skipped; read at the start of each life of the sources. */
  private skipped: ReadonlySet<string> = new Set();
  /** Treat any non-transient commit failure as poison, and halt at it (after repeated failures). */
  private suspect = false;
  /** A refreshLag is under way (a slow broker must not pile them up). */
  private refreshingLag = false;
  /** This life of the sources' reading of the decodings the process's runners share. */
  private reading: MemoReading | undefined;
  /** Other partitions' messages this one passes over undecoded, when its sources say how to tell them. */
  private readonly foreign: ((raw: RawMessage) => boolean) | undefined;

  constructor(
    private readonly projection: Projection,
    private readonly parts: RunnerParts,
    private readonly deps: PipelineDeps,
  ) {
    this.log = deps.log.child({ projection: projection.name, generation: parts.status.generation });
    this.foreign = foreignMessages(projection, parts.fence?.partition ?? 0, deps.streams);
  }

  /** What this runner reports: status, positions, lag and counts (read by metrics and tests). */
  get status(): StatusReporter {
    return this.parts.status;
  }

  get progress(): ProjectionProgress {
    return this.parts.status.progress;
  }

  get generation(): number {
    return this.parts.status.generation;
  }

  /**
   * Corrects a lag the last messages over-claimed, from the streams themselves (see
   * `lagAfter`): with no further message nothing else would, and the view would report
   * `catching_up` at the head. Only ever lowers a stream's lag, so a commit that lands
   * meanwhile keeps what it reported. The owner's rounds call it while the runner catches up.
   */
  async refreshLag(): Promise<void> {
    if (this.progress.status !== 'catching_up' || this.refreshingLag) return;
    this.refreshingLag = true;
    try {
      await this.lowerLagFromStreams();
    } finally {
      this.refreshingLag = false;
    }
  }

  private async lowerLagFromStreams(): Promise<void> {
    const { jsm, streams } = this.deps;
    const { sources } = this.projection;
    // Positions before heads: the lag computed is never below the true lag at that moment.
    const positions = { ...this.progress.positions };
    const heads = await streamHeads(
      jsm,
      streams,
      sources.map((s) => s.stream),
    );
    const { pending } = this.progress;
    for (const source of sources) {
      const { stream } = source;
      const lag = await lagAfter(jsm, streams, source, positions[stream] ?? 0, heads[stream] ?? 0);
      pending[stream] = Math.min(pending[stream] ?? lag, lag);
    }
    // A halt or a retry reported meanwhile stands.
    if (this.progress.status === 'catching_up') this.parts.status.followLag();
  }

  async run(signal: AbortSignal): Promise<void> {
    const { status, control, fence } = this.parts;
    /** Consecutive failures not known to be transient: the projection halts at MAX_UNKNOWN_FAILURES. */
    let unknown = 0;
    let prepared = false;
    while (!signal.aborted) {
      try {
        if (!prepared) {
          await this.parts.storage.ensure(status.role);
          await this.parts.writer.start();
          prepared = true;
        }
        await control.beforeStart();
        // A batch that keeps failing for a reason not known to be transient is taken apart
        // on its last try, to halt at the event it fails on, with a dead letter naming it.
        this.suspect = unknown >= MAX_UNKNOWN_FAILURES - 1;
        const outcome = await this.consume(signal, () => {
          unknown = 0;
          this.progress.failures = 0;
          this.suspect = false;
        });
        if (outcome === 'halted') await control.waitForResume(signal);
      } catch (error) {
        if (error instanceof LeaseLostError && fence) {
          // Another owner has the projection now: stop writing anything, status included.
          this.log.warn({ err: error }, 'lease lost; stopping');
          fence.surrender(error.message);
          continue;
        }
        // Without a lease, a newer epoch in the store is as unexplained as any other.
        if (
          error instanceof StoreAheadError ||
          error instanceof LeaseLostError ||
          error instanceof StreamGapError
        ) {
          this.log.error(error.message);
          status.halt(error.message);
          await control.waitForResume(signal);
          continue;
        }
        const failures = ++this.progress.failures;
        if (!isTransient(error)) unknown++;
        this.progress.lastError = error instanceof Error ? error.message : String(error);
        if (unknown >= MAX_UNKNOWN_FAILURES) {
          status.set('halted');
          this.log.error({ err: error, failures }, 'projection halted after repeated failures');
          await control.waitForResume(signal);
          unknown = 0;
          this.progress.failures = 0;
          continue;
        }
        status.set('retrying');
        const delay = backoffMs(failures);
        this.log.warn({ err: error, failures, delayMs: delay }, 'batch failed; restarting from checkpoint');
        await sleep(delay, signal);
      }
    }
    await status.stopped();
  }

  /** One life of the sources: from the stored checkpoint until abort, halt, resume request or failure. */
  private async consume(
    signal: AbortSignal,
    onCommitted: () => void,
  ): Promise<'stopped' | 'halted' | 'restart'> {
    const { projection, deps } = this;
    const { status } = this.parts;
    const partition = this.parts.fence?.partition ?? 0;
    const checkpoint = await readCheckpoint(deps.pool, projection.name, this.generation, partition);
    this.skipped = await skippedPositions(deps.pool, projection.name);
    const streams = projection.sources.map((s) => s.stream);
    const heads = await streamHeads(deps.jsm, deps.streams, streams);
    this.progress.positions = { ...checkpoint };
    const checked = await checkSources(deps.jsm, deps.streams, projection.sources, checkpoint, heads);
    Object.assign(this.progress.pending, checked.pending);
    if (checked.halt) {
      this.log.error(checked.halt);
      status.halt(checked.halt);
      return 'halted';
    }
    status.followLag();

    // Operator requests (retry-dead-letters) restart the sources after the current batch.
    const resume = this.parts.control.watchResume();
    const active = AbortSignal.any([signal, resume.signal]);
    const { batcher, close } = openSources(deps, projection.sources, checkpoint, active, this.log);
    // A stream this partition reads routed by subject shares no decoding with the projection's
    // other partitions (each decodes its own messages): it does not ask the memo to keep them.
    const routed = this.foreign ? aggregateKeyedStreams(projection) : new Set<string>();
    this.reading = deps.decoded?.join(
      streams.filter((stream) => !routed.has(stream)),
      checkpoint,
    );
    // A batch's commit is awaited only after the next batch is prepared (decoded, loaded,
    // folded), so Node's work overlaps PostgreSQL's and Elasticsearch's. Not on the live
    // tail: with no full batch queued, the commit is awaited first, for freshness.
    let committing: Promise<Committed> | undefined;
    // Where each batch's time goes (bench/profile-engine.ts --timeline); undefined unless asked.
    const clock = batchClock(projection.name, this.generation);
    const settle = async (): Promise<Committed> => {
      const committed = committing ? await committing : { halted: false, isolated: false };
      committing = undefined;
      clock?.settled();
      onCommitted();
      return committed;
    };
    const halted = (): 'halted' => {
      status.set('halted');
      return 'halted';
    };
    try {
      while (!active.aborted) {
        if (committing && !batcher.holdsFullBatch && (await settle()).halted) return halted();
        clock?.asking(batcher.size);
        const batch = await batcher.nextBatch(active);
        if (batch.length === 0) break;
        clock?.took(batch.length);
        // Sliced only beside a commit in flight. On the live tail several projections prepare
        // small batches at the same moments, where slices that take turns may make each wait
        // for all (bench/README.md, "Decoding in slices"), and none has a commit to let through.
        let step = await this.prepareTimed(batch, clock, committing !== undefined);
        // BATCH_SIZE counts the events the projection handles, not the messages it passes over.
        batcher.noteUsed(batch.length, step.used);
        if (committing) {
          const committed = await settle();
          if (committed.halted) return halted();
          if (committed.isolated) step = await this.prepareTimed(batch, clock);
        }
        if (step.prepared.stale) step = await this.prepareTimed(batch, clock);
        committing = this.commit(step);
        clock?.commitStarts(committing);
        // Awaited by settle(), or by the finally below when this loop is left.
        committing.catch(() => undefined);
        // The pool hands the commit its connection on a later tick: without a turn of the
        // event loop here, the next batch's preparation (tens of milliseconds of synchronous
        // decoding and folding) would run first, and commit and preparation would take turns.
        await nextTurn();
      }
      if ((await settle()).halted) return halted();
      return resume.signal.aborted ? 'restart' : 'stopped';
    } finally {
      // A batch still committing when the loop is left (a failure, an abort) settles first, so
      // the next life of the sources reads a checkpoint that no commit is about to move.
      await committing?.catch(() => undefined);
      resume.close();
      this.reading?.leave();
      this.reading = undefined;
      await close();
    }
  }

  private policy(): IsolationPolicy {
    return { halt: (this.projection.onPoison ?? 'skip') === 'halt', suspect: this.suspect };
  }

  private async prepareTimed(
    batch: readonly RawMessage[],
    clock: BatchClock | undefined,
    sliced = false,
  ): Promise<PreparedStep> {
    const startedAt = performance.now();
    const step = await this.prepare(batch, sliced ? new TimeSlices(PREPARE_SLICE_MS) : undefined);
    clock?.prepared(startedAt, step.used);
    return step;
  }

  /** Decodes and folds one batch, and decides what it applies: all of it, or what precedes a halting poison event. */
  private async prepare(batch: readonly RawMessage[], slices?: TimeSlices): Promise<PreparedStep> {
    const { contract, streams } = this.deps;
    const handles = new Set<string>(this.projection.handles);
    const { events, indexOf, poison } = await decodeBatch(
      batch,
      {
        contract,
        streams,
        handles,
        skipped: this.skipped,
        ...(this.reading ? { memo: this.reading } : {}),
        ...(this.foreign ? { foreign: this.foreign } : {}),
      },
      slices,
    );
    const used = events.length + poison.length;
    let prepared = await this.parts.writer.prepare(events);
    for (const { event, error } of prepared.failures) {
      const index = indexOf.get(event) as number;
      const raw = batch[index] as RawMessage;
      // A state the store would refuse, or the view's own code failing.
      const code = error instanceof DocumentRefusedError ? error.code : 'HANDLER_FAILED';
      poison.push({ index, letter: deadLetterOf(raw, code, error.message, event.type) });
    }
    const cut = cutAtPoison(batch, poison, this.policy().halt);
    if (cut.halt)
      prepared = await this.parts.writer.prepare(events.filter((e) => (indexOf.get(e) as number) < cut.at));
    return { batch, applied: cut.applied, deadLetters: cut.deadLetters, prepared, halt: cut.halt, used };
  }

  /**
   * Commits a prepared batch from the checkpoint the previous one reached. When it fails for
   * what it holds (a value a column cannot take, a document the index refuses, a view's code
   * throwing), the poison is the event, not the batch: it is isolated. Failures of the stores
   * themselves are thrown: the batch is retried whole.
   */
  private async commit(step: PreparedStep): Promise<Committed> {
    try {
      return { halted: await this.commitOnce(step), isolated: false };
    } catch (error) {
      const policy = this.policy();
      if (!isPoison(error, policy)) throw error;
      this.log.warn(
        { err: error, events: step.batch.length },
        'batch failed on its data; isolating the poison',
      );
      const isolation = await isolatePoison(
        step.batch,
        error,
        async (part, poison) => {
          if (!poison) {
            const next = await this.prepare(part);
            return () => this.commitOnce(next);
          }
          const raw = poison.message;
          const message = poison.error instanceof Error ? poison.error.message : String(poison.error);
          const letter = deadLetterOf(
            raw,
            poisonCode(poison.error),
            message,
            typeOf(raw, this.deps.contract, this.deps.streams),
          );
          const prepared = await this.parts.writer.prepare([]);
          const applied = poison.halt ? [] : part;
          return () =>
            this.commitOnce({
              batch: part,
              applied,
              deadLetters: [letter],
              prepared,
              halt: poison.halt,
              used: 1,
            });
        },
        policy,
      );
      return { halted: isolation.halted, isolated: true };
    }
  }

  /** Commits a prepared batch once, in its trace span; true when it halts the projection. */
  private commitOnce(step: PreparedStep): Promise<boolean> {
    const { generation } = this;
    return inBatchSpan(this.projection.name, generation, this.progress.positions, step.applied, () =>
      this.commitStep(step),
    );
  }

  private async commitStep({ applied, deadLetters, prepared, halt }: PreparedStep): Promise<boolean> {
    const next: Positions = {};
    for (const raw of applied) next[raw.stream] = Math.max(next[raw.stream] ?? 0, raw.sequence);
    // A courtesy before writing: an owner whose renewal is overdue stops here. The epoch in
    // the commit's transaction and in Elasticsearch's versions is what actually fences it.
    this.parts.fence?.assertHeld();
    await prepared.commit({ deadLetters, resolvedDeadLetters: [], expected: this.progress.positions, next });

    this.parts.status.committed(next, applied, deadLetters.length);
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
    if (!halt) this.parts.status.followLag();
    return halt;
  }
}
