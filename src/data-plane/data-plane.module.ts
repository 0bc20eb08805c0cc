import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ModelRegistryModule } from '../model-registry/model-registry.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { DataPlane } from './data-plane.service';

/** The transport-free inference core every protocol adapter calls (see DataPlane). */
@Module({
  imports: [AuthModule, RateLimitModule, ModelRegistryModule],
  providers: [DataPlane],
  exports: [DataPlane],
})
export class DataPlaneModule {}
