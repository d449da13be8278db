import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../util/errors.js';
import { openLocalSession, type ModelSession, type SessionSettings, type WorkerReply, type WorkerRequest } from './inference-session.js';

/**
 * The worker side of openWorkerSession: one onnxruntime session on this thread, running requests one at a
 * time in the order they come. Output buffers are transferred back, not copied.
 */
const data = workerData as { model?: Uint8Array; settings: SessionSettings };
const port = parentPort!;
const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

let session: ModelSession;
try {
  session = await openLocalSession(data.model!, data.settings);
  data.model = undefined; // onnxruntime holds its own copy of the weights: the model's bytes can go
  const { inputNames, outputNames, inputMetadata, outputMetadata } = session;
  reply({ ready: { inputNames, outputNames, inputMetadata, outputMetadata } });
} catch (error) {
  reply({ error: errorMessage(error) });
  process.exit(0);
}

/**
 * Test hook (tests/detectors/inference-worker.test.ts, tests/runner/worker-death.test.ts): with
 * SEMIBENCH_TEST_KILL_INFERENCE_WORKER=exit:N or =throw:N, the thread dies on the request after its N-th
 * inference, by process.exit(7) or by an uncaught error, the way a crashing or killed worker would.
 */
const [killHow, killAfter] = (process.env.SEMIBENCH_TEST_KILL_INFERENCE_WORKER ?? '').split(':');
let inferences = 0;

port.on('message', async (request: WorkerRequest) => {
  if (killHow && !('release' in request) && inferences++ === Number(killAfter)) {
    if (killHow === 'exit') process.exit(7);
    setImmediate(() => {
      throw new Error('test hook: inference worker crashed');
    });
    return;
  }
  if ('release' in request) {
    await session.release();
    reply({ id: request.id });
    return;
  }
  try {
    const tensor = await session.run(request.input, request.output, request.tensor);
    // onnxruntime's output may view a larger buffer: send a copy then, the buffer itself otherwise
    const own = tensor.data.byteOffset === 0 && tensor.data.byteLength === tensor.data.buffer.byteLength ? tensor.data : tensor.data.slice();
    reply({ id: request.id, tensor: { data: own, dims: tensor.dims } }, [own.buffer as ArrayBuffer]);
  } catch (error) {
    reply({ id: request.id, error: errorMessage(error) });
  }
});
