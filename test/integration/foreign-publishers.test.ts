import { headers as natsHeaders } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountOpened } from '../../examples/ledger/events.ts';
import ledgerApp from '../../examples/ledger/index.ts';
import { accountBalances } from '../../examples/ledger/views/account-balances.ts';
import { listDeadLetters, publishEvent } from '../../projectors/engine/internal.ts';
import { binaryHeaders } from '../../shared/events/nats-binding.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { publishWithHeaderBlock } from '../support/raw-publish.ts';
import { runProjections } from '../support/running.ts';

/**
 * The ledger's accounts service publishes on its own subjects, `bank.v1.<aggregateId>.<event>`,
 * with no help from Vista: events without `time` or `datacontenttype`, with extension
 * attributes, in structured and in binary mode (issue 25.4 and 25.8).
 */
describe('events of publishers that are not Vista', () => {
  let env: TestEnvironment;
  let projections: ReturnType<typeof runProjections>;
  const encoder = new TextEncoder();
  /** The stored time of each message by its sequence on ACCOUNTS. */
  const storedAt = new Map<number, Date>();
  let poisonSequence = 0;

  const subject = (aggregateId: string, event: string) =>
    `${env.infrastructure.streams.namespace}.bank.v1.${aggregateId}.${event}`;

  async function publishRaw(on: string, payload: unknown, headers: Record<string, string> = {}) {
    const carried = natsHeaders();
    for (const [name, value] of Object.entries(headers)) carried.set(name, value);
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const ack = await env.infrastructure.nats.js.publish(on, encoder.encode(body), { headers: carried });
    const stored = await env.infrastructure.nats.jsm.streams.getMessage(ack.stream, { seq: ack.seq });
    if (stored) storedAt.set(ack.seq, stored.time);
    return ack.seq;
  }

  beforeAll(async () => {
    env = await testEnvironment({}, ledgerApp);
    // Structured, as the JSON event format allows it: no time, no datacontenttype, an extension.
    await publishRaw(subject('acc-s', 'account_opened'), {
      specversion: '1.0',
      id: 'foreign-1',
      source: 'https://bank.example.com/accounts',
      type: 'accounts.account_opened.v2',
      tenant: 'eu1',
      data: { accountId: 'acc-s', holderId: 'h-1', label: 'Everyday', currency: 'EUR' },
    });
    // Binary mode: attributes as ce- headers, the data as the body, again without time.
    await publishRaw(
      subject('acc-s', 'money_deposited'),
      { accountId: 'acc-s', amountCents: 2500, reference: 'salary' },
      binaryHeaders({
        specversion: '1.0',
        id: 'foreign-2',
        source: 'https://bank.example.com/accounts',
        type: 'accounts.money_deposited.v1',
        subject: 'acc-s',
        datacontenttype: 'application/json; charset=utf-8',
      }),
    );
    // On another account's subject: a dead letter, whatever the envelope says.
    poisonSequence = await publishRaw(subject('acc-x', 'money_deposited'), {
      specversion: '1.0',
      id: 'foreign-3',
      source: 'https://bank.example.com/accounts',
      type: 'accounts.money_deposited.v1',
      data: { accountId: 'acc-s', amountCents: 1_000_000, reference: 'misrouted' },
    });
    // And one through Vista's own publisher, which uses the same shape.
    await publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: AccountOpened,
      id: 'vista-1',
      time: '2026-06-01T12:00:00.000Z',
      source: '/test',
      data: { accountId: 'acc-v', holderId: 'h-1', label: 'Savings', currency: 'SEK' },
    });
    // A header block that nats.js's own parser throws on (a space in a name), around an event
    // that is otherwise sound: the binding reads the headers it knows, and the event counts.
    await publishWithHeaderBlock(
      env.config.NATS_URL,
      subject('acc-h', 'account_opened'),
      'NATS/1.0\r\nX Forwarded By: gateway\r\nContent-Type: application/cloudevents+json\r\n\r\n',
      JSON.stringify({
        specversion: '1.0',
        id: 'foreign-4',
        source: 'https://bank.example.com/accounts',
        type: 'accounts.account_opened.v2',
        time: '2026-06-02T08:00:00.000Z',
        data: { accountId: 'acc-h', holderId: 'h-2', label: 'Gateway', currency: 'NOK' },
      }),
    );
    projections = runProjections(env, [accountBalances]);
    await eventually(
      async () => {
        const { rows } = await env.infrastructure.pool.query<{ position: string }>(
          `SELECT position FROM vista_checkpoints WHERE projection = 'account_balances' AND stream = 'ACCOUNTS'`,
        );
        return Number(rows[0]?.position) === 5 ? true : undefined;
      },
      60_000,
      'account_balances to read the five events',
    );
  }, 90_000);

  afterAll(async () => {
    await projections?.stop();
    await env?.cleanup();
  });

  it('publishes through Vista on the subject the stream’s shape gives, marked as structured mode', async () => {
    const { nats, streams } = env.infrastructure;
    const stored = await nats.jsm.streams.getMessage(streams.streamName('ACCOUNTS'), { seq: 4 });
    expect(stored?.subject).toBe(subject('acc-v', 'account_opened'));
    expect(stored?.header.get('Content-Type')).toBe('application/cloudevents+json; charset=utf-8');
  });

  it('applies events without time (at the broker’s receive time), without datacontenttype, in binary mode, and under headers nats.js cannot read', async () => {
    const { rows } = await env.infrastructure.pool.query<{
      id: string;
      balance_cents: string;
      opened_at: Date;
      last_activity_at: Date;
      currency: string;
    }>('SELECT id, balance_cents, opened_at, last_activity_at, currency FROM account_balances ORDER BY id');
    expect(rows.map((r) => [r.id, Number(r.balance_cents), r.currency])).toEqual([
      ['acc-h', 0, 'NOK'],
      ['acc-s', 2500, 'EUR'],
      ['acc-v', 0, 'SEK'],
    ]);
    const [opened, deposited] = [storedAt.get(1), storedAt.get(2)];
    expect(rows[1]?.opened_at.getTime()).toBe(opened?.getTime());
    expect(rows[1]?.last_activity_at.getTime()).toBe(deposited?.getTime());
    expect(rows[2]?.opened_at.toISOString()).toBe('2026-06-01T12:00:00.000Z');
    expect(rows[0]?.opened_at.toISOString()).toBe('2026-06-02T08:00:00.000Z');
  });

  it('dead-letters an event on another aggregate’s subject as SUBJECT_MISMATCH, naming both', async () => {
    const letters = await listDeadLetters(env.infrastructure.pool, 'account_balances');
    expect(letters.map((l) => [l.sequence, l.errorCode])).toEqual([[poisonSequence, 'SUBJECT_MISMATCH']]);
    expect(letters[0]?.error).toBe(
      `NATS subject ${subject('acc-x', 'money_deposited')} is not ${subject('acc-s', 'money_deposited')}, the subject of accounts.money_deposited.v1 about acc-s`,
    );
  });
});
