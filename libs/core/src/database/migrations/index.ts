import { CreateCatalog1764160000000 } from './1764160000000-CreateCatalog';
import { CreateAuth1764160100000 } from './1764160100000-CreateAuth';

/** Every migration in order; a new migration is appended here and never edited once merged. */
export const migrations = [CreateCatalog1764160000000, CreateAuth1764160100000];
