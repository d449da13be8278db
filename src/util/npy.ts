/**
 * Encodes a float32 array as a NumPy .npy file (format version 1.0, little-endian '<f4', C order), so a
 * tensor can be loaded with `numpy.load` and diffed against a PyTorch pipeline.
 */
export function encodeNpy(data: Float32Array, shape: number[]): Buffer {
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Magic (6) + version (2) + header length (2) + header + newline must be a multiple of 64 bytes.
  const unpadded = 10 + header.length + 1;
  const padded = header + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(padded.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([prefix, Buffer.from(padded, 'latin1'), littleEndian(body)]);
}

function littleEndian(body: Buffer): Buffer {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return body;
  const copy = Buffer.from(body);
  copy.swap32();
  return copy;
}
