import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { GraphOptimization } from '../config/schema.js';
import { errorMessage } from '../util/errors.js';
import { workerEntry } from '../util/worker-entry.js';

/** How onnxruntime runs a model: the session options semibench exposes (config keys of the same meaning). */
export interface SessionSettings {
  /** Threads inside one operator; 0 or absent: onnxruntime's own choice (one per physical core). */
  intraOpThreads?: number;
  /** Threads across independent operators (only used by parallel execution); 0 or absent: onnxruntime's own. */
  interOpThreads?: number;
  /** Graph rewrites before the first run; default 'all'. Fusions change float rounding, so scores too. */
  graphOptimization?: GraphOptimization;
  /** 'cuda': onnxruntime's CUDA execution provider (ops it lacks stay on the CPU); default 'cpu'. */
  device?: 'cpu' | 'cuda';
  /**
   * Whether onnxruntime's pool threads spin while waiting for work (onnxruntime's default) instead of sleeping;
   * a spinning thread holds a core that decoding and preprocessing need. Unset: onnxruntime's own (spin); the
   * config's default is off (src/config/defaults.ts).
   */
  spinning?: boolean;
}

/**
 * How many sessions infer at once (each in a worker thread of its own) and with how many intra-op threads each.
 * `workers` 0: 2 on 2 or more cores; 1 on one core, on CUDA (one GPU session), and for `fullResolution` models
 * (their intermediates grow with the image: npr-residual needs ~60 bytes a pixel, 1 GB at 4096²).
 * `intraOpThreads` 0 with several workers: the cores shared among them, so that they do not oversubscribe.
 * Neither changes a score bit: each image is inferred alone, and onnxruntime's result does not depend on its
 * thread count (tests/detectors/session-options.test.ts).
 */
export function inferencePlan(
  settings: SessionSettings & { workers?: number; fullResolution?: boolean },
  cores = availableParallelism(),
): { workers: number; intraOpThreads: number } {
  const workers = settings.workers || (settings.device === 'cuda' || settings.fullResolution || cores < 2 ? 1 : 2);
  const intraOpThreads = settings.intraOpThreads || (workers > 1 ? Math.max(1, Math.floor(cores / workers)) : 0);
  return { workers, intraOpThreads };
}

/** The shape of a tensor crossing to or from a session. */
export interface TensorData {
  data: Float32Array;
  dims: number[];
}

/**
 * What a detector needs of an onnxruntime session, wherever it runs: its I/O metadata, one-input one-output
 * runs, and release. A session in a worker thread and one in this thread give the same bits.
 */
export interface ModelSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  /** Runs the model; `transfer`: the input's buffer moves to the worker (unusable here afterwards) instead of being copied. */
  run(input: string, output: string, tensor: TensorData, transfer?: boolean): Promise<TensorData>;
  release(): Promise<void>;
  /** How many runs it computes at once (more runs wait their turn). */
  readonly parallel: number;
}

/** The onnxruntime SessionOptions for these settings (the same in this thread and in a worker). */
export function sessionOptions(settings: SessionSettings): ort.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: settings.graphOptimization ?? 'all',
    // Without the arena, memory for one large image is given back before the next, instead of growing with each new
    // input shape (bench/memory.ts).
    enableCpuMemArena: false,
    ...(settings.intraOpThreads ? { intraOpNumThreads: settings.intraOpThreads } : {}),
    ...(settings.interOpThreads ? { interOpNumThreads: settings.interOpThreads } : {}),
    ...(settings.device === 'cuda' ? { executionProviders: ['cuda', 'cpu'] } : {}),
    // session config entries (onnxruntime_session_options_config_keys.h), flattened with dots by onnxruntime-node
    ...(settings.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } } : {}),
  };
}

/** A session on this thread: `run` blocks it while onnxruntime computes (onnxruntime-node runs on the caller's thread). */
export async function openLocalSession(bytes: Uint8Array, settings: SessionSettings): Promise<ModelSession> {
  const session = await ort.InferenceSession.create(bytes, sessionOptions(settings));
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputMetadata: session.inputMetadata,
    outputMetadata: session.outputMetadata,
    async run(input, output, tensor) {
      const result = (await session.run({ [input]: new ort.Tensor('float32', tensor.data, tensor.dims) }))[output];
      return { data: result.data as Float32Array, dims: [...result.dims] };
    },
    release: () => session.release(),
    parallel: 1,
  };
}

/** Messages between a WorkerSession and src/detectors/inference-worker.ts. */
export type WorkerRequest = { id: number; input: string; output: string; tensor: TensorData } | { id: number; release: true };
export type WorkerReply =
  | { ready: Pick<ModelSession, 'inputNames' | 'outputNames' | 'inputMetadata' | 'outputMetadata'> }
  /** The answer to request `id`: the output tensor (none for release), or why it failed. */
  | { id: number; tensor?: TensorData; error?: string }
  | { error: string };

