import type { Elasticsearch } from '../../../../shared/clients/elasticsearch.ts';
import { inTransaction, type Pool } from '../../../../shared/clients/postgres.ts';
import type { Logger } from '../../../../shared/log.ts';
import { LookupStore } from '../../commit/lookup-store.ts';
import type { Positions } from '../../commit/positions.ts';
import type { PublicShape } from '../../definition/public-shape.ts';
import type { RunningRole } from '../../generations/generations.ts';
import { LeaseLostError, StoreAheadError } from '../../leases/fence.ts';
import type { DocumentStore } from '../../pipeline/document-store.ts';
import type { DocumentRefusal, Stored } from '../../pipeline/fold.ts';
import { DocumentRefusedError } from '../../poison/classification.ts';
import { CircuitBreaker } from '../../support/circuit-breaker.ts';
import { backoffMs, sleep } from '../../support/retry.ts';
import { everyGeneration, generationName, lookupTable } from '../generation-names.ts';
import type { GenerationStorage } from '../store.ts';
import { elasticsearchAlias } from './alias.ts';
import { mappingCheck } from './mapping-check.ts';
import { type ElasticsearchIndexTarget, indexProperties } from './target.ts';
import { epochOfVersion, versionOf } from './version.ts';

/** Item statuses of a bulk response worth another try: overload and shard trouble. */
const RETRYABLE_ITEM_STATUS = new Set([429, 500, 502, 503, 504]);
const MAX_ITEM_ATTEMPTS = 6;
/**
 * What the writer reads of a `_bulk` answer: each item's status, in the order of the request,
 * and a failed item's error type and reason. The whole answer (index, id, version, shards and
 * sequence numbers of every item) is several times larger, built by Elasticsearch and parsed
 * here for nothing.
 */
const BULK_ANSWER = 'items.*.status,items.*.error.type,items.*.error.reason';

/**
 * A document as indexed: the projection's fields, the positions it absorbed, and `_deleted`
 * on a tombstone (see `tombstone`).
 */
type Source = Record<string, unknown> & { _positions?: Positions; _deleted?: boolean };

/** Fields the engine keeps in every document beside the projection's own. */
const ENGINE_FIELDS = {
  _positions: { type: 'object', enabled: false },
  _deleted: { type: 'boolean' },
} as const;

interface BulkItemResult {
  status: number;
  error?: { type?: string; reason?: string | null };
}

/**
 * Item errors that are about the document itself (its fields do not fit the mapping, it does
 * not parse): the only ones that make an event poison. Everything else (cluster blocks,
 * missing or closed indices, 413, 429, 5xx) fails the whole batch, which is retried.
 */
const DOCUMENT_REFUSALS = new Set([
  'mapper_parsing_exception',
  'document_parsing_exception',
  'strict_dynamic_mapping_exception',
  'illegal_argument_exception',
  'x_content_parse_exception',
]);

interface RefusedDocument {
  readonly id: string;
  readonly code: string;
  readonly reason: string;
}

/** A dead letter's code for an Elasticsearch refusal of the given error type. */
const refusalCode = (type: string) => `ELASTICSEARCH_${type.toUpperCase()}`;

/**
 * The fold's check of an index's documents (DocumentStore.refusal): what its mapping refuses,
 * as Elasticsearch would (mapping-check.ts), asked of every state. A `_bulk` is no transaction,
 * and a refused document beside written ones would leave its event's effect in those.
 */
export function indexRefusal(properties: Record<string, unknown>): DocumentRefusal<object> {
  const check = mappingCheck({ ...properties, ...ENGINE_FIELDS });
  return (key, doc, previous) => {
    const refusal = check(doc, previous);
    if (!refusal) return undefined;
    return new DocumentRefusedError(
      refusalCode(refusal.type),
      `Elasticsearch would refuse document ${key}: ${refusal.reason}`,
      [key],
    );
  };
}

/** `refused`: what Elasticsearch did refuse of a bulk. */
function throwIfRefused(refused: readonly RefusedDocument[]): void {
  if (refused.length === 0) return;
  const [first] = refused as [RefusedDocument];
  throw new DocumentRefusedError(
    first.code,
    `Elasticsearch refused ${refused.length} document(s), ${first.id} first: ${first.reason}`,
    refused.map((r) => r.id),
  );
}

