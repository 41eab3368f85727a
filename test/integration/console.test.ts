import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { StockAdjusted } from '../../examples/shop/events/catalog.ts';
import { type PoisonPolicy, serveCommands } from '../../projectors/engine/internal.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { commandSubject } from '../../shared/operator-commands.ts';
import { ARTIFACTS, launchBrowser } from '../support/browser.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections, startApi } from '../support/running.ts';
import { stockView } from '../support/shop/stock-view.ts';

const TOKEN = 'console-test-token-0123456789abcdef';
/** A payload that would run script if the page ever treated event data as HTML. */
const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>recount';

/** Views with a bug for one kind of event until the test "deploys the fix": one skips, one halts. */
const bug = { fixed: false };
const buggy = (name: string, onPoison: PoisonPolicy) =>
  stockView(name, { onPoison, failsOn: (reason) => reason.endsWith('recount') && !bug.fixed });

const stock = buggy('console_stock', 'skip');
const halting = buggy('console_halt', 'halt');
const split = stockView('console_split', { partitions: 3 });

describe('the operator console, in headless Chromium', () => {
  let env: TestEnvironment;
  let browser: Browser;
  let api: Awaited<ReturnType<typeof startApi>>;
  let projections: ReturnType<typeof runProjections>;
  const stopCommands = new AbortController();
  let commands: Promise<void>;

  beforeAll(async () => {
    env = await testEnvironment({ OPERATOR_TOKEN: TOKEN });
    const { js } = env.infrastructure.nats;
    const { streams } = env.infrastructure;
    await publishMany(js, streams, demoHistory({ events: 3000, seed: 14 }));
    for (const [n, reason] of [
      [1, 'restock'],
      [2, HOSTILE],
      [3, 'recount'],
    ] as const) {
      await publishEvent(js, streams, {
        eventType: StockAdjusted,
        data: { productId: `p${n}`, delta: 5, reason },
        id: `console-adj-${n}`,
        time: '2026-01-01T00:00:00.000Z',
        source: '/test',
      });
    }
    projections = runProjections(env, [...env.app.projections, stock, halting, split]);
    commands = serveCommands(
      env.infrastructure.nats.connection,
      commandSubject(env.config.VISTA_NAMESPACE),
      env.infrastructure.pool,
      env.log,
      stopCommands.signal,
    );
    api = await startApi(env);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    stopCommands.abort();
    await commands;
    await projections?.stop();
    await env?.cleanup();
  });

  const open = async (path: string, viewport = { width: 1280, height: 900 }) => {
    const page = await browser.newPage({ viewport });
    const external: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(api.url)) external.push(request.url());
    });
    page.on('pageerror', (error) => pageErrors.push(`${path}: ${error.message}`));
    await page.goto(`${api.url}${path}`);
    return { page, external };
  };

  /** Script errors of every page opened: none may happen. */
  const pageErrors: string[] = [];
  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  const card = (page: Page, name: string) => page.locator(`[data-testid="projection"][data-name="${name}"]`);

  it('shows every projection with its per-stream position and lag, live', async () => {
    const { page, external } = await open('/console');
    for (const { name } of [...env.app.projections, stock]) {
      const rows = card(page, name).locator('[data-testid="stream-row"]');
      await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThan(0);
      // Caught up: every stream's lag is a number, and 0 once the projection has read it all.
      await expect
        .poll(async () => (await rows.locator('[data-testid="lag"]').allTextContents()).join(','), {
          timeout: 60_000,
        })
        .toMatch(/^0(,0)*$/);
    }
    await expect
      .poll(() => card(page, 'console_stock').getByTestId('dead-letter-count').textContent())
      .toBe('2');
    // The halting one is marked, with its reason (its dead letter's code and place: without the
    // operator token, no error text), and its lag stays.
    const halted = card(page, 'console_halt');
    await expect
      .poll(() => halted.getByTestId('status').first().textContent(), { timeout: 30_000 })
      .toBe('halted');
    expect(await halted.getByTestId('reason').textContent()).toMatch(
      /^HANDLER_FAILED at CATALOG #\d+; `vista dead-letters` shows the error/,
    );
    expect(Number(await halted.getByTestId('total-lag').textContent())).toBeGreaterThan(0);
    await page.screenshot({ path: new URL('console-overview.png', ARTIFACTS).pathname, fullPage: true });
    expect(external).toEqual([]);
    await page.close();
  });

  it('without the token: no buttons, and the mutations answer FORBIDDEN', async () => {
    const { page } = await open('/console#/projection/orders');
    await expect
      .poll(() => page.getByTestId('live-generation').textContent(), { timeout: 30_000 })
      .toBe('g1');
    await expect.poll(() => page.locator('#operator-mode').textContent()).toBe('read-only');
    expect(await page.getByTestId('start-rebuild').count()).toBe(0);
    expect(await page.getByTestId('retry-dead-letters').count()).toBe(0);
    const answer = await page.evaluate(async () => {
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer not-the-operator-token' },
        body: JSON.stringify({ query: 'mutation { startRebuild(projection: "orders") { outcome } }' }),
      });
      return { status: response.status, body: await response.json() };
    });
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(answer.body.data ?? null).toBeNull();
    // Nothing reached the projectors: no action is recorded.
    const { rows } = await env.infrastructure.pool.query(
      'SELECT count(*)::int AS n FROM vista_operator_actions',
    );
    expect(rows[0].n).toBe(0);
    await page.close();
  });

  it('with the token: rebuilds a projection to the switch, skips and retries dead letters', async () => {
    const { page } = await open('/console#/projection/console_stock');
    page.on('dialog', (dialog) => void dialog.accept());
    await page.locator('#token-input').fill(TOKEN);
    await page.locator('#token-use').click();
    await expect.poll(() => page.locator('#operator-mode').textContent()).toBe('operator');

    // The hostile payload is shown as text: nothing of it ran or became markup.
    const letters = page.getByTestId('dead-letter');
    await expect.poll(() => letters.count(), { timeout: 30_000 }).toBe(2);
    expect((await page.getByTestId('payload').allTextContents()).join('\n')).toContain('<img src=x onerror=');
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('main img, main script').count()).toBe(0);
    // The live list is anonymous: the error's code and place; the operator asks for one letter's
    // error text (and whole payload) with the token.
    const error = letters.first().getByTestId('dead-letter-error');
    expect(await error.textContent()).toMatch(/^at CATALOG #\d+$/);
    await letters.first().getByTestId('whole-dead-letter').click();
    await expect.poll(() => error.textContent()).toContain('recount not supported yet');
    await page.screenshot({ path: new URL('console-projection.png', ARTIFACTS).pathname, fullPage: true });

    // The halted view: its history shows the halt; skipping the letter it halted on moves it
    // past that event, to the next one the bug stops it at.
    await page.goto(`${api.url}/console#/projection/console_halt`);
    await expect
      .poll(() => page.getByTestId('state-changes').textContent(), { timeout: 30_000 })
      .toMatch(/halted.*HANDLER_FAILED/);
    const haltedAt = await letters.first().getAttribute('data-id');
    await letters.first().getByTestId('skip-dead-letter').click();
    await expect.poll(() => letters.first().getAttribute('data-id'), { timeout: 30_000 }).not.toBe(haltedAt);
    expect(await letters.count()).toBe(1);

    // The skipping view: skip the first, then "deploy the fix" and retry the other: it is applied.
    await page.goto(`${api.url}/console#/projection/console_stock`);
    await expect.poll(() => letters.count(), { timeout: 30_000 }).toBe(2);
    await letters.first().getByTestId('skip-dead-letter').click();
    await expect.poll(() => letters.count(), { timeout: 30_000 }).toBe(1);
    bug.fixed = true;
    await page.getByTestId('retry-dead-letters').click();
    await expect.poll(() => page.getByTestId('no-dead-letters').count(), { timeout: 30_000 }).toBe(1);
    const { rows } = await env.infrastructure.pool.query<{ id: string; stock: string }>(
      "SELECT id, stock FROM console_stock WHERE id IN ('p1', 'p2', 'p3') ORDER BY id",
    );
    expect(rows.map((r) => [r.id, Number(r.stock)])).toEqual([
      ['p1', 5],
      ['p3', 5],
    ]);
    // …and the halted view resumes on retry, re-reading the event it stopped at.
    await page.goto(`${api.url}/console#/projection/console_halt`);
    await page.getByTestId('retry-dead-letters').click();
    await expect.poll(() => page.getByTestId('no-dead-letters').count(), { timeout: 30_000 }).toBe(1);
    await expect
      .poll(() => page.getByTestId('status').first().textContent(), { timeout: 30_000 })
      .toBe('running');
    const resumed = await env.infrastructure.pool.query<{ id: string; stock: string }>(
      "SELECT id, stock FROM console_halt WHERE id IN ('p1', 'p2', 'p3') ORDER BY id",
    );
    expect(resumed.rows.map((r) => [r.id, Number(r.stock)])).toEqual([
      ['p1', 5],
      ['p3', 5],
    ]);

    // A rebuild of orders, watched until the public name switched to the new generation.
    await page.goto(`${api.url}/console#/projection/orders`);
    await expect
      .poll(() => page.getByTestId('live-generation').textContent(), { timeout: 30_000 })
      .toBe('g1');
    await page.getByTestId('start-rebuild').click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toContain('accepted');
    await expect
      .poll(() => page.getByTestId('live-generation').textContent(), { timeout: 60_000 })
      .toBe('g2');
    await expect
      .poll(async () => (await page.getByTestId('generations').textContent()) ?? '', { timeout: 30_000 })
      .toMatch(/g1v1retired/);
    // Each action is recorded with where it came from, and shown.
    await expect
      .poll(async () => (await page.getByTestId('actions').textContent()) ?? '', { timeout: 30_000 })
      .toMatch(/start rebuild.*accepted.*graphql · 127\.0\.0\.1/);
    await page.screenshot({ path: new URL('console-rebuilt.png', ARTIFACTS).pathname, fullPage: true });
    await page.close();
  });

  it("shows a split projection's partitions; an operator also sees who owns each", async () => {
    const { page } = await open('/console#/projection/console_split');
    const partitionRows = () =>
      page
        .getByTestId('partitions')
        .locator('tbody tr')
        .evaluateAll((rows) =>
          rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent)),
        );
    // Anonymous: each partition's status, position and lag, and no owners.
    await expect
      .poll(async () => (await partitionRows()).map((cells) => cells.slice(0, 2).join(' ')), {
        timeout: 60_000,
      })
      .toEqual(['0 running', '1 running', '2 running']);
    expect((await partitionRows()).every((cells) => cells.length === 4)).toBe(true);
    expect(await page.getByTestId('partitions').textContent()).not.toMatch(/owner/);

    await page.locator('#token-input').fill(TOKEN);
    await page.locator('#token-use').click();
    await expect.poll(() => page.locator('#operator-mode').textContent()).toBe('operator');
    const { rows: leases } = await env.infrastructure.pool.query<{ partition: number; owner: string }>(
      "SELECT partition, owner FROM vista_leases WHERE projection = 'console_split' ORDER BY partition",
    );
    expect(leases.map((l) => l.partition)).toEqual([0, 1, 2]);
    await expect
      .poll(async () => (await partitionRows()).map((cells) => cells[4]), { timeout: 30_000 })
      .toEqual(leases.map((l) => l.owner));
    await page.close();
  });

  it('is readable on a phone: nothing wider than the screen but the tables that scroll', async () => {
    const { page } = await open('/console', { width: 390, height: 844 });
    await expect.poll(() => card(page, 'orders').count(), { timeout: 30_000 }).toBe(1);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: new URL('console-phone.png', ARTIFACTS).pathname, fullPage: true });
    await page.close();
  });
});
