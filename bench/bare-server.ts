/**
 * The baseline: a bare node:http + onnxruntime-node server doing the same per-request work as the
 * platform's predict route (parse JSON, build a tensor, run, encode JSON) and nothing else — no auth,
 * validation, usage metering, batching or metrics. ORT session options are its defaults.
 * Usage: node dist/bench/bare-server.js <model.onnx> <port> [processes]; with more than one process,
 * node:cluster shares the port between them.
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { InferenceSession, Tensor } from 'onnxruntime-node';

async function main(): Promise<void> {
  const [modelPath, portArg, processesArg] = process.argv.slice(2);
  const processes = Number(processesArg ?? 1);
  if (processes > 1 && cluster.isPrimary) {
    let listening = 0;
    for (let i = 0; i < processes; i++) {
      cluster.fork().once('listening', () => {
        if (++listening === processes) process.send?.('ready');
      });
    }
    process.on('SIGTERM', () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
      process.exit(0);
    });
    return;
  }
  const session = await InferenceSession.create(modelPath);
  const inputName = session.inputNames[0];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { inputs: Record<string, number[][]> };
          const rows = body.inputs[inputName];
          const width = rows[0].length;
          const data = new Float32Array(rows.length * width);
          rows.forEach((row, index) => data.set(row, index * width));
          const results = await session.run({ [inputName]: new Tensor('float32', data, [rows.length, width]) });
          const outputs: Record<string, unknown> = {};
          for (const [name, tensor] of Object.entries(results)) {
            const values = Array.from(tensor.data as ArrayLike<number | bigint>, Number);
            const columns = tensor.dims.length > 1 ? Number(tensor.dims[1]) : 1;
            outputs[name] =
              tensor.dims.length > 1
                ? Array.from({ length: rows.length }, (_, row) => values.slice(row * columns, (row + 1) * columns))
                : values;
          }
          const payload = JSON.stringify({ outputs });
          response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
          response.end(payload);
        } catch (error) {
          response.writeHead(400, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: String(error) }));
        }
      })();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(portArg), '127.0.0.1', () => process.send?.('ready'));
}

void main();
