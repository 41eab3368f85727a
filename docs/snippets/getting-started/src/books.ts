// #region books
import { defineDocumentProjection, postgresTable } from 'vista';
import { library } from './contract.ts';

interface BookDoc {
  title: string | null;
  borrower: string | null;
  loanCount: number;
}

/** One row per book: who has it now, and how often it was lent. */
export const books = defineDocumentProjection(library, {
  name: 'books',
  version: 1,
  sources: [{ stream: 'LOANS' }],
  handles: ['library.book_added.v1', 'library.book_lent.v1', 'library.book_returned.v1'],
  key: (event) => event.data.bookId,
  evolve: (current: BookDoc | null, event): BookDoc => {
    const book = current ?? { title: null, borrower: null, loanCount: 0 };
    switch (event.type) {
      case 'library.book_added.v1':
        return { ...book, title: event.data.title };
      case 'library.book_lent.v1':
        return { ...book, borrower: event.data.memberId, loanCount: book.loanCount + 1 };
      case 'library.book_returned.v1':
        return { ...book, borrower: null };
    }
  },
  target: postgresTable<BookDoc>({ visibleWhen: 'title IS NOT NULL' }),
  api: {
    type: 'Book',
    description: 'A book of the library and its loans.',
    noun: { one: 'book', many: 'books' },
    key: ['id'],
    fields: {
      id: { kind: 'id', description: 'The book id.' },
      title: { kind: 'string', description: 'Its title.', sortable: true },
      borrower: {
        kind: 'id',
        description: 'The member who has it, if lent.',
        nullable: true,
        filterable: true,
      },
      loanCount: { kind: 'int', description: 'Times lent.', sortable: true },
    },
    order: { by: [{ title: 'ASC' }], says: 'by title' },
  },
});
// #endregion
