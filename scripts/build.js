#!/usr/bin/env node
/**
 * `npm run build`: compiles the server (tsconfig.build.json) into dist/ with @nestjs/swagger's compiler
 * plugin, which documents the DTOs from their types and comments, copies the gRPC proto beside the
 * code that loads it, and builds the admin console (console/, React + Vite) into dist/console. It does
 * what `nest build` did (tsc builder, the same plugin options), with the TypeScript compiler API
 * directly: the Nest CLI's dependencies need a newer Node than the one the project supports.
 *
 *   node scripts/build.js            build when a source changed since the last build (npm start, npm test)
 *   node scripts/build.js --force    build anyway (npm run build)
 *   node scripts/build.js --watch    rebuild on every change; with --run, (re)start the server after each
 *
 * "Changed": a file or folder under the sources (src, migrations, bench, the proto) or a tsconfig,
 * package.json or package-lock.json newer than the last build's stamp (a deleted file changes its folder).
 * A full build empties dist/ first, so nothing deleted from the sources lingers there (migrations above all).
 * The console has its own stamp (dist/console/.build-stamp) against console/ and the package files: it is
 * rebuilt when it changed or when a server build emptied dist/.
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');
const swaggerPlugin = require('@nestjs/swagger/plugin');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'dist');
const STAMP = path.join(OUT, '.build-stamp');
const CONFIG = path.join(ROOT, 'tsconfig.build.json');
const WATCHED = ['src', 'migrations', 'bench', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];
const SWAGGER_OPTIONS = { classValidatorShim: true, introspectComments: true };
const CONSOLE_OUT = path.join(OUT, 'console');
const CONSOLE_STAMP = path.join(CONSOLE_OUT, '.build-stamp');
const CONSOLE_WATCHED = ['console', 'package.json', 'package-lock.json'];
const CONSOLE_CONFIG = path.join(ROOT, 'console', 'vite.config.mts');
const ASSETS = [{ from: 'src/protocols/grpc/proto', to: 'dist/src/protocols/grpc/proto', pattern: /\.proto$/ }];

const args = new Set(process.argv.slice(2));

function newestChange(entry) {
  let stat;
  try {
    stat = fs.statSync(entry);
  } catch {
    return 0;
  }
  let newest = stat.mtimeMs;
  if (stat.isDirectory()) {
    for (const name of fs.readdirSync(entry)) newest = Math.max(newest, newestChange(path.join(entry, name)));
  }
  return newest;
}

function upToDate(stamp = STAMP, watched = WATCHED) {
  let built;
  try {
    built = fs.statSync(stamp).mtimeMs;
  } catch {
    return false;
  }
  return watched.every((entry) => newestChange(path.join(ROOT, entry)) <= built);
}

/** The console's production build (Vite, ESM-only: imported, not required); `watch` rebuilds on change. */
async function buildConsole(watch = false) {
  const { build } = await import('vite');
  const started = Date.now();
  const result = await build({ configFile: CONSOLE_CONFIG, build: watch ? { watch: {} } : {} });
  if (watch) {
    result.on('event', (event) => {
      if (event.code === 'END') fs.writeFileSync(CONSOLE_STAMP, `${new Date().toISOString()}\n`);
      if (event.code === 'ERROR') process.stderr.write(`console: ${event.error.message}\n`);
    });
    return;
  }
  fs.writeFileSync(CONSOLE_STAMP, `${new Date().toISOString()}\n`);
  process.stdout.write(`console built into dist/console in ${Date.now() - started} ms\n`);
}

function parseConfig() {
  const parsed = ts.getParsedCommandLineOfConfigFile(CONFIG, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: report });
  if (!parsed) process.exit(1);
  if (parsed.errors.length > 0) {
    parsed.errors.forEach(report);
    process.exit(1);
  }
  return parsed;
}

const formatHost = {
  getCanonicalFileName: (fileName) => fileName,
  getCurrentDirectory: () => ROOT,
  getNewLine: () => '\n',
};

function report(diagnostic) {
  process.stderr.write(ts.formatDiagnosticsWithColorAndContext([diagnostic], formatHost));
}

function copyAssets() {
  for (const asset of ASSETS) {
    const from = path.join(ROOT, asset.from);
    const to = path.join(ROOT, asset.to);
    fs.mkdirSync(to, { recursive: true });
    for (const name of fs.readdirSync(from)) {
      if (asset.pattern.test(name)) fs.copyFileSync(path.join(from, name), path.join(to, name));
    }
  }
}

function transformers(program) {
  return { before: [swaggerPlugin.before(SWAGGER_OPTIONS, program)] };
}

/** One full build; false when the compiler found errors (nothing is stamped then). */
function build() {
  const config = parseConfig();
  fs.rmSync(OUT, { recursive: true, force: true });
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  diagnostics.forEach(report);
  if (diagnostics.some((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error)) return false;
  const emitted = program.emit(undefined, undefined, undefined, false, transformers(program));
  emitted.diagnostics.forEach(report);
  if (emitted.emitSkipped) return false;
  copyAssets();
  fs.writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  return true;
}

function watch() {
  let server;
  const restart = () => {
    if (!args.has('--run')) return;
    const start = () => {
      server = spawn(process.execPath, ['--max-semi-space-size=32', path.join(OUT, 'src', 'main.js')], {
        stdio: 'inherit',
      });
    };
    if (server && server.exitCode === null) {
      server.once('exit', start);
      server.kill('SIGTERM');
    } else start();
  };
  const host = ts.createWatchCompilerHost(
    CONFIG,
    {},
    ts.sys,
    ts.createEmitAndSemanticDiagnosticsBuilderProgram,
    report,
    (diagnostic) => process.stdout.write(`${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}\n`),
  );
  host.afterProgramCreate = (builder) => {
    const program = builder.getProgram();
    const diagnostics = [...builder.getSyntacticDiagnostics(), ...builder.getSemanticDiagnostics()];
    diagnostics.forEach(report);
    if (diagnostics.some((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error)) return;
    builder.emit(undefined, undefined, undefined, false, transformers(program));
    copyAssets();
    fs.writeFileSync(STAMP, `${new Date().toISOString()}\n`);
    restart();
  };
  ts.createWatchProgram(host);
}

async function main() {
  if (args.has('--watch')) {
    watch();
    await buildConsole(true);
    return;
  }
  if (!args.has('--force') && upToDate()) process.stdout.write('dist/ is up to date with the sources\n');
  else if (!build()) process.exit(1);
  if (!args.has('--force') && upToDate(CONSOLE_STAMP, CONSOLE_WATCHED)) return;
  await buildConsole();
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
