import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { redactUrl } from '../../../shared/clients/reach.ts';
import type { Config } from '../../../shared/config.ts';
import type { Application } from './application.ts';
import { readRecordedApplication } from './recorded-application.ts';

export class ApplicationLoadError extends Error {
  readonly code = 'APPLICATION_NOT_FOUND';
}

/** Vista's own root: its repository (where `examples/` are), or the package's `dist/`. */
const VISTA_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Where `VISTA_APP` points: a bare name is a folder of Vista's `examples/` (its `index.ts`),
 * anything with a slash or an extension is a module path, relative to `cwd`.
 */
export function applicationModulePath(spec: string, cwd = process.cwd()): string {
  if (/^[a-z][a-z0-9_-]*$/.test(spec)) return resolve(VISTA_ROOT, 'examples', spec, 'index.ts');
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
    await loadTypeScriptFor(path);
    module = (await import(pathToFileURL(path).href)) as typeof module;
  } catch (error) {
    // The error's message may quote the file (a SyntaxError shows the offending line), and
    // VISTA_APP may name any readable file: only the path and the kind of failure are said.
    const { name, code } = error as { name?: unknown; code?: unknown };
    const kind = [name, code].filter((part) => typeof part === 'string').join(' ') || 'an error';
    throw new ApplicationLoadError(
      `VISTA_APP=${spec}: ${path} could not be loaded as a module (${kind}); run \`npx tsx ${path}\` to see why`,
      { cause: error },
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
export async function loadApplicationOrExit(spec: string, cwd = process.cwd()): Promise<Application> {
  try {
    return await loadApplication(spec, cwd);
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

/**
 * A team's application is TypeScript more often than not. Run from Vista's sources, a loader
 * (tsx) is active already; run from the package's compiled JavaScript, tsx (a dependency) is
 * registered before the first TypeScript module is imported: it resolves what Node's own type
 * stripping does not (imports without extensions, \`paths\`, enums).
 */
let typeScriptLoaded = import.meta.url.endsWith('.ts');
async function loadTypeScriptFor(path: string): Promise<void> {
  if (typeScriptLoaded || !/\.[mc]?tsx?$/.test(path)) return;
  const { register } = await import('tsx/esm/api');
  register();
  typeScriptLoaded = true;
}

/**
 * The application a process runs, in order: \`VISTA_APP\` (which \`--app\` sets), else the one
 * the installation recorded when its projectors last started. With neither, start-up stops
 * (exit 78) naming both choices: Vista never falls back to an application of its own.
 */
export async function applicationSpecOrExit(
  config: Pick<Config, 'VISTA_APP' | 'DATABASE_URL' | 'VISTA_NAMESPACE'>,
): Promise<string> {
  if (config.VISTA_APP) return config.VISTA_APP;
  let recorded: Awaited<ReturnType<typeof readRecordedApplication>>;
  try {
    recorded = await readRecordedApplication(config.DATABASE_URL);
  } catch (error) {
    process.stderr.write(
      `No application given (--app PATH or VISTA_APP), and PostgreSQL at ${redactUrl(config.DATABASE_URL)} could not be asked which one the installation runs: ${(error as Error).message}\n`,
    );
    process.exit(69);
  }
  if (recorded) return recorded.module;
  process.stderr.write(
    `Invalid configuration:\n  No application given: pass --app PATH (or set VISTA_APP); ${config.VISTA_NAMESPACE ? `namespace ${config.VISTA_NAMESPACE}` : 'the default namespace'} has no application recorded yet (\`vista start --app PATH\` or a projector process records it)\n`,
  );
  process.exit(78);
}
