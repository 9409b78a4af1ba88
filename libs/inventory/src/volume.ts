/**
 * Volumes are exact to the litre: unit volumes have 3 decimals (numeric(12,3)), so every
 * volume is an integer number of thousandths of a cubic metre, kept in a bigint.
 */
export type MilliM3 = bigint;

export function unitVolumeToMilli(unitVolume: number | string): MilliM3 {
  return BigInt(Math.round(Number(unitVolume) * 1000));
}

/** A numeric(…, 3) value as read from PostgreSQL (e.g. "12.345"). */
export const numericToMilli = unitVolumeToMilli;

export function volumeOf(quantity: number, unitVolume: number | string): MilliM3 {
  return BigInt(quantity) * unitVolumeToMilli(unitVolume);
}

/** As a numeric literal for PostgreSQL, e.g. 12345n -> "12.345". */
export function milliToNumeric(v: MilliM3): string {
  const sign = v < 0n ? '-' : '';
  const abs = v < 0n ? -v : v;
  return `${sign}${abs / 1000n}.${(abs % 1000n).toString().padStart(3, '0')}`;
}

export function milliToNumber(v: MilliM3): number {
  return Number(v) / 1000;
}
