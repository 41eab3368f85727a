// #region contract
import { defineContract } from 'vista';
import { BookAdded, BookLent, BookReturned } from './events.ts';

/** One stream; its events' subjects are `library.<event>.<bookId>`. */
export const library = defineContract({
  streams: [{ name: 'LOANS', subjects: 'library.>' }],
  events: [BookAdded, BookLent, BookReturned],
});
// #endregion
