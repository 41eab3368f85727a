import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_POSITIONS_HEADER } from '../../api/min-positions.ts';
import { MAX_BODY_BYTES } from '../../api/server.ts';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import { createElasticsearch } from '../../shared/clients/elasticsearch.ts';
import { createDedicatedClient, createPool } from '../../shared/clients/postgres.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { startApiWith } from '../support/api.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';
import { freePort } from '../support/services.ts';
import { waitForLiveViews } from '../support/shop/read-views.ts';

type TestApi = Awaited<ReturnType<typeof startApiWith>>;

/** For APIs whose failures are the point of the test: yoga logs each masked error with its stack. */
const quiet = pino({ level: 'silent' });

describe('GraphQL API: safe under bad input and failing stores', () => {
  let env: TestEnvironment;
  let api: TestApi;
  let projections: ReturnType<typeof runProjections>;
  let ordersSeq = 0;

  beforeAll(async () => {
    env = await testEnvironment();
    projections = runProjections(env);
    const ack = await publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: OrderPlaced,
      id: 'safety-1',
      time: new Date().toISOString(),
      source: '/test',
      data: {
        orderId: 'o-1',
        customerId: 'c-1',
        lines: [{ productId: 'p', quantity: 1, unitPriceCents: 1 }],
      },
    });
    ordersSeq = ack.seq;
    // Every projection started (a host stopped in the middle of its start-up may not return).
    await waitForLiveViews(env, 8);
    api = await startApiWith(env, { limits: { corsOrigins: ['https://shop.example'] } });
    const { body } = await api.query(
      '{ order(id: "o-1") { id } }',
      {},
      { [MIN_POSITIONS_HEADER]: `ORDERS=${ordersSeq}` },
    );
    expect(body.data).toEqual({ order: { id: 'o-1' } });
  });

  afterAll(async () => {
    await projections?.stop();
    await api?.close();
    await env?.cleanup();
  });

  /** An Elasticsearch client pointed at a port nobody listens on. */
  const deadElasticsearch = async () => createElasticsearch(`http://127.0.0.1:${await freePort()}`, 1000);

  it('/healthz says the process is alive; /readyz that PostgreSQL and Elasticsearch answer', async () => {
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${api.url}/readyz?verbose`);
    expect([ready.status, await ready.text()]).toEqual([200, 'ready']);
    const es = await deadElasticsearch();
    const blind = await startApiWith(env, { es, log: quiet });
    try {
      const notReady = await fetch(`${blind.url}/readyz`);
      expect([notReady.status, await notReady.text()]).toEqual([503, 'elasticsearch unreachable']);
      // Alive all the same, and serving what PostgreSQL holds.
      expect((await fetch(`${blind.url}/healthz`)).status).toBe(200);
      const { body } = await blind.query('{ order(id: "o-1") { id } }');
      expect(body.data).toEqual({ order: { id: 'o-1' } });
    } finally {
      await blind.close();
      await es.close();
    }
  });

  it('tells a client that a store is unavailable, without its internals', async () => {
    const es = await deadElasticsearch();
    const blind = await startApiWith(env, { es, log: quiet });
    try {
      const { status, body } = await blind.query('{ searchProducts(query: "kettle") { edges { cursor } } }');
      expect(status).toBe(200);
      expect(body.errors).toEqual([
        {
          message: 'a read model store is unavailable; retry shortly',
          path: ['searchProducts'],
          locations: [{ line: 1, column: 3 }],
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        },
      ]);
    } finally {
      await blind.close();
      await es.close();
    }
  });

  it('masks unexpected errors: no message, stack or cause reaches the client, even with NODE_ENV=development', async () => {
    // An index whose SKU is a text field: sorting search results by it fails inside Elasticsearch.
    const index = `${env.config.VISTA_NAMESPACE}-broken-products`;
    const { es } = env.infrastructure;
    await es.indices.create({
      index,
      mappings: { properties: { sku: { type: 'text' }, added: { type: 'boolean' } } },
    });
    await es.index({ index, id: 'p1', document: { sku: 'S1', added: true }, refresh: true });
    const broken = await startApiWith(env, { elasticsearchAlias: () => index, log: quiet });
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'development';
    try {
      const response = await fetch(`${broken.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query: '{ searchProducts { edges { cursor } } }' }),
      });
      const text = await response.text();
      expect(JSON.parse(text).errors).toEqual([
        {
          message: 'Unexpected error.',
          path: ['searchProducts'],
          locations: [{ line: 1, column: 3 }],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        },
      ]);
      expect(text).not.toMatch(/illegal_argument|[Tt]ext fields|sku|stack|at [a-zA-Z]+ \(/);
    } finally {
      process.env.NODE_ENV = nodeEnv;
      await broken.close();
      await es.indices.delete({ index });
    }
  });

  it('says that a read model is not built yet rather than failing opaquely', async () => {
    // A database and a namespace where no projector has run yet.
    const url = new URL(env.config.DATABASE_URL);
    url.pathname = '/postgres';
    const fresh = createPool(url.toString(), { applicationName: 'vista-api-test' });
    const early = await startApiWith(env, {
      pool: fresh,
      elasticsearchAlias: () => 'no-such-products',
      log: quiet,
    });
    try {
      const { body } = await early.query('{ order(id: "o-1") { id } product(id: "p") { id } }');
      expect(body.data).toEqual({ order: null, product: null });
      // Errors come in the order the fields fail, which is not the order of the query.
      const errors = body.errors?.map((e) => [
        (e as { path?: string[] }).path?.[0],
        e.extensions?.code,
        e.message,
      ]);
      expect(errors?.sort()).toEqual([
        ['order', 'READ_MODEL_NOT_READY', 'the read model is not built yet; retry shortly'],
        ['product', 'READ_MODEL_NOT_READY', 'the read model is not built yet; retry shortly'],
      ]);
    } finally {
      await early.close();
      await fresh.end();
    }
  });

  it('cancels a read that outlives the query timeout and says so', async () => {
    const slow = await startApiWith(env, { log: quiet, limits: { queryTimeoutMs: 300 } });
    const admin = createDedicatedClient(env.config.DATABASE_URL, 'vista-test');
    await admin.connect();
    try {
      // A writer holding the table makes the API's read wait past its statement timeout.
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE orders__g1 IN ACCESS EXCLUSIVE MODE');
      const started = performance.now();
      const { body } = await slow.query('{ orders(first: 1) { edges { cursor } } }');
      const took = performance.now() - started;
      expect(body.errors?.[0]).toMatchObject({
        message: 'the read took longer than 300 ms and was cancelled',
        path: ['orders'],
        extensions: { code: 'QUERY_TIMEOUT' },
      });
      expect(took).toBeGreaterThanOrEqual(250);
      expect(took).toBeLessThan(3000);
    } finally {
      await admin.query('ROLLBACK');
      await admin.end();
      await slow.close();
    }
  });

  it('allows the configured CORS origins only, without credentials', async () => {
    const allowed = await fetch(`${api.url}/graphql?query=%7B__typename%7D`, {
      headers: { origin: 'https://shop.example', accept: 'application/json' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    const other = await fetch(`${api.url}/graphql?query=%7B__typename%7D`, {
      headers: { origin: 'https://evil.example', accept: 'application/json' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${api.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': `content-type, ${MIN_POSITIONS_HEADER}`,
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(preflight.headers.get('access-control-allow-headers')).toContain(MIN_POSITIONS_HEADER);
  });

  it('refuses oversized bodies and documents before parsing them fully', async () => {
    const big = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ __typename }${' '.repeat(MAX_BODY_BYTES)}` }),
    });
    expect(big.status).toBe(413);
    // Megabytes beyond the limit: the answer must still reach a client that is still sending,
    // not a reset connection (a failed fetch) because the body was left unread.
    // A client that is still sending a body megabytes too large gets the 413 and may go on
    // sending: the body is read and dropped, not left unread on a closed connection (the reset
    // that follows can cost the client the answer: a failed request instead of a 413). The
    // same connection then serves the next request.
    const { port, hostname } = new URL(api.url);
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.on('data', (data) => {
      received += data.toString('latin1');
    });
    const bodyBytes = 4 * 1024 * 1024;
    socket.write(
      `POST /graphql HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${bodyBytes}\r\n\r\n`,
    );
    await eventually(async () => (received.includes('request body larger than') ? true : undefined));
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(received.toLowerCase()).not.toContain('connection: close');
    socket.write(Buffer.alloc(bodyBytes, 32));
    const next = JSON.stringify({ query: '{ __typename }' });
    socket.write(
      `POST /graphql HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${next.length}\r\n\r\n${next}`,
    );
    await eventually(async () => (received.includes('"__typename":"Query"') ? true : undefined));
    socket.destroy();
    // Under the byte limit but too many tokens: a syntax error, not an afternoon of parsing.
    const many = `{ ${Array.from({ length: 12_000 }, () => '__typename').join(' ')} }`;
    const { status, body } = await api.query(many);
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toMatch(/more th.t 10000 tokens/);
  });

  it('logs one line per request with its operation, status and duration', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const logged = await startApiWith(env, { log: pino({ level: 'info' }, sink) });
    try {
      await logged.query('query Dashboard { orders(first: 1) { edges { cursor } } }');
      const line = lines.find((l) => l.msg === 'request');
      expect(line).toMatchObject({ method: 'POST', path: '/graphql', operation: 'Dashboard', status: 200 });
      expect(typeof line?.ms).toBe('number');
    } finally {
      await logged.close();
    }
  });
});
