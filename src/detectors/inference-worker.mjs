// Entry of the inference worker thread when running from the TypeScript sources (tests, tsx): register tsx, then
// run the worker. The built package starts the compiled .js directly (src/util/worker-entry.ts).
import { register } from 'tsx/esm/api';

register();
await import('./inference-worker.ts');
