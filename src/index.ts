// The package's main entry (`import … from 'semibench'`): the config helpers and the CLI as a function.
// Configs import from 'semibench/config', which loads no model runtime.
export * from './config/index.js';
export { main } from './cli/main.js';
