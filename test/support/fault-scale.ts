/**
 * How hard the fault suite pushes: `VISTA_FAULTS=full` (npm run test:faults) uses the sizes
 * the fault-tolerance issue asks for; the default, reduced form keeps CI's run short.
 */
export const FULL_SCALE = process.env.VISTA_FAULTS === 'full';

export function scaled<T>(reduced: T, full: T): T {
  return FULL_SCALE ? full : reduced;
}
