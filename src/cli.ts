import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { ApiKeysService } from './api-keys/api-keys.service';
import { AppModule } from './app.module';
import { ConfigValidationError } from './config/config.errors';
import { loadConfiguration } from './config/configuration';
import { loadEnvFile } from './config/env-file';
import { SigningKeysService } from './oauth/signing-keys.service';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  create-admin-key [--name <name>]   Create an API key with every scope and print it (once)
  rotate-signing-key                 Start signing tokens with a new key; the old one keeps verifying
`;

/** Operator commands against the configured database (DATABASE_URL, or the embedded one). */
async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { name: { type: 'string', default: 'admin (cli)' }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0];
  if (values.help || !command || !['create-admin-key', 'rotate-signing-key'].includes(command)) {
    process.stdout.write(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  loadEnvFile();
  const configuration = loadConfiguration({
    ...process.env,
    BOOTSTRAP_ADMIN_KEY: 'false',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(configuration), {
    logger: ['error', 'warn'],
  });
  try {
    if (command === 'create-admin-key') {
      const key = await app.get(ApiKeysService).createAdminKey(values.name, 'cli');
      process.stdout.write(`${key.key}\n`);
      process.stderr.write(`Created admin API key ${key.prefix} (id ${key.id}). It is not shown again.\n`);
    } else {
      const kid = await app.get(SigningKeysService).rotate();
      process.stderr.write(`New signing key ${kid}; the previous key stays published until its tokens expire.\n`);
    }
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigValidationError ? error.message : String(error)}\n`);
  process.exit(1);
});
