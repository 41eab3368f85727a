import type { Elasticsearch } from '../../../shared/clients/elasticsearch.ts';
import { inTransaction, type Pool } from '../../../shared/clients/postgres.ts';
import type { Logger } from '../../../shared/log.ts';
import { elasticsearchAlias } from '../../../shared/read-model-names.ts';
import { advanceCheckpoint, type Checkpoint } from '../checkpoint-store.ts';
import { type DeadLetter, settleDeadLetters } from '../dead-letters.ts';
import type { ElasticsearchIndexTarget } from '../define.ts';
import type { Stored } from '../fold.ts';
import { LookupStore } from '../lookup-store.ts';
import { backoffMs, sleep } from '../retry.ts';
import type { BatchChange, DocumentSink } from '../sink.ts';
import type { GenerationRole } from '../writer.ts';
import { generationTable } from './postgres.ts';

/** Item statuses of a bulk response worth another try: overload and shard trouble. */
const RETRYABLE_ITEM_STATUS = new Set([429, 500, 502, 503, 504]);
const MAX_ITEM_ATTEMPTS = 6;

type Source = Record<string, unknown> & { _positions?: Checkpoint };

interface BulkItemResult {
  status: number;
  error?: { type?: string; reason?: string | null };
}

export class BulkRejectedError extends Error {
  readonly code = 'BULK_ITEMS_FAILED';
  readonly statusCode = 503;
}

/**
 * A document's external version: the total of the positions it has absorbed. It grows exactly
 * when the document absorbs an event, so a write holding anything new wins, and a replayed or
 * stale write (nothing new) loses with a 409. The sum of the *batch's* positions would not do:
 * after a crash the replay cuts the streams into other batches, interleaved differently, and a
 * batch holding new events for a document can total less than one written before the crash.
 */
function versionOf(positions: Checkpoint): number {
  return Object.values(positions).reduce<number>((sum, position) => sum + (position ?? 0), 0);
}

/**
 * Keeps a document projection's documents in an Elasticsearch index. There is no transaction
 * with PostgreSQL, so a batch is made durable in this order: `_bulk` (external versions),
 * refresh (the position a reader waits for means searchable), then lookups, dead letters and
 * checkpoint in one PostgreSQL transaction. A crash in between replays the batch, which
 * changes nothing: each document carries the positions it absorbed (`_positions`) so folding
 * skips events it holds, and a stale write loses on its version with a 409.
 */
export class ElasticsearchDocumentSink<Doc extends object, L> implements DocumentSink<Doc, L> {
  readonly alias: string;
  readonly index: string;
  private readonly lookups: LookupStore<L>;
  readonly keepsPositions = true;
  /** Live generations refresh after every batch: a reached position must mean searchable. */
  private live = true;

  constructor(
    private readonly es: Elasticsearch,
    private readonly pool: Pool,
    private readonly log: Logger,
    private readonly name: string,
    namespace: string,
    private readonly generation: number,
    private readonly target: ElasticsearchIndexTarget,
  ) {
    this.alias = elasticsearchAlias(namespace, name);
    this.index = `${this.alias}__g${generation}`;
    this.lookups = new LookupStore(pool, generationTable(name, generation));
  }

  /**
   * Creates this generation's index; a live generation gets the alias if no index has it yet. A
   * building generation is written without periodic refreshes (nobody reads it) and refreshed
   * once when it is published.
   */
  async ensureStorage(role: GenerationRole): Promise<void> {
    this.live = role === 'live';
    if (!(await this.es.indices.exists({ index: this.index }))) {
      await this.es.indices
        .create({
          index: this.index,
          settings: {
            number_of_shards: 1,
            number_of_replicas: 0,
            ...(this.live ? {} : { refresh_interval: '-1' }),
          },
          mappings: {
            dynamic: 'strict',
            properties: {
              ...this.target.properties,
              _positions: { type: 'object', enabled: false },
            } as never,
          },
        })
        .catch((error: { meta?: { body?: { error?: { type?: string } } } }) => {
          // Another process created it first.
          if (error.meta?.body?.error?.type !== 'resource_already_exists_exception') throw error;
        });
    }
    if (this.live && !(await this.es.indices.existsAlias({ name: this.alias }))) {
      await this.es.indices.updateAliases({ actions: [{ add: { index: this.index, alias: this.alias } }] });
    }
    await inTransaction(this.pool, (tx) => this.lookups.ensureStorage(tx));
  }

  /**
   * Moves the alias to this index in one `_aliases` call (atomic for readers), after restoring
   * periodic refreshes and refreshing, so the first query after the switch sees everything.
   * Elasticsearch is outside the caller's transaction: if that transaction then fails, the
   * next cut-over attempt moves the alias again, which is idempotent.
   */
  async publish(): Promise<void> {
    await this.es.indices.putSettings({ index: this.index, settings: { refresh_interval: '1s' } });
    await this.es.indices.refresh({ index: this.index });
    await this.es.indices.updateAliases({
      actions: [
        { remove: { index: `${this.alias}__g*`, alias: this.alias, must_exist: false } },
        { add: { index: this.index, alias: this.alias } },
      ],
    });
    this.live = true;
  }

