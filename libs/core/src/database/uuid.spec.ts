import { uuidv7 } from './uuid';

describe(uuidv7.name, () => {
  it('is a version 7, variant 1 UUID', () => {
    expect(uuidv7()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('orders by creation time', () => {
    expect(uuidv7(1_000) < uuidv7(2_000)).toBe(true);
    expect(uuidv7(1_800_000_000_000).startsWith('01a3185c-5000')).toBe(true);
  });
});

describe(`${uuidv7.name}, many at once`, () => {
  it('never repeats its random part, across many draws of random bytes', () => {
    const now = Date.now();
    const ids = Array.from({ length: 10_000 }, () => uuidv7(now));
    expect(new Set(ids).size).toBe(ids.length);
    // Same millisecond: only the random bits tell them apart; each is still a valid v7 id.
    expect(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id))).toBe(
      true,
    );
  });
});
