import { createSchema } from 'graphql-yoga';
import { type Projection, servedViews } from '../../projectors/engine/internal.ts';
import type { ApiContext, ServerContext } from '../context.ts';
import { derivedResolvers } from '../derive/resolvers.ts';
import { derivedTypeDefs } from '../derive/type-defs.ts';
import { connectionTypeDefs } from './connection.ts';
import { deadLettersResolvers, deadLettersTypeDefs } from './dead-letters.ts';
import { operatorResolvers, operatorTypeDefs } from './operator.ts';
import { projectionsResolvers, projectionsTypeDefs } from './projections.ts';
import { scalarResolvers, scalarTypeDefs } from './scalars.ts';
import { subscriptionsResolvers, subscriptionsTypeDefs } from './subscriptions.ts';

const queryTypeDefs = /* GraphQL */ `
  "The views, each as fresh as extensions.positions says."
  type Query
`;

/**
 * The whole public GraphQL schema: the operator fields, and every served view's types and
 * fields derived from its projection's public shape; printed to api/schema.graphql
 * (npm run schema:print). Resolvers read through the request's readers (ApiContext.readers).
 */
export function buildSchema(projections: readonly Projection[]) {
  const views = servedViews(projections);
  return createSchema<ServerContext & ApiContext>({
    typeDefs: [
      scalarTypeDefs,
      connectionTypeDefs,
      queryTypeDefs,
      projectionsTypeDefs,
      operatorTypeDefs,
      deadLettersTypeDefs,
      subscriptionsTypeDefs,
      derivedTypeDefs(views),
    ],
    resolvers: [
      scalarResolvers,
      projectionsResolvers,
      operatorResolvers,
      deadLettersResolvers,
      subscriptionsResolvers,
      derivedResolvers(views),
    ],
  });
}
