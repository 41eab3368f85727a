import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MoneyDeposited } from '../../examples/ledger/events.ts';
import ledgerApp from '../../examples/ledger/index.ts';
import {
  elasticsearchAlias,
  publishEvent,
  publishMany,
  readGenerations,
  requestRebuild,
} from '../../projectors/engine/internal.ts';
import { waitForLiveViews } from '../support/engine-state.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import type { GraphQLResponse } from '../support/graphql.ts';
import { shuffleAcrossStreams } from '../support/history.ts';
import { ledgerModel } from '../support/ledger/model.ts';
import { runProjections, startApi } from '../support/running.ts';

/**
 * The second domain, run by the same engine with no edit to it: its history shuffled across
 * its two streams, its three views against an independent model, one of them rebuilt.
 */
describe('the ledger application end to end', () => {
  let env: TestEnvironment;
  let projections: ReturnType<typeof runProjections>;
  const published = [...(ledgerApp.demo?.({ events: 4000, seed: 7 }) ?? [])];
  // The model folds the history in the order it happened; the engine sees it shuffled.
  const model = ledgerModel(published);
  const history = shuffleAcrossStreams(published, 3);

  beforeAll(async () => {
    env = await testEnvironment({}, ledgerApp);
    const { nats, streams } = env.infrastructure;
    await publishMany(nats.js, streams, history);
    projections = runProjections(env);
    // account_balances reads two streams, holders and accounts one each.
    await waitForLiveViews(env, 4, 90_000);
  }, 120_000);

  afterAll(async () => {
    await projections?.stop();
    await env?.cleanup();
  });

  const balances = async () => {
    const { rows } = await env.infrastructure.pool.query<Record<string, string | number>>(
      `SELECT id, holder_id, label, currency, status, balance_cents, transfers FROM account_balances ORDER BY id`,
    );
    return Object.fromEntries(
      rows.map((r) => [
        r.id,
        {
          holderId: r.holder_id,
          label: r.label,
          currency: r.currency,
          status: r.status,
          balanceCents: Number(r.balance_cents),
          transfers: Number(r.transfers),
        },
      ]),
    );
  };

  it('publishes a history that uses both streams and the legacy event version', () => {
    const types = new Set(history.map((e) => e.eventType.type));
    expect(types).toContain('accounts.account_opened.v1');
    expect(types).toContain('transfers.transfer_made.v1');
    expect(model.balances.size).toBeGreaterThan(50);
  });

  it('account_balances (PostgreSQL, two streams, upcast v1 openings) equals the model', async () => {
    expect(await balances()).toEqual(
      Object.fromEntries([...model.balances].sort(([a], [b]) => (a < b ? -1 : 1))),
    );
  });

  it('holders equals the model', async () => {
    const { rows } = await env.infrastructure.pool.query<{
      id: string;
      name: string;
      country: string;
      account_count: number;
    }>('SELECT id, name, country, account_count FROM holders');
    expect(
      Object.fromEntries(
        rows.map((r) => [r.id, { name: r.name, country: r.country, accountCount: r.account_count }]),
      ),
    ).toEqual(Object.fromEntries(model.holders));
  });

  it('accounts (Elasticsearch) holds every opened account and finds them by words of their label', async () => {
    const index = elasticsearchAlias(env.config.VISTA_NAMESPACE, 'accounts');
    const { es } = env.infrastructure;
    await es.indices.refresh({ index });
    const all = await es.search<{ status: string; currency: string }>({
      index,
      size: 10_000,
      query: { term: { opened: true } },
    });
    expect(
      Object.fromEntries(
        all.hits.hits.map((h) => [h._id, { status: h._source?.status, currency: h._source?.currency }]),
      ),
    ).toEqual(
      Object.fromEntries(
        [...model.balances].map(([id, b]) => [id, { status: b.status, currency: b.currency }]),
      ),
    );
    const savings = await es.search({ index, size: 10_000, query: { match: { label: 'savings' } } });
    const expected = [...model.balances].filter(([, b]) => /savings/i.test(b.label)).map(([id]) => id);
    expect(expected.length).toBeGreaterThan(0);
    expect(savings.hits.hits.map((h) => h._id).sort()).toEqual(expected.sort());
  });

  describe('over GraphQL, with no API code for the ledger', () => {
    let api: Awaited<ReturnType<typeof startApi>>;
    beforeAll(async () => {
      api = await startApi(env);
    });
    afterAll(() => api?.close());

    it('lists account balances with a filter, an ordering and pages, as the model says', async () => {
      const euros = [...model.balances]
        .filter(([, b]) => b.currency === 'EUR' && b.status === 'OPEN')
        // The key breaks ties, in the direction of the last ordering term.
        .sort(([a, x], [b, y]) => y.balanceCents - x.balanceCents || (a < b ? 1 : -1));
      type Node = { id: string; balanceCents: number; holder: { name: string } | null };
      type Page = {
        totalCount: number;
        edges: { node: Node }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
      const seen: Node[] = [];
      let after: string | null = null;
      for (let page = 0; page < 100; page++) {
        const { status, body }: { status: number; body: GraphQLResponse<{ accountBalances: Page }> } =
          await api.query(
            `query ($after: String) {
            accountBalances(where: { currency: { eq: "EUR" } }, status: OPEN, orderBy: [{ balanceCents: DESC }],
                            first: 40, after: $after) {
              totalCount
              edges { node { id balanceCents holder { name } } }
              pageInfo { hasNextPage endCursor }
            }
          }`,
            { after },
          );
        expect(status).toBe(200);
        expect(body.errors).toBeUndefined();
        const connection: Page | undefined = body.data?.accountBalances;
        expect(connection?.totalCount).toBe(euros.length);
        seen.push(...(connection?.edges.map((e) => e.node) ?? []));
        if (!connection?.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
      expect(seen.map((n) => [n.id, n.balanceCents])).toEqual(euros.map(([id, b]) => [id, b.balanceCents]));
      for (const node of seen) {
        const holderId = model.balances.get(node.id)?.holderId ?? '';
        expect(node.holder?.name).toBe(model.holders.get(holderId)?.name);
      }
    });

    it("serves a holder's accounts through the declared relation, and one account by key", async () => {
      const [holderId, holder] = [...model.holders].find(([, h]) => h.accountCount > 1) ?? [];
      const { body } = await api.query<{
        holder: { name: string; accounts: { totalCount: number; edges: { node: { id: string } }[] } };
      }>(
        `query ($id: ID!) { holder(id: $id) { name accounts(first: 100) { totalCount edges { node { id } } } } }`,
        {
          id: holderId,
        },
      );
      expect(body.errors).toBeUndefined();
      const expected = [...model.balances].filter(([, b]) => b.holderId === holderId).map(([id]) => id);
      expect(body.data?.holder.name).toBe(holder?.name);
      expect(body.data?.holder.accounts.totalCount).toBe(expected.length);
      expect(body.data?.holder.accounts.edges.map((e) => e.node.id).sort()).toEqual(expected.sort());
    });

    it('searches accounts by words of their label in Elasticsearch', async () => {
      const { body } = await api.query<{
        searchAccount: { totalCount: number; edges: { node: { id: string; label: string } }[] };
      }>(`{ searchAccount(query: "holiday", first: 100) { totalCount edges { node { id label } } } }`);
      expect(body.errors).toBeUndefined();
      const expected = [...model.balances].filter(([, b]) => /holiday/i.test(b.label)).map(([id]) => id);
      expect(expected.length).toBeGreaterThan(0);
      expect(body.data?.searchAccount.edges.map((e) => e.node.id).sort()).toEqual(expected.sort());
    });

    it('waits for a client’s own deposit (read-your-writes) and says how fresh the answer is', async () => {
      const [accountId, before] = [...model.balances].find(([, b]) => b.status === 'OPEN') ?? [];
      const ack = await publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
        eventType: MoneyDeposited,
        id: 'ledger-e2e-own-deposit',
        time: new Date().toISOString(),
        source: '/test',
        data: { accountId: accountId ?? '', amountCents: 12_345, reference: 'own write' },
      });
      const { body } = await api.query<{ accountBalance: { balanceCents: number } }>(
        'query ($id: ID!) { accountBalance(id: $id) { balanceCents } }',
        { id: accountId },
        { 'x-vista-min-positions': `${ack.stream}=${ack.seq}` },
      );
      expect(body.errors).toBeUndefined();
      expect(body.data?.accountBalance.balanceCents).toBe((before?.balanceCents ?? 0) + 12_345);
      const positions = body.extensions?.positions as Record<string, Record<string, number>> | undefined;
      expect(positions?.account_balances?.ACCOUNTS).toBeGreaterThanOrEqual(ack.seq);
      if (before) before.balanceCents += 12_345; // the model follows, for the rebuild below
    });
  });

  it('rebuilds account_balances from sequence 1 into an identical view', async () => {
    const { pool } = env.infrastructure;
    const before = (await readGenerations(pool, 'account_balances')).live?.generation;
    expect(await requestRebuild(pool, 'account_balances')).toBe(true);
    await eventually(
      async () => {
        const { live, building } = await readGenerations(pool, 'account_balances');
        return live && live.generation !== before && !building ? live : undefined;
      },
      90_000,
      'the rebuilt generation to take over',
    );
    expect(await balances()).toEqual(
      Object.fromEntries([...model.balances].sort(([a], [b]) => (a < b ? -1 : 1))),
    );
  }, 120_000);
});
