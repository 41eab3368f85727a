// #region events
import { eventType, z } from 'vista';

const id = z.string().min(1).max(100);

/** The facts the library's lending service publishes on its LOANS stream. */
export const BookAdded = eventType({
  type: 'library.book_added.v1',
  stream: 'LOANS',
  schema: z.object({ bookId: id, title: z.string().min(1).max(500) }),
  aggregateId: (data) => data.bookId,
});

export const BookLent = eventType({
  type: 'library.book_lent.v1',
  stream: 'LOANS',
  schema: z.object({ bookId: id, memberId: id }),
  aggregateId: (data) => data.bookId,
});

export const BookReturned = eventType({
  type: 'library.book_returned.v1',
  stream: 'LOANS',
  schema: z.object({ bookId: id, memberId: id }),
  aggregateId: (data) => data.bookId,
});
// #endregion
