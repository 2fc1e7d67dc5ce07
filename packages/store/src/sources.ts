// Inputs of `baton load`: subunit v1 streams (what stestr and testrepository keep on
// disk) go through python-subunit's `subunit-1to2`, and stestr/testrepository
// directories are listed as their runs in order.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SIGNATURE } from '@baton/subunit';
import { StoreError } from './errors.js';

/** The converter python-subunit installs. */
export const V1_CONVERTER = 'subunit-1to2';

// The v1 commands that open a test; a v1 stream has one within its first lines.
const V1_TEST_LINE = /^(?:test|testing):? \S/m;
const SNIFF_BYTES = 64 * 1024;

/**
 * The input as subunit v2: passed through unchanged unless it starts like a subunit v1
 * stream, which is piped through `subunit-1to2`. Anything else is passed on for the
 * importer to refuse.
 */
export async function* asSubunitV2(input: AsyncIterable<Uint8Array>, name: string): AsyncGenerator<Uint8Array> {
  const iterator = input[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let done = false;
  while (headBytes < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    headBytes += next.value.length;
    if (next.value.length > 0 && head[0]![0] === SIGNATURE) break;
  }
  const rest = async function* (): AsyncGenerator<Uint8Array> {
    yield* head;
    if (!done) yield* { [Symbol.asyncIterator]: () => iterator };
  };
  const first = head.find((c) => c.length > 0);
  if (first === undefined || first[0] === SIGNATURE || !isV1(head)) {
    yield* rest();
    return;
  }
  yield* convertV1(rest(), name);
}

function isV1(head: Uint8Array[]): boolean {
  return V1_TEST_LINE.test(Buffer.concat(head).subarray(0, SNIFF_BYTES).toString('latin1'));
}

async function* convertV1(input: AsyncIterable<Uint8Array>, name: string): AsyncGenerator<Uint8Array> {
  const child = spawn(V1_CONVERTER, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT'
        ? new StoreError('BATON_STORE_NO_CONVERTER', `${name} is subunit v1 (as stestr and testrepository store runs); ` +
            `install python-subunit (Debian: python3-subunit) so that \`${V1_CONVERTER}\` is on PATH`, { cause: error })
        : error);
    });
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  await spawned;
  const feeding = pipeline(Readable.from(input), child.stdin);
  // A converter that dies early closes its stdin; the exit status below says why.
  feeding.catch(() => {});
  for await (const chunk of child.stdout) yield chunk as Buffer;
  const status = await exited;
  if (status !== 0) {
    throw new StoreError('BATON_STORE_CORRUPT_INPUT', `${V1_CONVERTER} failed (exit ${status}) on ${name}: ${stderr.trim()}`);
  }
  await feeding;
}

/** One stored run of a stestr or testrepository directory. */
export interface StestrRun {
  /** Its number in that repository. */
  readonly id: number;
  readonly path: string;
}

/** Whether `dir` is a stestr (`.stestr/`) or testrepository (`.testrepository/`) repository. */
export function isStestrRepository(dir: string): boolean {
  return existsSync(join(dir, 'format')) && existsSync(join(dir, 'next-stream'));
}

/** The runs of a stestr or testrepository directory, oldest first (both name them 0, 1, 2…). */
export function stestrRuns(dir: string): StestrRun[] {
  const format = readFileSync(join(dir, 'format'), 'utf8').trim();
  if (format !== '1') {
    throw new StoreError('BATON_STORE_NOT_SUBUNIT', `${dir} is a stestr/testrepository repository of format ${JSON.stringify(format)}; baton reads format 1`);
  }
  return readdirSync(dir)
    .filter((f) => /^\d+$/.test(f))
    .map((f) => ({ id: Number(f), path: join(dir, f) }))
    .sort((a, b) => a.id - b.id);
}
