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
 * The decompressed bytes of a .bz2 file as a stream. A decoding failure (truncated or corrupt file) destroys
 * the stream with an Error whose message is one line: the decoder's own words.
 */
export function decompressBzip2(file: string, decoder: Bzip2Decoder = chooseDecoder()): Readable {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  if (decoder === 'js') {
    pipeline(createReadStream(file), unbzip2(), out, (error) => {
      if (error) out.destroy(new Error(oneLine(`bzip2 (js): ${error.message}`)));
    });
    return out;
  }
  const child = spawn(onPath(decoder)!, ['-d', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-2000)));
  // The stream ends only once the program has exited, so a failure is never mistaken for the end of the data.
  child.stdout.pipe(out, { end: false });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let drained = false;
  const finish = () => {
    if (!exit || !drained) return;
    if (exit.code === 0) out.end();
    else if (!out.destroyed) out.destroy(new Error(oneLine(`${decoder}: ${stderr.trim() || `exited with ${exit.signal ?? exit.code}`}`)));
  };
  child.stdout.on('end', () => ((drained = true), finish()));
  child.on('close', (code, signal) => ((exit = { code, signal }), (drained = true), finish()));
  child.on('error', (error) => out.destroy(new Error(`${decoder}: ${error.message}`)));
  // A consumer that stops early (or fails) ends the program too.
  out.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  return out;
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
