/**
 * `npm run models:build`: trains the example models on real data shipped in npm packages and writes
 * them as ONNX into models/ (deterministic: the same bytes on every run), then checks them through
 * ONNX Runtime.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { iris, PENGUIN_FEATURES, penguins } from './datasets';
import { classifierGraph, DenseLayer, encodeModel, node, STRING, valueInfo } from './onnx-graph';
import { initLayers, predictClass, seededRandom, split, standardisation, standardise, train } from './train';
import { verifyModels } from './verify';

const MODELS = resolve(__dirname, '..', '..', 'models');

function writeModel(name: string, version: number, bytes: Uint8Array): void {
  const dir = join(MODELS, name, String(version));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), bytes);
  console.log(`  wrote models/${name}/${version}/model.onnx (${bytes.length} bytes)`);
}

function writeConfig(name: string, config: object): void {
  mkdirSync(join(MODELS, name), { recursive: true });
  writeFileSync(join(MODELS, name, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}

function accuracy(layers: DenseLayer[], inputs: Float64Array[], labels: number[]): number {
  return inputs.filter((x, index) => predictClass(layers, x) === labels[index]).length / inputs.length;
}

function buildIris(): void {
  const data = iris();
  const { mean, std } = standardisation(data.features);
  const inputs = standardise(data.features, mean, std);
  const doc = 'Iris species from sepal length, sepal width, petal length and petal width (cm).';

  const logistic = initLayers([4, 3], seededRandom(1));
  train(logistic, inputs, data.labels, 400, 0.05);
  console.log(`iris v1 (logistic regression): training accuracy ${accuracy(logistic, inputs, data.labels).toFixed(3)}`);
  writeModel('iris', 1, encodeModel(classifierGraph('iris_logistic', doc, mean, std, logistic)));

  const mlp = initLayers([4, 16, 3], seededRandom(2));
  train(mlp, inputs, data.labels, 600, 0.02);
  console.log(`iris v2 (MLP 4-16-3): training accuracy ${accuracy(mlp, inputs, data.labels).toFixed(3)}`);
  writeModel('iris', 2, encodeModel(classifierGraph('iris_mlp', doc, mean, std, mlp)));

  writeConfig('iris', {
    description:
      'Iris species from sepal and petal measurements (cm): sepal length, sepal width, petal length, petal width',
    aliases: { stable: 1, canary: 2, default: 'stable' },
    labels: { probabilities: data.classes },
    // A tiny model: batch what is already queued, never wait for more, and run on the event loop (a run
    // takes microseconds, less than handing it to a worker thread; npm run bench measured both).
    batching: { maxBatchSize: 32, maxQueueDelayMicros: 0 },
    maxQueueSize: 256,
    workerThreads: 0,
  });
}

function buildPenguins(): void {
  const data = penguins();
  const rows = data.features.map((features, index) => ({ features, label: data.labels[index] }));
  const { train: trainRows, test: testRows } = split(rows, 0.2, seededRandom(3));
  const { mean, std } = standardisation(trainRows.map((row) => row.features));
  const trainInputs = standardise(
    trainRows.map((row) => row.features),
    mean,
    std,
  );
  const testInputs = standardise(
    testRows.map((row) => row.features),
    mean,
    std,
  );
  const logistic = initLayers([PENGUIN_FEATURES.length, 2], seededRandom(4));
  train(
    logistic,
    trainInputs,
    trainRows.map((row) => row.label),
    600,
    0.05,
  );
  const heldOut = accuracy(
    logistic,
    testInputs,
    testRows.map((row) => row.label),
  );
  console.log(
    `penguin-sex v1 (logistic regression): held-out accuracy ${heldOut.toFixed(3)} on ${testRows.length} penguins`,
  );
  const doc = `Sex of a Palmer penguin. Inputs: ${PENGUIN_FEATURES.join(', ')}.`;
  writeModel('penguin-sex', 1, encodeModel(classifierGraph('penguin_sex_logistic', doc, mean, std, logistic)));
  writeConfig('penguin-sex', {
    description: `Sex of a Palmer penguin from its measurements and species. Input columns: ${PENGUIN_FEATURES.join(', ')}`,
    labels: { probabilities: data.classes },
    batching: { maxBatchSize: 32, maxQueueDelayMicros: 2000 },
    workerThreads: 0, // tiny, like iris
  });
}

function buildBenchmarkMlp(): void {
  const layers = initLayers([784, 1024, 1024, 10], seededRandom(5));
  const doc = 'Benchmark MLP 784-1024-1024-10 with seeded random (He) weights: a compute load, not a trained model.';
  const graph = classifierGraph('mlp_benchmark', doc, new Float64Array(784), new Float64Array(784).fill(1), layers);
  writeModel('mlp', 1, encodeModel(graph));
  writeConfig('mlp', {
    description: doc,
    // No wait: a batch leaves when the model's thread is free and gathers while it runs.
    batching: { maxBatchSize: 64, maxQueueDelayMicros: 0 },
    maxQueueSize: 512,
  });
}

function buildNormalizeText(): void {
  const doc = 'Lower-cases each string (ONNX StringNormalizer): a model with BYTES input and output.';
  writeModel(
    'normalize-text',
    1,
    encodeModel({
      name: 'normalize_text',
      doc,
      inputs: [valueInfo('text', STRING, ['batch'])],
      outputs: [valueInfo('normalized', STRING, ['batch'])],
      nodes: [node('StringNormalizer', ['text'], ['normalized'], { case_change_action: 'LOWER', locale: 'C' })],
      initializers: [],
    }),
  );
  writeConfig('normalize-text', { description: doc, workerThreads: 0 });
}

async function main(): Promise<void> {
  buildIris();
  buildPenguins();
  buildBenchmarkMlp();
  buildNormalizeText();
  await verifyModels(MODELS);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
