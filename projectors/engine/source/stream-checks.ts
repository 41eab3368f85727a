import type { JetStreamManager } from '@nats-io/jetstream';
import type { Streams } from '../../../shared/events/streams.ts';
import type { Source } from '../definition/define.ts';
import { subjectsOf } from './ordered-source.ts';

/** What the streams say of a projection's sources before it reads them. */
export interface SourcesChecked {
  /** Per stream, the events after its position (as far as the check got). */
  readonly pending: Record<string, number>;
  /** Why the projection cannot carry on from its checkpoint: a gap or a divergence; else undefined. */
  readonly halt: string | undefined;
}

/**
 * Checks each source's position against its stream before a life of the sources starts. A
 * stream that no longer holds the events after the position (a purge, a limit) has a gap; a
 * position beyond the stream's last sequence means the broker lost an acknowledged tail and
 * will reuse those sequences. Either way carrying on would build a wrong view: the projection
 * halts, and only a history that holds the events (a rebuild) repairs it.
 */
export async function checkSources(
  jsm: JetStreamManager,
  streams: Streams,
  sources: readonly Source[],
  positions: Readonly<Partial<Record<string, number>>>,
  heads: Readonly<Partial<Record<string, number>>>,
): Promise<SourcesChecked> {
  const pending: Record<string, number> = {};
  for (const source of sources) {
    const position = positions[source.stream] ?? 0;
    const first = await firstSequence(jsm, streams, source.stream);
    if (position < first - 1) {
      return {
        pending,
        halt: `gap at ${source.stream} seq ${position + 1}: the stream now starts at ${first}`,
      };
    }
    const head = heads[source.stream] ?? 0;
    if (position > head) {
      return {
        pending,
        halt: `diverged: checkpoint ${position} is beyond ${source.stream}'s last sequence ${head}; rebuild the projection`,
      };
    }
    pending[source.stream] = await lagAfter(jsm, streams, source, position, head);
  }
  return { pending, halt: undefined };
}

/**
 * The events of `source` after `position`, asked of the stream itself. The pending count a
 * message carries cannot be trusted to reach zero: nats-server 2.9 can report events pending
 * at a stream's last message (nats-server#5367), and a view that went by it alone would say
 * `catching_up` at the head for as long as no further event came. Exact for a source without
 * a filter (every sequence is its own); for a filtered one an upper bound that is zero exactly
 * when no matching event follows the position.
 */
export async function lagAfter(
  jsm: JetStreamManager,
  streams: Streams,
  source: Source,
  position: number,
  head: number,
): Promise<number> {
  if (head <= position) return 0;
  if (!source.filter) return head - position;
  const last = await jsm.streams.getMessage(streams.streamName(source.stream), {
    last_by_subj: subjectsOf(streams, source),
  });
  return last && last.seq > position ? head - position : 0;
}

/** The first sequence a stream still holds (its last + 1 when it holds none). */
async function firstSequence(jsm: JetStreamManager, streams: Streams, stream: string): Promise<number> {
  const info = await jsm.streams.info(streams.streamName(stream));
  return info.state.first_seq;
}
