import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Chw } from '../../image/types.js';
import { UserError } from '../../util/errors.js';
import type { OnnxFile } from './manifest.js';

/** A model output as plain data. */
export interface GraphOutput {
  data: Float32Array;
  dims: number[];
}

/**
 * One ONNX graph of a metric model, loaded with its input roles checked against the graph. Runs are queued one
 * at a time (measure overlaps decoding and pixel metrics of several rows; inference itself uses every core).
 */
export class MetricGraph {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly file: OnnxFile,
    readonly sha256: string,
  ) {}

  /** Loads the file (sha256-checked when the manifest gives one) and checks that required roles exist in the graph. */
  static async load(file: OnnxFile, metricsDir: string, model: string, required: string[]): Promise<MetricGraph> {
    const path = resolvePath(metricsDir, file.path);
    const bytes = readFileSync(path);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (file.sha256 && file.sha256 !== sha256) {
      throw new UserError(`Metric model '${model}': sha256 mismatch for ${path}: manifest says ${file.sha256}, file is ${sha256}.`, 'E_MANIFEST');
    }
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
    for (const role of required) {
      const name = file.inputs[role];
      if (!session.inputNames.includes(name)) {
        throw new UserError(`Metric model '${model}': input '${name}' (${role}) is not in ${path} (it has: ${session.inputNames.join(', ')}).`, 'E_MANIFEST');
      }
    }
    if (!session.outputNames.includes(file.output)) {
      throw new UserError(`Metric model '${model}': output '${file.output}' is not in ${path} (it has: ${session.outputNames.join(', ')}).`, 'E_MANIFEST');
    }
    return new MetricGraph(session, file, sha256);
  }

  /** Whether the graph has the input a role maps to (optional roles are fed only then). */
  has(role: string): boolean {
    const name = this.file.inputs[role];
    return name !== undefined && this.session.inputNames.includes(name);
  }

  /** The element type the graph declares for a role's input ('int64' when unknown). */
  inputType(role: string): ort.Tensor.Type {
    const meta = this.session.inputMetadata.find((m) => m.name === this.file.inputs[role]);
    return meta?.isTensor ? meta.type : 'int64';
  }

  /** Runs the graph on tensors keyed by role; returns the manifest's output. */
  run(feeds: Record<string, ort.Tensor>): Promise<GraphOutput> {
    const job = this.queue.then(async () => {
      const named: Record<string, ort.Tensor> = {};
      for (const [role, tensor] of Object.entries(feeds)) if (this.has(role)) named[this.file.inputs[role]] = tensor;
      const result = await this.session.run(named);
      const out = result[this.file.output];
      return { data: Float32Array.from(out.data as Float32Array), dims: [...out.dims] };
    });
    this.queue = job.catch(() => undefined);
    return job;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** Stacks same-shaped CHW tensors into an NCHW float tensor. */
export function imageBatch(images: readonly Chw[]): ort.Tensor {
  const [first] = images;
  const size = first.data.length;
  const data = new Float32Array(size * images.length);
  images.forEach((t, i) => {
    if (t.data.length !== size) throw new Error('imageBatch: images in one batch must share a shape');
    data.set(t.data, i * size);
  });
  return new ort.Tensor('float32', data, [images.length, first.channels, first.height, first.width]);
}

/** A [1, T] integer tensor of the element type the graph wants. */
export function sequenceTensor(values: readonly number[], type: ort.Tensor.Type): ort.Tensor {
  if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(values), [1, values.length]);
  if (type === 'float32') return new ort.Tensor('float32', Float32Array.from(values), [1, values.length]);
  return new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), [1, values.length]);
}

/** A metric-model file path: relative paths resolve against the metrics folder. */
export function resolvePath(metricsDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(metricsDir, path);
}
