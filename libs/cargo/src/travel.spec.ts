import { distanceAu, KM_PER_AU, simulatedToRealMs, travelMs } from './travel';

describe('travel', () => {
  it('measures straight-line distance in AU', () => {
    expect(distanceAu({ x: 0, y: 0, z: 0 }, { x: 3, y: 4, z: 0 })).toBe(5);
  });

  it('scales simulated time to real time', () => {
    expect(simulatedToRealMs(20_000, 20_000)).toBe(1000);
    expect(simulatedToRealMs(7200, 1e6)).toBe(7);
  });

  it('takes distance / speed in simulated seconds', () => {
    // 1 AU at 1 AU per simulated second, one simulated second per real second.
    expect(travelMs(1, KM_PER_AU, 1)).toBe(1000);
    // A 2 AU trip at 1000 km/s with the development scale lasts about 15 real seconds.
    expect(travelMs(2, 1000, 20_000)).toBeGreaterThan(10_000);
    expect(travelMs(2, 1000, 20_000)).toBeLessThan(20_000);
  });
});
