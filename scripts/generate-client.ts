/**
 * `npm run client:generate`: writes clients/typescript/modelgate-api.ts, the TypeScript types of the
 * OpenAPI document of the built server (`npm run build` first), with openapi-typescript. The server runs
 * on a free port with an in-memory embedded database and the committed models; a test checks that the
 * committed file is what this writes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateClientTypes } from './client-types';

async function main(): Promise<void> {
  const target = join(__dirname, '..', 'clients', 'typescript', 'modelgate-api.ts');
  writeFileSync(target, await generateClientTypes());
  process.stdout.write(`wrote ${target}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
