import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventQueue, systemClock } from '@baton/protocol';
import { ResultAggregator, StreamDecoder, TEXT_MIME_TYPE, decodeAll, timestampToMillis } from '@baton/subunit';
import type { AdapterContext, AdapterEvent, AdapterFactory, TestAdapter } from './adapter.js';
import { WorkerError } from './errors.js';
import { listShellCommand, runShellCommand } from './substitute.js';

/** How much of a command's stderr is kept for the reason of its death. */
export const COMMAND_STDERR_TAIL_BYTES: number = 8 * 1024;


/** A testrepository-style command, as `.testr.conf` describes it. */
export interface TestrCommand {
  /** `test_command`, with `$IDOPTION`, `$IDFILE`, `$IDLIST` and `$LISTOPT`; run by `/bin/sh -c`. */
  readonly testCommand: string;
  /** `test_id_option`, e.g. `--load-list $IDFILE`. */
  readonly testIdOption?: string;
  /** `test_list_option`, e.g. `--list`. */
  readonly testListOption?: string;
  readonly cwd: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Adapters that run a testr-compatible command once per batch and read subunit v2 from
 * its stdout (bytes that are not subunit are stray output). A batch is handed to its
 * process whole, so Cancel takes back nothing from it; the slot cancels what it has not
 * handed out yet. Each batch comes in discovery order, in a process of its own; such
 * commands may still run it in any order (`subunit.run --load-list` keeps discovery order).
 */
export function testrCommandAdapter(command: TestrCommand): AdapterFactory {
  return (context) => Promise.resolve(new CommandAdapter(command, context));
}

class CommandAdapter implements TestAdapter {
  readonly processPerBatch = true;
  private child: ChildProcess | undefined;

  constructor(
    private readonly command: TestrCommand,
    private readonly context: AdapterContext,
  ) {}

  async list(): Promise<string[]> {
    const shell = listShellCommand(this.command.testCommand, this.command.testListOption);
    const child = this.spawn(shell, false);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (data: Buffer) => out.push(data));
    child.stderr!.on('data', (data: Buffer) => err.push(data));
    const [code, signal] = (await once(child, 'close').catch((cause: Error) => {
      throw new WorkerError('BATON_WORKER_ADAPTER_FAILED', `cannot start '${shell}': ${cause.message}`, { cause });
    })) as [number | null, NodeJS.Signals | null];
    const stdout = Buffer.concat(out);
    if (code !== 0) {
      const tail = Buffer.concat(err).toString('utf8').trimEnd() || stdout.toString('utf8').trimEnd();
      throw new WorkerError(
        'BATON_WORKER_ADAPTER_FAILED',
        `listing the tests with '${shell}' failed (${signal === null ? `exit code ${code}` : `signal ${signal}`})${tail ? `:\n${tail.slice(-COMMAND_STDERR_TAIL_BYTES)}` : ''}`,
      );
    }
    const { packets } = decodeAll(stdout);
    const listed = packets.filter((p) => p.status === 'exists' && p.testId !== undefined).map((p) => p.testId!);
    if (listed.length > 0 || packets.length > 0) return listed;
    // testr accepts a plain enumeration too: one id per line.
    return stdout
      .toString('utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0);
  }

  run(tests: readonly string[]): AsyncIterable<AdapterEvent> {
    const queue = new EventQueue<AdapterEvent>();
    void this.runBatch(tests, queue).catch((error: unknown) => queue.fail(error));
    return queue;
  }

  /** The batch went to its process whole: nothing can be taken back. */
  cancel(): Promise<string[]> {
    return Promise.resolve([]);
  }

  kill(): void {
    const child = this.child;
    // The command's whole process group: `sh -c` and the test runner it started.
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
  }

  async close(): Promise<void> {
    this.kill();
  }