/** Elasticsearch, or the index, did not take the batch; no document is to blame. Transient. */
export class ElasticsearchUnavailableError extends Error {
  readonly code = 'ELASTICSEARCH_UNAVAILABLE';
  constructor(
    message: string,
    readonly statusCode: number | undefined,
  ) {
    super(message);
  }

  static from(error: unknown): ElasticsearchUnavailableError {
    if (error instanceof ElasticsearchUnavailableError) return error;
    const e = error as {
      message?: string;
      name?: string;
      meta?: { statusCode?: number; body?: { error?: { type?: string; reason?: string } } };
    };
    const status = e.meta?.statusCode;
    const cause = e.meta?.body?.error;
    const what = cause?.type ? `${cause.type} (${status}): ${cause.reason ?? ''}` : `${e.name}: ${e.message}`;
    return new ElasticsearchUnavailableError(`Elasticsearch unavailable: ${what}`, status);
  }
}

/**
 * Keeps a document projection's documents in an Elasticsearch index. There is no transaction
 * with PostgreSQL, so a batch is made durable in this order: the engine's PostgreSQL
 * transaction sends its statements (checkpoint compare-and-set, lookups, dead letters) and
 * waits, then `_bulk` (external versions), refresh (the position a reader waits for means
 * searchable), then the fence and COMMIT. A batch PostgreSQL refuses (a poison lookup record)
 * thus never reaches the index, whose writes cannot be taken back: a later version only ever
 * wins. A COMMIT that fails after the bulk (a crash, a lost connection) replays the batch,
 * which changes nothing: each document carries the positions it absorbed (`_positions`) so
 * folding skips events it holds, and a replayed or stale write loses on its version
 * (`versionOf`: lease epoch, then positions) with a 409.
 *
 * A document evolved to null is not deleted but replaced by a tombstone (`_deleted: true`,
 * with its positions), which reads leave out. A real delete would keep its version only for
 * `index.gc_deletes` (60 s): a stale owner's write arriving later would bring the document
 * back, and the positions a replay needs to skip what the deleted document absorbed would be
 * gone. Tombstones go with their generation's index at the next rebuild.
 */
