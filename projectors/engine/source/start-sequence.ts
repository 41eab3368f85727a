import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Streams } from '../../../shared/events/streams.ts';
import type { StartPosition } from '../definition/start-position.ts';

/**
 * The first sequence a source reads, for a start position, on the stream as it is now. A time
 * becomes a sequence through a throwaway ordered consumer with `opt_start_time` (nats-server
 * 2.9 has no direct lookup by time): the first message it delivers, or the next sequence when
 * nothing is that recent.
 */
export async function resolveStart(
  js: JetStreamClient,
  jsm: JetStreamManager,
  streams: Streams,
  stream: string,
  start: StartPosition,
): Promise<number> {
  if (start.from === 'beginning') return 1;
  if (start.from === 'sequence') return start.sequence;
  const info = await jsm.streams.info(streams.streamName(stream));
  const next = info.state.last_seq + 1;
  if (start.from === 'new') return next;
  if (Date.parse(start.time) > Date.now()) return next;
  const consumer = await js.consumers.get(streams.streamName(stream), {
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(start.time).toISOString(),
  });
  try {
    const message = await consumer.next({ expires: 2000 });
    return message ? message.seq : next;
  } finally {
    await consumer.delete().catch(() => undefined);
  }
}
