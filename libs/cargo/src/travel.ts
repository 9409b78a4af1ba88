/**
 * Real milliseconds for a simulated duration: `simTimeScale` simulated seconds pass per
 * real second. (Distances and travel times are computed where shipments are created, in
 * create_shipment(): distance in AU between the stations, at SHIP_SPEED_KM_S.)
 */
export function simulatedToRealMs(simSeconds: number, simTimeScale: number): number {
  return Math.round((simSeconds / simTimeScale) * 1000);
}
