import type { Actor } from './auth';

export interface World {
  planetId: string;
  stations: Record<string, string>;
  commodities: Record<string, string>;
}

/** Creates a planet, stations and commodities through the API (as an admin). */
export async function buildWorld(
  admin: Actor,
  opts: { stations: string[]; commodities: string[]; capacity?: number; prefix?: string },
): Promise<World> {
  const prefix = opts.prefix ?? Math.random().toString(36).slice(2, 6).toUpperCase();
  const planet = await admin
    .post('/api/planets')
    .send({ name: `World ${prefix}`, position: { x: 0, y: 0, z: 0 } })
    .expect(201);
  const stations: Record<string, string> = {};
  let i = 0;
  for (const name of opts.stations) {
    const res = await admin
      .post('/api/stations')
      .send({
        code: `${prefix}-${name}`.slice(0, 16),
        name,
        planetId: planet.body.id,
        position: { x: i++ * 0.5, y: 0, z: 0 },
        storageCapacity: opts.capacity ?? 1_000_000,
      })
      .expect(201);
    stations[name] = res.body.id;
  }
  const commodities: Record<string, string> = {};
  for (const name of opts.commodities) {
    const res = await admin
      .post('/api/commodities')
      .send({ sku: `${prefix}-${name}`.slice(0, 32), name, unitVolume: 1, unitMass: 1 })
      .expect(201);
    commodities[name] = res.body.id;
  }
  return { planetId: planet.body.id, stations, commodities };
}
