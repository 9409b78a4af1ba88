import { MigrationInterface, QueryRunner } from 'typeorm';
import { featureSql } from '../feature-sql';

/** access.changed writes its `at` as every other payload does (toISOString's form), from auth's own SQL file. */
export class AccessChangedTimestamps1764160900000 implements MigrationInterface {
  name = 'AccessChangedTimestamps1764160900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(featureSql('auth', 'access-changed.v2.sql'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(featureSql('auth', 'access-changed.v1.sql'));
  }
}
