/** A small, believable galaxy for exploring the API. Positions in AU. */
export const DEMO_PLANETS = [
  { name: 'Terra', position: { x: 1.0, y: 0.0, z: 0.0 } },
  { name: 'Ares', position: { x: -1.2, y: 0.9, z: 0.02 } },
  { name: 'Ceres Prime', position: { x: 2.1, y: 1.6, z: -0.1 } },
  { name: 'Jove', position: { x: -3.4, y: -2.9, z: 0.05 } },
  { name: 'Kronos', position: { x: 4.2, y: -3.1, z: 0.15 } },
  { name: 'Tethys', position: { x: 0.4, y: 4.7, z: -0.2 } },
] as const;

export const DEMO_STATIONS = [
  { code: 'TER-01', name: 'Terra High Port', planet: 'Terra', offset: [0.001, 0, 0], capacity: 200_000 },
  { code: 'TER-02', name: 'Luna Gateway', planet: 'Terra', offset: [0.0026, 0.001, 0], capacity: 120_000 },
  { code: 'ARE-01', name: 'Ares Orbital', planet: 'Ares', offset: [0.001, 0, 0], capacity: 150_000 },
  { code: 'ARE-02', name: 'Phobos Yard', planet: 'Ares', offset: [0.0004, 0.0002, 0], capacity: 80_000 },
  { code: 'CER-01', name: 'Ceres Mining Hub', planet: 'Ceres Prime', offset: [0.001, 0, 0], capacity: 180_000 },
  { code: 'CER-02', name: 'Vesta Refinery', planet: 'Ceres Prime', offset: [-0.02, 0.01, 0], capacity: 90_000 },
  { code: 'JOV-01', name: 'Jove Ring Station', planet: 'Jove', offset: [0.003, 0, 0], capacity: 250_000 },
  { code: 'JOV-02', name: 'Europa Deep', planet: 'Jove', offset: [0.0045, 0.001, 0], capacity: 100_000 },
  { code: 'KRO-01', name: 'Kronos Ringworks', planet: 'Kronos', offset: [0.002, 0, 0], capacity: 160_000 },
  { code: 'KRO-02', name: 'Titan Anchorage', planet: 'Kronos', offset: [0.008, 0.002, 0], capacity: 110_000 },
  { code: 'TET-01', name: 'Tethys Exchange', planet: 'Tethys', offset: [0.001, 0, 0], capacity: 140_000 },
  { code: 'TET-02', name: 'Tethys Farside', planet: 'Tethys', offset: [-0.001, 0.002, 0], capacity: 60_000 },
] as const;

export const DEMO_COMMODITIES = [
  { sku: 'ORE-IRON', name: 'Iron ore', unitVolume: 0.25, unitMass: 1200 },
  { sku: 'ORE-NICKEL', name: 'Nickel ore', unitVolume: 0.25, unitMass: 1300 },
  { sku: 'ORE-PLATINUM', name: 'Platinum ore', unitVolume: 0.1, unitMass: 2100 },
  { sku: 'ICE-WATER', name: 'Water ice', unitVolume: 1, unitMass: 917 },
  { sku: 'GAS-HELIUM3', name: 'Helium-3', unitVolume: 2, unitMass: 0.4 },
  { sku: 'GAS-HYDROGEN', name: 'Liquid hydrogen', unitVolume: 1, unitMass: 71 },
  { sku: 'FUEL-DEUTERIUM', name: 'Deuterium fuel cells', unitVolume: 0.5, unitMass: 90 },
  { sku: 'FOOD-RATIONS', name: 'Ration packs', unitVolume: 0.05, unitMass: 12 },
  { sku: 'FOOD-HYDROPONIC', name: 'Hydroponic produce', unitVolume: 0.2, unitMass: 40 },
  { sku: 'MED-KITS', name: 'Medical kits', unitVolume: 0.02, unitMass: 3 },
  { sku: 'MED-STASIS', name: 'Stasis pods', unitVolume: 3, unitMass: 450 },
  { sku: 'ELEC-CHIPS', name: 'Quantum chips', unitVolume: 0.001, unitMass: 0.05 },
  { sku: 'ELEC-SENSORS', name: 'Sensor arrays', unitVolume: 0.3, unitMass: 25 },
  { sku: 'MACH-DRILLS', name: 'Mining drills', unitVolume: 4, unitMass: 2500 },
  { sku: 'MACH-REACTOR', name: 'Fusion reactor cores', unitVolume: 12, unitMass: 18000 },
  { sku: 'ALLOY-TITANIUM', name: 'Titanium alloy plate', unitVolume: 0.15, unitMass: 680 },
  { sku: 'ALLOY-CARBON', name: 'Carbon nanotube spools', unitVolume: 0.4, unitMass: 60 },
  { sku: 'TEXT-SPIDERSILK', name: 'Spider silk bolts', unitVolume: 0.1, unitMass: 8 },
  { sku: 'LUX-SPICE', name: 'Void spice', unitVolume: 0.01, unitMass: 1 },
  { sku: 'LUX-ART', name: 'Nebula glass art', unitVolume: 0.5, unitMass: 20 },
] as const;

/** Demo traders (development only; the password is printed in the README). */
export const DEMO_TRADER_PASSWORD = 'trader-dev-password';
export const DEMO_TRADERS = [
  { email: 'trader1@itn.local', stations: ['TER-01', 'ARE-01', 'CER-01', 'JOV-01'] },
  { email: 'trader2@itn.local', stations: ['JOV-01', 'KRO-01', 'TET-01', 'TER-02'] },
] as const;
