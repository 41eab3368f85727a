/**
 * The testing face (`vista/testing`): what a team's tests use to test its views the way Vista
 * tests its own. Specs fold given events in memory exactly as the engine does (no services);
 * an isolated installation runs an application on real services in a namespace of its own.
 */
export {
  eventually,
  type Installation,
  isolatedInstallation,
  waitForLiveViews,
} from './installation.ts';
export { applySqlProjection, type Equal, foldDocuments, spec, sqlSpec } from './spec.ts';
