import { Module } from '@nestjs/common';
import { ModelRegistryModule } from '../model-registry/model-registry.module';
import { InferenceService } from './inference.service';
import { ModelsController } from './models.controller';
import { OipController } from './oip.controller';
import { OipService } from './oip.service';
import { PredictController } from './predict.controller';
import { PredictService } from './predict.service';

@Module({
  imports: [ModelRegistryModule],
  controllers: [ModelsController, PredictController, OipController],
  providers: [InferenceService, PredictService, OipService],
})
export class InferenceModule {}
