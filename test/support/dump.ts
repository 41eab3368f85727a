import { createHash } from 'node:crypto';
import type { Elasticsearch } from '../../shared/clients/elasticsearch.ts';
import { ident, type Pool } from '../../shared/clients/postgres.ts';

/** A canonical digest of a PostgreSQL view: every row as JSON, sorted. Equal views, equal digests. */
export async function digestView(pool: Pool, view: string): Promise<{ rows: number; digest: string }> {
  const { rows } = await pool.query<{ row: string }>(`SELECT to_jsonb(v)::text AS row FROM ${ident(view)} v`);
  const sorted = rows.map((r) => r.row).sort();
  return { rows: sorted.length, digest: createHash('sha256').update(sorted.join('\n')).digest('hex') };
}

/** The same for the documents behind an Elasticsearch alias (ids and sources, keys sorted). */
export async function digestIndex(
  es: Elasticsearch,
  alias: string,
): Promise<{ rows: number; digest: string }> {
  await es.indices.refresh({ index: alias });
  const response = await es.search<Record<string, unknown>>({ index: alias, size: 10_000, sort: ['_doc'] });
  const canonical = (value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => [k, canonical(v)]),
        )
      : value;
  const sorted = response.hits.hits.map((h) => JSON.stringify([h._id, canonical(h._source)])).sort();
  return { rows: sorted.length, digest: createHash('sha256').update(sorted.join('\n')).digest('hex') };
}
