import type { YogaServerOptions } from 'graphql-yoga';

type Cors = NonNullable<YogaServerOptions<object, object>['cors']>;

/**
 * CORS from CORS_ORIGINS: `*` lets any origin read the API, a list only those origins; others
 * get no CORS headers at all, so browsers refuse them. Never credentials: the API has no
 * cookies or sessions, and a reflected origin with credentials would let any site use a
 * visitor's. The read-your-writes header may be sent cross-origin.
 */
export function corsOptions(origins: readonly string[]): Cors {
  const any = origins.includes('*');
  const common = {
    credentials: false,
    methods: ['GET', 'POST', 'OPTIONS'],
    maxAge: 600,
  };
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (any) return { ...common, origin: '*' };
    if (origin && origins.includes(origin)) return { ...common, origin };
    return false;
  };
}
