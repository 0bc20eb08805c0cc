/** Import rules `npm run check` enforces (dependency-cruiser). docs/ARCHITECTURE.md explains the layers. */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No file imports itself back, however far round.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      severity: 'error',
      comment: 'No folder (module) imports another that imports it back.',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'common-imports-no-feature',
      severity: 'error',
      comment: 'src/common holds what every module shares; it imports no feature module.',
      from: { path: '^src/common/' },
      to: { path: '^src/', pathNot: '^src/common/' },
    },
    {
      name: 'identity-is-shared',
      severity: 'error',
      comment:
        'src/identity (principal, scopes, grants, model access, limits) is what auth, api-keys, oauth and sessions share.',
      from: { path: '^src/identity/' },
      to: { path: '^src/(auth|api-keys|oauth|sessions|sso)/' },
    },
    {
      name: 'data-plane-is-transport-free',
      severity: 'error',
      comment: 'The data plane knows no protocol: the adapters in src/protocols call it, never the reverse.',
      from: { path: '^src/(data-plane|model-registry|usage|rate-limit|auth|identity)/' },
      to: { path: '^src/protocols/' },
    },
    {
      name: 'core-without-fastify',
      severity: 'error',
      comment:
        'The data plane and what it runs on (identity, limits, the model runtime and store, the usage pipeline) take plain values, never HTTP objects: any protocol can call them.',
      from: {
        path: '^src/(data-plane|identity|rate-limit|usage|model-registry/(runtime|store))/',
        pathNot: '(controller|guard|decorators)\\.ts$',
      },
      to: { path: '^node_modules/fastify/' },
    },
    {
      name: 'protocols-only-from-the-composition-root',
      severity: 'error',
      comment: 'Only the application (app.module.ts, app.factory.ts) mounts protocol adapters.',
      from: { path: '^src/', pathNot: '^src/(protocols/|app\\.)' },
      to: { path: '^src/protocols/' },
    },
    {
      name: 'model-runtime-and-store-below-http',
      severity: 'error',
      comment: 'The model runtime (sessions, batching) and store (files) know nothing of the admin HTTP API.',
      from: { path: '^src/model-registry/(runtime|store)/' },
      to: { path: '^src/model-registry/http/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.spec\\.ts$' },
  },
};
