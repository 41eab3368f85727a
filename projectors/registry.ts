import { type Projection, registered } from './engine/define.ts';
import { orders } from './views/orders.ts';

/** Every projection this installation runs. Adding a view is one file and one line here. */
export const PROJECTIONS: readonly Projection[] = [registered(orders)];
