import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { scaled } from '../support/fault-scale.ts';
import { runProjections } from '../support/running.ts';
import { freePort } from '../support/services.ts';
import { expectedOrders } from '../support/shop/model.ts';
import { waitForLiveViews } from '../support/shop/read-views.ts';

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

/** 200 concurrent clients (50 reduced) for 30 s (5 s reduced), mixing valid and hostile requests. */
describe('API under load', () => {
  let env: TestEnvironment;
  let api: ChildProcess;
  let port: number;
  let projections: ReturnType<typeof runProjections>;
  const history = [...demoHistory({ events: 5000, seed: 101 })];
  const orderIds = [...expectedOrders(history).keys()];

  beforeAll(async () => {
    env = await testEnvironment();
    await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, history);
    projections = runProjections(env);
    await waitForLiveViews(env, 8);
    port = await freePort();
    api = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
      env: { ...process.env, ...env.env, PORT: String(port), LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    await eventually(() =>
      fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => (r.ok ? true : undefined),
        () => undefined,
      ),
    );
  });

  afterAll(async () => {
    api?.kill('SIGKILL');
    await projections?.stop();
    await env?.cleanup();
  });

  it('answers every valid query, refuses the hostile ones with 4xx or GraphQL errors, never 5xx, memory bounded', async () => {
    const deep = `{ orders { edges { node { customer { orders { edges { node { customer { orders { edges { node { id } } } } } } } } } } } }`;
    const huge = `{ ${Array.from({ length: 30_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    const valid = [
      () => '{ orders(first: 20) { edges { node { id status totalCents customer { orderCount } } } } }',
      () =>
        `{ order(id: "${orderIds[Math.floor(Math.random() * orderIds.length)]}") { id status paidCents } }`,
      () => '{ searchProducts(query: "kettle", first: 10) { edges { node { name priceCents } } } }',
      () => '{ projections { name status positions { stream lag } } }',
    ];
    const hostile: (() => { body: string; type?: string })[] = [
      () => ({ body: JSON.stringify({ query: deep }) }),
      () => ({ body: JSON.stringify({ query: huge }) }),
      () => ({ body: '{"query": "{ orders { edges ' }),
      () => ({ body: JSON.stringify({ query: '{ orders(first: 5000) { edges { cursor } } }' }) }),
      () => ({ body: JSON.stringify({ query: '{ nope }' }) }),
      () => ({ body: 'not json at all', type: 'text/plain' }),
    ];
    const clients = scaled(50, 200);
    const seconds = scaled(5, 30);
    const before = rssMb(api.pid as number);
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(api.pid as number));
    }, 250);
    const counts = { valid: 0, validFailed: 0, hostile: 0, hostile5xx: 0 };
    const failures: string[] = [];
    const deadline = Date.now() + seconds * 1000;
    // Stopped however the load ends: a sampler left running would read a killed API's /proc.
    try {
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (Date.now() < deadline) {
            if (Math.random() < 0.7) {
              const query = (valid[Math.floor(Math.random() * valid.length)] as () => string)();
              const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ query }),
              });
              const body = (await response.json()) as { errors?: unknown[] };
              counts.valid++;
              if (response.status !== 200 || body.errors) {
                counts.validFailed++;
                if (failures.length < 5) failures.push(`${response.status} ${JSON.stringify(body.errors)}`);
              }
            } else {
              const request = (
                hostile[Math.floor(Math.random() * hostile.length)] as () => { body: string; type?: string }
              )();
              const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
                method: 'POST',
                headers: { 'content-type': request.type ?? 'application/json' },
                body: request.body,
              });
              await response.arrayBuffer();
              counts.hostile++;
              if (response.status >= 500) counts.hostile5xx++;
            }
          }
        }),
      );
    } finally {
      clearInterval(sampler);
    }
    expect(failures).toEqual([]);
    expect(counts.validFailed).toBe(0);
    expect(counts.hostile5xx).toBe(0);
    expect(counts.valid).toBeGreaterThan(clients);
    expect(counts.hostile).toBeGreaterThan(clients / 4);
    expect(api.exitCode).toBeNull();
    // Bounded: the process does not grow without limit under the load.
    expect(peak).toBeLessThan(Math.max(400, before * 3));
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    console.log(
      `api load: ${JSON.stringify(counts)} in ${seconds} s with ${clients} clients; RSS ${Math.round(before)} -> peak ${Math.round(peak)} MB`,
    );
  });
});
