import { MigrationInterface } from 'typeorm';

/**
 * Every migration, in order. `npm run migration:generate -- migrations/<Name>` writes a new file;
 * add its class here (a test fails when a file in this folder is missing from the list).
 */
export const migrations: (new () => MigrationInterface)[] = [];
