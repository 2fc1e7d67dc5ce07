export { main } from './main.js';
export { ExitCode, CliError, describeError, type ExitStatus, type CliErrorCode } from './errors.js';
export type { CliIo, CliContext, CommandFactory, GlobalArgs, SignalSource } from './context.js';
