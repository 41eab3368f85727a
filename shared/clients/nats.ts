import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../log.ts';

export interface Nats {
  readonly connection: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  close(): Promise<void>;
}

/**
 * One connection per process; reconnects forever, since a broker restart is routine. `url`
 * may list a cluster's servers, comma-separated: the client connects to one and fails over.
 */
export async function connectNats(url: string, name: string, log: Logger): Promise<Nats> {
  const connection = await connect({
    servers: url.split(',').map((one) => one.trim()),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // nats.js otherwise builds an Error (stack trace and all) at the start of every request
    // (JetStream API calls; publishes go through AckedPublisher), to say where a timeout began:
    // 32% of a publisher's CPU at 5k events/s when each publish was a request. Vista tells
    // failures apart by their names, never by those stacks.
    noAsyncTraces: true,
  });
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect')
        log.warn({ nats: status.type }, 'nats connection');
    }
  })();
  const jsm = await jetstreamManager(connection);
  return {
    connection,
    js: jetstream(connection),
    jsm,
    close: async () => {
      await connection.drain().catch(() => connection.close());
    },
  };
}
