import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SessionsModule } from '../sessions/sessions.module';
import { LoginStateEntity } from './login-state.entity';
import { LoginStatesRepository } from './login-states.repository';
import { SsoController } from './sso.controller';
import { SsoLoginService } from './sso-login.service';
import { SsoProvider } from './sso-provider';

@Module({
  imports: [TypeOrmModule.forFeature([LoginStateEntity]), SessionsModule],
  controllers: [SsoController],
  providers: [SsoProvider, LoginStatesRepository, SsoLoginService],
})
export class SsoModule {}
