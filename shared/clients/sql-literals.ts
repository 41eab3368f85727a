import pg from 'pg';
// pg's own conversion of a parameter to its text form (arrays, dates, buffers, objects as JSON).
import pgUtils from 'pg/lib/utils.js';

/**
 * Values written into SQL text as literals, where parameters cannot go: a `DO` block (a check
 * in PL/pgSQL that raises an error, so that the statements pipelined behind it fail too).
 * Values are converted exactly as node-postgres converts parameters, then quoted by its
 * `escapeLiteral`, so a literal means what the parameter would.
 */

const { prepareValue } = pgUtils;

/**
 * PostgreSQL cannot hold NUL in text, and a NUL inside a query message would cut it short: the
 * same refusal a parameter gets (SQLSTATE 22021, a data exception), so poison stays poison.
 */
class NulInTextError extends Error {
  readonly code = '22021';
}

/** `value` as an SQL literal: what node-postgres would send as the parameter, quoted. */
export function literal(value: unknown): string {
  const prepared = prepareValue(value);
  if (prepared === null || prepared === undefined) return 'NULL';
  const text = Buffer.isBuffer(prepared) ? `\\x${prepared.toString('hex')}` : String(prepared);
  if (text.includes('\u0000')) throw new NulInTextError('invalid byte sequence for encoding "UTF8": 0x00');
  return pg.escapeLiteral(text);
}

/**
 * `block` (PL/pgSQL: `[DECLARE …] BEGIN … END`) as a `DO` statement, dollar-quoted with a tag
 * it does not contain: a check that raises an error stops the rest of a multi-statement query.
 */
export function doBlock(block: string): string {
  let tag = '$vista$';
  for (let n = 0; block.includes(tag); n++) tag = `$vista${n}$`;
  return `DO ${tag} ${block} ${tag}`;
}
