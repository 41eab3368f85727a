/**
 * `npm run schema:print` writes the schema to api/schema.graphql; `npm run schema:check` fails
 * when that file differs from the code (CI runs it), so the published contract never drifts,
 * or when a type, field, argument or enum value has no description.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  lexicographicSortSchema,
  printSchema,
} from 'graphql';
import { loadApplicationOrExit } from '../projectors/engine/internal.ts';
import { loadConfigOrExit } from '../shared/config.ts';
import { buildSchema } from './schema/index.ts';

const FILE = new URL('./schema.graphql', import.meta.url);
// The application VISTA_APP names, else the demo shop: api/schema.graphql is its contract.
const app = await loadApplicationOrExit(loadConfigOrExit().VISTA_APP ?? 'shop');
const schema = lexicographicSortSchema(buildSchema(app.projections));
const printed = `${printSchema(schema)}\n`;

function undocumented(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name))
      continue;
    if (!type.description) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!field.description) missing.push(`${type.name}.${field.name}`);
        for (const arg of field.args)
          if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
      }
    }
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields()))
        if (!field.description) missing.push(`${type.name}.${field.name}`);
    }
    if (isEnumType(type)) {
      for (const value of type.getValues())
        if (!value.description) missing.push(`${type.name}.${value.name}`);
    }
  }
  return missing;
}

if (process.argv.includes('--check')) {
  const missing = undocumented(schema);
  if (missing.length > 0) {
    process.stderr.write(`the schema has no description for: ${missing.join(', ')}\n`);
    process.exit(1);
  }
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
