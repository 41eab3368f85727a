import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { createDedicatedClient, type PoolClient } from '../../../shared/clients/postgres.ts';
import type { Logger } from '../../../shared/log.ts';
import { sleep } from '../support/retry.ts';
import { describe, type Fence, type HeldFence, LeaseLostError, type LeaseUnit } from './fence.ts';

/**
 * How quickly a dead peer of the lease connection is noticed by the server (keepalive probes
 * 2 s idle, 1 s apart, 3 unanswered; `tcp_user_timeout` for data never acknowledged): its
 * session ends and with it the owner's presence lock, so standbys take over at once instead
 * of waiting for the leases to expire.
 */
const SERVER_KEEPALIVES = `SET tcp_keepalives_idle = 2; SET tcp_keepalives_interval = 1;
  SET tcp_keepalives_count = 3; SET tcp_user_timeout = 5000`;

/**
 * A lease row locked by a commit in flight (its fence check holds it FOR SHARE) makes an
 * acquisition or a renewal wait: briefly, then it fails and the next poll tries again, rather
 * than the lease connection hanging behind a frozen writer.
 */
const LOCK_TIMEOUT = 'SET lock_timeout = 500';

/** First key of every owner's presence lock, so they never collide with other advisory locks. */
export const PRESENCE_NAMESPACE = 0x56495350; // 'VISP'

/** Default time a lease stays valid after its last renewal. */
export const DEFAULT_LEASE_TTL_MS = 4000;

/** Ownership of one unit; `lost` aborts when it was taken over, expired or given up. */
export interface Lease extends HeldFence {
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

interface Held {
  readonly fence: Fence;
  readonly controller: AbortController;
  /** `performance.now()` until which the lease is surely still ours (see `renew`). */
  validUntil: number;
}

export interface LeaseOptions {
  /** How long a lease stays valid after its last renewal; renewals run four times as often. */
  readonly ttlMs?: number;
  /** How often a standby tries to acquire a unit it waits for. */
  readonly pollMs?: number;
  /**
   * What this process runs (its projections and their partition counts, `workloadOf`): units
   * are shared evenly among the processes present with the same workload.
   */
  readonly workload?: string;
}

/**
 * Leases in the table `vista_leases`: one row per unit, with its owner, an epoch that grows at
 * every acquisition, and an expiry on the database's clock. Only the owner's own event loop
 * renews it, so an owner that is alive but frozen (SIGSTOP, a loop blocked for minutes, a
 * long GC pause) loses it within one TTL even though its kernel still answers TCP. A unit is
 * free when it has no owner, its lease expired, or its owner's presence lock (a session
 * advisory lock on the lease connection) is gone: a killed process is replaced within one poll.
 *
 * The owner stops writing on its own once a renewal is overdue, but that is a courtesy: the
 * guarantee is the epoch, which every PostgreSQL commit checks in its transaction
 * (`assertFence`) and every Elasticsearch document carries in its version, so a stale owner
 * waking up can never overwrite what a newer one wrote.
 */
export class LeaseManager {
  /** This process's identity as an owner: host, pid and a random part (two managers in one process differ). */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly ttlMs: number;
  /** How often a standby tries to acquire a unit it waits for (and a balancer balances). */
  readonly pollMs: number;
  private readonly workload: string;
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private readonly held = new Map<string, Held>();
  /** Queries on the lease connection run one at a time (pg does not queue them for us in v9). */
  private serial: Promise<unknown> = Promise.resolve();
  private renewal: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(
    private readonly connectionString: string,
    private readonly log: Logger,
    options: LeaseOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.pollMs = options.pollMs ?? 1000;
    this.workload = options.workload ?? '';
  }

  /**
   * How many projector processes share this one's workload now, itself included: present (their
   * presence lock is held) and alive (their renewals ran within one TTL, so a frozen process is
   * not counted, and its units go to the others).
   */
  async peers(): Promise<number> {
    const client = await this.connect();
    const { rows } = await this.exclusive(() =>
      client.query<{ peers: number }>(
        `SELECT count(*)::int AS peers FROM vista_projectors p
          WHERE p.workload = $1 AND p.seen_at > now() - $2 * interval '1 millisecond'
            AND EXISTS (SELECT 1 FROM pg_locks k
                         WHERE k.locktype = 'advisory' AND k.granted AND k.objsubid = 2
                           AND k.classid = $3::bigint::oid AND k.objid = hashtext(p.id)::oid
                           AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database()))`,
        [this.workload, this.ttlMs, PRESENCE_NAMESPACE],
      ),
    );
    return Math.max(1, rows[0]?.peers ?? 1);
  }

  /** Whether the lease connection is up: without it this process cannot acquire or renew. */
  get connected(): boolean {
    return this.client !== undefined;
  }

