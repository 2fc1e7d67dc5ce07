import { toClosablePipe } from './closed-pipe.js';
import { guardProcess } from './crash-guard.js';
import { main } from './main.js';

guardProcess(process, process.stderr);

// No top-level await: scripts/bundle-cli.mjs bundles this file as CommonJS.
const stdout = toClosablePipe(process.stdout);
void main(process.argv.slice(2), {
  stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  cwd: process.cwd(),
  now: Date.now,
  signals: process,
  env: process.env,
}).then(async (status) => {
  // The command is over: flush what it wrote, then exit even if some handle (a child's
  // pipe, a timer of a library) would keep the process alive.
  if (!stdout.closed) await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
  process.exit(status);
});
