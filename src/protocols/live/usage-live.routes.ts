import websocket from '@fastify/websocket';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../../common/errors/domain.error';
import { CommonErrorCode } from '../../common/errors/error-codes';
import { Configuration } from '../../config/configuration';
import { DataPlane } from '../../data-plane/data-plane.service';
import { modelAllowed } from '../../identity/model-access';
import { Scope } from '../../identity/scopes';
import { UsageLiveService } from '../../usage/usage-live.service';

export const USAGE_LIVE_PATH = '/v1/admin/usage/live';

/**
 * `GET /v1/admin/usage/live` (scope `usage:admin`): a WebSocket that sends, each second,
 * `{"at","models":[{"model","version","requests","errors","p95LatencyMs"}]}` for one second of traffic
 * across every instance (UsageLiveService). The upgrade request is authenticated like any other call
 * (API key, Bearer token, or the console's session cookie); 401/403 are ordinary problem responses
 * before any upgrade, and a plain GET gets 426. A restricted admin sees only its allow-list's models.
 * A cookie-authenticated upgrade must come from the platform's own origin (cross-site WebSocket
 * hijacking). Messages from the client are ignored.
 */
@Injectable()
export class UsageLiveRoutes {
  constructor(
    private readonly plane: DataPlane,
    private readonly live: UsageLiveService,
    private readonly config: ConfigService<Configuration, true>,
  ) {}

  register(fastify: FastifyInstance): void {
    const publicOrigin = new URL(this.config.get('app', { infer: true }).publicUrl).origin;
    void fastify.register(websocket, { options: { maxPayload: 4096 } });
    void fastify.register((scope, _options, done) => {
      scope.route({
        method: 'GET',
        url: USAGE_LIVE_PATH,
        preValidation: async (request: FastifyRequest) => {
          request.principal = await this.plane.authenticate(request.headers);
          this.plane.authorize(request.principal, [Scope.UsageAdmin]);
          const byCookie =
            request.headers.cookie !== undefined && !request.headers.authorization && !request.headers['x-api-key'];
          const origin = request.headers.origin;
          if (byCookie && origin !== undefined && origin !== publicOrigin) {
            throw new DomainError(
              CommonErrorCode.Forbidden,
              `WebSocket connections from ${origin.slice(0, 100)} are not allowed.`,
            );
          }
        },
        handler: () => {
          throw new DomainError(
            CommonErrorCode.UpgradeRequired,
            'This is a WebSocket: connect with Upgrade: websocket.',
          );
        },
        wsHandler: (socket, request) => {
          const allowList = request.principal!.models;
          const unsubscribe = this.live.subscribe(
            (model) => modelAllowed(allowList, model),
            (frame) => {
              if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
            },
          );
          socket.on('close', unsubscribe);
          socket.on('error', unsubscribe);
        },
      });
      done();
    });
  }
}
