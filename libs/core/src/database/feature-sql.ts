import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The text of a versioned SQL file that a feature lib keeps beside its code
 * (`libs/<lib>/src/sql/<file>`; the build copies it to the same place under dist/). A migration
 * applies a given version; a change is a new version applied by a new migration, so what an
 * old migration does never changes (scripts/check-migrations.mjs holds both to their hashes).
 */
export function featureSql(lib: string, file: string): string {
  return readFileSync(join(__dirname, '..', '..', '..', lib, 'src', 'sql', file), 'utf8');
}
