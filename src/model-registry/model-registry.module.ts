import { Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { AuditModule } from '../audit/audit.module';
import { ChangeFeedModule } from '../change-feed/change-feed.module';
import { DocsService } from '../docs/docs.service';
import { HealthRegistry } from '../health/health-registry';
import { ModelAdminController } from './http/model-admin.controller';
import { ModelAdminService } from './model-admin.service';
import { ModelCatalogService } from './model-catalog.service';
import { ModelDocsContributor } from './http/model-docs';
import { ModelMetrics } from './runtime/model-metrics';
import { ModelRegistry } from './model-registry.service';
import { ModelRepository } from './store/model-store';
import { ModelResolver } from './model-resolver';
import { ModelLifecycleController } from './http/model-lifecycle.controller';
import { ModelLifecycleService } from './model-lifecycle.service';
import { ShadowReportService } from './shadow-report.service';
import { ShadowRunner } from './shadow/shadow-runner.service';
import { ShadowStatsEntity } from './shadow/shadow-stats.entity';
import { ShadowStatsRepository } from './shadow/shadow-stats.repository';

@Module({
  imports: [TerminusModule, ChangeFeedModule, AuditModule, TypeOrmModule.forFeature([ShadowStatsEntity])],
  controllers: [ModelAdminController, ModelLifecycleController],
  providers: [
    ModelMetrics,

    ModelRepository,
    ModelRegistry,
    ModelResolver,
    ModelCatalogService,
    ModelAdminService,
    ModelLifecycleService,
    ModelDocsContributor,
    ShadowRunner,
    ShadowStatsRepository,
    ShadowReportService,
  ],
  exports: [ModelRegistry, ModelResolver, ModelCatalogService, ShadowRunner],
})
export class ModelRegistryModule implements OnModuleInit {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly health: HealthRegistry,
    private readonly indicators: HealthIndicatorService,
    private readonly docs: DocsService,
    private readonly modelDocs: ModelDocsContributor,
  ) {}

  onModuleInit(): void {
    this.health.register('models', () => {
      const indicator = this.indicators.check('models');
      const versions = this.registry.list().flatMap((entry) => [...entry.versions.values()]);
      const details = {
        models: this.registry.list().length,
        ready: versions.filter((version) => version.state === 'READY').length,
        failed: versions.filter((version) => version.state === 'FAILED').length,
      };
      return Promise.resolve(
        this.registry.initialScanDone ? indicator.up(details) : indicator.down({ ...details, state: 'loading' }),
      );
    });
    this.docs.addContributor((document) => this.modelDocs.contribute(document));
    this.modelDocs.onExpiry = () => this.docs.invalidate();
    this.registry.onChange(() => this.docs.invalidate());
  }
}
