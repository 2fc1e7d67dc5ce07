// Every baton command, in the order `baton --help` lists them. To add a command, write
// src/commands/<name>.ts exporting a CommandFactory and add one line here.
import type { CommandFactory } from '../context.js';
import { bisectCommand } from './bisect.js';
import { failingCommand } from './failing.js';
import { flakyCommand } from './flaky.js';
import { coordinatorCommand } from './coordinator.js';
import { historyCommand } from './history.js';
import { initCommand } from './init.js';
import { lastCommand } from './last.js';
import { listCommand } from './list.js';
import { loadCommand } from './load.js';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';
import { simulateCommand } from './simulate.js';
import { slowestCommand } from './slowest.js';
import { statsCommand } from './stats.js';
import { timingsCommand } from './timings.js';
import { workerCommand } from './worker.js';

/** The registry `main` builds the command line from. */
export const commands: readonly CommandFactory[] = [
  runCommand,
  listCommand,
  coordinatorCommand,
  workerCommand,
  initCommand,
  loadCommand,
  lastCommand,
  failingCommand,
  flakyCommand,
  slowestCommand,
  statsCommand,
  historyCommand,
  bisectCommand,
  serveCommand,
  timingsCommand,
  simulateCommand,
];
