/**
 * `vista check --app PATH`, for a team's CI: everything Vista can say about an application
 * without running it. Loading it runs the definition checks (contract, projections, public
 * shapes, relations, GraphQL names); deriving the GraphQL schema checks what the API would
 * serve; and when TypeScript is installed in the team's project, its `tsc --noEmit` typechecks
 * the application against the engine's types (a typo in an event type does not compile).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildSchema } from '../api/schema/index.ts';
import { applicationModulePath, loadApplication } from './engine/internal.ts';

/** Prints what it checked, one line each; true when everything passed. */
export async function checkApplication(spec: string): Promise<boolean> {
  const module = applicationModulePath(spec);
  let app: Awaited<ReturnType<typeof loadApplication>>;
  try {
    app = await loadApplication(spec);
  } catch (error) {
    console.log(`✗ definitions: ${(error as Error).message}`);
    return false;
  }
  console.log(`✓ definitions: application ${app.name}, ${app.projections.length} projection(s)`);
  try {
    const fields = Object.keys(buildSchema(app.projections).getQueryType()?.getFields() ?? {});
    console.log(`✓ GraphQL: ${fields.length} query fields`);
  } catch (error) {
    console.log(`✗ GraphQL: ${(error as Error).message}`);
    return false;
  }
  return typecheck(module);
}

/** The team's own TypeScript over its own tsconfig.json, when both are there. */
function typecheck(module: string): boolean {
  const project = nearest(dirname(module), 'tsconfig.json');
  if (!project) {
    console.log(`- types: not checked (no tsconfig.json in ${dirname(module)} or above)`);
    return true;
  }
  let tsc: string;
  try {
    tsc = createRequire(project).resolve('typescript/bin/tsc');
  } catch {
    console.log(`- types: not checked (TypeScript is not installed beside ${project})`);
    return true;
  }
  const result = spawnSync(process.execPath, [tsc, '--noEmit', '-p', project], { encoding: 'utf8' });
  if (result.status === 0) {
    console.log(`✓ types: tsc --noEmit -p ${project}`);
    return true;
  }
  console.log(`✗ types: tsc --noEmit -p ${project}\n${(result.stdout + result.stderr).trimEnd()}`);
  return false;
}

function nearest(from: string, file: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, file))) return join(dir, file);
    if (dirname(dir) === dir) return undefined;
  }
}