export class ElasticsearchGeneration<Doc extends object, L>
  implements GenerationStorage, DocumentStore<Doc, L>
{
  readonly alias: string;
  readonly index: string;
  readonly lookups: LookupStore<L>;
  readonly keepsPositions = true;
  private readonly name: string;
  /** The index's mappings: the public shape's fields, and the target's own. */
  private readonly properties: Record<string, unknown>;
  /** What Elasticsearch would certainly refuse of a document, found before the bulk (`indexRefusal`). */
  readonly refusal: DocumentRefusal<Doc>;
  private readonly breaker: CircuitBreaker;
  /** Live generations refresh after every batch: a reached position must mean searchable. */
  private live = true;
  /** When this index was last refreshed after a batch (performance.now()). */
  private refreshedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly es: Elasticsearch,
    private readonly pool: Pool,
    private readonly log: Logger,
    projection: {
      readonly name: string;
      readonly target: Pick<ElasticsearchIndexTarget, 'properties'>;
      readonly api?: PublicShape;
    },
    namespace: string,
    generation: number,
    /** The writer's lease epoch, carried in every version it writes (0 without a lease). */
    private readonly epoch: number,
    /** The partition the writer runs (its lookup records are the partition's own). */
    partition = 0,
    /**
     * The least time between two refreshes after a batch: a batch that comes sooner waits for
     * its turn (its transaction open, the next batch growing meanwhile). A refresh writes a
     * segment and costs about as much for a few documents as for many: at 1k events/s, refreshes
     * were most of Elasticsearch's CPU.
     */
    private readonly refreshSpacingMs = 0,
  ) {
    const { name } = projection;
    this.name = name;
    this.properties = indexProperties(projection.target, projection.api);
    this.refusal = indexRefusal(this.properties);
    this.alias = elasticsearchAlias(namespace, name);
    this.index = generationName(this.alias, generation);
    this.lookups = new LookupStore(pool, lookupTable(name, generation, partition));
    this.breaker = new CircuitBreaker(`Elasticsearch (${this.index})`);
  }

  /**
   * Creates this generation's index; a live generation's alias is made to point at it. A
   * building generation is written without periodic refreshes (nobody reads it) and refreshed
   * once when the switch prepares it.
   */
  async ensure(role: RunningRole): Promise<void> {
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
            properties: { ...this.properties, ...ENGINE_FIELDS } as never,
          },
        })
        .catch((error: { meta?: { body?: { error?: { type?: string } } } }) => {
          // Another process created it first.
          if (error.meta?.body?.error?.type !== 'resource_already_exists_exception') throw error;
        });
    }
    // Indices made before tombstones lack `_deleted`; adding a field to a mapping is allowed.
    await this.es.indices.putMapping({ index: this.index, properties: ENGINE_FIELDS as never });
    if (this.live) await this.finishSwitch();
    await inTransaction(this.pool, (tx) => this.lookups.ensureStorage(tx));
  }

  /**
   * Restores periodic refreshes and refreshes, so the first search after the switch sees
   * everything; from now on every batch is refreshed too (a position reached after the switch
   * must mean searchable). Runs before the switch's transaction, which it would otherwise hold.
   */
  async prepareSwitch(): Promise<void> {
    this.live = true;
    await this.es.indices.putSettings({ index: this.index, settings: { refresh_interval: '1s' } });
    await this.es.indices.refresh({ index: this.index });
  }

  /**
   * Makes the alias point at this index alone, in one `_aliases` call (atomic for readers).
   * The catalog's switch commits first and the alias follows: a crash or a failure in between
   * leaves the alias on the retired index, which is still there (it is dropped only after a
   * grace period), and the next owner's start, or the next supervision round, moves it here.
   */
  async finishSwitch(): Promise<void> {
    this.live = true;
    const current = await this.es.indices
      .getAlias({ name: this.alias })
      .then((found) => Object.keys(found))
      .catch((error: { meta?: { statusCode?: number } }) => {
        if (error.meta?.statusCode === 404) return [];
        throw error;
      });
    if (current.length === 1 && current[0] === this.index) return;
    await this.es.indices.updateAliases({
      actions: [
        { remove: { index: everyGeneration(this.alias), alias: this.alias, must_exist: false } },
        { add: { index: this.index, alias: this.alias } },
      ],
    });
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
    return new Map([...(await this.loadVersioned(keys))].map(([id, { stored }]) => [id, stored]));
  }

  /** The stored documents (a tombstone as a null doc with its positions) and their versions. */
  private async loadVersioned(
    keys: readonly string[],
  ): Promise<Map<string, { stored: Stored<Doc>; version: number }>> {
    if (keys.length === 0) return new Map();
    this.breaker.guard();
    const response = await this.es.mget<Source>({ index: this.index, ids: [...keys] });
    const docs = new Map<string, { stored: Stored<Doc>; version: number }>();
    for (const item of response.docs) {
      if (!('found' in item) || !item.found || !item._source) continue;
      const { _positions, _deleted, ...doc } = item._source;
      docs.set(item._id, {
        stored: { doc: _deleted ? null : (doc as Doc), positions: _positions ?? {} },
        version: item._version ?? 0,
      });
    }
    return docs;
  }

  /**
   * `_bulk` (with retries of items that failed for overload), then, live, a refresh: the
   * position a reader waits for means searchable. Called while the batch's PostgreSQL
   * transaction waits before its COMMIT, with documents the mapping takes (`refusal`).
   * Documents Elasticsearch refuses all the same for what they hold (a string in a numeric
   * field it cannot parse) throw `DocumentRefusedError` once the rest of the batch is written.
   * A failure of the index or the cluster throws `ElasticsearchUnavailableError`, counted by
   * the circuit breaker.
   */
  async writeOutside(docs: ReadonlyMap<string, Stored<Doc>>): Promise<void> {
    if (docs.size === 0) return;
    this.breaker.guard();
    let refused: RefusedDocument[];
    try {
      refused = await this.bulkWithRetries(docs);
      if (this.live) await this.refreshInTurn();
    } catch (error) {
      if (error instanceof StoreAheadError || error instanceof LeaseLostError) throw error;
      const unavailable = ElasticsearchUnavailableError.from(error);
      this.breaker.failure(unavailable.message);
      throw unavailable;
    }
    this.breaker.success();
    throwIfRefused(refused);
  }

  /** Refreshes the index, once `refreshSpacingMs` has passed since the last refresh. */
  private async refreshInTurn(): Promise<void> {
    const wait = this.refreshedAt + this.refreshSpacingMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    // Counted from the start: at most one refresh per spacing, however long each takes.
    this.refreshedAt = performance.now();
    await this.es.indices.refresh({ index: this.index });
  }

  /**
   * Writes the documents with one `_bulk`, then retries only the items that failed for
   * overload. Returns the documents refused for what they hold; throws when the index or the
   * cluster refuses the write (a block, a missing or closed index), which no document causes.
   */
  private async bulkWithRetries(docs: ReadonlyMap<string, Stored<Doc>>): Promise<RefusedDocument[]> {
    let pending = [...docs];
    const refused: RefusedDocument[] = [];
    const signal = new AbortController().signal;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const operations = pending.flatMap(([id, stored]): (string | object)[] => [
        // Written by hand: the version passes 2^53, which JSON.stringify cannot carry.
        `{"index":{"_index":${JSON.stringify(this.index)},"_id":${JSON.stringify(id)},"version":${versionOf(this.epoch, stored.positions)},"version_type":"external"}}`,
        stored.doc === null
          ? { _deleted: true, _positions: stored.positions }
          : { ...stored.doc, _positions: stored.positions },
      ]);
      const response = await this.es.bulk({ operations, refresh: false, filter_path: BULK_ANSWER });
      const retry: typeof pending = [];
      const conflicts: [string, Stored<Doc>][] = [];
      response.items.forEach((item, i) => {
        const result = item.index as BulkItemResult;
        const entry = pending[i] as [string, Stored<Doc>];
        if (result.status < 300) return;
        // 409: a write with this or a higher version is there; whether it holds ours is checked below.
        if (result.status === 409) {
          conflicts.push(entry);
          return;
        }
        const type = result.error?.type ?? '';
        if (result.status === 400 && DOCUMENT_REFUSALS.has(type)) {
          refused.push({
            id: entry[0],
            code: refusalCode(type),
            reason: result.error?.reason ?? type,
          });
        } else if (RETRYABLE_ITEM_STATUS.has(result.status)) {
          retry.push(entry);
        } else {
          throw new ElasticsearchUnavailableError(
            `Elasticsearch refused the batch: ${type || 'error'} (${result.status}): ${result.error?.reason ?? ''}`,
            result.status,
          );
        }
      });
      await this.checkAlreadyApplied(conflicts);
      if (retry.length > 0 && attempt >= MAX_ITEM_ATTEMPTS) {
        throw new ElasticsearchUnavailableError(
          `${retry.length} documents still failing after ${attempt} bulk attempts`,
          503,
        );
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
    return refused;
  }

  /**
   * A 409: the index holds a version at least this write's. Written by a newer epoch, it means
   * another owner has taken over, and this one must stop (`LeaseLostError`). Written in this
   * writer's own epoch, it is "already applied" only when the stored document has absorbed at
   * least what this write has, on every stream (a replay after a failed commit); anything else
   * is a store ahead of this writer's history in a way the writer cannot explain, which halts
   * the projection (`StoreAheadError`) rather than carry on from a document it does not know.
   */
  private async checkAlreadyApplied(conflicts: readonly [string, Stored<Doc>][]): Promise<void> {
    if (conflicts.length === 0) return;
    const stored = await this.loadVersioned(conflicts.map(([id]) => id));
    for (const [id, ours] of conflicts) {
      const found = stored.get(id);
      if (found && epochOfVersion(found.version) > this.epoch) {
        throw new LeaseLostError(
          `${this.name}: document ${id} was written with epoch ${epochOfVersion(found.version)}, after this owner's ${this.epoch}: another owner took over`,
        );
      }
      const theirs = found?.stored.positions;
      const dominated = Object.entries(ours.positions).every(
        ([stream, position]) => (theirs?.[stream as keyof Positions] ?? 0) >= (position ?? 0),
      );
      if (!dominated) {
        throw new StoreAheadError(
          `${this.name}: document ${id} in ${this.index} holds positions ${JSON.stringify(theirs ?? {})} that this owner's history (${JSON.stringify(ours.positions)}) does not explain; rebuild the projection`,
        );
      }
    }
  }
}
