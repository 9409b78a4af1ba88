import { milliToNumber, milliToNumeric, unitVolumeToMilli, volumeOf } from './volume';

describe('volume arithmetic', () => {
  it('is exact to the litre', () => {
    expect(volumeOf(3, 0.1)).toBe(300n);
    expect(volumeOf(1_000_000, '0.001')).toBe(1_000_000n);
    expect(unitVolumeToMilli('12.345')).toBe(12_345n);
  });

  it('formats numeric literals, negative ones included', () => {
    expect(milliToNumeric(12_345n)).toBe('12.345');
    expect(milliToNumeric(-5n)).toBe('-0.005');
    expect(milliToNumeric(0n)).toBe('0.000');
    expect(milliToNumber(2_500n)).toBe(2.5);
  });
});
