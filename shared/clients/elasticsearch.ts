import { Client } from '@elastic/elasticsearch';

export type Elasticsearch = Client;

/** Retries are the engine's job (with backoff and classification), not the client's. */
export function createElasticsearch(url: string): Client {
  return new Client({ node: url, maxRetries: 0, requestTimeout: 30_000 });
}
