import { Global, Module } from '@nestjs/common';
import { DocsService } from './docs.service';

@Global()
@Module({
  providers: [DocsService],
  exports: [DocsService],
})
export class DocsModule {}
