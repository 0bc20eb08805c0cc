/**
 * A worker thread that owns one ONNX Runtime session: it loads the model from the bytes it is given,
 * then runs what the event loop sends it, so a heavy model never holds up the thread that serves
 * HTTP. Tensors travel as { type, data, dims } with their buffers transferred, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InferenceSession } from 'onnxruntime-node';
import { fromWireAll, toWireAll, transferables, WorkerReply, WorkerRequest, WorkerSetup } from './session-wire';

const port = parentPort!;
const { bytes, options } = workerData as WorkerSetup;

function send(reply: WorkerReply): void {
  port.postMessage(reply, reply.type === 'result' ? transferables(Object.values(reply.outputs)) : []);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function serve(): Promise<void> {
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(bytes, options);
  } catch (error) {
    send({ type: 'failed', message: message(error) });
    return;
  }
  send({ type: 'ready', inputMetadata: session.inputMetadata, outputMetadata: session.outputMetadata });
  port.on('message', (request: WorkerRequest) => {
    if (request.type === 'release') {
      void session.release().finally(() => process.exit(0));
      return;
    }
    const feeds = fromWireAll(request.feeds);
    (request.outputNames ? session.run(feeds, request.outputNames) : session.run(feeds)).then(
      (outputs) => send({ type: 'result', call: request.call, outputs: toWireAll(outputs) }),
      (error: unknown) => send({ type: 'error', call: request.call, message: message(error) }),
    );
  });
}

void serve();
