import type { OpenAPIObject } from '@nestjs/swagger';
import { USAGE_LIVE_PATH } from './usage-live.routes';

/** Documents the live usage WebSocket (a plain Fastify route, not a controller). */
export function contributeUsageLiveOperation(document: OpenAPIObject): void {
  document.paths[USAGE_LIVE_PATH] = {
    get: {
      operationId: 'watchUsageLive',
      tags: ['usage'],
      summary: 'Live traffic, a frame per second (WebSocket)',
      description:
        'A WebSocket (connect with `Upgrade: websocket`). Each second the server sends one text frame, ' +
        '`{"at": "<ISO time>", "models": [{"model", "version", "requests", "errors", "p95LatencyMs"}]}`, for one ' +
        'second of traffic across every instance and worker process; `at` is the start of that second, ' +
        'which is the latest one whose usage events are all written (USAGE_FLUSH_INTERVAL_MS plus a second ago). ' +
        'Errors are responses with a status of 400 or more; p95 is exact. A restricted admin sees only the models ' +
        'of its allow-list. Browsers authenticate with the console session cookie, from the platform’s origin.',
      security: [{ oauth2: ['usage:admin'] }, { apiKey: [] }],
      responses: {
        '101': { description: 'Switching protocols: the WebSocket is open.' },
        '426': { description: 'A plain GET: this route is a WebSocket.' },
      },
    },
  };
}
