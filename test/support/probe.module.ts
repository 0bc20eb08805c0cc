import { Body, Controller, Get, Module, OnModuleInit, Post } from '@nestjs/common';
import { IsInt, IsString, Min } from 'class-validator';
import { Public, Scopes } from '../../src/identity/access.decorators';
import { Scope } from '../../src/identity/scopes';
import { ShutdownService } from '../../src/lifecycle/shutdown.service';

export class ProbeBody {
  @IsString()
  name: string;

  @IsInt()
  @Min(1)
  count: number;
}

/** Test-only routes exercising the platform's plumbing (errors, limits, auth, shutdown). */
@Controller({ path: 'probe', version: '1' })
class ProbeController {
  @Public()
  @Post('echo')
  echo(@Body() body: ProbeBody): ProbeBody {
    return body;
  }

  @Public()
  @Get('slow')
  async slow(): Promise<{ done: true }> {
    await new Promise((resolve) => setTimeout(resolve, 400));
    ProbeEvents.log.push('slow-request-finished');
    return { done: true };
  }

  @Public()
  @Get('crash')
  crash(): never {
    throw new Error('SELECT password FROM secrets WHERE path = /etc/modelgate/secret.key');
  }

  @Scopes(Scope.ModelsRead)
  @Get('protected')
  protectedRoute(): { ok: true } {
    return { ok: true };
  }
}

/** What happened, in order, for assertions on shutdown sequencing. */
export class ProbeEvents {
  static log: string[] = [];
}

@Module({ controllers: [ProbeController] })
export class ProbeModule implements OnModuleInit {
  constructor(private readonly shutdown: ShutdownService) {}

  onModuleInit(): void {
    this.shutdown.registerFlushHook('probe', async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      ProbeEvents.log.push('flush-hook-ran');
    });
  }
}
