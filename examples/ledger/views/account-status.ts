import type { EnumKind } from '../../../projectors/engine/index.ts';

/** The one enumeration both account views serve. */
export const ACCOUNT_STATUS: EnumKind = {
  enum: 'AccountStatus',
  description: 'Whether an account is open.',
  values: { OPEN: 'Opened and not closed.', CLOSED: 'Closed; it takes no new money.' },
};
