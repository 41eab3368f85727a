import { createGraphQLError } from 'graphql-yoga';
import type { ApiContext } from '../context.ts';
import { decodeCursor, encodeCursor, pageSize, toConnection } from './connection.ts';

export const productsTypeDefs = /* GraphQL */ `
  "A product of the catalogue, as the products view in Elasticsearch sees it."
  type Product {
    "The product id."
    id: ID!
    "Stock keeping unit."
    sku: String!
    "Display name."
    name: String!
    "Free-text description."
    description: String!
    "Category."
    category: String!
    "Latest price, in cents."
    priceCents: Long!
    "Tags (empty for products added before tags existed)."
    tags: [String!]!
    "Adjustments, minus quantities on placed orders, plus those of cancelled orders."
    stock: Long!
    "Quantities on placed orders that are not cancelled."
    unitsSold: Long!
  }

  "A product and its cursor."
  type ProductEdge {
    "The product."
    node: Product!
    "Opaque cursor of this edge."
    cursor: String!
  }

  "A page of products, most relevant first."
  type ProductConnection {
    "The products of this page."
    edges: [ProductEdge!]!
    "Pagination state."
    pageInfo: PageInfo!
  }

  extend type Query {
    "One product by id, or null when it has not been added (yet)."
    product(id: ID!): Product
    "Full-text search over name and description, ranked by relevance; all products when query is empty."
    searchProducts(query: String, category: String, first: Int = 20, after: String): ProductConnection!
  }
`;

interface ProductSource {
  added: boolean;
  sku: string;
  name: string;
  description: string;
  category: string;
  priceCents: number;
  tags: string[];
  stock: number;
  unitsSold: number;
}

function toProduct(id: string, source: ProductSource) {
  const { sku, name, description, category, priceCents, tags, stock, unitsSold } = source;
  return { id, sku, name, description, category, priceCents, tags, stock, unitsSold };
}

const MAX_QUERY_LENGTH = 500;

export const productsResolvers = {
  Query: {
    product: async (_: unknown, args: { id: string }, ctx: ApiContext) => {
      const response = await ctx.es.search<ProductSource>({
        index: ctx.productsAlias,
        query: { bool: { filter: [{ ids: { values: [args.id] } }, { term: { added: true } }] } },
        size: 1,
      });
      const hit = response.hits.hits[0];
      return hit?._source ? toProduct(hit._id as string, hit._source) : null;
    },
    searchProducts: async (
      _: unknown,
      args: { query?: string | null; category?: string | null; first?: number | null; after?: string | null },
      ctx: ApiContext,
    ) => {
      const limit = pageSize(args.first);
      const text = args.query?.trim() ?? '';
      if (text.length > MAX_QUERY_LENGTH) {
        throw createGraphQLError(`query must be at most ${MAX_QUERY_LENGTH} characters`, {
          extensions: { code: 'BAD_USER_INPUT' },
        });
      }
      // User input only ever travels as a value inside the DSL, never as DSL or query syntax.
      const filter: object[] = [{ term: { added: true } }];
      if (args.category) filter.push({ term: { category: args.category } });
      const must = text ? [{ multi_match: { query: text, fields: ['name^2', 'description'] } }] : [];
      const after = args.after ? decodeCursor(args.after, ['number', 'string']) : undefined;
      const response = await ctx.es.search<ProductSource>({
        index: ctx.productsAlias,
        query: { bool: { must, filter } },
        // Relevance first; the SKU, unique per product, makes the order total and cursors stable.
        sort: [{ _score: { order: 'desc' } }, { sku: { order: 'asc' } }],
        size: limit + 1,
        track_total_hits: false,
        ...(after ? { search_after: after } : {}),
      });
      const hits = response.hits.hits.filter((h) => h._source);
      const nodes = hits.map((h) => ({
        product: toProduct(h._id as string, h._source as ProductSource),
        sort: h.sort,
      }));
      const connection = toConnection(nodes, limit, (n) =>
        encodeCursor([Number(n.sort?.[0] ?? 0), String(n.sort?.[1] ?? '')]),
      );
      return {
        ...connection,
        edges: connection.edges.map((e) => ({ cursor: e.cursor, node: e.node.product })),
      };
    },
  },
};
