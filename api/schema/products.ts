import DataLoader from 'dataloader';
import { createGraphQLError } from 'graphql-yoga';
import type { Elasticsearch } from '../../shared/clients/elasticsearch.ts';
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
    "The product; null, with a field error at its path, when a value of it cannot be served (such as a Long beyond 2^53 - 1): one row never fails the page."
    node: Product
    "Opaque cursor of this edge; pass it as after to continue after it."
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
    product("The product id." id: ID!): Product
    """
    Full-text search over name and description (name weighs double), most relevant first,
    optionally only in one category; every added product when query is empty or absent.
    query is at most 500 characters and first at most 100.
    """
    searchProducts(
      "Words to look for in names and descriptions (plain text, no query syntax)."
      query: String
      "Only products of this category (exact)."
      category: String
      "How many products, 0 to 100."
      first: Int = 20
      "The endCursor of the previous page."
      after: String
    ): ProductConnection!
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

/** The public fields of a product document (its `added` flag and `_positions` stay inside). */
function toProduct(id: string, source: ProductSource) {
  const { sku, name, description, category, priceCents, tags, stock, unitsSold } = source;
  return { id, sku, name, description, category, priceCents, tags: tags ?? [], stock, unitsSold };
}

export type Product = ReturnType<typeof toProduct>;

const MAX_QUERY_LENGTH = 500;
const MAX_CATEGORY_LENGTH = 200;

/**
 * Products by id in one search (only added ones; searching, unlike a realtime get, sees what
 * is refreshed, which is what the products checkpoint says): every product field of a request.
 */
export function productLoader(es: Elasticsearch, alias: string): DataLoader<string, Product | null> {
  return new DataLoader(async (ids: readonly string[]) => {
    const response = await es.search<ProductSource>({
      index: alias,
      query: { bool: { filter: [{ ids: { values: [...ids] } }, { term: { added: true } }] } },
      size: ids.length,
      track_total_hits: false,
    });
    const found = new Map(
      response.hits.hits.flatMap((hit) =>
        hit._source && hit._id ? [[hit._id, toProduct(hit._id, hit._source)] as const] : [],
      ),
    );
    return ids.map((id) => found.get(id) ?? null);
  });
}

interface SearchArgs {
  query?: string | null;
  category?: string | null;
  first?: number | null;
  after?: string | null;
}

function tooLong(argument: string, max: number): Error {
  return createGraphQLError(`${argument} must be at most ${max} characters`, {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

/**
 * Full text over name (boosted) and description, most relevant first, optionally in one
 * category. User input only ever travels as a value inside the DSL (a match query's text, a
 * term's value), never as DSL or as query-string syntax. Pages continue with search_after on
 * [_score, sku]: the SKU is unique per product, so the order is total and cursors are stable.
 */
async function searchProducts(ctx: ApiContext, args: SearchArgs) {
  const limit = pageSize(args.first);
  const text = args.query?.trim() ?? '';
  if (text.length > MAX_QUERY_LENGTH) throw tooLong('query', MAX_QUERY_LENGTH);
  if ((args.category?.length ?? 0) > MAX_CATEGORY_LENGTH) throw tooLong('category', MAX_CATEGORY_LENGTH);
  const after = args.after ? decodeCursor(args.after, 'products', ['number', 'string']) : undefined;
  const filter: object[] = [{ term: { added: true } }];
  if (args.category) filter.push({ term: { category: args.category } });
  const must = text ? [{ multi_match: { query: text, fields: ['name^2', 'description'] } }] : [];
  const response = await ctx.es.search<ProductSource>({
    index: ctx.productsAlias,
    query: { bool: { must, filter } },
    sort: [{ _score: { order: 'desc' } }, { sku: { order: 'asc' } }],
    size: limit + 1,
    track_total_hits: false,
    ...(after ? { search_after: after } : {}),
  });
  const hits = response.hits.hits.filter((hit) => hit._source && hit._id);
  return toConnection(
    hits,
    limit,
    (hit) => encodeCursor('products', [Number(hit.sort?.[0] ?? 0), String(hit.sort?.[1] ?? '')]),
    (hit) => toProduct(hit._id as string, hit._source as ProductSource),
  );
}

export const productsResolvers = {
  Query: {
    product: (_: unknown, args: { id: string }, ctx: ApiContext) => ctx.products.load(args.id),
    searchProducts: (_: unknown, args: SearchArgs, ctx: ApiContext) => searchProducts(ctx, args),
  },
};
