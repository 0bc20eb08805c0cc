import { Module, OnModuleInit } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { DocsService } from '../docs/docs.service';
import { ModelRegistryModule } from '../model-registry/model-registry.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { contributeInferenceOperations } from './inference.docs';
import { InferenceRoutes } from './inference.routes';
import { InferenceService } from './inference.service';
import { ModelsController } from './models.controller';
import { OipController } from './oip.controller';
import { OipService } from './oip.service';
import { PredictService } from './predict.service';

/** Model metadata (controllers) and inference (Fastify routes registered by app.factory.ts). */
@Module({
  imports: [ModelRegistryModule, AuthModule, RateLimitModule],
  controllers: [ModelsController, OipController],
  providers: [InferenceService, PredictService, OipService, InferenceRoutes],
})
export class InferenceModule implements OnModuleInit {
  constructor(private readonly docs: DocsService) {}

  onModuleInit(): void {
    this.docs.addContributor(contributeInferenceOperations);
  }
}