  private async runBatch(tests: readonly string[], queue: EventQueue<AdapterEvent>): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'baton-ids-'));
    const idFile = join(dir, 'ids');
    try {
      await writeFile(idFile, tests.map((id) => `${id}\n`).join(''));
      const shell = runShellCommand(this.command.testCommand, this.command.testIdOption, idFile, tests);
      const child = this.spawn(shell, true);
      this.child = child;
      const running = new Set<string>();
      const stderr = new StderrTail();
      const startedMs = new Map<string, number>();
      const results = new ResultAggregator({
        result: (result) => {
          running.delete(result.id);
          startedMs.delete(result.id);
          queue.push({ type: 'result', result });
        },
        output: (stray) => this.context.output(stray.attachment),
      });
      const decoder = new StreamDecoder({
        packet: (packet) => {
          const id = packet.testId;
          if (id !== undefined && packet.status === 'inprogress' && !running.has(id)) {
            running.add(id);
            if (packet.timestamp !== undefined) startedMs.set(id, timestampToMillis(packet.timestamp));
            queue.push({ type: 'start', id, timestamp: packet.timestamp });
          }
          results.packet(packet);
        },
        bytes: (data) => this.context.output({ name: 'stdout', mimeType: TEXT_MIME_TYPE, content: data }),
        error: (error) => this.context.log(`slot ${this.context.slot}: corrupt subunit from '${shell}' ignored: ${error.message}`),
      });
      child.stdout!.on('data', (data: Buffer) => decoder.push(data));
      child.stderr!.on('data', (data: Buffer) => {
        this.context.output({ name: 'stderr', mimeType: TEXT_MIME_TYPE, content: data });
        stderr.push(data.toString('utf8'), systemClock.now());
      });
      const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
      this.child = undefined;
      decoder.end();
      if (running.size === 0) {
        queue.end();
        return;
      }
      // A non-zero exit alone is normal (failed tests); dying inside a test is not.
      const how = signal === null ? `exit code ${code}` : `signal ${signal}`;
      const since = [...running].every((id) => startedMs.has(id)) ? Math.min(...[...running].map((id) => startedMs.get(id)!)) : undefined;
      const tail = stderr.since(since);
      queue.fail(
        new WorkerError(
          'BATON_WORKER_ADAPTER_DIED',
          `the test command exited (${how}) while running ${[...running].join(', ')}${tail.trim() ? `\n--- stderr tail ---\n${tail.trimEnd()}` : ''}`,
        ),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private spawn(shell: string, ownGroup: boolean): ChildProcess {
    return spawn('/bin/sh', ['-c', shell], {
      cwd: this.command.cwd,
      env: this.command.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: ownGroup,
    });
  }
}

/**
 * The end of a test command's stderr, each read kept with the moment it arrived, so that a
 * death is told with what the dying test wrote and not with what the tests before it in
 * the batch wrote. stdout (where a test's start comes) and stderr are two pipes read in
 * no set order, so a read is told by time: one that arrived before the test started (by
 * the start's own timestamp, on this machine's clock) was written before it, and one that
 * arrived later may hold its words. A fast test's words can share a read with those of the
 * tests before it; they are kept then rather than lost.
 */
class StderrTail {
  private readonly reads: { readonly at: number; readonly text: string }[] = [];
  private bytes = 0;

  push(text: string, at: number): void {
    this.reads.push({ at, text });
    this.bytes += text.length;
    while (this.reads.length > 1 && this.bytes - this.reads[0]!.text.length >= COMMAND_STDERR_TAIL_BYTES) this.bytes -= this.reads.shift()!.text.length;
  }

  /** What arrived from `ms` on (everything without it), at most COMMAND_STDERR_TAIL_BYTES. */
  since(ms: number | undefined): string {
    // Date.now() is whole milliseconds; the start's timestamp has microseconds.
    return this.reads.filter((r) => ms === undefined || r.at >= Math.floor(ms)).map((r) => r.text).join('').slice(-COMMAND_STDERR_TAIL_BYTES);
  }
}
