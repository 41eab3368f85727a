import type pg from 'pg';
import { createDedicatedClient } from '../../shared/clients/postgres.ts';
import type { Logger } from '../../shared/log.ts';
import { sleep } from './retry.ts';

/**
 * How quickly a dead peer of the lease connection is noticed, on both ends. The server drops a
 * session whose host stopped answering after about 5 s (keepalive probes 2 s idle, 1 s apart,
 * 3 unanswered; `tcp_user_timeout` for data it sent that was never acknowledged), which
 * releases its locks for a standby; the OS default would wait about two hours. The owner runs a
 * heartbeat query every poll interval and gives its leases up when one takes longer than
 * `LEASE_QUERY_TIMEOUT_MS`, before the server can have released them to someone else.
 */
const SERVER_KEEPALIVES = `SET tcp_keepalives_idle = 2; SET tcp_keepalives_interval = 1;
  SET tcp_keepalives_count = 3; SET tcp_user_timeout = 5000`;
const LEASE_QUERY_TIMEOUT_MS = 3000;

/** First key of every Vista lease lock, so they never collide with other users of advisory locks. */
export const LEASE_NAMESPACE = 0x56495354; // 'VIST'

/** Ownership of one projection; `lost` aborts when the session holding it is gone. */
export interface Lease {
  readonly projection: string;
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

/**
 * Leases on projections through PostgreSQL session advisory locks, held on one dedicated
 * connection with TCP keepalive (a pooled connection would carry the lock off to whichever
 * query ran on it). When the owner process dies its session ends and the lock is released;
 * a standby polling for it takes over. If this process's lease connection breaks, every lease
 * it held is lost at once, and their runners stop.
 */
export class LeaseManager {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private readonly held = new Map<string, AbortController>();
  /** Queries on the lease connection run one at a time (pg does not queue them for us in v9). */
  private serial: Promise<unknown> = Promise.resolve();
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly log: Logger,
    private readonly pollMs = 1000,
  ) {}

  /** Whether the lease connection is up: without it this process can own nothing. */
  get connected(): boolean {
    return this.client !== undefined;
  }

  /** Waits until this process owns `projection`; resolves undefined if `signal` aborts first. */
  async acquire(projection: string, signal: AbortSignal): Promise<Lease | undefined> {
    while (!signal.aborted) {
      try {
        const client = await this.connect();
        const { rows } = await this.exclusive(() =>
          client.query<{ acquired: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS acquired', [
            LEASE_NAMESPACE,
            projection,
          ]),
        );
        if (rows[0]?.acquired) return this.lease(projection, client);
      } catch (error) {
        this.log.warn({ err: error, projection }, 'lease check failed; retrying');
      }
      await sleep(this.pollMs, signal);
    }
    return undefined;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.serial.then(work, work);
    this.serial = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const controller of this.held.values()) controller.abort();
    this.held.clear();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private lease(projection: string, client: pg.Client): Lease {
    const controller = new AbortController();
    this.held.set(projection, controller);
    return {
      projection,
      lost: controller.signal,
      release: async () => {
        this.held.delete(projection);
        if (this.client === client && !controller.signal.aborted) {
          await this.exclusive(() =>
            client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LEASE_NAMESPACE, projection]),
          ).catch(() => undefined);
        }
        controller.abort();
      },
    };
  }

  private connect(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = createDedicatedClient(this.connectionString, 'vista-leases', {
        keepAliveInitialDelayMs: 2000,
        queryTimeoutMs: LEASE_QUERY_TIMEOUT_MS,
      });
      client.on('error', (error) => this.dropConnection(client, error));
      client.on('end', () => this.dropConnection(client, new Error('lease connection ended')));
      try {
        await client.connect();
        await client.query(SERVER_KEEPALIVES);
        this.client = client;
        this.beat(client);
        return client;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  /**
   * A query on the lease connection every poll interval: a connection that silently stopped
   * answering (a partition, a blackhole) times out and is dropped, so this process stops
   * writing within seconds instead of when the OS gives up on the socket.
   */
  private beat(client: pg.Client): void {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (this.client !== client || this.held.size === 0) return;
      this.exclusive(() => client.query('SELECT 1')).catch((error: Error) =>
        this.dropConnection(client, error),
      );
    }, this.pollMs);
    this.heartbeat.unref();
  }

  /** The session is gone, and with it every lock it held: every lease is lost. */
  private dropConnection(client: pg.Client, error: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    clearInterval(this.heartbeat);
    if (this.held.size > 0)
      this.log.error({ err: error, leases: [...this.held.keys()] }, 'lease connection lost');
    for (const controller of this.held.values()) controller.abort();
    this.held.clear();
    void client.end().catch(() => undefined);
  }
}
