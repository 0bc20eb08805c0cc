import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { copies, envOf, execForm, expand, isIgnored, parseDockerfile, Stage } from './dockerfile';
import { ROOT } from './manifests';

const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};
const runtime = dockerfile.stages[dockerfile.stages.length - 1];

function instructions(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((item) => item.keyword === keyword).map((item) => item.raw);
}

function workdir(stage: Stage): string {
  return instructions(stage, 'WORKDIR').pop() ?? '/';
}

function stageNamed(name: string): Stage {
  const stage = dockerfile.stages.find((candidate) => candidate.name === name);
  if (!stage) throw new Error(`no stage ${name}`);
  return stage;
}

/** What a stage's RUN instructions leave in its WORKDIR, beyond what it COPYs in. */
const RUN_OUTPUTS: { path: string; made: RegExp }[] = [
  { path: 'node_modules', made: /\bnpm ci\b/ },
  { path: 'dist', made: /\bnpm run build\b/ },
];

/** Whether `path` (absolute, in `stage`) was copied in from the context or made by one of its RUNs. */
function stageHas(stage: Stage, path: string): boolean {
  const relative = posix.relative(workdir(stage), path);
  const copied = copies(stage).some(
    (copy) =>
      copy.from === undefined &&
      copy.sources.some((source) => {
        const target = copy.destination.endsWith('/')
          ? posix.join(copy.destination, posix.basename(source))
          : copy.destination;
        return posix.normalize(target) === relative || posix.join(workdir(stage), target) === path;
      }),
  );
  const made = RUN_OUTPUTS.some(
    (output) => output.path === relative && instructions(stage, 'RUN').some((run) => output.made.test(run)),
  );
  return copied || made;
}

