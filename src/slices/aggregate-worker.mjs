// Entry of the report's worker thread: register tsx (the CLI runs the TypeScript sources directly), then run
// the worker. See parallel.ts.
import { register } from 'tsx/esm/api';

register();
await import('./aggregate-worker.ts');
