// The build's last step: what tsc does not emit but the compiled API serves (the console's
// static files), copied beside the compiled modules that read them.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const assets = ['api/console/index.html', 'api/console/console.js', 'api/console/console.css'];
for (const asset of assets) {
  mkdirSync(join(root, 'dist', asset, '..'), { recursive: true });
  copyFileSync(join(root, asset), join(root, 'dist', asset));
}
