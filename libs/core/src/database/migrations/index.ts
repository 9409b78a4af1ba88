import { CreateCatalog1764160000000 } from './1764160000000-CreateCatalog';
import { CreateAuth1764160100000 } from './1764160100000-CreateAuth';
import { CreateInventoryAndEvents1764160200000 } from './1764160200000-CreateInventoryAndEvents';
import { CreateShipments1764160300000 } from './1764160300000-CreateShipments';
import { CreateTrades1764160400000 } from './1764160400000-CreateTrades';
import { CreateShipmentFunction1764160500000 } from './1764160500000-CreateShipmentFunction';
import { NotifyAfterCommit1764160600000 } from './1764160600000-NotifyAfterCommit';
import { AccessChangeEvents1764160700000 } from './1764160700000-AccessChangeEvents';
import { FeatureSqlOwners1764160800000 } from './1764160800000-FeatureSqlOwners';
import { AccessChangedTimestamps1764160900000 } from './1764160900000-AccessChangedTimestamps';

/** Every migration in order; a new migration is appended here and never edited once merged. */
export const migrations = [
  CreateCatalog1764160000000,
  CreateAuth1764160100000,
  CreateInventoryAndEvents1764160200000,
  CreateShipments1764160300000,
  CreateTrades1764160400000,
  CreateShipmentFunction1764160500000,
  NotifyAfterCommit1764160600000,
  AccessChangeEvents1764160700000,
  FeatureSqlOwners1764160800000,
  AccessChangedTimestamps1764160900000,
];
