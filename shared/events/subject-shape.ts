/**
 * How the NATS subjects of a contract's events are shaped: Vista's own
 * `<context>.<event>.<aggregateId>` unless the contract says otherwise, for a stream or for one
 * event type, because the services that already publish a team's events chose their subjects
 * long before Vista read them.
 *
 * A shape is a pattern of dot-separated tokens, each a literal or a whole placeholder:
 * `{context}`, `{event}` and `{version}` are taken from the event type (`bank.deposited.v1` →
 * `bank`, `deposited`, `v1`), `{aggregateId}` from the event (at most once). Or it is a function
 * from the event's type and aggregate id to its subject. The event's type is always read from
 * its envelope, never from its subject: the subject only has to be the one the shape gives.
 */

/** What a function shape is given: the envelope's `type` and the event's aggregate id. */
export interface SubjectOf {
  readonly type: string;
  readonly aggregateId: string;
}

/**
 * A pattern such as `bank.v1.{aggregateId}.{event}`, or a function from the event to its subject.
 *
 * @example
 * { name: 'ACCOUNTS', subjects: 'bank.v1.>', subjectShape: 'bank.v1.{aggregateId}.{event}' }
 * eventType({ …, subjectShape: ({ aggregateId }) => `legacy.accounts.${aggregateId}` })
 */
export type SubjectShape = string | ((event: SubjectOf) => string);

/** Vista's own subjects, for contracts that say nothing: `orders.order_placed.<orderId>`. */
export const DEFAULT_SUBJECT_SHAPE = '{context}.{event}.{aggregateId}';

/** One event type's shape, ready to use. */
export interface TypeSubject {
  /** The NATS subject of one event of this type (without the installation's namespace). */
  subjectOf(aggregateId: string): string;
  /** The filter every such subject falls under (`bank.v1.*.deposited`), when the shape is a pattern. */
  readonly filter: string | undefined;
  /**
   * The aggregate id in `subject` (without namespace), if it is one of this type's subjects and
   * the shape is a pattern that holds the id; undefined otherwise (a function shape is not read back).
   */
  aggregateIdOf(subject: string): string | undefined;
}

const PLACEHOLDER = /^\{([A-Za-z]+)\}$/;
// A literal token of a concrete subject: no wildcard, no whitespace, no brace of a mistyped placeholder.
const LITERAL = /^[^\s*>{}.]+$/;

/**
 * The shape of `type`'s subjects, or the problems that make `shape` unusable (named for a
 * contract error). A function shape is tried once with the aggregate id `id`.
 */
export function typeSubject(shape: SubjectShape, type: string): TypeSubject | { problems: string[] } {
  const [context = '', event = '', version = ''] = type.split('.');
  if (typeof shape === 'function') {
    const subjectOf = (aggregateId: string) => shape({ type, aggregateId });
    let probe: unknown;
    try {
      probe = subjectOf('id');
    } catch (error) {
      return { problems: [`its subject shape throws: ${(error as Error).message}`] };
    }
    if (typeof probe !== 'string' || !probe.split('.').every((token) => LITERAL.test(token)))
      return { problems: [`its subject shape gives ${JSON.stringify(probe)}, not a NATS subject`] };
    return { subjectOf, filter: undefined, aggregateIdOf: () => undefined };
  }
  const values: Record<string, string> = { context, event, version };
  const problems: string[] = [];
  const before: string[] = [];
  const after: string[] = [];
  let hasId = false;
  for (const token of shape.split('.')) {
    const name = PLACEHOLDER.exec(token)?.[1];
    if (name === 'aggregateId') {
      if (hasId) problems.push(`subject shape ${shape} names {aggregateId} twice`);
      hasId = true;
      continue;
    }
    const value = name === undefined ? token : values[name];
    if (value === undefined)
      problems.push(
        `subject shape ${shape}: unknown placeholder ${token} (known: {context}, {event}, {version}, {aggregateId})`,
      );
    else if (!LITERAL.test(value))
      problems.push(
        `subject shape ${shape}: token "${token}" is not a NATS subject token (placeholders are whole tokens; no *, >, spaces or empty tokens)`,
      );
    else (hasId ? after : before).push(value);
  }
  if (problems.length > 0) return { problems };
  const head = before.join('.');
  const tail = after.join('.');
  if (!hasId) return { subjectOf: () => head, filter: head, aggregateIdOf: () => undefined };
  const prefix = head ? `${head}.` : '';
  const suffix = tail ? `.${tail}` : '';
  return {
    subjectOf: (aggregateId) => `${prefix}${aggregateId}${suffix}`,
    filter: `${prefix}*${suffix}`,
    aggregateIdOf: (subject) =>
      subject.length > prefix.length + suffix.length && subject.startsWith(prefix) && subject.endsWith(suffix)
        ? subject.slice(prefix.length, subject.length - suffix.length)
        : undefined,
  };
}
