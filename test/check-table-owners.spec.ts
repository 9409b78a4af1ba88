import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const SCRIPT = join(__dirname, '..', 'scripts', 'check-table-owners.mjs');

describe('check-table-owners', () => {
  let dir: string;
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  };
  const check = () => {
    const r = spawnSync(process.execPath, ['scripts/check-table-owners.mjs'], { cwd: dir, encoding: 'utf8' });
    return { ok: r.status === 0, output: r.stdout + r.stderr };
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'itn-owners-'));
    mkdirSync(join(dir, 'scripts'));
    cpSync(SCRIPT, join(dir, 'scripts', 'check-table-owners.mjs'));
    write('libs/catalog/src/entities/planet.entity.ts', 'export class Planet {}\n');
    write('libs/inventory/src/stock.ts', 'const q = `UPDATE stock_levels l SET on_hand = 1`; // update the levels\n');
    write(
      'libs/inventory/src/sql/stock.v1.sql',
      'UPDATE stations SET committed_volume = 0;\nINSERT INTO events (a) VALUES (1);\n',
    );
    write('libs/catalog/src/catalog.service.ts', '@InjectRepository(Planet) planets;\n');
    write('apps/api/src/db/migrations/1-Any.ts', 'DELETE FROM users;\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('passes when every lib writes only its own tables, its columns, and appends to the outbox', () => {
    expect(check()).toEqual({ ok: true, output: expect.stringContaining('every table written only by its owner') });
  });

  it.each([
    ['libs/cargo/src/x.ts', '`UPDATE stock_levels SET reserved = 0`', 'cargo writes stock_levels, owned by inventory'],
    ['libs/events/src/x.ts', '`DELETE FROM refresh_tokens WHERE true`', 'events writes refresh_tokens, owned by auth'],
    [
      'libs/cargo/src/sql/x.sql',
      'UPDATE stations SET storage_capacity = 1;',
      'cargo writes stations, owned by catalog',
    ],
    ['libs/inventory/src/x.ts', "`UPDATE stations SET name = 'x'`", 'inventory writes stations, owned by catalog'],
    ['libs/cargo/src/x.ts', '`DELETE FROM events`', 'cargo writes events, owned by events'],
    ['apps/api/src/seed.ts', '`INSERT INTO stock_ledger (a) VALUES (1)`', 'app:api writes stock_ledger'],
    ['apps/api/src/seed.ts', 'tx.getRepository(Planet).save({})', 'app:api uses the repository of Planet'],
    ['libs/cargo/src/x.ts', '`INSERT INTO mystery (a) VALUES (1)`', 'mystery: a table with no owner'],
  ])('fails when %s writes outside its own: %s', (file, text, message) => {
    write(file, `${text}\n`);
    expect(check()).toEqual({ ok: false, output: expect.stringContaining(message) });
  });
});
