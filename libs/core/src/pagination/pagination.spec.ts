import { DomainError } from '../errors/domain-error';
import { decodeCursor, encodeCursor, toPage } from './pagination';

describe('pagination', () => {
  const id = '01a21842-3edd-7da1-b493-ba1a9b8dc0ca';

  it('round-trips a cursor', () => {
    expect(decodeCursor(encodeCursor(id))).toBe(id);
    expect(decodeCursor(encodeCursor('12345'), 'bigint')).toBe('12345');
    expect(decodeCursor(undefined)).toBeUndefined();
  });

  it('refuses cursors that do not decode to a key', () => {
    expect(() => decodeCursor(encodeCursor('garbage'))).toThrow(DomainError);
    expect(() => decodeCursor(encodeCursor(id), 'bigint')).toThrow(DomainError);
  });

  it('pages with a look-ahead row', () => {
    const rows = [{ k: 'a' }, { k: 'b' }, { k: 'c' }];
    expect(
      toPage(
        rows,
        2,
        (r) => r.k,
        (r) => r.k,
      ),
    ).toEqual({ items: ['a', 'b'], nextCursor: encodeCursor('b') });
    expect(
      toPage(
        rows,
        3,
        (r) => r.k,
        (r) => r.k,
      ),
    ).toEqual({ items: ['a', 'b', 'c'], nextCursor: null });
  });
});
