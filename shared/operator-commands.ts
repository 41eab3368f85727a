import { z } from 'zod';

/**
 * The operator commands the API sends to the projectors over NATS request/reply. The API
 * stays on its read-only database role: it never writes a control flag itself, it asks a
 * projector process, which executes the command with its own role and records it.
 */
export const OperatorCommandSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('start_rebuild'), projection: z.string().min(1).max(63) }),
  z.object({ action: z.literal('retry_dead_letters'), projection: z.string().min(1).max(63) }),
  z.object({
    action: z.literal('skip_dead_letter'),
    projection: z.string().min(1).max(63),
    deadLetterId: z.number().int().positive(),
  }),
]);
export type OperatorCommand = z.infer<typeof OperatorCommandSchema>;

/** Where a command came from, as the API saw the request (recorded with the action). */
export const CommandOriginSchema = z.object({
  via: z.enum(['graphql', 'cli']),
  address: z.string().max(200).optional(),
  userAgent: z.string().max(500).optional(),
});
export type CommandOrigin = z.infer<typeof CommandOriginSchema>;

export const CommandRequestSchema = z.object({ command: OperatorCommandSchema, origin: CommandOriginSchema });
export type CommandRequest = z.infer<typeof CommandRequestSchema>;

/** What the projector answers: the recorded action. */
export const ActionRecordSchema = z.object({
  id: z.number().int(),
  projection: z.string(),
  action: z.string(),
  deadLetterId: z.number().int().nullable(),
  origin: CommandOriginSchema,
  outcome: z.enum(['accepted', 'refused']),
  detail: z.string(),
  at: z.string(),
});
export type ActionRecord = z.infer<typeof ActionRecordSchema>;

export const CommandReplySchema = z.union([
  z.object({ ok: z.literal(true), action: ActionRecordSchema }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type CommandReply = z.infer<typeof CommandReplySchema>;

/** The subject projector processes listen on (in the installation's namespace). */
export function commandSubject(namespace: string): string {
  return `${namespace ? `${namespace}.` : ''}vista.commands`;
}

/** Every projector process joins this queue group: each command is executed once. */
export const COMMAND_QUEUE = 'vista-projectors';
