import { buildMessage, ValidateBy } from 'class-validator';

/** Whether a number has at most `places` decimal places (1e-7 has seven; class-validator's own check misreads it). */
export function hasAtMostDecimals(value: unknown, places: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && Number(value.toFixed(places)) === value;
}

/** A number with at most `places` decimal places, e.g. volumes exact to the litre. */
export const MaxDecimals = (places: number) =>
  ValidateBy({
    name: 'maxDecimals',
    constraints: [places],
    validator: {
      validate: (value: unknown) => hasAtMostDecimals(value, places),
      defaultMessage: buildMessage((each) => `${each}$property must have at most ${places} decimal places`),
    },
  });
