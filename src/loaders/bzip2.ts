import { spawn } from 'node:child_process';
import { accessSync, constants, createReadStream } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import unbzip2 from 'unbzip2-stream';

/**
 * bzip2 decoders, fastest first: a system program through a child process (lbzip2 and pbzip2 decode on every
 * core, bzip2 on one), else the pure-JS `unbzip2-stream`. bench/bzip2.ts measures them side by side.
 */
export const SYSTEM_BZIP2 = ['lbzip2', 'pbzip2', 'bzip2'] as const;
export type Bzip2Decoder = (typeof SYSTEM_BZIP2)[number] | 'js';

/** The decoders usable here, fastest first; 'js' is always last. */
export function availableDecoders(): Bzip2Decoder[] {
  return [...SYSTEM_BZIP2.filter((name) => onPath(name) !== undefined), 'js'];
}

/**
 * The decoder archives are read with: SEMIBENCH_BZIP2 (a name from {@link availableDecoders}) when set, else
 * the fastest available.
 */
export function chooseDecoder(): Bzip2Decoder {
  const wanted = process.env.SEMIBENCH_BZIP2;
  const available = availableDecoders();
  if (!wanted) return available[0];
  if (!(available as string[]).includes(wanted)) {
    throw new Error(`SEMIBENCH_BZIP2=${wanted} is not available here; available: ${available.join(', ')}`);
  }
  return wanted as Bzip2Decoder;
}

/**
 * Whether a decoder checks each block's CRC before it writes the block out. `bzip2` and `pbzip2` (on files it
 * did not write) stream a block's bytes and check its CRC at the block's end, so the bytes of a corrupt block
 * are out before the error: readTarBz2 holds members back for them (see {@link unverifiedBytes}).
 */
export function verifiesBeforeOutput(decoder: Bzip2Decoder): boolean {
  return decoder === 'lbzip2' || decoder === 'js';
}

/**
 * The most decoded bytes a decoder that does not verify first can have written past the last verified byte:
 * one block, 100 k × level of BWT input, each 5 bytes of which (a run) expand to at most 255 (46 MB at -9).
 */
export function unverifiedBytes(level: number): number {
  return 100_000 * level * 51;
}

/** A decoding in progress: its output, and how it ended (undefined: the whole file decoded; else the error). */
export interface Decoding {
  stream: Readable;
  result: Promise<string | undefined>;
}

/**
 * Decodes a .bz2 file. A failure (truncated, corrupt) ends `stream` with an error and `result` with one line.
 * The file is read here (a system decoder gets it on stdin), so `onInput` sees every compressed byte read, in
 * order: a caller hashes the archive as it decodes it, without a second read.
 */
export function decompressBzip2(file: string, decoder: Bzip2Decoder = chooseDecoder(), onInput?: (chunk: Buffer) => void): Decoding {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const input = createReadStream(file, { highWaterMark: 1 << 20 });
  if (onInput) input.on('data', (chunk) => onInput(chunk as Buffer));
  if (decoder === 'js') {
    const result = new Promise<string | undefined>((done) => {
      pipeline(input, unbzip2(), out, (error) => {
        if (!error) return done(undefined);
        const message = oneLine(`bzip2 (js): ${jsDecoderReason(error, input.readableEnded)}`);
        out.destroy(new Error(message));
        done(message);
      });
    });
    return { stream: out, result };
  }
  const child = spawn(onPath(decoder)!, ['-d', '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
  // A decoder that stops early (a corrupt block) closes its stdin: its exit status says why, not the EPIPE.
  child.stdin.on('error', () => {});
  input.on('error', (error) => child.stdin.destroy(error));
  input.pipe(child.stdin);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-2000)));
  // The stream ends only once the program has exited well, so a failure is never taken for the end of the data.
  child.stdout.pipe(out, { end: false });
  const result = new Promise<string | undefined>((done) => {
    let drained = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const finish = () => {
      if (!exit || !drained) return;
      if (exit.code === 0) {
        out.end();
        return done(undefined);
      }
      // The first thing it said ("lbzip2: lbzip2: "file": compressed data error: ..."), the program named once.
      const said = (stderr.split('\n').find((line) => line.trim()) ?? '').trim().replace(new RegExp(`^(${decoder}: )+`), '');
      const message = oneLine(`${decoder}: ${said || `exited with ${exit.signal ?? exit.code}`}`);
      if (!out.destroyed) out.destroy(new Error(message));
      done(message);
    };
    child.stdout.on('end', () => ((drained = true), finish()));
    child.on('close', (code, signal) => ((exit = { code, signal }), (drained = true), finish()));
    child.on('error', (error) => {
      out.destroy(new Error(`${decoder}: ${error.message}`));
      done(`${decoder}: ${error.message}`);
    });
  });
  // A consumer that stops early (or fails) ends the program too.
  out.on('close', () => {
    input.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  return { stream: out, result };
}

/**
 * What went wrong, in the system decoders' words: unbzip2-stream says "Cannot read properties of undefined"
 * when its input runs out mid-block (its bit reader reads past the last buffer), "input stream ended
 * prematurely" when it ends between blocks, and jokes ("meow i'm a kitty, that's an error") for a bad block.
 */
function jsDecoderReason(error: Error, inputEnded: boolean): string {
  if (error.name === 'Bzip2Error') {
    return /crc/i.test(error.message) ? 'data integrity error (a block fails its CRC check)' : 'compressed data error (not a valid bzip2 block)';
  }
  if (/ended prematurely/.test(error.message) || (error instanceof TypeError && inputEnded)) return 'compressed file ends unexpectedly';
  if (error instanceof TypeError) return 'compressed data error (a block reads past its data)';
  return error.message;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
