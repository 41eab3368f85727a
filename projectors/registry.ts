import { customerStats } from '../examples/shop/views/customer-stats.ts';
import { dailySales } from '../examples/shop/views/daily-sales.ts';
import { orders } from '../examples/shop/views/orders.ts';
import { products } from '../examples/shop/views/products.ts';
import { type Projection, registered } from './engine/define.ts';

/** Every projection this installation runs. Adding a view is one file and one line here. */
export const PROJECTIONS: readonly Projection[] = [
  registered(orders),
  registered(customerStats),
  registered(products),
  registered(dailySales),
];
