import { defineApplication } from '../../projectors/engine/index.ts';
import { shop } from './contract.ts';
import { demoHistory } from './demo/history.ts';
import { customerStats } from './views/customer-stats.ts';
import { dailySales } from './views/daily-sales.ts';
import { orders } from './views/orders.ts';
import { products } from './views/products.ts';

/** The demo shop: what `npm start` runs unless `VISTA_APP` names another application. */
export default defineApplication({
  name: 'shop',
  contract: shop,
  projections: [orders, customerStats, products, dailySales],
  demo: (options) => demoHistory(options),
});
