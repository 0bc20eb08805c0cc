import { Module, OnModuleInit } from '@nestjs/common';
import { registerErrorFormat } from '../common/errors/error-format';
import { DataPlaneModule } from '../data-plane/data-plane.module';
import { DocsService } from '../docs/docs.service';
import { ModelRegistryModule } from '../model-registry/model-registry.module';
import { contributeInferenceOperations } from './http/inference.docs';
import { GrpcServer } from './grpc/grpc-server';
import { InferenceRoutes } from './http/inference.routes';
import { contributeUsageLiveOperation } from './live/usage-live.docs';
import { UsageLiveRoutes } from './live/usage-live.routes';
import { ModelsController } from './v1/models.controller';
import { PredictService } from './v1/predict.service';
import { OIP_ERROR_FORMAT } from './v2/oip-error-format';
import { OipController } from './v2/oip.controller';
import { OipService } from './v2/oip.service';

/**
 * The protocol adapters over the data plane: the native `/v1` API (model metadata, predict), the Open
 * Inference Protocol on `/v2` (metadata, readiness, infer; JSON and binary tensors) and over gRPC
 * (GrpcServer, on GRPC_PORT). The REST inference routes are plain Fastify routes (InferenceRoutes,
 * registered by app.factory.ts); the rest are controllers.
 */
@Module({
  imports: [DataPlaneModule, ModelRegistryModule],
  controllers: [ModelsController, OipController],
  providers: [PredictService, OipService, InferenceRoutes, UsageLiveRoutes, GrpcServer],
})
export class ProtocolsModule implements OnModuleInit {
  constructor(private readonly docs: DocsService) {
    registerErrorFormat(OIP_ERROR_FORMAT);
  }

  onModuleInit(): void {
    this.docs.addContributor(contributeInferenceOperations);
    this.docs.addContributor(contributeUsageLiveOperation);
  }
}