  /** Waits until this process owns `unit`; resolves undefined if `signal` aborts first. */
  async acquire(unit: LeaseUnit | string, signal: AbortSignal): Promise<Lease | undefined> {
    const wanted = typeof unit === 'string' ? { projection: unit, partition: 0 } : unit;
    while (!signal.aborted) {
      const lease = await this.tryAcquire(wanted).catch((error: unknown) => {
        this.log.warn({ err: error, projection: wanted.projection }, 'lease check failed; retrying');
        return undefined;
      });
      if (lease) return lease;
      await sleep(this.pollMs, signal);
    }
    return undefined;
  }

  /** Takes `unit` if it is free (or this owner's own from an earlier tenure), with a new epoch. */
  async tryAcquire(unit: LeaseUnit): Promise<Lease | undefined> {
    if (this.closed) return undefined;
    const client = await this.connect();
    const sentAt = performance.now();
    const { rows } = await this.exclusive(() =>
      client.query<{ epoch: number }>(
        `INSERT INTO vista_leases AS l (projection, partition, owner, epoch, expires_at, acquired_at, renewed_at)
         VALUES ($1, $2, $3, 1, now() + $4 * interval '1 millisecond', now(), now())
         ON CONFLICT (projection, partition) DO UPDATE
            SET owner = EXCLUDED.owner, epoch = l.epoch + 1, expires_at = EXCLUDED.expires_at,
                acquired_at = now(), renewed_at = now()
          WHERE l.owner IS NULL OR l.owner = EXCLUDED.owner OR l.expires_at < now()
             OR NOT EXISTS (
                  SELECT 1 FROM pg_locks k
                   WHERE k.locktype = 'advisory' AND k.granted AND k.objsubid = 2
                     AND k.classid = $5::bigint::oid AND k.objid = hashtext(l.owner)::oid
                     AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database()))
         RETURNING epoch`,
        [unit.projection, unit.partition, this.owner, this.ttlMs, PRESENCE_NAMESPACE],
      ),
    );
    const epoch = rows[0]?.epoch;
    if (epoch === undefined) return undefined;
    return this.lease({ ...unit, owner: this.owner, epoch }, sentAt);
  }

  /** Gives every lease up and leaves: standbys take the units over at their next poll. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.renewal);
    const leases = [...this.held.values()];
    const client = this.client;
    if (client && leases.length > 0) {
      await this.exclusive(() =>
        client.query(
          `UPDATE vista_leases l SET owner = NULL, expires_at = now()
             FROM unnest($2::text[], $3::int[], $4::bigint[]) AS h(projection, partition, epoch)
            WHERE l.projection = h.projection AND l.partition = h.partition AND l.epoch = h.epoch AND l.owner = $1`,
          [this.owner, ...columns(leases.map((h) => h.fence))],
        ),
      ).catch(() => undefined);
    }
    for (const h of leases) h.controller.abort();
    this.held.clear();
    if (client) {
      await this.exclusive(() =>
        client.query('DELETE FROM vista_projectors WHERE id = $1', [this.owner]),
      ).catch(() => undefined);
    }
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.serial.then(work, work);
    this.serial = run.catch(() => undefined);
    return run;
  }

  private key(unit: LeaseUnit): string {
    return `${unit.projection}#${unit.partition}`;
  }

  private lease(fence: Fence, sentAt: number): Lease {
    const controller = new AbortController();
    const held: Held = { fence, controller, validUntil: this.validFrom(sentAt) };
    this.held.get(this.key(fence))?.controller.abort();
    this.held.set(this.key(fence), held);
    return {
      ...fence,
      lost: controller.signal,
      assertHeld: () => {
        if (performance.now() > held.validUntil) this.loseHeld(held, 'its renewal is overdue');
        if (controller.signal.aborted) {
          throw controller.signal.reason instanceof LeaseLostError
            ? controller.signal.reason
            : new LeaseLostError(`${describe(fence)}: released`);
        }
      },
      surrender: (reason) => this.loseHeld(held, reason),
      release: async () => {
        if (this.held.get(this.key(fence)) === held) this.held.delete(this.key(fence));
        const client = this.client;
        if (client && !controller.signal.aborted) {
          await this.exclusive(() =>
            client.query(
              `UPDATE vista_leases SET owner = NULL, expires_at = now()
                WHERE projection = $1 AND partition = $2 AND owner = $3 AND epoch = $4`,
              [fence.projection, fence.partition, fence.owner, fence.epoch],
            ),
          ).catch(() => undefined);
        }
        controller.abort(new LeaseLostError(`${describe(fence)}: released`));
      },
    };
  }

  /**
   * The server set the expiry to its `now() + ttl` at some instant after `sentAt`, so the lease
   * is surely ours until `sentAt + ttl` on this clock; a margin covers clock-rate differences.
   */
  private validFrom(sentAt: number): number {
    return sentAt + this.ttlMs * 0.85;
  }

