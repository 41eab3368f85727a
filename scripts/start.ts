/**
 * `npm start [-- APP]`: Vista's demo on one machine (services are up already: package.json
 * runs scripts/services.sh first). The demo shop unless another application is named: a
 * folder of `examples/` (`ledger`) or a module path, relative to where npm was run. The same
 * as `vista start --demo --app APP`: the demo history is published when the streams are empty.
 */
import { applicationFromCaller, startInstallation } from '../projectors/start.ts';

// npm runs scripts in the checkout and names the caller's directory in INIT_CWD.
await startInstallation(applicationFromCaller(process.argv[2] ?? 'shop', process.env.INIT_CWD), {
  demo: true,
});
