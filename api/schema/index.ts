import { createSchema } from 'graphql-yoga';
import type { ApiContext, ServerContext } from '../context.ts';
import { connectionTypeDefs } from './connection.ts';
import { customersResolvers, customersTypeDefs } from './customers.ts';
import { operatorResolvers, operatorTypeDefs } from './operator.ts';
import { ordersResolvers, ordersTypeDefs } from './orders.ts';
import { productsResolvers, productsTypeDefs } from './products.ts';
import { projectionsResolvers, projectionsTypeDefs } from './projections.ts';
import { scalarResolvers, scalarTypeDefs } from './scalars.ts';
import { subscriptionsResolvers, subscriptionsTypeDefs } from './subscriptions.ts';

/** The whole public GraphQL schema; printed to api/schema.graphql (npm run schema:print). */
export function buildSchema() {
  return createSchema<ServerContext & ApiContext>({
    typeDefs: [
      scalarTypeDefs,
      connectionTypeDefs,
      ordersTypeDefs,
      customersTypeDefs,
      productsTypeDefs,
      projectionsTypeDefs,
      operatorTypeDefs,
      subscriptionsTypeDefs,
    ],
    resolvers: [
      scalarResolvers,
      ordersResolvers,
      customersResolvers,
      productsResolvers,
      projectionsResolvers,
      operatorResolvers,
      subscriptionsResolvers,
    ],
  });
}
