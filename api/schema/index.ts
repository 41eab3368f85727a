import { createSchema } from 'graphql-yoga';
import type { ApiContext, ServerContext } from '../context.ts';
import { connectionTypeDefs } from './connection.ts';
import { ordersResolvers, ordersTypeDefs } from './orders.ts';

export function buildSchema() {
  return createSchema<ServerContext & ApiContext>({
    typeDefs: [connectionTypeDefs, ordersTypeDefs],
    resolvers: [ordersResolvers],
  });
}
