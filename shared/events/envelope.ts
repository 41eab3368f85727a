import { z } from 'zod';

/**
 * CloudEvents 1.0, structured JSON mode: the envelope of every message on the streams.
 * `data` stays unknown here; the event type's own schema parses it.
 */
// PostgreSQL text cannot hold NUL, so no envelope field may carry one into a view or a dead letter.
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\0]*$/, 'must not contain NUL');

/**
 * `time` with any offset, normalised to UTC (`…Z`), so that views comparing or bucketing times
 * (by day, by order) agree whatever zone the producer wrote; years 0001–9999 only, the range
 * PostgreSQL `timestamptz`, GraphQL `DateTime` strings and ISO-8601 without extension share.
 */
export const EventTime = z.iso
  .datetime({ offset: true })
  .transform((time) => new Date(time).toISOString())
  .refine((utc) => /^\d{4}-/.test(utc) && !utc.startsWith('0000-'), 'must fall in the years 0001–9999 (UTC)');

export const EnvelopeSchema = z.object({
  specversion: z.literal('1.0'),
  id: text(200),
  source: text(500),
  type: z
    .string()
    .regex(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.v[1-9][0-9]*$/, 'must be <context>.<event>.v<N>'),
  subject: text(200),
  time: EventTime,
  datacontenttype: z.literal('application/json'),
  data: z.unknown(),
});

export type Envelope = z.infer<typeof EnvelopeSchema>;

/** Where an event sits in the log: what checkpoints, dead letters and read-your-writes speak of. */
export interface Position {
  readonly stream: string;
  readonly sequence: number;
}
