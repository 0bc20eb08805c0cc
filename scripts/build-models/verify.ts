import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { iris, penguins } from './datasets';

async function classify(path: string, rows: number[][]): Promise<number[]> {
  const session = await InferenceSession.create(path);
  const width = rows[0].length;
  const input = new Tensor('float32', Float32Array.from(rows.flat()), [rows.length, width]);
  const { label } = await session.run({ input });
  await session.release();
  return Array.from(label.data as BigInt64Array, Number);
}

function check(condition: boolean, message: string): void {
  console.log(`  ${condition ? 'ok  ' : 'FAIL'} ${message}`);
  if (!condition) process.exitCode = 1;
}

/** Loads every built model in ONNX Runtime and checks what it predicts. */
export async function verifyModels(models: string): Promise<void> {
  console.log('Verifying through ONNX Runtime:');
  const irisData = iris();
  for (const version of [1, 2]) {
    const predicted = await classify(join(models, 'iris', String(version), 'model.onnx'), irisData.features);
    const accuracy = predicted.filter((label, index) => label === irisData.labels[index]).length / predicted.length;
    check(accuracy > 0.9, `iris v${version} accuracy on the 150 flowers: ${accuracy.toFixed(3)}`);
  }

  const penguinData = penguins();
  const predicted = await classify(join(models, 'penguin-sex', '1', 'model.onnx'), penguinData.features);
  const accuracy = predicted.filter((label, index) => label === penguinData.labels[index]).length / predicted.length;
  check(accuracy > 0.85, `penguin-sex v1 accuracy on all ${predicted.length} penguins: ${accuracy.toFixed(3)}`);

  const mlp = await InferenceSession.create(join(models, 'mlp', '1', 'model.onnx'));
  for (const batch of [1, 64]) {
    const input = new Tensor('float32', new Float32Array(batch * 784).fill(0.5), [batch, 784]);
    const { probabilities } = await mlp.run({ input });
    const sum = Array.from(probabilities.data as Float32Array).reduce((a, b) => a + b, 0);
    check(probabilities.dims[0] === batch && Math.abs(sum - batch) < 1e-3, `mlp runs at batch ${batch}`);
  }
  await mlp.release();

  const text = await InferenceSession.create(join(models, 'normalize-text', '1', 'model.onnx'));
  const { normalized } = await text.run({ text: new Tensor('string', ['Hello World', 'ONNX'], [2]) });
  check(
    JSON.stringify(normalized.data) === '["hello world","onnx"]',
    `normalize-text lower-cases: ${JSON.stringify(normalized.data)}`,
  );
  await text.release();
}
