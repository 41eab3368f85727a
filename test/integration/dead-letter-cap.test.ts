import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import {
  listNotKept,
  registerDeadLetterMetrics,
  storeDeadLetterCap,
} from '../../projectors/engine/internal.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { createRegistry } from '../../shared/metrics.ts';
import { startApiWith } from '../support/api.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';

const run = promisify(execFile);
const CAP = 5;
const POISON = 12;

/**
 * Issue 21.6: dead letters have a cap. Past DEAD_LETTER_MAX unresolved letters in a generation,
 * a poison event is skipped and counted (stream, first and last sequence, last code) instead of
 * kept as a letter; `vista status`, the API and a metric say so. Before, a 10,000-event poison
 * flood added 40,000 rows, payloads included.
 */
describe('the dead-letter cap', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await testEnvironment({ DEAD_LETTER_MAX: String(CAP) });
    const { nats, streams, pool } = env.infrastructure;
    await storeDeadLetterCap(pool, CAP);
    for (let i = 1; i <= POISON; i++) {
      await nats.js.publish(streams.subjectOf('orders.order_placed.v1', `o-${i}`), `{not json ${i}`);
    }
    await publishEvent(nats.js, streams, {
      eventType: OrderPlaced,
      id: 'cap-ok',
      time: new Date().toISOString(),
      source: '/test',
      data: {
        orderId: 'o-ok',
        customerId: 'c-1',
        lines: [{ productId: 'p', quantity: 1, unitPriceCents: 1 }],
      },
    });
    const orders = env.app.projections.filter((p) => p.name === 'orders');
    const projections = runProjections(env, orders);
    try {
      await eventually(
        async () => {
          const { rows } = await pool
            .query(
              `SELECT 1 FROM vista_checkpoints WHERE projection = 'orders' AND stream = 'ORDERS' AND position = $1`,
              [POISON + 1],
            )
            .catch(() => ({ rows: [] }));
          return rows.length > 0 ? true : undefined;
        },
        60_000,
        'orders to read every event',
      );
    } finally {
      await projections.stop();
    }
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  it('keeps DEAD_LETTER_MAX letters, counts the rest, and goes on with the view', async () => {
    const { pool } = env.infrastructure;
    const { rows } = await pool.query<{ sequence: number }>(
      `SELECT sequence FROM vista_dead_letters WHERE projection = 'orders' AND resolved_at IS NULL ORDER BY sequence`,
    );
    expect(rows.map((r) => r.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(await listNotKept(pool, 'orders')).toEqual([
      {
        projection: 'orders',
        generation: 1,
        stream: 'ORDERS',
        count: POISON - CAP,
        firstSequence: CAP + 1,
        lastSequence: POISON,
        lastErrorCode: 'INVALID_JSON',
        cap: CAP,
      },
    ]);
    const view = await pool.query(`SELECT id FROM orders`);
    expect(view.rows).toEqual([{ id: 'o-ok' }]);
  });

  it('says so in `vista status`, the API and a metric', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'projectors/cli.ts', 'status'], {
      env: { ...process.env, ...env.env },
      timeout: 60_000,
    });
    expect(stdout).toContain(
      `dead letters capped at ${CAP} (DEAD_LETTER_MAX): ${POISON - CAP} more poison events on ORDERS (#${CAP + 1}–#${POISON}, last INVALID_JSON) were skipped without a letter; they stay in the stream, and a rebuild after a fix applies them`,
    );
    const api = await startApiWith(env);
    try {
      const { body } = await api.query<{
        projections: { name: string; deadLetterCount: number; deadLettersNotKept: number }[];
      }>('{ projections { name deadLetterCount deadLettersNotKept } }');
      expect(body.data?.projections.find((p) => p.name === 'orders')).toEqual({
        name: 'orders',
        deadLetterCount: CAP,
        deadLettersNotKept: POISON - CAP,
      });
    } finally {
      await api.close();
    }
    const registry = createRegistry();
    registerDeadLetterMetrics(registry, env.infrastructure.pool);
    expect(await registry.metrics()).toContain(
      `vista_dead_letters_not_kept{projection="orders",generation="1"} ${POISON - CAP}`,
    );
  });
});
