import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChangeEventEntity } from './change-event.entity';
import { ChangeFeedService } from './change-feed.service';

@Module({
  imports: [TypeOrmModule.forFeature([ChangeEventEntity])],
  providers: [ChangeFeedService],
  exports: [ChangeFeedService],
})
export class ChangeFeedModule {}
