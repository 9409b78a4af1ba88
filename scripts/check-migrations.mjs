#!/usr/bin/env node
// Merged migrations (and the versioned SQL files they apply) are never edited: the next
// migration replaces what an earlier one did. This check holds every such file to the hash
// recorded for it in migrations.lock.json, and holds the lock itself to every version of it
// that git has: an entry, once committed, is never changed or removed.
//
//   node scripts/check-migrations.mjs           check (part of `npm run lint`)
//   node scripts/check-migrations.mjs --freeze  record the files that have no entry yet
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const LOCK = 'migrations.lock.json';

/** Every frozen file: the migrations, and the SQL files under a `sql/` folder of a lib. */
function frozenFiles() {
  const files = [];
  const migrations = join(root, 'libs/core/src/database/migrations');
  for (const name of readdirSync(migrations)) {
    if (/^\d{13}-[A-Za-z0-9]+\.ts$/.test(name)) files.push(join(migrations, name));
  }
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.sql') && dir.split('/').includes('sql')) files.push(path);
    }
  };
  visit(join(root, 'libs'));
  return files.map((f) => relative(root, f)).sort();
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const readLock = () => (existsSync(join(root, LOCK)) ? JSON.parse(readFileSync(join(root, LOCK), 'utf8')) : {});

function git(args) {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** The lock as every commit that changed it left it, oldest first; none outside a git checkout. */
function lockHistory() {
  let commits;
  try {
    commits = git(['log', '--format=%H', '--reverse', '--', LOCK]).split('\n').filter(Boolean);
  } catch {
    console.warn(`check-migrations: no git history here; only the files are checked against ${LOCK}`);
    return [];
  }
  return commits.map((commit) => ({ commit, lock: JSON.parse(git(['show', `${commit}:${LOCK}`])) }));
}

const lock = readLock();
const problems = [];
const files = frozenFiles();

if (process.argv.includes('--freeze')) {
  let added = 0;
  for (const file of files) {
    if (lock[file] === undefined) {
      lock[file] = sha256(readFileSync(join(root, file)));
      added++;
    }
  }
  const sorted = Object.fromEntries(Object.entries(lock).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(join(root, LOCK), `${JSON.stringify(sorted, null, 2)}\n`);
  console.log(`check-migrations: ${added} file(s) recorded in ${LOCK}`);
}

for (const file of files) {
  const hash = sha256(readFileSync(join(root, file)));
  if (lock[file] === undefined) {
    problems.push(`${file} is not in ${LOCK}: record it with \`node scripts/check-migrations.mjs --freeze\``);
  } else if (lock[file] !== hash) {
    problems.push(`${file} was edited after it was recorded: add a new migration instead`);
  }
}
for (const file of Object.keys(lock)) {
  if (!files.includes(file)) problems.push(`${file} is recorded in ${LOCK} but is gone: migrations are never removed`);
}
for (const { commit, lock: earlier } of lockHistory()) {
  for (const [file, hash] of Object.entries(earlier)) {
    if (lock[file] !== hash) {
      problems.push(`${LOCK}: the entry for ${file} differs from the one committed in ${commit.slice(0, 10)}`);
    }
  }
}

if (problems.length > 0) {
  console.error(`check-migrations: ${problems.length} problem(s)\n- ${[...new Set(problems)].join('\n- ')}`);
  process.exit(1);
}
console.log(`check-migrations: ${files.length} frozen files unchanged`);
