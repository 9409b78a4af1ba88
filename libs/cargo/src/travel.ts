/** Kilometres per astronomical unit. */
export const KM_PER_AU = 149_597_870.7;

export interface Point {
  x: number;
  y: number;
  z: number;
}

export function distanceAu(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z);
}

/**
 * Real milliseconds for a simulated duration: `simTimeScale` simulated seconds pass per
 * real second.
 */
export function simulatedToRealMs(simSeconds: number, simTimeScale: number): number {
  return Math.round((simSeconds / simTimeScale) * 1000);
}

/** Real milliseconds a ship at `speedKmS` needs for `distance` AU. */
export function travelMs(distance: number, speedKmS: number, simTimeScale: number): number {
  return simulatedToRealMs((distance * KM_PER_AU) / speedKmS, simTimeScale);
}
