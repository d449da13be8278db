import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import { GraphBuilder } from '../../src/detectors/onnx-graph.js';
import { CLIP_VIT_B32 } from '../../src/generation/learned/zoo.js';

/**
 * Tiny stand-ins for the learned metric models, built in code with GraphBuilder and written in the default
 * models/metrics layout. Their outputs are simple enough to recompute in the test:
 * - LPIPS: mean((a − b)²) over C, H, W;
 * - DreamSim: the per-channel mean of the 224×224 input (embedding of size 3);
 * - MiniLM: a token-embedding lookup (table below) times the attention mask: mean pooling gives the mean row;
 * - CLIP: vision = per-channel mean × VISION_PROJECTION; text = mean of looked-up token rows.
 */
export const EMBED_DIM = 4;

/** The WordPiece vocabulary of the tiny MiniLM (covers the fixture's mask labels and perturbed labels). */
export const WORDPIECE_VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'slightly', 'dark', '##er', 'tree', 'red', 'car', 'wooden', 'bench',
  'bi', '##cycle', 'giant', 'robot', 'water', '##fall', 'sky', 'person', 'road', 'wall', 'grass', 'table', '.', ',',
];

export const VISION_PROJECTION = [
  [1, 0.5, -0.25, 0.1],
  [0.2, 1, 0.3, -0.4],
  [-0.3, 0.1, 1, 0.6],
];

/** Deterministic [rows, EMBED_DIM] table of float32 values in [-1, 1). */
export function embeddingTable(rows: number, seed: number): number[][] {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: EMBED_DIM }, (_, j) => Math.fround((((i + 1) * 37 + j * 11 + seed * 5) % 29) / 14.5 - 1)));
}

export const MINILM_TABLE = embeddingTable(WORDPIECE_VOCAB.length, 7);

/** CLIP's tiny BPE vocabulary: every byte character alone and word-final, the specials, and a few merges. */
export function clipVocab(): { vocab: Record<string, number>; merges: string[] } {
  const tokens: string[] = [];
  for (let c = 0x21; c <= 0x7e; c++) tokens.push(String.fromCharCode(c), `${String.fromCharCode(c)}</w>`);
  const merges = ['r e', 're d</w>', 'c a', 'ca r</w>', 't r', 'e e</w>', 'tr ee</w>'];
  tokens.push('re', 'red</w>', 'ca', 'car</w>', 'tr', 'ee</w>', 'tree</w>', '<|startoftext|>', '<|endoftext|>');
  return { vocab: Object.fromEntries(tokens.map((t, i) => [t, i])), merges };
}

export const CLIP_TEXT_TABLE = embeddingTable(Object.keys(clipVocab().vocab).length, 11);

/** Writes the four tiny models (and tokenizer files) under `dir` in the default layout; returns `dir`. */
export function writeTinyMetricModels(dir: string, which: ('lpips' | 'dreamsim' | 'minilm' | 'clip')[] = ['lpips', 'dreamsim', 'minilm', 'clip']): string {
  const put = (path: string, data: Uint8Array | string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), data);
  };
  if (which.includes('lpips')) put('lpips-squeeze/model.onnx', lpipsModel());
  if (which.includes('dreamsim')) put('dreamsim/model.onnx', dreamsimModel());
  if (which.includes('minilm')) {
    put('all-MiniLM-L6-v2/onnx/model.onnx', miniLmModel());
    put('all-MiniLM-L6-v2/vocab.txt', `${WORDPIECE_VOCAB.join('\n')}\n`);
  }
  if (which.includes('clip')) {
    const { vocab, merges } = clipVocab();
    put('clip-vit-base-patch32/onnx/vision_model.onnx', clipVisionModel());
    put('clip-vit-base-patch32/onnx/text_model.onnx', clipTextModel());
    put('clip-vit-base-patch32/vocab.json', JSON.stringify(vocab));
    put('clip-vit-base-patch32/merges.txt', `#version: 0.2\n${merges.join('\n')}\n`);
    // The tiny text model knows only the tiny vocabulary: a manifest in the folder points CLIP's tokenizer at it.
    put('clip-tiny.json', JSON.stringify({ ...CLIP_VIT_B32, tokenizer: { ...CLIP_VIT_B32.tokenizer, vocab: 'clip-vit-base-patch32/vocab.json', merges: 'clip-vit-base-patch32/merges.txt' } }));
  }
  return dir;
}

export function lpipsModel(): Uint8Array {
  const g = new GraphBuilder(17);
  const a = g.input('in0', ['N', 3, 'H', 'W']);
  const b = g.input('in1', ['N', 3, 'H', 'W']);
  const d = g.op('Sub', [a, b]);
  g.op('ReduceMean', [g.op('Mul', [d, d])], { axes: [1, 2, 3], keepdims: 0 }, 'distance');
  g.output('distance', ['N']);
  return g.build();
}

export function dreamsimModel(): Uint8Array {
  const g = new GraphBuilder(17);
  const x = g.input('image', ['N', 3, 224, 224]);
  g.op('ReduceMean', [x], { axes: [2, 3], keepdims: 0 }, 'embedding');
  g.output('embedding', ['N', 3]);
  return g.build();
}

export function miniLmModel(): Uint8Array {
  const g = new GraphBuilder(17);
  const ids = g.input('input_ids', ['N', 'T']);
  const mask = g.input('attention_mask', ['N', 'T']);
  const table = g.floats(MINILM_TABLE.flat(), [MINILM_TABLE.length, EMBED_DIM]);
  const states = g.op('Gather', [table, ids], { axis: 0 }); // [N, T, D]
  const weight = g.op('Unsqueeze', [g.op('Cast', [mask], { to: 1 }), g.ints([2])]); // [N, T, 1]
  g.op('Mul', [states, weight], {}, 'last_hidden_state');
  g.output('last_hidden_state', ['N', 'T', EMBED_DIM]);
  return withInt64Inputs(g.build(), ['input_ids', 'attention_mask']);
}

export function clipVisionModel(): Uint8Array {
  const g = new GraphBuilder(17);
  const x = g.input('pixel_values', ['N', 3, 224, 224]);
  const means = g.op('ReduceMean', [x], { axes: [2, 3], keepdims: 0 }); // [N, 3]
  g.op('MatMul', [means, g.floats(VISION_PROJECTION.flat(), [3, EMBED_DIM])], {}, 'image_embeds');
  g.output('image_embeds', ['N', EMBED_DIM]);
  return g.build();
}

export function clipTextModel(): Uint8Array {
  const g = new GraphBuilder(17);
  const ids = g.input('input_ids', ['N', 'T']);
  const table = g.floats(CLIP_TEXT_TABLE.flat(), [CLIP_TEXT_TABLE.length, EMBED_DIM]);
  const states = g.op('Gather', [table, ids], { axis: 0 });
  g.op('ReduceMean', [states], { axes: [1], keepdims: 0 }, 'text_embeds');
  g.output('text_embeds', ['N', EMBED_DIM]);
  return withInt64Inputs(g.build(), ['input_ids']);
}

/** GraphBuilder declares float inputs only: re-type the named ones as int64 (token ids, masks). */
function withInt64Inputs(bytes: Uint8Array, names: string[]): Uint8Array {
  const { onnx } = onnxProto;
  const model = onnx.ModelProto.decode(bytes);
  for (const input of model.graph!.input!) {
    if (names.includes(input.name!)) input.type!.tensorType!.elemType = onnx.TensorProto.DataType.INT64;
  }
  return onnx.ModelProto.encode(model).finish();
}
