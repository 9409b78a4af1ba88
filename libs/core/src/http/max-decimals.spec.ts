import { hasAtMostDecimals } from './max-decimals';

describe(hasAtMostDecimals.name, () => {
  it('counts the decimals of numbers in any notation', () => {
    for (const ok of [0, 1, 0.5, 0.001, 12.345, 1e3, 10_000])
      expect([ok, hasAtMostDecimals(ok, 3)]).toEqual([ok, true]);
    for (const no of [0.0001, 1e-7, 1e-320, 5e-324, 1.2345, NaN, Infinity]) {
      expect([no, hasAtMostDecimals(no, 3)]).toEqual([no, false]);
    }
    expect(hasAtMostDecimals('0.5', 3)).toBe(false);
  });
});
