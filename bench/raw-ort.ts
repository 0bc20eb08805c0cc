import { InferenceSession, Tensor } from 'onnxruntime-node';

export interface RawOrtFigures {
  batch1RunsPerSecond: number;
  batch64SamplesPerSecond: number;
}

/** In-process ONNX Runtime throughput for one model: no HTTP, no JSON, just `session.run`. */
export async function measureRawOrt(modelPath: string, features: number, seconds = 3): Promise<RawOrtFigures> {
  const session = await InferenceSession.create(modelPath);
  const inputName = session.inputNames[0];
  const timeRuns = async (batch: number): Promise<number> => {
    const data = Float32Array.from({ length: batch * features }, (_, index) => (index % 17) / 17);
    const feeds = { [inputName]: new Tensor('float32', data, [batch, features]) };
    for (let warmup = 0; warmup < 20; warmup++) await session.run(feeds);
    let runs = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(seconds * 1e9);
    while (process.hrtime.bigint() < deadline) {
      await session.run(feeds);
      runs++;
    }
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    return runs / elapsed;
  };
  const batch1RunsPerSecond = await timeRuns(1);
  const batch64SamplesPerSecond = (await timeRuns(64)) * 64;
  await session.release();
  return { batch1RunsPerSecond, batch64SamplesPerSecond };
}
