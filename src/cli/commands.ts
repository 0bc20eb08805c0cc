import { INestApplicationContext } from '@nestjs/common';
import { userInfo } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { CreateApiKeyDto, RotateApiKeyDto } from '../api-keys/api-keys.dto';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { AuditContext, withAuditContext } from '../audit/audit-context';
import { AuditQueryService } from '../audit/audit-query.service';
import { AuditEventsQueryDto } from '../audit/audit.dto';
import { Page } from '../common/pagination/pagination';
import { CreateOAuthClientDto, RotateClientSecretDto } from '../oauth/oauth-clients.dto';
import { OAuthClientsService } from '../oauth/oauth-clients.service';
import { SigningKeysService } from '../oauth/signing-keys.service';
import { UsageQueryDto } from '../usage/usage.dto';
import { UsageQueryService } from '../usage/usage-query.service';
import { CliUsageError, integer, list, table, validated } from './cli-input';

export interface CliOptions {
  json?: boolean;
  name?: string;
  scopes?: string;
  models?: string;
  'rate-limit'?: string;
  quota?: string;
  'expires-at'?: string;
  'token-ttl'?: string;
  'grace-seconds'?: string;
  from?: string;
  to?: string;
  granularity?: string;
  'group-by'?: string;
  action?: string;
  actor?: string;
  target?: string;
  format?: string;
}

export interface CliOutput {
  out: (text: string) => void;
  err: (text: string) => void;
  stdout: NodeJS.WritableStream;
}

/** The commands, by name: `keys create`, `audit export`, ... (see USAGE in cli.ts). */
export const COMMANDS = [
  'create-admin-key',
  'rotate-signing-key',
  'keys create',
  'keys list',
  'keys rotate',
  'keys revoke',
  'clients create',
  'clients list',
  'clients rotate',
  'clients revoke',
  'usage report',
  'audit export',
] as const;
export type CommandName = (typeof COMMANDS)[number];

const KEY_COLUMNS = ['id', 'name', 'prefix', 'scopes', 'models', 'expiresAt', 'revokedAt', 'lastUsedAt'];
const CLIENT_COLUMNS = ['clientId', 'name', 'scopes', 'models', 'disabled', 'previousSecretExpiresAt', 'createdAt'];

/**
 * What the CLI's operator does is audited as a user: the operating-system account running it.
 * Every command runs inside this audit context.
 */
export function cliAuditContext(): AuditContext {
  const user = safeUserName();
  return { actor: { type: 'user', id: `cli:${user}`, name: `${user} (CLI)` }, userAgent: 'modelgate-cli' };
}

export type PreparedCommand = (app: INestApplicationContext, io: CliOutput) => Promise<void>;

/**
 * Checks a command's arguments and options (before anything starts: a mistake is reported at once) and
 * returns the command, to run against the application; it runs in the CLI's audit context.
 */
export async function prepareCommand(
  command: CommandName,
  args: string[],
  options: CliOptions,
): Promise<PreparedCommand> {
  const run = await prepare(command, args, options);
  return (app, io) => withAuditContext(cliAuditContext(), () => run(app, io));
}

