/**
 * The entry module of a worker thread that lives next to the calling module (`from` = its import.meta.url).
 * From the TypeScript sources (tests, tsx) it is `NAME.mjs`, which registers tsx before importing `NAME.ts`;
 * in the built package (dist/) it is the compiled `NAME.js`, so the CLI needs no TypeScript at run time.
 */
export function workerEntry(name: string, from: string): URL {
  return new URL(from.endsWith('.ts') ? `./${name}.mjs` : `./${name}.js`, from);
}
