import createClient, { Client, Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './modelgate-api';

export type { components, operations, paths };

export interface ModelgateClientOptions {
  /** The platform's base URL, e.g. `https://models.example.com`. */
  baseUrl: string;
  /** An API key (`X-API-Key`), or an OAuth access token (`Authorization: Bearer`): one of them. */
  apiKey?: string;
  accessToken?: string;
  /** A fetch of your own (a proxy agent, retries); default: the global fetch. */
  fetch?: typeof fetch;
}

/**
 * A typed client of the Modelgate HTTP API, generated from its OpenAPI document (openapi-typescript
 * types, openapi-fetch requests): paths, parameters, bodies and every documented response are checked
 * by the compiler. `npm run client:generate` regenerates the types from the built server.
 *
 * ```ts
 * const modelgate = createModelgateClient({ baseUrl: 'http://localhost:3000', apiKey: process.env.MODELGATE_API_KEY });
 * const { data, error } = await modelgate.POST('/v1/models/{name}/predict', {
 *   params: { path: { name: 'iris' } },
 *   body: { instances: [[5.1, 3.5, 1.4, 0.2]] },
 * });
 * ```
 */
export function createModelgateClient(options: ModelgateClientOptions): Client<paths> {
  if (Boolean(options.apiKey) === Boolean(options.accessToken)) {
    throw new Error('Give exactly one of apiKey or accessToken');
  }
  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch: options.fetch });
  const credentials: Middleware = {
    onRequest({ request }) {
      if (options.apiKey) request.headers.set('X-API-Key', options.apiKey);
      else request.headers.set('Authorization', `Bearer ${options.accessToken}`);
      return request;
    },
  };
  client.use(credentials);
  return client;
}
