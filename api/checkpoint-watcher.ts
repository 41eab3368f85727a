import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { createDedicatedClient, type Pool } from '../shared/clients/postgres.ts';
import type { Logger } from '../shared/log.ts';

/** Per stream, the sequence a projection's live generation has absorbed. */
export type StreamPositions = Record<string, number>;

/** The channel the projectors NOTIFY on each commit, with the projection's name as payload. */
const CHANNEL = 'vista_checkpoints';
/** A NOTIFY sent while the listener was reconnecting is lost: re-read this often anyway. */
const SAFETY_REREAD_MS = 1000;

/**
 * The live checkpoints of every projection, kept current for the whole API process by one
 * LISTEN connection. Notifications are hints: on each one (and on a slow timer, since they
 * are lost while disconnected) the checkpoint table is re-read. Waiting requests and
 * subscriptions are woken from here, never by a poll loop of their own.
 */
export class CheckpointWatcher extends EventEmitter<{
  change: [projection: string, positions: StreamPositions];
}> {
  private readonly positions = new Map<string, StreamPositions>();
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly rereads = new Map<string, { again: boolean }>();

  constructor(
    private readonly connectionString: string,
    private readonly pool: Pool,
    private readonly log: Logger,
  ) {
    super();
    this.setMaxListeners(0);
  }

  async start(): Promise<void> {
    await this.listen().catch((error) =>
      this.log.warn({ err: error }, 'checkpoint listener not connected yet'),
    );
    await this.refresh().catch(() => undefined);
    this.timer = setInterval(() => {
      if (this.listenerCount('change') > 0 || !this.client) void this.refresh().catch(() => undefined);
      if (!this.client && !this.closed) void this.listen().catch(() => undefined);
    }, SAFETY_REREAD_MS);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.client?.end().catch(() => undefined);
  }

  /** The last known positions of a projection's live generation. */
  current(projection: string): StreamPositions {
    return this.positions.get(projection) ?? {};
  }

  /**
   * A projector committed. Under ingest that is many times a second per projection, so the
   * re-reads are coalesced: at most one in flight per projection, and one more after it if
   * further commits arrived meanwhile.
   */
  private hint(projection: string | undefined): void {
    const key = projection ?? '*';
    const state = this.rereads.get(key);
    if (state) {
      state.again = true;
      return;
    }
    const entry = { again: false };
    this.rereads.set(key, entry);
    const run = (): Promise<void> =>
      this.refresh(projection)
        .catch(() => undefined)
        .then(() => {
          if (!entry.again) return void this.rereads.delete(key);
          entry.again = false;
          return run();
        });
    void run();
  }

  /** Re-reads the live checkpoints (of one projection, or all) and announces what moved. */
  async refresh(projection?: string): Promise<void> {
    const { rows } = await this.pool.query<{ projection: string; stream: string; position: number }>(
      `SELECT c.projection, c.stream, c.position
         FROM vista_checkpoints c JOIN vista_projections p ON p.name = c.projection AND p.generation = c.generation
        WHERE $1::text IS NULL OR c.projection = $1`,
      [projection ?? null],
    );
    const next = new Map<string, StreamPositions>();
    for (const row of rows)
      next.set(row.projection, { ...next.get(row.projection), [row.stream]: row.position });
    for (const [name, positions] of next) {
      const before = this.positions.get(name);
      this.positions.set(name, positions);
      if (JSON.stringify(before) !== JSON.stringify(positions)) this.emit('change', name, positions);
    }
  }

  /**
   * Resolves once every projection in `required` has reached the given positions on the streams
   * it reads (streams it does not read are ignored), or when `timeoutMs` runs out.
   */
  waitFor(
    required: Readonly<Record<string, number>>,
    projections: readonly string[],
    timeoutMs: number,
  ): Promise<boolean> {
    const reached = () =>
      projections.every((projection) => {
        const positions = this.current(projection);
        return Object.entries(required).every(([stream, position]) =>
          positions[stream] === undefined ? true : (positions[stream] ?? 0) >= position,
        );
      });
    if (reached()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onChange = () => {
        if (!reached()) return;
        done(true);
      };
      const timer = setTimeout(() => done(reached()), timeoutMs);
      const done = (met: boolean) => {
        clearTimeout(timer);
        this.off('change', onChange);
        resolve(met);
      };
      this.on('change', onChange);
      // The cache may be a moment behind a commit whose NOTIFY is already in flight.
      void this.refresh().catch(() => undefined);
    });
  }

  private async listen(): Promise<void> {
    if (this.client || this.closed) return;
    const client = createDedicatedClient(this.connectionString, 'vista-api-listener');
    const drop = () => {
      if (this.client === client) this.client = undefined;
      void client.end().catch(() => undefined);
    };
    client.on('error', drop);
    client.on('end', drop);
    client.on('notification', (message) => this.hint(message.payload || undefined));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.client = client;
  }
}