  private connect(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = createDedicatedClient(this.connectionString, 'vista-leases', {
        keepAliveInitialDelayMs: 2000,
        queryTimeoutMs: Math.max(500, Math.floor(this.ttlMs / 2)),
      });
      client.on('error', (error) => this.dropConnection(client, error));
      client.on('end', () => this.dropConnection(client, new Error('lease connection ended')));
      try {
        await client.connect();
        await client.query(SERVER_KEEPALIVES);
        await client.query(LOCK_TIMEOUT);
        // Present while this session lives: standbys take a unit over at once when it is gone.
        const { rows } = await client.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
          [PRESENCE_NAMESPACE, this.owner],
        );
        if (!rows[0]?.locked) throw new Error(`presence lock of ${this.owner} is held by another session`);
        await client.query(
          `INSERT INTO vista_projectors (id, host, pid, workload) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO UPDATE SET seen_at = now()`,
          [this.owner, hostname(), process.pid, this.workload],
        );
        this.client = client;
        this.startRenewal();
        return client;
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  private startRenewal(): void {
    if (this.renewal) return;
    this.renewal = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.ttlMs / 4)));
    this.renewal.unref();
  }

  /**
   * Renews every held lease in one statement, and this process's membership with it. A lease
   * the statement does not return was taken over (another epoch is in its row); one that is
   * not renewed in time (the database does not answer) is given up before it can expire.
   */
  private async renew(): Promise<void> {
    for (const h of [...this.held.values()]) {
      if (performance.now() > h.validUntil) this.loseHeld(h, 'its renewal is overdue');
    }
    if (this.closed) return;
    const leases = [...this.held.values()];
    const sentAt = performance.now();
    try {
      const client = await this.connect();
      const { rows } = await this.exclusive(() =>
        client.query<{ projection: string; partition: number; epoch: number }>(
          `WITH seen AS (
             INSERT INTO vista_projectors (id, host, pid, workload) VALUES ($1, $6, $7, $8)
             ON CONFLICT (id) DO UPDATE SET seen_at = now())
           UPDATE vista_leases l SET expires_at = now() + $5 * interval '1 millisecond', renewed_at = now()
             FROM unnest($2::text[], $3::int[], $4::bigint[]) AS h(projection, partition, epoch)
            WHERE l.projection = h.projection AND l.partition = h.partition AND l.epoch = h.epoch
              AND l.owner = $1
           RETURNING l.projection, l.partition, l.epoch`,
          [
            this.owner,
            ...columns(leases.map((h) => h.fence)),
            this.ttlMs,
            hostname(),
            process.pid,
            this.workload,
          ],
        ),
      );
      const renewed = new Set(rows.map((r) => `${this.key(r)}@${r.epoch}`));
      for (const h of leases) {
        if (renewed.has(`${this.key(h.fence)}@${h.fence.epoch}`)) h.validUntil = this.validFrom(sentAt);
        else this.loseHeld(h, 'taken over by another owner');
      }
    } catch (error) {
      if (leases.length > 0) this.log.warn({ err: error }, 'lease renewal failed');
      // A statement the server refused (a lock timeout behind this process's own commit) says
      // the connection works: try again at the next renewal. Anything else (no answer in time,
      // a broken socket) drops it, and the next renewal reconnects.
      const client = this.client;
      if (client && !isServerError(error)) this.dropConnection(client, error as Error);
    }
  }

  private loseHeld(h: Held, reason: string): void {
    if (this.held.get(this.key(h.fence)) === h) this.held.delete(this.key(h.fence));
    if (h.controller.signal.aborted) return;
    this.log.warn(
      { projection: h.fence.projection, partition: h.fence.partition, epoch: h.fence.epoch, reason },
      'lease lost',
    );
    h.controller.abort(new LeaseLostError(`${describe(h.fence)}: ${reason}`));
  }

  /**
   * The session is gone, and with it the presence lock: standbys may take the units over now.
   * The leases themselves stay until renewal proves them lost or they run out; the next
   * renewal reconnects.
   */
  private dropConnection(client: pg.Client, error: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.held.size > 0) this.log.warn({ err: error }, 'lease connection lost; reconnecting');
    void client.end().catch(() => undefined);
  }
}

/** An error the server answered with (it has a SQLSTATE), as opposed to a lost or silent connection. */
function isServerError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

function columns(fences: readonly Fence[]): [string[], number[], number[]] {
  return [fences.map((f) => f.projection), fences.map((f) => f.partition), fences.map((f) => f.epoch)];
}

/** Who owns which unit now, from the database (for status and probes; owners that expired are not counted). */
export async function leaseOwners(db: {
  query: PoolClient['query'];
}): Promise<{ projection: string; partition: number; owner: string; epoch: number }[]> {
  const { rows } = await db.query<{ projection: string; partition: number; owner: string; epoch: number }>(
    `SELECT projection, partition, owner, epoch FROM vista_leases
      WHERE owner IS NOT NULL AND expires_at > now() ORDER BY projection, partition`,
  );
  return rows;
}
