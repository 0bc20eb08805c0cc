import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource, DataSourceOptions } from 'typeorm';
import { Configuration } from '../config/configuration';
import { dataSourceOptions } from './data-source.options';
import { EmbeddedDatabase } from './embedded-database';
import { runMigrations } from './migrate';

const CONNECTION = Symbol('modelgate.databaseConnection');
type OptionsWithConnection = DataSourceOptions & { [CONNECTION]?: DatabaseConnection };

/**
 * Where the data source connects: `DATABASE_URL`, or an embedded PGlite started here. Owns the
 * embedded server's lifetime, so that it stops only after TypeORM has closed its pool.
 */
@Injectable()
export class DatabaseConnection implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseConnection.name);
  private embedded?: EmbeddedDatabase;

  constructor(private readonly config: ConfigService<Configuration, true>) {}

  get isEmbedded(): boolean {
    return this.embedded !== undefined;
  }

  /** Starts the embedded database when no URL is configured and returns the data source options. */
  async options(): Promise<DataSourceOptions> {
    const database = this.config.get('database', { infer: true });
    let url = database.url;
    if (!url) {
      this.embedded = await EmbeddedDatabase.start(database.embeddedDataDir);
      url = this.embedded.url;
      this.logger.log(`Embedded PostgreSQL (PGlite) serving ${database.embeddedDataDir} on ${new URL(url).host}`);
    }
    const options: OptionsWithConnection = { ...dataSourceOptions(database, url, this.isEmbedded), [CONNECTION]: this };
    return options;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.embedded?.stop();
    this.embedded = undefined;
  }

  /** TypeORM `dataSourceFactory`: initialises the data source and runs migrations when configured to. */
  static async createDataSource(options: DataSourceOptions): Promise<DataSource> {
    const connection = (options as OptionsWithConnection)[CONNECTION];
    const dataSource = new DataSource(options);
    await dataSource.initialize();
    if (connection?.config.get('database', { infer: true }).migrationsRun) {
      await runMigrations(dataSource);
    }
    return dataSource;
  }
}
