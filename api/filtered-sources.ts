import type { Positions, Projection } from '../projectors/engine/internal.ts';
import { subjectsOf } from '../projectors/engine/internal.ts';
import type { Streams } from '../shared/events/streams.ts';

/** The first sequence at or after `from` that `subjects` match in `stream`; undefined when none does. */
export type NextMatching = (stream: string, subjects: string, from: number) => Promise<number | undefined>;

/** What one question found, and when it was asked (an answer of none holds only for what was published before). */
interface Answer {
  readonly askedAt: number;
  found?: number | null;
  /** Resolves true once answered, false when the question failed. */
  pending?: Promise<boolean>;
}

/** Answers kept; a full memo is forgotten at once (they are cheap to ask again). */
const KEPT = 1000;

/**
 * A source with a filter is checkpointed at the last event it *matched*: the sequences of that
 * stream the filter leaves out never show in its position. A client that waits for one of them
 * (read-your-writes after publishing an event this view does not read) would wait until the
 * timeout although the view holds everything up to it. So where the position is short of the
 * required sequence, the stream is asked for the first message the filter matches after the
 * position: if there is none up to the required sequence, the view has reached it.
 *
 * An answer that one exists is for good (the stream's messages do not change); an answer of
 * none holds for sequences published before it was asked, so it serves only waits that began
 * before the question. Answers are shared by every wait of the process.
 */
export class FilteredSources {
  /** Per projection, per stream it reads with a filter: the namespaced subjects. */
  private readonly filters = new Map<string, Map<string, string>>();
  private readonly answers = new Map<string, Answer>();

  constructor(
    projections: readonly Projection[],
    streams: Streams,
    private readonly nextMatching: NextMatching,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    for (const projection of projections) {
      const filtered = projection.sources.filter((s) => s.filter);
      if (filtered.length === 0) continue;
      this.filters.set(projection.name, new Map(filtered.map((s) => [s.stream, subjectsOf(streams, s)])));
    }
  }

  /**
   * Whether `positions` (a projection's) covers `required`, counting sequences its filters
   * leave out as covered. False while a question is out; `wake` is called when it is answered.
   * `since` is when the wait began (`now()`'s clock).
   */
  covers(
    projection: string,
    positions: Readonly<Positions> | undefined,
    required: Readonly<Positions>,
    since: number,
    wake: () => void,
  ): boolean {
    if (!positions) return false;
    const filters = this.filters.get(projection);
    for (const [stream, wanted = 0] of Object.entries(required)) {
      const position = positions[stream];
      // A stream the projection does not read, or one it has reached.
      if (position === undefined || position >= wanted) continue;
      const subjects = filters?.get(stream);
      if (subjects === undefined) return false;
      const next = this.nextAfter(stream, subjects, position, since, wake);
      // Still asking, or an event it matches lies at or before what is wanted: not yet.
      if (next === undefined || (next !== null && next <= wanted)) return false;
    }
    return true;
  }

  /**
   * For a source of `projection` with a filter: the first sequence of `stream` after
   * `position` that it matches, asked now (null: none yet); undefined for a source without one.
   */
  async matchingAfter(
    projection: string,
    stream: string,
    position: number,
  ): Promise<number | null | undefined> {
    const subjects = this.filters.get(projection)?.get(stream);
    if (subjects === undefined) return undefined;
    return (await this.nextMatching(stream, subjects, position + 1)) ?? null;
  }

  /** The next matching sequence after `position` (null: none), or undefined while asking. */
  private nextAfter(
    stream: string,
    subjects: string,
    position: number,
    since: number,
    wake: () => void,
  ): number | null | undefined {
    const key = `${stream}\u0000${subjects}\u0000${position}`;
    let answer = this.answers.get(key);
    const usable = answer && (answer.found !== null || answer.askedAt >= since);
    if (answer && usable && answer.found !== undefined) return answer.found;
    if (!answer || !usable) {
      if (this.answers.size >= KEPT) this.answers.clear();
      const asked: Answer = { askedAt: this.now() };
      asked.pending = this.nextMatching(stream, subjects, position + 1).then(
        (found) => {
          asked.found = found ?? null;
          return true;
        },
        // Unanswered (NATS away): the wait goes on as before, on the checkpoint alone, and the
        // question is asked again at its next move, not at once (that would loop while NATS is away).
        () => {
          this.answers.delete(key);
          return false;
        },
      );
      this.answers.set(key, asked);
      answer = asked;
    }
    void answer.pending?.then((answered) => answered && wake());
    return undefined;
  }
}
