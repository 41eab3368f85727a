import shopApp from '../../examples/shop/index.ts';
import {
  type Application,
  type Installation,
  isolatedInstallation,
} from '../../projectors/engine/internal.ts';

export { eventually } from '../../projectors/engine/internal.ts';

export type TestEnvironment = Installation;

/**
 * An isolated Vista installation on the real services that `scripts/services.sh` brought up
 * (see `isolatedInstallation`): the shop unless a test gives its own application.
 */
export function testEnvironment(
  overrides: Record<string, string> = {},
  app: Application = shopApp,
): Promise<TestEnvironment> {
  return isolatedInstallation(app, overrides);
}
