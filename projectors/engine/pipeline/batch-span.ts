import { type Link, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { linkFrom, tracer } from '../../../shared/tracing.ts';
import type { Positions } from '../commit/positions.ts';
import type { RawMessage } from '../source/ordered-source.ts';

/** OpenTelemetry's default limit of links per span: a batch of thousands links to its first producers. */
const MAX_LINKS = 128;

/**
 * Runs one batch's commit in a consumer span that *links* to the spans that published its
 * events (a batch has many producers, none of them its parent — as Emmett does), with the
 * projection, generation, per-stream sequence range and the checkpoint before and after as
 * attributes. Without a tracing SDK the span is a no-op.
 */
export async function inBatchSpan<T>(
  projection: string,
  generation: number,
  before: Positions,
  applied: readonly RawMessage[],
  work: () => Promise<T>,
): Promise<T> {
  const ranges = new Map<string, { first: number; last: number }>();
  const links: Link[] = [];
  const linked = new Set<string>();
  let unlinked = 0;
  for (const raw of applied) {
    const range = ranges.get(raw.stream);
    if (!range) ranges.set(raw.stream, { first: raw.sequence, last: raw.sequence });
    else range.last = Math.max(range.last, raw.sequence);
    if (!raw.traceparent || linked.has(raw.traceparent)) continue;
    const link = linkFrom(raw.traceparent);
    if (!link) continue;
    if (links.length >= MAX_LINKS) unlinked++;
    else {
      links.push(link);
      linked.add(raw.traceparent);
    }
  }
  const after: Positions = { ...before };
  for (const [stream, { last }] of ranges) after[stream] = Math.max(after[stream] ?? 0, last);
  const streams = [...ranges.keys()];
  const span = tracer().startSpan(`project ${projection}`, {
    kind: SpanKind.CONSUMER,
    links,
    attributes: {
      'messaging.system': 'nats',
      'messaging.operation.type': 'process',
      'messaging.batch.message_count': applied.length,
      'vista.projection': projection,
      'vista.generation': generation,
      'vista.streams': streams,
      'vista.sequence.first': streams.map((s) => ranges.get(s)?.first ?? 0),
      'vista.sequence.last': streams.map((s) => ranges.get(s)?.last ?? 0),
      'vista.checkpoint.before': JSON.stringify(before),
      'vista.checkpoint.after': JSON.stringify(after),
      ...(unlinked > 0 ? { 'vista.links_dropped': unlinked } : {}),
    },
  });
  try {
    return await work();
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
