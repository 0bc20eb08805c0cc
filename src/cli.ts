import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { AppModule } from './app.module';
import { CliUsageError } from './cli/cli-input';
import { CommandName, COMMANDS, prepareCommand } from './cli/commands';
import { DomainError } from './common/errors/domain.error';
import { ConfigValidationError } from './config/config.errors';
import { loadConfiguration } from './config/configuration';
import { loadEnvFile } from './config/env-file';

const USAGE = `Usage: npm run cli -- <command> [options]     (add --json for machine-readable output)

Operator commands, against the configured database (DATABASE_URL, or the embedded one). Every change is
in the audit log, by the operating-system user running the command.

  create-admin-key [--name <name>]        An API key with every scope; printed once
  rotate-signing-key                      Sign tokens with a new key; the old one keeps verifying

  keys create --name <n> --scopes <s,...> [--models <glob,...>] [--rate-limit <per minute>]
              [--quota <per month>] [--expires-at <ISO time>]      Prints the key, once
  keys list
  keys rotate <id> [--grace-seconds <s>]  Prints the new key; the old one works for the grace period
  keys revoke <id>

  clients create --name <n> --scopes <s,...> [--models ...] [--rate-limit ...] [--quota ...]
                 [--token-ttl <s>]        Prints "<client id> <secret>", once
  clients list
  clients rotate <client id> [--grace-seconds <s>]
  clients revoke <client id>              Deletes the client; its tokens stop working

  usage report [--from <ISO>] [--to <ISO>] [--granularity hour|day]
               [--group-by principal,model,version,status,protocol]
  audit export [--from <ISO>] [--to <ISO>] [--action <a.b | a.*>] [--actor <id>] [--target <id>]
               [--format csv|json]        CSV by default (json with --json)
`;

const STRING_OPTIONS = [
  'name',
  'scopes',
  'models',
  'rate-limit',
  'quota',
  'expires-at',
  'token-ttl',
  'grace-seconds',
  'from',
  'to',
  'granularity',
  'group-by',
  'action',
  'actor',
  'target',
  'format',
] as const;

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const { positionals, values } = parsed;
  const two = positionals.slice(0, 2).join(' ');
  const command = (COMMANDS as readonly string[]).includes(two)
    ? (two as CommandName)
    : (COMMANDS as readonly string[]).includes(positionals[0] ?? '')
      ? (positionals[0] as CommandName)
      : undefined;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const args = positionals.slice(command.split(' ').length);
  const run = await prepareCommand(command, args, values);
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
    await run(app, {
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
      stdout: process.stdout,
    });
  } finally {
    await app.close();
  }
}

function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      ...Object.fromEntries(STRING_OPTIONS.map((option) => [option, { type: 'string' as const }])),
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    } as Record<(typeof STRING_OPTIONS)[number], { type: 'string' }> & {
      json: { type: 'boolean' };
      help: { type: 'boolean'; short: 'h' };
    },
  });
}

main().catch((error: unknown) => {
  if (error instanceof CliUsageError || error instanceof ConfigValidationError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  if (error instanceof DomainError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
