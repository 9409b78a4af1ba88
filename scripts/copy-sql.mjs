#!/usr/bin/env node
// Copies the versioned SQL files of the libs (libs/<lib>/src/sql/*.sql) to the same place under
// dist/, where the compiled migrations read them.
import { cpSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
let copied = 0;
for (const lib of readdirSync(join(root, 'libs'))) {
  const from = join(root, 'libs', lib, 'src', 'sql');
  if (!existsSync(from)) continue;
  for (const file of readdirSync(from).filter((f) => f.endsWith('.sql'))) {
    cpSync(join(from, file), join(root, 'dist', 'libs', lib, 'src', 'sql', file));
    copied++;
  }
}
console.log(`copy-sql: ${copied} file(s)`);
