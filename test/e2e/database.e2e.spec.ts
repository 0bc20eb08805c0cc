import { getDataSourceToken } from '@nestjs/typeorm';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations';
import { startTestApp, TestApp } from '../support/test-app';

describe('Database schema', () => {
  let server: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    server = await startTestApp();
    dataSource = server.app.get<DataSource>(getDataSourceToken());
  });

  afterAll(async () => {
    await server.close();
  });

  it('should list every migration file in migrations/index.ts', () => {
    const files = readdirSync(join(__dirname, '..', '..', 'migrations')).filter(
      (file) => /^\d+-.+\.ts$/.test(file) && file !== 'index.ts',
    );
    const listed = migrations.map((migration) => migration.name);
    for (const file of files) {
      const timestamp = file.split('-', 1)[0];
      expect(
        listed.some((name) => name.endsWith(timestamp)),
        `${file} is not listed in migrations/index.ts`,
      ).toBe(true);
    }
    expect(listed).toHaveLength(files.length);
  });

  it('should have applied every migration', async () => {
    expect(await dataSource.showMigrations()).toBe(false);
  });

  it('should match the entities exactly (no drift between entities and migrations)', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });
});