  async drop(): Promise<void> {
    await this.es.indices.delete({ index: this.index, ignore_unavailable: true });
    await this.lookups.drop();
  }

  /** Refreshes first: a building index refreshes only when asked, and a count sees only what was. */
  async isEmpty(): Promise<boolean> {
    await this.es.indices.refresh({ index: this.index });
    const { count } = await this.es.count({ index: this.index });
    return count === 0 && (await this.lookups.isEmpty());
  }

  async load(keys: readonly string[]): Promise<Map<string, Stored<Doc>>> {
    if (keys.length === 0) return new Map();
    const response = await this.es.mget<Source>({ index: this.index, ids: [...keys] });
    const docs = new Map<string, Stored<Doc>>();
    for (const item of response.docs) {
      if (!('found' in item) || !item.found || !item._source) continue;
      const { _positions, ...doc } = item._source;
      docs.set(item._id, { doc: doc as Doc, positions: _positions ?? {} });
    }
    return docs;
  }

  loadLookups(keys: readonly string[]): Promise<Map<string, L>> {
    return this.lookups.load(keys);
  }

  /**
   * The lookup records are written while Elasticsearch indexes the documents, in the
   * transaction that moves the checkpoint once they are in (and, live, searchable): the two
   * stores work side by side, and nothing of the batch commits in PostgreSQL before the
   * documents are durable.
   */
  async commit(change: BatchChange<Doc, L>): Promise<readonly string[]> {
    return inTransaction(this.pool, async (tx) => {
      const [indexed, lookups] = await Promise.allSettled([
        this.indexDocuments(change.docs),
        this.lookups.write(tx, change.lookups),
      ]);
      // Both settled, so a failure of one never leaves the other running behind a rollback.
      if (indexed.status === 'rejected') throw indexed.reason;
      if (lookups.status === 'rejected') throw lookups.reason;
      const rejected = indexed.value;
      await advanceCheckpoint(tx, this.name, this.generation, change.expected, change.next);
      await settleDeadLetters(
        tx,
        this.name,
        [...change.deadLetters, ...rejected],
        change.resolvedDeadLetters,
      );
      return rejected.map((letter) => letter.subject);
    });
  }

  /** `_bulk` with retries, then (live) a refresh; the dead letters of refused documents. */
  private async indexDocuments(docs: ReadonlyMap<string, Stored<Doc>>): Promise<DeadLetter[]> {
    const rejected = await this.bulkWithRetries(docs);
    if (docs.size > 0 && this.live) await this.es.indices.refresh({ index: this.index });
    return rejected;
  }

  /**
   * Writes the documents with one `_bulk`, then retries only the items that failed for a
   * transient reason. Returns dead letters for documents Elasticsearch refuses for good.
   */
  private async bulkWithRetries(docs: ReadonlyMap<string, Stored<Doc>>): Promise<DeadLetter[]> {
    let pending = [...docs];
    const rejected: DeadLetter[] = [];
    const signal = new AbortController().signal;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const operations = pending.flatMap(([id, stored]): object[] => {
        const meta = {
          _index: this.index,
          _id: id,
          version: versionOf(stored.positions),
          version_type: 'external',
        };
        return stored.doc === null
          ? [{ delete: meta }]
          : [{ index: meta }, { ...stored.doc, _positions: stored.positions }];
      });
      const response = await this.es.bulk({ operations, refresh: false });
      const retry: typeof pending = [];
      response.items.forEach((item, i) => {
        const result = (item.index ?? item.delete) as BulkItemResult;
        const entry = pending[i] as [string, Stored<Doc>];
        // 409: a write with this or a newer version is there already, i.e. already applied.
        if (result.status < 300 || result.status === 409 || (result.status === 404 && item.delete)) return;
        if (RETRYABLE_ITEM_STATUS.has(result.status)) retry.push(entry);
        else rejected.push(this.rejectedDocument(entry, result));
      });
      if (retry.length > 0 && attempt >= MAX_ITEM_ATTEMPTS) {
        throw new BulkRejectedError(`${retry.length} documents still failing after ${attempt} bulk attempts`);
      }
      if (retry.length > 0) {
        this.log.warn(
          { projection: this.name, failed: retry.length, attempt },
          'bulk items failed; retrying them',
        );
        await sleep(backoffMs(attempt), signal);
      }
      pending = retry;
    }
    return rejected;
  }

  /** A document Elasticsearch will never accept, recorded against the newest event it absorbed. */
  private rejectedDocument([id, stored]: [string, Stored<Doc>], result: BulkItemResult): DeadLetter {
    const [stream, sequence] = Object.entries(stored.positions).reduce<[string, number]>(
      (best, [s, position]) => ((position ?? 0) > best[1] ? [s, position ?? 0] : best),
      ['', 0],
    );
    return {
      stream,
      sequence,
      subject: id,
      type: undefined,
      payload: new TextEncoder().encode(JSON.stringify(stored.doc)),
      errorCode: `ELASTICSEARCH_${(result.error?.type ?? String(result.status)).toUpperCase()}`,
      error: result.error?.reason ?? `status ${result.status}`,
    };
  }
}
