import { INestApplication, Type } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppConfig } from '../config/app.config';
import { DocsService } from './docs.service';

export const DOCS_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'docs/openapi.json';

const DESCRIPTION = `Modelgate serves ONNX models as versioned, governed HTTP APIs.

Authenticate with an OAuth 2.0 access token (client credentials, \`POST /oauth/token\`) or an API key
in the \`X-API-Key\` header. Errors on \`/v1\` are RFC 9457 problem details; \`/v2\` is the Open
Inference Protocol (KServe V2) REST API.`;

/** Swagger UI at `/docs` and the document at `/docs/openapi.json`, both open. */
export function setupDocs(app: INestApplication, config: AppConfig, version: string, extraModels: Type[] = []): void {
  const builder = new DocumentBuilder()
    .setTitle('Modelgate')
    .setDescription(DESCRIPTION)
    .setVersion(version)
    .addServer(config.publicUrl)
    .addOAuth2(
      {
        type: 'oauth2',
        description:
          'OAuth 2.0 client credentials; the token endpoint accepts client_secret_basic and client_secret_post.',
        flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: SCOPE_DESCRIPTIONS } },
      },
      'oauth2',
    )
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key issued by an admin.' },
      'apiKey',
    );
  const docs = app.get(DocsService);
  // extraModels: schemas of routes documented by contributors rather than by controllers.
  // Operation ids are the handlers' names (`createApiKey`, `listModels`): what generated clients call.
  docs.setBaseDocument(
    SwaggerModule.createDocument(app, builder.build(), {
      extraModels,
      operationIdFactory: (_controller: string, method: string) => method,
    }),
  );
  SwaggerModule.setup(DOCS_PATH, app, () => docs.document(), {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    yamlDocumentUrl: 'docs/openapi.yaml',
    customSiteTitle: 'Modelgate API',
    swaggerOptions: { persistAuthorization: true, displayRequestDuration: true },
    patchDocumentOnRequest: () => docs.document(),
  });
}

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  'models:read': 'List models and read their metadata',
  'models:infer': 'Run inference',
  'usage:read': "Read one's own usage",
  'keys:manage': 'Issue, rotate and revoke API keys',
  'clients:manage': 'Manage OAuth clients',
  'models:manage': 'Upload, load, unload and delete model versions; set aliases',
  'usage:admin': "Read everyone's usage",
  'audit:read': 'Read the audit log',
};
