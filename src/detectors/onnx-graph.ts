import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

type Dim = number | string;
type Attr = number | number[] | string;

/**
 * A small builder for ONNX graphs written in TypeScript: the weight-free detectors and the tiny test models
 * are made with it, so the repository holds code rather than binary models.
 * Every method returns the name of the value it adds, so graphs read like expressions.
 */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;

  constructor(readonly opset = 17) {}

  input(name: string, shape: Dim[]): string {
    this.inputs.push(valueInfo(name, shape));
    return name;
  }

  output(name: string, shape: Dim[]): string {
    this.outputs.push(valueInfo(name, shape));
    return name;
  }

  /** A float32 constant (initializer). */
  floats(values: ArrayLike<number>, dims: number[] = [values.length]): string {
    const name = `c${this.counter++}`;
    const raw = new Float32Array(Array.from(values));
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: new Uint8Array(raw.buffer) });
    return name;
  }

  /** An int64 constant (initializer), for shapes, axes and slice bounds. */
  ints(values: number[]): string {
    const name = `c${this.counter++}`;
    const raw = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [values.length], dataType: INT64, rawData: new Uint8Array(raw.buffer) });
    return name;
  }

  /** Adds one node and returns the name of its (first) output. */
  op(opType: string, inputs: string[], attributes: Record<string, Attr> = {}, output?: string): string {
    const out = output ?? `v${this.counter++}`;
    this.nodes.push({
      opType,
      input: inputs,
      output: [out],
      name: `${opType}_${this.counter++}`,
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    return out;
  }

  /** x[axis] from start to end with step (ONNX Slice; end may be a large number meaning "to the end"). */
  slice(x: string, axis: number, start: number, end: number, step: number): string {
    return this.op('Slice', [x, this.ints([start]), this.ints([end]), this.ints([axis]), this.ints([step])]);
  }

  /** Serialises the model to ONNX protobuf bytes. */
  build(producer = 'semibench'): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: producer,
      opsetImport: [{ domain: '', version: this.opset }],
      graph: {
        name: producer,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/** The largest int64, used as "slice to the end". */
export const TO_END = 2 ** 62;

function valueInfo(name: string, shape: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if (Number.isInteger(value)) return { name, type: T.INT, i: value };
  return { name, type: T.FLOAT, f: value };
}
