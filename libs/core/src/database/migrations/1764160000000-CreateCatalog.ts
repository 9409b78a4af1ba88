import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCatalog1764160000000 implements MigrationInterface {
  name = 'CreateCatalog1764160000000';

  async up(q: QueryRunner): Promise<void> {
    // Time-ordered UUIDs (RFC 9562 v7, sub-millisecond precision in rand_a): keyset pagination
    // by id gives newest first, and inserts land at the right edge of the primary key index.
    await q.query(`
      CREATE OR REPLACE FUNCTION uuid_generate_v7() RETURNS uuid AS $$
      DECLARE
        micros bigint := floor(extract(epoch FROM clock_timestamp()) * 1000000);
        sub_ms int := ((micros % 1000) * 4096 / 1000)::int;
        bytes bytea := uuid_send(gen_random_uuid());
      BEGIN
        bytes := overlay(bytes PLACING substring(int8send(micros / 1000) FROM 3) FROM 1 FOR 6);
        bytes := set_byte(bytes, 6, 112 | (sub_ms >> 8));
        bytes := set_byte(bytes, 7, sub_ms & 255);
        RETURN encode(bytes, 'hex')::uuid;
      END
      $$ LANGUAGE plpgsql VOLATILE`);

    await q.query(`
      CREATE TABLE planets (
        id uuid PRIMARY KEY DEFAULT uuid_generate_v7(),
        name varchar(100) NOT NULL,
        position_x double precision NOT NULL,
        position_y double precision NOT NULL,
        position_z double precision NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_planets_name UNIQUE (name)
      )`);

    await q.query(`
      CREATE TABLE stations (
        id uuid PRIMARY KEY DEFAULT uuid_generate_v7(),
        code varchar(16) NOT NULL,
        name varchar(100) NOT NULL,
        planet_id uuid NOT NULL REFERENCES planets (id) ON DELETE RESTRICT,
        position_x double precision NOT NULL,
        position_y double precision NOT NULL,
        position_z double precision NOT NULL,
        storage_capacity bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_stations_code UNIQUE (code),
        CONSTRAINT ck_stations_storage_capacity CHECK (storage_capacity > 0)
      )`);
    await q.query(`CREATE INDEX ix_stations_planet_id ON stations (planet_id)`);

    await q.query(`
      CREATE TABLE commodities (
        id uuid PRIMARY KEY DEFAULT uuid_generate_v7(),
        sku varchar(32) NOT NULL,
        name varchar(100) NOT NULL,
        unit_volume numeric(12, 3) NOT NULL,
        unit_mass numeric(12, 3) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_commodities_sku UNIQUE (sku),
        CONSTRAINT ck_commodities_unit_volume CHECK (unit_volume > 0),
        CONSTRAINT ck_commodities_unit_mass CHECK (unit_mass >= 0)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE commodities`);
    await q.query(`DROP TABLE stations`);
    await q.query(`DROP TABLE planets`);
    await q.query(`DROP FUNCTION uuid_generate_v7()`);
  }
}
