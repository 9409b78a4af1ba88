import { AuthService } from '@itn/auth';
import { CatalogService } from '@itn/catalog';
import { Environment } from '@itn/core';
import { InventoryService } from '@itn/inventory';
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
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
    private readonly inventory: InventoryService,
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

  /** Everything through the owners of its tables, in the one transaction of seedIfEmpty. */
  private async seed(tx: EntityManager): Promise<void> {
    const planetIdByName = new Map<string, string>();
    for (const p of DEMO_PLANETS) planetIdByName.set(p.name, (await this.catalog.createPlanet({ ...p }, tx)).id);
    const planetByName = new Map(DEMO_PLANETS.map((p) => [p.name, p]));
    const stationIdByCode = new Map<string, string>();
    for (const s of DEMO_STATIONS) {
      const planet = planetByName.get(s.planet)!;
      const station = await this.catalog.createStation(
        {
          code: s.code,
          name: s.name,
          planetId: planetIdByName.get(s.planet)!,
          position: {
            x: planet.position.x + s.offset[0],
            y: planet.position.y + s.offset[1],
            z: planet.position.z + s.offset[2],
          },
          storageCapacity: s.capacity,
        },
        tx,
      );
      stationIdByCode.set(s.code, station.id);
    }
    const commodityIds: string[] = [];
    for (const c of DEMO_COMMODITIES) commodityIds.push((await this.catalog.createCommodity({ ...c }, tx)).id);
    await this.seedUsers(tx, stationIdByCode);
    await this.seedStock(tx, [...stationIdByCode.values()], commodityIds);
  }

  /**
   * Each station stocks about half of the commodities. Stock enters the books the only way
   * it may: as adjustments with their ledger rows, so conservation holds from the start.
   */
  private async seedStock(tx: EntityManager, stationIds: string[], commodityIds: string[]): Promise<void> {
    for (const [s, stationId] of stationIds.entries()) {
      for (const [c, commodityId] of commodityIds.entries()) {
        if ((s + c) % 2 !== 0) continue;
        const delta = 200 + ((s * 37 + c * 53) % 9) * 100;
        await this.inventory.adjust(null, stationId, { commodityId, delta, reason: 'Opening stock (demo seed)' }, tx);
      }
    }
  }

  /** The bootstrap admin (ADMIN_EMAIL/ADMIN_PASSWORD) and two demo traders with memberships. */
  private async seedUsers(tx: EntityManager, stationIdByCode: Map<string, string>): Promise<void> {
    await this.auth.ensureUser(
      this.config.get('ADMIN_EMAIL', { infer: true }),
      this.config.get('ADMIN_PASSWORD', { infer: true }),
      'admin',
      tx,
    );
    for (const trader of DEMO_TRADERS) {
      const userId = await this.auth.ensureUser(trader.email, DEMO_TRADER_PASSWORD, 'trader', tx);
      for (const code of trader.stations) await this.auth.addMember(stationIdByCode.get(code)!, userId, tx);
    }
  }
}
