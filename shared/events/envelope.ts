import { z } from 'zod';

/**
 * CloudEvents 1.0, structured JSON mode: the envelope of every message on the streams.
 * `data` stays unknown here; the event type's own schema parses it.
 */
export const EnvelopeSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1).max(200),
  source: z.string().min(1).max(500),
  type: z.string().regex(/^[a-z][a-z_]*\.[a-z][a-z_]*\.v[1-9][0-9]*$/, 'must be <context>.<event>.v<N>'),
  subject: z.string().min(1).max(200),
  time: z.iso.datetime({ offset: true }),
  datacontenttype: z.literal('application/json'),
  data: z.unknown(),
});

export type Envelope = z.infer<typeof EnvelopeSchema>;

/** Where an event sits in the log: what checkpoints, dead letters and read-your-writes speak of. */
export interface Position {
  readonly stream: string;
  readonly sequence: number;
}
