/**
 * The typed TypeScript client (clients/typescript): list the models, predict with iris on /v1, infer on
 * /v2, read one's own usage. Run with `npx ts-node examples/typescript/predict.ts` after setting
 * MODELGATE_URL (default http://localhost:3000) and MODELGATE_API_KEY (a key with models:read,
 * models:infer and usage:read).
 */
import { createModelgateClient } from '../../clients/typescript';

export async function runExample(
  baseUrl: string,
  apiKey: string,
  log: (line: string) => void = console.log,
): Promise<void> {
  const modelgate = createModelgateClient({ baseUrl, apiKey });

  const models = await modelgate.GET('/v1/models');
  if (models.error) throw new Error(`listing models failed: ${models.error.detail}`);
  log(`models: ${models.data.models.map((model) => model.name).join(', ')}`);

  const predicted = await modelgate.POST('/v1/models/{name}/predict', {
    params: { path: { name: 'iris' } },
    body: { instances: [[5.1, 3.5, 1.4, 0.2]] },
  });
  if (predicted.error) throw new Error(`predict failed: ${predicted.error.code}: ${predicted.error.detail}`);
  log(`iris says ${predicted.data.predictions?.[0].label} (version ${predicted.data.version})`);

  const inferred = await modelgate.POST('/v2/models/{name}/infer', {
    params: { path: { name: 'iris' } },
    body: { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [6.7, 3.1, 4.7, 1.5] }] },
  });
  if (inferred.error) throw new Error(`infer failed: ${inferred.error.error}`);
  // A JSON request gets a JSON answer (a binary one is for binary tensor clients).
  if (typeof inferred.data === 'string') throw new Error('expected a JSON answer');
  log(
    `/v2 outputs: ${inferred.data.outputs.map((output) => `${output.name}=${JSON.stringify(output.data)}`).join(' ')}`,
  );

  const usage = await modelgate.GET('/v1/usage', { params: { query: { granularity: 'day' } } });
  if (usage.error) throw new Error(`usage failed: ${usage.error.detail}`);
  log(`requests today: ${usage.data.items.reduce((sum, item) => sum + item.requests, 0)}`);
}

if (require.main === module) {
  const apiKey = process.env.MODELGATE_API_KEY;
  if (!apiKey) throw new Error('Set MODELGATE_API_KEY');
  runExample(process.env.MODELGATE_URL ?? 'http://localhost:3000', apiKey).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
