import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSourceOptions } from 'typeorm';
import { DatabaseConnection } from './database-connection';

@Module({
  providers: [DatabaseConnection],
  exports: [DatabaseConnection],
})
class DatabaseConnectionModule {}

/**
 * The TypeORM data source: `DATABASE_URL` when set, otherwise an embedded PGlite. Entities are
 * registered by each feature module with `TypeOrmModule.forFeature`.
 */
@Module({
  imports: [
    DatabaseConnectionModule,
    TypeOrmModule.forRootAsync({
      imports: [DatabaseConnectionModule],
      inject: [DatabaseConnection],
      useFactory: async (connection: DatabaseConnection) => ({
        ...(await connection.options()),
        autoLoadEntities: true,
      }),
      dataSourceFactory: (options?: DataSourceOptions) => DatabaseConnection.createDataSource(options!),
    }),
  ],
  exports: [DatabaseConnectionModule],
})
export class DatabaseModule {}
