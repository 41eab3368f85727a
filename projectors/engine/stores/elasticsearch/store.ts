import type { AnyEvent } from '../../../../shared/events/event-type.ts';
import type { DocumentProjection } from '../../definition/define.ts';
import type { Store } from '../store.ts';
import { ElasticsearchGeneration, indexRefusal } from './index-generation.ts';
import { ElasticsearchViewReader } from './reads.ts';
import { type ElasticsearchIndexTarget, indexProperties } from './target.ts';

/** Elasticsearch as a store plug-in: an index per generation behind an alias, searched in full text. */
export const elasticsearchStore: Store = {
  kind: 'elasticsearch',
  generation: (projection, generation, { es, pool, log, namespace, refreshSpacingMs }, fence) =>
    new ElasticsearchGeneration(
      es,
      pool,
      log,
      projection as DocumentProjection<object, AnyEvent, unknown, string, ElasticsearchIndexTarget>,
      namespace,
      generation,
      fence?.epoch ?? 0,
      fence?.partition,
      refreshSpacingMs,
    ),
  documentRefusal: (projection) =>
    indexRefusal(indexProperties(projection.target as ElasticsearchIndexTarget, projection.api)),
  reader: (view, { es, alias }) => new ElasticsearchViewReader(es, alias(view.name), view),
};
