import { Client } from '@elastic/elasticsearch';

export type Elasticsearch = Client;

/**
 * Retries are the engine's job (with backoff and classification), not the client's.
 * `connections`: most requests in flight to the node at once (the client's default is 256);
 * the rest wait in the client, in order.
 */
export function createElasticsearch(url: string, requestTimeoutMs = 30_000, connections?: number): Client {
  return new Client({
    node: url,
    maxRetries: 0,
    requestTimeout: requestTimeoutMs,
    ...(connections === undefined ? {} : { agent: { connections } }),
  });
}
