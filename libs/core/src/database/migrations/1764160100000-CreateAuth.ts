import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAuth1764160100000 implements MigrationInterface {
  name = 'CreateAuth1764160100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT uuid_generate_v7(),
        email varchar(254) NOT NULL,
        password_hash text NOT NULL,
        role varchar(16) NOT NULL DEFAULT 'trader',
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_users_email UNIQUE (email),
        CONSTRAINT ck_users_role CHECK (role IN ('admin', 'trader')),
        CONSTRAINT ck_users_email_lower CHECK (email = lower(email))
      )`);

    await q.query(`
      CREATE TABLE station_members (
        station_id uuid NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, station_id)
      )`);
    await q.query(`CREATE INDEX ix_station_members_station_id ON station_members (station_id)`);

    // Opaque refresh tokens: only a SHA-256 of the secret part is stored. Tokens of one login
    // form a family; presenting a rotated token again revokes the whole family.
    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY,
        family_id uuid NOT NULL,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash char(64) NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_refresh_tokens_family_id ON refresh_tokens (family_id)`);
    await q.query(`CREATE INDEX ix_refresh_tokens_user_id ON refresh_tokens (user_id)`);
    await q.query(`CREATE INDEX ix_refresh_tokens_expires_at ON refresh_tokens (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE refresh_tokens`);
    await q.query(`DROP TABLE station_members`);
    await q.query(`DROP TABLE users`);
  }
}
