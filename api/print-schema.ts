/**
 * `npm run schema:print` writes the schema to api/schema.graphql; `npm run schema:check` fails
 * when that file differs from the code (CI runs it), so the published contract never drifts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema } from './schema/index.ts';

const FILE = new URL('./schema.graphql', import.meta.url);
const printed = `${printSchema(lexicographicSortSchema(buildSchema()))}\n`;

if (process.argv.includes('--check')) {
  const committed = readFileSync(FILE, 'utf8');
  if (committed !== printed) {
    process.stderr.write(
      'api/schema.graphql is out of date with the code: run `npm run schema:print` and commit it.\n',
    );
    process.exit(1);
  }
  process.stdout.write('api/schema.graphql matches the code\n');
} else {
  writeFileSync(FILE, printed);
  process.stdout.write('wrote api/schema.graphql\n');
}