/**
 * The worker thread of a session died (an uncaught error, process.exit, out of memory, terminated) after it
 * had started: every request in flight and every later one fails with this, and the session is gone.
 */
export class InferenceWorkerDied extends Error {
  constructor(why: string) {
    super(`the inference worker thread died (${why})`);
    this.name = 'InferenceWorkerDied';
  }
}

let liveWorkers = 0;
/** Inference worker threads started and not yet exited (tests check that none leak). */
export const liveInferenceWorkers = (): number => liveWorkers;

/**
 * A session in its own worker thread, so that decoding and preprocessing on this thread overlap inference.
 * The thread ends on release, when the session cannot be created, and when it fails; it never keeps the
 * process alive while idle.
 */
export function openWorkerSession(bytes: Uint8Array, settings: SessionSettings): Promise<ModelSession> {
  const model = new Uint8Array(bytes); // a copy of its own, moved to the worker
  const worker = new Worker(workerEntry('inference-worker', import.meta.url), { workerData: { model, settings }, transferList: [model.buffer] });
  liveWorkers++;
  const pending = new Map<number, { resolve: (t: TensorData) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failure: Error | undefined;
  let ready = false;
  let released: Promise<void> | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
    void worker.terminate();
  };
  const settle = () => {
    if (pending.size === 0) worker.unref();
  };
  return new Promise((resolveOpen, rejectOpen) => {
    worker.on('message', (reply: WorkerReply) => {
      if ('ready' in reply) {
        ready = true;
        worker.unref();
        resolveOpen({ ...reply.ready, run, release, parallel: 1 });
      } else if ('id' in reply) {
        const p = pending.get(reply.id);
        pending.delete(reply.id);
        if (reply.error === undefined) p?.resolve(reply.tensor!);
        else p?.reject(new Error(reply.error));
        settle();
      } else {
        fail(new Error(reply.error));
        rejectOpen(failure);
      }
    });
    // After ready, the thread's end is the session's: InferenceWorkerDied (release ends it too, with nothing pending).
    worker.on('error', (error) => {
      fail(ready ? new InferenceWorkerDied(errorMessage(error).replace(/\s+/g, ' ').trim()) : error);
      rejectOpen(error);
    });
    worker.on('exit', (code) => {
      liveWorkers--;
      fail(ready ? new InferenceWorkerDied(`exit code ${code}`) : new Error(`inference worker exited (code ${code})`));
      rejectOpen(failure);
    });
  });

  function request(message: WorkerRequest, transfer: ArrayBuffer[]): Promise<TensorData> {
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      pending.set(message.id, { resolve, reject });
      worker.ref();
      worker.postMessage(message, transfer);
    });
  }

  function run(input: string, output: string, tensor: TensorData, transfer = false): Promise<TensorData> {
    const { data } = tensor;
    // Only a buffer the tensor has to itself can move; any other is copied by postMessage.
    const movable = transfer && data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    return request({ id: nextId++, input, output, tensor }, movable ? [data.buffer as ArrayBuffer] : []);
  }

  function release(): Promise<void> {
    released ??= (async () => {
      try {
        if (!failure) await request({ id: nextId++, release: true }, []);
      } catch {
        // a failed worker has nothing left to release
      } finally {
        await worker.terminate();
      }
    })();
    return released;
  }
}

/**
 * `workers` sessions of the same model, each in its own worker thread, as one: a run goes to the worker with
 * the fewest runs in hand, so up to `workers` images are inferred at once. With 1, a plain worker session.
 * A worker that dies fails its own runs with InferenceWorkerDied (and any later run sent to it).
 */
export async function openWorkerPool(bytes: Uint8Array, settings: SessionSettings, workers: number): Promise<ModelSession> {
  if (workers <= 1) return openWorkerSession(bytes, settings);
  const opened = await Promise.allSettled(Array.from({ length: workers }, () => openWorkerSession(bytes, settings)));
  const sessions = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failed = opened.find((o) => o.status === 'rejected');
  if (failed) {
    await Promise.all(sessions.map((s) => s.release()));
    throw failed.reason;
  }
  const inHand = sessions.map(() => 0);
  const { inputNames, outputNames, inputMetadata, outputMetadata } = sessions[0];
  return {
    inputNames,
    outputNames,
    inputMetadata,
    outputMetadata,
    parallel: workers,
    async run(input, output, tensor, transfer) {
      const i = inHand.indexOf(Math.min(...inHand));
      inHand[i]++;
      try {
        return await sessions[i].run(input, output, tensor, transfer);
      } finally {
        inHand[i]--;
      }
    },
    async release() {
      await Promise.all(sessions.map((s) => s.release()));
    },
  };
}
