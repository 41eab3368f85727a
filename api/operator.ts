import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NatsConnection } from '@nats-io/transport-node';
import { createGraphQLError } from 'graphql-yoga';
import {
  type ActionRecord,
  type CommandOrigin,
  type CommandReply,
  CommandReplySchema,
  type CommandRequest,
  commandSubject,
  type OperatorCommand,
  OperatorCommandSchema,
} from '../shared/operator-commands.ts';

/** How long the API waits for a projector process to execute a command. */
const COMMAND_TIMEOUT_MS = 5000;

/** Sends a command to the projectors and returns their reply. */
export type CommandSender = (request: CommandRequest) => Promise<CommandReply>;

/** Operator actions: who may take them, and how they reach the projectors. */
export interface Operator {
  /** True when the request carries `Authorization: Bearer <OPERATOR_TOKEN>`. */
  allowed(request: Request): boolean;
  /** Throws FORBIDDEN unless `allowed`. */
  assertAllowed(request: Request): void;
  /** Executes a command through a projector process; throws FORBIDDEN without the token. */
  act(request: Request, req: IncomingMessage | undefined, command: OperatorCommand): Promise<ActionRecord>;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The operator gate. Tokens are compared as SHA-256 digests with `timingSafeEqual`: equal
 * lengths whatever was sent, and no early exit that would leak how much of a guess was right.
 * Without a configured token nobody is an operator.
 */
export function createOperator(token: string | undefined, send: CommandSender | undefined): Operator {
  const expected = token === undefined ? undefined : digest(token);
  const allowed = (request: Request) => {
    const header = request.headers.get('authorization') ?? '';
    const match = /^Bearer (\S+)$/i.exec(header.trim());
    if (!expected || !match) return false;
    return timingSafeEqual(digest(match[1] as string), expected);
  };
  const assertAllowed = (request: Request) => {
    if (!allowed(request)) {
      throw createGraphQLError('operator actions need Authorization: Bearer <OPERATOR_TOKEN>', {
        extensions: { code: 'FORBIDDEN', http: { status: 403 } },
      });
    }
  };
  return {
    allowed,
    assertAllowed,
    async act(request, req, command) {
      assertAllowed(request);
      // What a projector would refuse as malformed (a 64-character projection name) is the
      // client's mistake, said before anything is sent.
      const checked = OperatorCommandSchema.safeParse(command);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        throw createGraphQLError(`${issue?.path.join('.') || 'command'}: ${issue?.message ?? 'invalid'}`, {
          extensions: { code: 'BAD_USER_INPUT' },
        });
      }
      if (!send) throw unavailable('operator actions are not wired to the projectors');
      const reply = await send({ command: checked.data, origin: originOf(request, req) }).catch(
        (error: Error) => {
          throw unavailable(`no projector process answered (${error.message.slice(0, 100)})`);
        },
      );
      if (!reply.ok) throw unavailable(reply.error.slice(0, 200));
      return reply.action;
    },
  };
}

/**
 * SERVICE_UNAVAILABLE with the reason in its message: only operators (who passed the token
 * check) get here. No `originalError` is attached: yoga masks an error that carries one as
 * "Unexpected error.", which hid this code from the operator.
 */
function unavailable(reason: string) {
  return createGraphQLError(`the command was not executed: ${reason}; retry shortly`, {
    extensions: { code: 'SERVICE_UNAVAILABLE' },
  });
}

/**
 * Where the request came from, as recorded with the action: the peer's address, and what an
 * `x-forwarded-for` claims beside it (a claim, so never in its place).
 */
function originOf(request: Request, req: IncomingMessage | undefined): CommandOrigin {
  const forwarded = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim();
  const peer = req?.socket.remoteAddress;
  const address = forwarded ? `${peer ?? '?'} (forwarded for ${forwarded})` : peer;
  const userAgent = request.headers.get('user-agent') ?? undefined;
  return {
    via: 'graphql',
    ...(address ? { address: address.slice(0, 200) } : {}),
    ...(userAgent ? { userAgent: userAgent.slice(0, 500) } : {}),
  };
}

/** Sends commands as NATS requests to the projectors' queue group. */
export function natsCommandSender(
  connection: () => NatsConnection | undefined,
  namespace: string,
): CommandSender {
  const subject = commandSubject(namespace);
  return async (request) => {
    const nc = connection();
    if (!nc) throw new Error('NATS is unreachable');
    const reply = await nc.request(subject, JSON.stringify(request), { timeout: COMMAND_TIMEOUT_MS });
    return CommandReplySchema.parse(reply.json());
  };
}
