import { MigrationInterface } from 'typeorm';
import { Identity1795580429354 } from './1795580429354-Identity';
import { Usage1795582000000 } from './1795582000000-Usage';
import { UsageProtocol1796400000000 } from './1796400000000-UsageProtocol';
import { Audit1797000000000 } from './1797000000000-Audit';
import { Sessions1797100000000 } from './1797100000000-Sessions';
import { ShadowStats1797200000000 } from './1797200000000-ShadowStats';

/**
 * Every migration, in order. `npm run migration:generate -- migrations/<Name>` writes a new file;
 * add its class here (a test fails when a file in this folder is missing from the list).
 */
export const migrations: (new () => MigrationInterface)[] = [
  Identity1795580429354,
  Usage1795582000000,
  UsageProtocol1796400000000,
  Audit1797000000000,
  Sessions1797100000000,
  ShadowStats1797200000000,
];
