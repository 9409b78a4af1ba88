import { simulatedToRealMs } from './travel';

describe('travel', () => {
  it('scales simulated time to real time', () => {
    expect(simulatedToRealMs(20_000, 20_000)).toBe(1000);
    expect(simulatedToRealMs(7200, 1e6)).toBe(7);
  });
});
