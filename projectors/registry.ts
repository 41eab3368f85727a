import { type Projection, registered } from './engine/define.ts';
import { customerStats } from './views/customer-stats.ts';
import { dailySales } from './views/daily-sales.ts';
import { orders } from './views/orders.ts';
import { products } from './views/products.ts';

/** Every projection this installation runs. Adding a view is one file and one line here. */
export const PROJECTIONS: readonly Projection[] = [
  registered(orders),
  registered(customerStats),
  registered(products),
  registered(dailySales),
];
