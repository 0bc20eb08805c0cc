import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { actorOf, SYSTEM_ACTOR, withAuditContext } from './audit-context';

/**
 * Sets the audit context (who, request id, IP, user agent) of every controller call, so the audit
 * events a service records carry them without being passed along. Runs after the guard: the
 * principal is known.
 */
@Injectable()
export class AuditContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const userAgent = request.headers['user-agent'];
    const audit = {
      actor: request.principal ? actorOf(request.principal) : SYSTEM_ACTOR,
      requestId: String(request.id),
      ip: request.ip,
      userAgent: typeof userAgent === 'string' ? userAgent : undefined,
    };
    // The handler runs when the observable is subscribed to: subscribe inside the context, which lasts
    // until the call completes, fails or is unsubscribed from.
    return new Observable((subscriber) => {
      void withAuditContext(
        audit,
        () =>
          new Promise<void>((finished) => {
            subscriber.add(finished);
            subscriber.add(next.handle().subscribe(subscriber));
          }),
      );
    });
  }
}
