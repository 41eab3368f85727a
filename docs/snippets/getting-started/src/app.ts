// #region app
import { type DemoOptions, defineApplication, type OutgoingEvent, Random } from 'vista';
import { books } from './books.ts';
import { library } from './contract.ts';
import { BookAdded, BookLent, BookReturned } from './events.ts';
import { members } from './members.ts';

/** A seeded history for `vista publish-demo`: ten books, then loans and returns. */
function* history({ events, seed }: DemoOptions): Generator<OutgoingEvent> {
  const random = new Random(seed);
  const borrower = new Map<string, string>();
  const meta = (n: number) => ({
    id: `library-${seed}-${n}`, // unique: the broker drops a re-published id
    time: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString(),
    source: 'library-service',
  });
  for (let n = 0; n < events; n++) {
    const bookId = `book-${n < 10 ? n : random.int(0, 9)}`;
    const holder = borrower.get(bookId);
    if (n < 10) {
      yield { eventType: BookAdded, data: { bookId, title: `Volume ${n + 1}` }, ...meta(n) };
    } else if (holder) {
      borrower.delete(bookId);
      yield { eventType: BookReturned, data: { bookId, memberId: holder }, ...meta(n) };
    } else {
      const memberId = `member-${random.int(1, 5)}`;
      borrower.set(bookId, memberId);
      yield { eventType: BookLent, data: { bookId, memberId }, ...meta(n) };
    }
  }
}

export default defineApplication({
  name: 'library',
  contract: library,
  projections: [books, members],
  demo: history,
});
// #endregion
