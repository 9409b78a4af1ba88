import { PasswordService } from '@itn/auth';
import { Commodity, Planet, Station } from '@itn/catalog';
import { Environment } from '@itn/core';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource, EntityManager } from 'typeorm';
import { DEMO_COMMODITIES, DEMO_PLANETS, DEMO_STATIONS, DEMO_TRADER_PASSWORD, DEMO_TRADERS } from './demo-data';

/** Arbitrary constant key; only one process seeds at a time. */
const SEED_LOCK_KEY = 7_406_112_002;

/**
 * Seeds the demo galaxy into an empty database. Idempotent: a database that already
 * has planets is left as it is.
 */
@Injectable()
export class DemoSeedService implements OnApplicationBootstrap {
  private readonly logger = new Logger(DemoSeedService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: ConfigService<Environment, true>,
    private readonly passwords: PasswordService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.get('SEED_DEMO', { infer: true })) return;
    const seeded = await this.seedIfEmpty();
    if (seeded) this.logger.log('Seeded demo data into an empty database');
  }

  seedIfEmpty(): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [SEED_LOCK_KEY]);
      const [{ count }] = await tx.query<{ count: string }[]>('SELECT count(*) AS count FROM planets');
      if (Number(count) > 0) return false;
      await this.seed(tx);
      return true;
    });
  }

  private async seed(tx: EntityManager): Promise<void> {
    const planets = await tx.getRepository(Planet).save(
      DEMO_PLANETS.map((p) => ({
        name: p.name,
        positionX: p.position.x,
        positionY: p.position.y,
        positionZ: p.position.z,
      })),
    );
    const planetByName = new Map(planets.map((p) => [p.name, p]));
    const stations = await tx.getRepository(Station).save(
      DEMO_STATIONS.map((s) => {
        const planet = planetByName.get(s.planet)!;
        return {
          code: s.code,
          name: s.name,
          planetId: planet.id,
          positionX: planet.positionX + s.offset[0],
          positionY: planet.positionY + s.offset[1],
          positionZ: planet.positionZ + s.offset[2],
          storageCapacity: s.capacity,
        };
      }),
    );
    const commodities = await tx.getRepository(Commodity).save(DEMO_COMMODITIES.map((c) => ({ ...c })));
    await this.seedUsers(tx, new Map(stations.map((s) => [s.code, s.id])));
    await this.seedStock(
      tx,
      stations.map((s) => s.id),
      commodities.map((c) => c.id),
    );
  }

  /**
   * Each station stocks about half of the commodities. Stock enters the books the only way
   * it may: as adjustments with their ledger rows, so conservation holds from the start.
   */
  private async seedStock(tx: EntityManager, stationIds: string[], commodityIds: string[]): Promise<void> {
    const levels: { stationId: string; commodityId: string; quantity: number }[] = [];
    stationIds.forEach((stationId, s) =>
      commodityIds.forEach((commodityId, c) => {
        if ((s + c) % 2 === 0) levels.push({ stationId, commodityId, quantity: 200 + ((s * 37 + c * 53) % 9) * 100 });
      }),
    );
    const json = JSON.stringify(levels);
    await tx.query(
      `INSERT INTO stock_levels (station_id, commodity_id, on_hand)
       SELECT "stationId", "commodityId", quantity
         FROM jsonb_to_recordset($1::jsonb) AS l("stationId" uuid, "commodityId" uuid, quantity bigint)`,
      [json],
    );
    await tx.query(
      `INSERT INTO stock_ledger (station_id, commodity_id, delta, balance_after, reason, note)
       SELECT "stationId", "commodityId", quantity, quantity, 'adjustment', 'Opening stock (demo seed)'
         FROM jsonb_to_recordset($1::jsonb) AS l("stationId" uuid, "commodityId" uuid, quantity bigint)`,
      [json],
    );
    await tx.query(
      `UPDATE stations s SET committed_volume = (
         SELECT coalesce(sum(l.on_hand * c.unit_volume), 0)
           FROM stock_levels l JOIN commodities c ON c.id = l.commodity_id
          WHERE l.station_id = s.id)`,
    );
  }

  /** The bootstrap admin (ADMIN_EMAIL/ADMIN_PASSWORD) and two demo traders with memberships. */
  private async seedUsers(tx: EntityManager, stationIdByCode: Map<string, string>): Promise<void> {
    const insertUser = async (email: string, password: string, role: 'admin' | 'trader') => {
      const [row] = await tx.query<{ id: string }[]>(
        `INSERT INTO users (email, password_hash, role) VALUES ($1, $2, $3)
         ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id`,
        [email.toLowerCase(), await this.passwords.hash(password), role],
      );
      return row.id;
    };
    await insertUser(
      this.config.get('ADMIN_EMAIL', { infer: true }),
      this.config.get('ADMIN_PASSWORD', { infer: true }),
      'admin',
    );
    for (const trader of DEMO_TRADERS) {
      const userId = await insertUser(trader.email, DEMO_TRADER_PASSWORD, 'trader');
      for (const code of trader.stations) {
        await tx.query('INSERT INTO station_members (station_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
          stationIdByCode.get(code),
          userId,
        ]);
      }
    }
  }
}
