import { Client } from '@elastic/elasticsearch';

export type Elasticsearch = Client;

/** Retries are the engine's job (with backoff and classification), not the client's. */
export function createElasticsearch(url: string, requestTimeoutMs = 30_000): Client {
  return new Client({ node: url, maxRetries: 0, requestTimeout: requestTimeoutMs });
}
