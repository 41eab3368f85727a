import { defineApplication } from '../../../projectors/engine/index.ts';
import partitioned from './partitioned.ts';

/**
 * The partitioned shop with `orders` split into 8 partitions at the same version: what a
 * process of a mis-deployed release would declare beside processes splitting it into 4.
 */
export default defineApplication({
  ...partitioned,
  projections: partitioned.projections.map((p) => (p.name === 'orders' ? { ...p, partitions: 8 } : p)),
});

/** `VISTA_APP` for a child projector process running this application. */
export const OTHERWISE_PARTITIONED_APP = 'test/support/shop/partitioned-otherwise.ts';
