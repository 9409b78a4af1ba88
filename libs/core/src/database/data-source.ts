import 'reflect-metadata';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { validateEnvironment } from '../config/environment';
import { typeOrmOptions } from './typeorm-options';

/**
 * The data source for the TypeORM CLI (migration:generate/run/revert), used on the
 * compiled output. Entities are found by file name so core imports no feature lib.
 */
export default new DataSource({
  ...typeOrmOptions(validateEnvironment(process.env)),
  entities: [join(__dirname, '..', '..', '..', '*', 'src', '**', '*.entity.js')],
});
