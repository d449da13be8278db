// Entry of the metadata worker thread: register tsx (the CLI runs the TypeScript sources directly), then run
// the worker. See read-parallel.ts.
import { register } from 'tsx/esm/api';

register();
await import('./metadata-worker.ts');
