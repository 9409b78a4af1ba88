#!/usr/bin/env node
// Each table has one owning lib, and only it writes the table (npm run lint). Scans the code and
// SQL of every lib and app for statements that write a table (INSERT INTO, UPDATE, DELETE FROM,
// TRUNCATE, MERGE INTO) and for TypeORM repositories of entities, and fails when the writer is
// not the owner. Migrations create and backfill everything and are exempt; so are tests.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');

/** table -> the lib that alone writes it. */
export const OWNERS = {
  planets: 'catalog',
  stations: 'catalog',
  commodities: 'catalog',
  users: 'auth',
  station_members: 'auth',
  refresh_tokens: 'auth',
  stock_levels: 'inventory',
  stock_ledger: 'inventory',
  shipments: 'cargo',
  shipment_items: 'cargo',
  relay_cursors: 'cargo',
  trades: 'trades',
  trade_lines: 'trades',
  idempotency_keys: 'core',
  events: 'events',
};
/** Columns owned by another lib than their table's. */
const COLUMN_OWNERS = { 'stations.committed_volume': 'inventory' };
/**
 * The event log is the outbox: every feature appends its events in its own transaction (through
 * EventLogWriter, or in its SQL functions). Only the events lib changes or deletes them.
 */
const APPEND_ONLY_FOR_ALL = new Set(['events']);

const SQL_KEYWORDS = new Set(['set', 'only', 'of', 'as']);
// SQL is written in upper case here, which keeps English prose ("update") out of the match.
const WRITE =
  /\b(INSERT INTO|UPDATE|DELETE FROM|TRUNCATE(?: TABLE)?|MERGE INTO)\s+(?:ONLY\s+)?"?([a-z_][a-z0-9_]*)"?(?:\s+(?!SET\b)(?:AS\s+)?[a-z_][a-z0-9_]*)?\s*(SET\s+([a-z_][a-z0-9_]*))?/g;
const REPOSITORY = /\b(?:InjectRepository|getRepository)\(\s*([A-Z][A-Za-z0-9_]*)\s*\)/g;

function files(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!['node_modules', 'dist', 'migrations', 'public'].includes(entry.name)) files(path, out);
    } else if (/\.(ts|sql)$/.test(entry.name) && !/\.(e2e-)?spec\.ts$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** Which lib (or app) a file belongs to: libs/<lib>/... or apps/<app>/... */
const ownerOf = (file) => {
  const [kind, name] = relative(root, file).split('/');
  return kind === 'libs' ? name : `app:${name}`;
};

/** Entity class name -> the lib whose entities/ folder defines it. */
function entityOwners() {
  const owners = {};
  for (const file of files(join(root, 'libs'))) {
    if (!file.includes('/entities/')) continue;
    for (const [, name] of readFileSync(file, 'utf8').matchAll(/export class ([A-Z][A-Za-z0-9_]*)/g)) {
      owners[name] = ownerOf(file);
    }
  }
  return owners;
}

const problems = [];
const entities = entityOwners();
for (const file of [...files(join(root, 'libs')), ...files(join(root, 'apps'))]) {
  const writer = ownerOf(file);
  const text = readFileSync(file, 'utf8');
  const where = (index) => `${relative(root, file)}:${text.slice(0, index).split('\n').length}`;
  for (const m of text.matchAll(WRITE)) {
    const [, verb, rawTable, , column] = m;
    const table = rawTable.toLowerCase();
    if (SQL_KEYWORDS.has(table)) continue; // ON CONFLICT ... DO UPDATE SET: the INSERT's own table
    if (!(table in OWNERS)) {
      problems.push(`${where(m.index)}: ${verb} ${table}: a table with no owner (add it to OWNERS)`);
      continue;
    }
    const columnOwner = column && COLUMN_OWNERS[`${table}.${column.toLowerCase()}`];
    const owner = columnOwner ?? OWNERS[table];
    const appending = /^INSERT/i.test(verb) && APPEND_ONLY_FOR_ALL.has(table) && !writer.startsWith('app:');
    if (writer !== owner && !appending) {
      problems.push(
        `${where(m.index)}: ${writer} writes ${table}${columnOwner ? `.${column}` : ''}, owned by ${owner}`,
      );
    }
  }
  for (const m of text.matchAll(REPOSITORY)) {
    const owner = entities[m[1]];
    if (owner && owner !== writer)
      problems.push(`${where(m.index)}: ${writer} uses the repository of ${m[1]}, owned by ${owner}`);
  }
}

if (problems.length > 0) {
  console.error(`check-table-owners: ${problems.length} write(s) outside their owner\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(`check-table-owners: every table written only by its owner (${Object.keys(OWNERS).length} tables)`);
