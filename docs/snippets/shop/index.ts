import { defineApplication } from '../../../projectors/engine/index.ts';
import { shop } from './contract.ts';
import { history } from './history.ts';
import { customers } from './views/customers.ts';
import { orders } from './views/orders.ts';
import { products } from './views/products.ts';

// #region application
/** VISTA_APP=./docs/snippets/shop/index.ts, with a namespace and a database of its own. */
export default defineApplication({
  name: 'docs-shop',
  contract: shop,
  projections: [orders, customers, products],
  demo: (options) => history(options),
});
// #endregion
