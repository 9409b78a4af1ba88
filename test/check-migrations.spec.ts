import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', 'scripts', 'check-migrations.mjs');

/** A small repository with the check, one migration and one versioned SQL file of a lib. */
function repository() {
  const dir = mkdtempSync(join(tmpdir(), 'itn-migrations-'));
  mkdirSync(join(dir, 'scripts'));
  cpSync(SCRIPT, join(dir, 'scripts', 'check-migrations.mjs'));
  mkdirSync(join(dir, 'libs/core/src/database/migrations'), { recursive: true });
  mkdirSync(join(dir, 'libs/stock/src/sql'), { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, stdio: 'ignore' });
  const write = (file: string, text: string) => writeFileSync(join(dir, file), text);
  const check = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['scripts/check-migrations.mjs', ...args], { cwd: dir, encoding: 'utf8' });
    return { ok: r.status === 0, output: r.stdout + r.stderr };
  };
  git('init', '-q');
  write('libs/core/src/database/migrations/1700000000000-First.ts', 'export class First {}\n');
  write('libs/stock/src/sql/reserve.v1.sql', 'SELECT 1;\n');
  return { dir, git, write, check, read: (file: string) => readFileSync(join(dir, file), 'utf8') };
}

describe('check-migrations', () => {
  let repo: ReturnType<typeof repository>;
  beforeEach(() => {
    repo = repository();
    expect(repo.check('--freeze').ok).toBe(true);
    repo.git('add', '-A');
    repo.git('commit', '-qm', 'first');
  });
  afterEach(() => rmSync(repo.dir, { recursive: true, force: true }));

  it('passes while nothing recorded changed', () => {
    expect(repo.check()).toEqual({ ok: true, output: expect.stringContaining('2 frozen files unchanged') });
  });

  it('fails when a recorded migration or SQL file is edited, or removed', () => {
    repo.write('libs/core/src/database/migrations/1700000000000-First.ts', 'export class First { x = 1 }\n');
    expect(repo.check()).toEqual({ ok: false, output: expect.stringContaining('1700000000000-First.ts was edited') });
    repo.write('libs/core/src/database/migrations/1700000000000-First.ts', 'export class First {}\n');
    rmSync(join(repo.dir, 'libs/stock/src/sql/reserve.v1.sql'));
    expect(repo.check()).toEqual({ ok: false, output: expect.stringContaining('reserve.v1.sql is recorded') });
  });

  it('fails on a new file until it is recorded, and recording never rewrites an entry', () => {
    repo.write('libs/stock/src/sql/reserve.v2.sql', 'SELECT 2;\n');
    expect(repo.check()).toEqual({ ok: false, output: expect.stringContaining('reserve.v2.sql is not in') });
    repo.write('libs/stock/src/sql/reserve.v1.sql', 'SELECT 3;\n');
    expect(repo.check('--freeze').ok).toBe(false);
    repo.write('libs/stock/src/sql/reserve.v1.sql', 'SELECT 1;\n');
    expect(repo.check('--freeze').ok).toBe(true);
  });

  it('fails when an edit is hidden by rewriting its entry in the lock', () => {
    const file = 'libs/core/src/database/migrations/1700000000000-First.ts';
    repo.write(file, 'export class First { sneaky = true }\n');
    const lock = JSON.parse(repo.read('migrations.lock.json')) as Record<string, string>;
    rmSync(join(repo.dir, 'migrations.lock.json'));
    delete lock[file];
    repo.write('migrations.lock.json', JSON.stringify(lock));
    expect(repo.check('--freeze').ok).toBe(false);
    expect(repo.check().output).toContain(`the entry for ${file} differs from the one committed`);
  });
});