async function prepare(command: CommandName, args: string[], options: CliOptions): Promise<PreparedCommand> {
  const printer = (io: CliOutput) => (value: unknown, human: () => string) =>
    io.out(options.json ? `${JSON.stringify(value, null, 2)}\n` : human());
  const keys = (app: INestApplicationContext) => app.get(ApiKeysService);
  const clients = (app: INestApplicationContext) => app.get(OAuthClientsService);
  const createdBy = cliAuditContext().actor.id;
  switch (command) {
    case 'create-admin-key':
      return async (app, io) => {
        const key = await keys(app).createAdminKey(options.name ?? 'admin (cli)', createdBy);
        printer(io)(key, () => `${key.key}\n`);
        io.err(`Created admin API key ${key.prefix} (id ${key.id}). It is not shown again.\n`);
      };
    case 'rotate-signing-key':
      return async (app, io) => {
        const kid = await app.get(SigningKeysService).rotate();
        printer(io)({ kid }, () => `${kid}\n`);
        io.err(`New signing key ${kid}; the previous key stays published until its tokens expire.\n`);
      };
    case 'keys create': {
      const dto = await validated(CreateApiKeyDto, { ...credentialFields(options), expiresAt: options['expires-at'] });
      return async (app, io) => {
        const key = await keys(app).createApiKey(undefined, dto, createdBy);
        printer(io)(key, () => `${key.key}\n`);
        io.err(`Created API key ${key.prefix} (id ${key.id}). The key is not shown again.\n`);
      };
    }
    case 'keys list':
      return async (app, io) => {
        const all = await everyPage((cursor) => keys(app).listApiKeys({ limit: 100, cursor }));
        printer(io)(all, () => table(all as unknown as Record<string, unknown>[], KEY_COLUMNS));
      };
    case 'keys rotate': {
      const id = argument(args, 'an API key id');
      const dto = await validated(RotateApiKeyDto, {
        gracePeriodSeconds: integer(options['grace-seconds'], 'grace-seconds'),
      });
      return async (app, io) => {
        const key = await keys(app).rotateApiKey(undefined, id, dto);
        printer(io)(key, () => `${key.key}\n`);
        io.err(`Rotated ${key.prefix}; the previous secret works for ${dto.gracePeriodSeconds} s more.\n`);
      };
    }
    case 'keys revoke': {
      const id = argument(args, 'an API key id');
      return async (app, io) => {
        await keys(app).revokeApiKey(undefined, id);
        printer(io)({ id, revoked: true }, () => `Revoked API key ${id}.\n`);
      };
    }
    case 'clients create': {
      const dto = await validated(CreateOAuthClientDto, {
        ...credentialFields(options),
        tokenTtlSeconds: integer(options['token-ttl'], 'token-ttl'),
      });
      return async (app, io) => {
        const client = await clients(app).createOAuthClient(undefined, dto, createdBy);
        printer(io)(client, () => `${client.clientId} ${client.clientSecret}\n`);
        io.err(`Registered OAuth client ${client.clientId}. The secret is not shown again.\n`);
      };
    }
    case 'clients list':
      return async (app, io) => {
        const all = await everyPage((cursor) => clients(app).listOAuthClients({ limit: 100, cursor }));
        printer(io)(all, () => table(all as unknown as Record<string, unknown>[], CLIENT_COLUMNS));
      };
    case 'clients rotate': {
      const clientId = argument(args, 'a client id');
      const dto = await validated(RotateClientSecretDto, {
        gracePeriodSeconds: integer(options['grace-seconds'], 'grace-seconds'),
      });
      return async (app, io) => {
        const client = await clients(app).rotateClientSecret(undefined, clientId, dto);
        printer(io)(client, () => `${client.clientSecret}\n`);
        io.err(`Rotated the secret of ${client.clientId}.\n`);
      };
    }
    case 'clients revoke': {
      const clientId = argument(args, 'a client id');
      return async (app, io) => {
        await clients(app).deleteOAuthClient(undefined, clientId);
        printer(io)({ clientId, revoked: true }, () => `Deleted OAuth client ${clientId}; its tokens stop working.\n`);
      };
    }
    case 'usage report': {
      const query = await validated(UsageQueryDto, {
        from: options.from,
        to: options.to,
        granularity: options.granularity ?? 'hour',
        groupBy: options['group-by'],
      });
      const groups = query.groupBy?.split(',').map((field) => (field === 'principal' ? 'principalId' : field)) ?? [];
      return async (app, io) => {
        const report = await app.get(UsageQueryService).getUsage(query);
        printer(io)(report, () =>
          table(report.items as unknown as Record<string, unknown>[], [
            'bucket',
            ...groups,
            'requests',
            'errors',
            'avgLatencyMs',
            'p95LatencyMs',
          ]),
        );
      };
    }
    case 'audit export': {
      const format = options.format ?? (options.json ? 'json' : 'csv');
      if (format !== 'csv' && format !== 'json') throw new CliUsageError('--format must be csv or json');
      const query = await validated(AuditEventsQueryDto, {
        from: options.from,
        to: options.to,
        action: options.action,
        actorId: options.actor,
        targetId: options.target,
        limit: 1000,
      });
      return async (app, io) => {
        const audit = app.get(AuditQueryService);
        if (format === 'csv') {
          await pipeline(audit.streamAuditEventsCsv(query), io.stdout, { end: false });
          return;
        }
        const all = await everyPage((cursor) => audit.listAuditEvents({ ...query, cursor }));
        io.out(`${JSON.stringify(all, null, 2)}\n`);
      };
    }
  }
}

function credentialFields(options: CliOptions): Record<string, unknown> {
  if (!options.name) throw new CliUsageError('--name is required');
  if (!options.scopes) throw new CliUsageError('--scopes is required (comma-separated, e.g. models:read,models:infer)');
  const rateLimit = integer(options['rate-limit'], 'rate-limit');
  const quota = integer(options.quota, 'quota');
  return {
    name: options.name,
    scopes: list(options.scopes),
    models: list(options.models),
    rateLimit: rateLimit === undefined ? undefined : { requestsPerMinute: rateLimit },
    quota: quota === undefined ? undefined : { requestsPerMonth: quota },
  };
}

function argument(args: string[], what: string): string {
  if (args.length !== 1) throw new CliUsageError(`Expected ${what}.`);
  return args[0];
}

async function everyPage<T>(page: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const next = await page(cursor);
    all.push(...next.items);
    cursor = next.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

function safeUserName(): string {
  try {
    return userInfo().username || 'operator';
  } catch {
    return process.env.USER ?? 'operator';
  }
}
