import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Application } from './application.ts';

export class ApplicationLoadError extends Error {
  readonly code = 'APPLICATION_NOT_FOUND';
}

/**
 * Where `VISTA_APP` points: a bare name is a folder of `examples/` (its `index.ts`), anything
 * with a slash or an extension is a module path, relative to `cwd`.
 */
export function applicationModulePath(spec: string, cwd = process.cwd()): string {
  if (/^[a-z][a-z0-9_-]*$/.test(spec)) return resolve(cwd, 'examples', spec, 'index.ts');
  const path = isAbsolute(spec) ? spec : resolve(cwd, spec);
  return existsSync(path) || !existsSync(resolve(path, 'index.ts')) ? path : resolve(path, 'index.ts');
}

/**
 * Loads the application `VISTA_APP` names: the module's default export (or its export named
 * `application`), which `defineApplication` has already checked.
 */
export async function loadApplication(spec: string, cwd = process.cwd()): Promise<Application> {
  const path = applicationModulePath(spec, cwd);
  if (!existsSync(path))
    throw new ApplicationLoadError(`VISTA_APP=${spec}: no application module at ${path}`);
  let module: { default?: unknown; application?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as typeof module;
  } catch (error) {
    // The error's message may quote the file (a SyntaxError shows the offending line), and
    // VISTA_APP may name any readable file: only the path and the kind of failure are said.
    const { name, code } = error as { name?: unknown; code?: unknown };
    const kind = [name, code].filter((part) => typeof part === 'string').join(' ') || 'an error';
    throw new ApplicationLoadError(
      `VISTA_APP=${spec}: ${path} could not be loaded as a module (${kind}); run \`npx tsx ${path}\` to see why`,
    );
  }
  const app = (module.default ?? module.application) as Partial<Application> | undefined;
  if (!app || typeof app !== 'object' || !app.contract || !Array.isArray(app.projections))
    throw new ApplicationLoadError(
      `VISTA_APP=${spec}: ${path} does not export an application (export default defineApplication({…}))`,
    );
  return app as Application;
}

/**
 * For processes starting up: a missing or invalid application (an unknown `VISTA_APP`, a
 * contract or a projection that fails its checks) is a configuration error. It stops start-up
 * with its message and exit status 78 (EX_CONFIG), like an invalid environment variable.
 */
export async function loadApplicationOrExit(spec: string): Promise<Application> {
  try {
    return await loadApplication(spec);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (
      code !== 'APPLICATION_NOT_FOUND' &&
      code !== 'APPLICATION_INVALID' &&
      code !== 'CONTRACT_INVALID' &&
      code !== 'DEFINITION_INVALID'
    )
      throw error;
    process.stderr.write(`Invalid configuration:\n  ${(error as Error).message}\n`);
    process.exit(78);
  }
}