describe('Dockerfile', () => {
  it('should build on a pinned Debian (glibc) Node.js 20 image in every stage, the runtime on -slim', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile.stages) {
      const image = expand(stage.base, dockerfile.globalArgs);
      expect(image, `stage ${stage.name}`).toMatch(/^node:20(\.\d+){0,2}-bookworm(-slim)?(@sha256:[0-9a-f]{64})?$/);
    }
    expect(expand(runtime.base, dockerfile.globalArgs)).toMatch(/-bookworm-slim/);
    expect(runtime.name).toBe('runtime');
  });

  it('should only COPY from the context what exists in the repository and .dockerignore lets through', () => {
    for (const stage of dockerfile.stages) {
      for (const copy of copies(stage).filter((item) => item.from === undefined)) {
        for (const source of copy.sources) {
          expect(existsSync(join(ROOT, source)), `line ${copy.line}: ${source} is not in the repository`).toBe(true);
          expect(isIgnored(source, dockerignore), `line ${copy.line}: .dockerignore excludes ${source}`).toBe(false);
        }
      }
    }
  });

  it('should COPY --from an earlier stage only what that stage copied in or built', () => {
    const names = dockerfile.stages.map((stage) => stage.name);
    for (const [index, stage] of dockerfile.stages.entries()) {
      for (const copy of copies(stage).filter((item) => item.from !== undefined)) {
        const source = stageNamed(copy.from!);
        expect(names.indexOf(source.name), `line ${copy.line}`).toBeLessThan(index);
        for (const path of copy.sources) {
          expect(stageHas(source, path), `line ${copy.line}: stage ${source.name} has no ${path}`).toBe(true);
        }
      }
    }
  });

  it('should give the build stage every input of `npm run build`, which emits what the image runs', () => {
    const build = dockerfile.stages.find((stage) =>
      instructions(stage, 'RUN').some((run) => /npm run build/.test(run)),
    );
    expect(build, 'a stage runs `npm run build`').toBeDefined();
    expect(packageJson.scripts.build).toBe('node scripts/build.js --force');
    // scripts/build.js compiles tsconfig.build.json (which extends tsconfig.json).
    expect(readFileSync(join(ROOT, 'scripts', 'build.js'), 'utf8')).toContain("'tsconfig.build.json'");
    const tsconfigBuild = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      extends: string;
      include: string[];
    };
    const inputs = [
      'package.json',
      'package-lock.json',
      '.npmrc',
      'scripts/build.js',
      'tsconfig.build.json',
      tsconfigBuild.extends.replace(/^\.\//, ''),
      'src',
      'migrations',
      'console', // the admin console, built by scripts/build.js into dist/console
    ];
    for (const input of inputs) {
      expect(stageHas(build!, posix.join(workdir(build!), input)), `the build stage copies ${input}`).toBe(true);
    }
    expect(tsconfigBuild.include).toEqual(expect.arrayContaining(['src', 'migrations']));
    // tsc (rootDir ".", outDir "dist") turns each of these sources into the file the image or the Job runs.
    for (const [output, input] of [
      ['dist/src/main.js', 'src/main.ts'],
      ['dist/src/cli.js', 'src/cli.ts'],
      ['dist/src/model-registry/runtime/session-worker.js', 'src/model-registry/runtime/session-worker.ts'],
      ['dist/src/database/data-source.js', 'src/database/data-source.ts'],
      ['dist/migrations/index.js', 'migrations/index.ts'],
      ['dist/console/index.html', 'console/index.html'],
    ]) {
      expect(existsSync(join(ROOT, input)), `${input}, compiled to ${output}`).toBe(true);
    }
  });

  it('should start with the start:prod command, under tini, as a numeric non-root user', () => {
    const cmd = execForm(instructions(runtime, 'CMD').pop() ?? '');
    expect(cmd, 'exec-form CMD').toBeDefined();
    expect(cmd).toEqual(packageJson.scripts['start:prod'].split(/\s+/));
    expect(execForm(instructions(runtime, 'ENTRYPOINT').pop() ?? '')).toEqual(['/usr/bin/tini', '--']);
    expect(instructions(runtime, 'RUN').join('\n')).toMatch(/apt-get install[^\n]*\btini\b/);
    // The script path is relative to WORKDIR, where dist/ is copied.
    expect(workdir(runtime)).toBe('/app');
    expect(copies(runtime).some((copy) => copy.from && copy.sources.includes('/app/dist'))).toBe(true);
    const user = instructions(runtime, 'USER').pop() ?? 'root';
    const [uid, gid] = user.split(':');
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    expect(Number(gid ?? uid)).toBeGreaterThan(0);
    expect(instructions(runtime, 'STOPSIGNAL')).toEqual(['SIGTERM']);
  });

  it('should run as the user the Kubernetes manifests require', () => {
    const deployment = parse(readFileSync(join(ROOT, 'deploy/kubernetes/base/deployment.yaml'), 'utf8')) as {
      spec: { template: { spec: { securityContext: { runAsUser: number; runAsGroup: number } } } };
    };
    const [uid, gid] = (instructions(runtime, 'USER').pop() ?? '').split(':').map(Number);
    expect(uid).toBe(deployment.spec.template.spec.securityContext.runAsUser);
    expect(gid).toBe(deployment.spec.template.spec.securityContext.runAsGroup);
  });

  it('should check liveness with node itself and expose the HTTP and gRPC ports', () => {
    const healthcheck = instructions(runtime, 'HEALTHCHECK').pop() ?? '';
    const command = execForm(healthcheck);
    expect(command?.[0]).toBe('node');
    expect(command?.join(' ')).toContain('/health/live');
    expect(command?.join(' ')).toContain('process.env.PORT');
    const exposed = instructions(runtime, 'EXPOSE').flatMap((raw) => raw.split(/\s+/));
    expect(exposed).toEqual(expect.arrayContaining(['3000', '8001']));
  });

  it('should set the runtime environment, with writable data directories for the server user', () => {
    const env = envOf(runtime);
    expect(env).toEqual({
      NODE_ENV: 'production',
      HOST: '0.0.0.0',
      PORT: '3000',
      GRPC_PORT: '8001',
      MODEL_REPOSITORY: '/app/models',
      EMBEDDED_DATA_DIR: '/app/data',
      USAGE_SPOOL_DIR: '/app/data/usage-spool',
      USAGE_JOURNAL_DIR: '/app/data/usage-journal',
    });
    const run = instructions(runtime, 'RUN').join('\n');
    const uid = (instructions(runtime, 'USER').pop() ?? '').split(':')[0];
    expect(run).toContain('mkdir -p /app/data/usage-spool /app/data/usage-journal');
    expect(run).toMatch(new RegExp(`chown -R ${uid}:\\d+ /app/data`));
    // models/ is the server's to write too (admin uploads), when no volume is mounted over it.
    expect(copies(runtime).find((copy) => copy.sources.includes('models'))?.chown).toMatch(new RegExp(`^${uid}:`));
  });

  it('should keep node_modules, dist, data, .git and .env out of the build context', () => {
    for (const path of ['node_modules', 'dist', 'data', '.git', '.env', '.env.local', 'dist/src/main.js']) {
      expect(isIgnored(path, dockerignore), path).toBe(true);
    }
  });

  it('should install production dependencies only, with no CUDA download, for the runtime', () => {
    const prodDeps = stageNamed(
      copies(runtime).find((copy) => copy.sources.includes('/app/node_modules'))?.from ?? 'missing',
    );
    const run = instructions(prodDeps, 'RUN').join('\n');
    expect(run).toMatch(/npm ci --omit=dev/);
    for (const stage of dockerfile.stages.filter((item) => /npm ci/.test(instructions(item, 'RUN').join('\n')))) {
      expect(envOf(stage).ONNXRUNTIME_NODE_INSTALL, `stage ${stage.name}`).toBe('skip');
    }
    // The TypeORM CLI that the migration Job runs must be a production dependency.
    expect(packageJson.dependencies.typeorm).toBeDefined();
  });

  it('should keep exactly the onnxruntime-node linux/x64 CPU binaries that the npm package ships', () => {
    const run = instructions(stageNamed('prod-deps'), 'RUN').join('\n');
    const ort = /\bort=(\S+);/.exec(run)?.[1];
    const keep = /\bkeep="\$ort\/([^"]+)"/.exec(run)?.[1];
    expect(ort).toBe('node_modules/onnxruntime-node/bin/napi-v6');
    expect(keep).toBe('linux/x64');
    const kept = join(ROOT, ort!, keep!);
    expect(readdirSync(kept).sort()).toEqual(['libonnxruntime.so.1', 'onnxruntime_binding.node']);
    // Everything else under bin/napi-v6 goes, and a GPU provider library fails the build.
    expect(run).toContain('find "$ort" -mindepth 2 -maxdepth 2 ! -path "$keep" -exec rm -rf {} +');
    expect(run).toContain('libonnxruntime_providers_*');
    const platforms = readdirSync(join(ROOT, ort!)).flatMap((os) =>
      readdirSync(join(ROOT, ort!, os)).map((arch) => `${os}/${arch}`),
    );
    expect(platforms).toContain('linux/x64');
  });
});
