// `npm run bench -- subunit [--rounds N] [--copies N]`: decode and encode throughput of
// @baton/subunit against python-subunit 1.4.0 (Debian's python3-subunit) on the same
// bytes, measured alternately in one run so that machine noise hits both alike.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { decodeAll, StreamDecoder, StreamEncoder, type Packet } from '@baton/subunit';
import { median, rate, ratio, table } from './_table.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'subunit');
const SOURCES = ['stestr-run-live.subunit', 'stestr-run.subunit', 'small-mixed-live.subunit', 'small-mixed.subunit'];
const CHUNK = 64 * 1024;

const PYTHON = String.raw`
import io, sys, time
import subunit.v2 as v2
from testtools import StreamResult

class Collect(StreamResult):
    def __init__(self):
        super().__init__()
        self.calls = []
    def status(self, **kw):
        self.calls.append(kw)

data = open(sys.argv[1], 'rb').read()
t0 = time.perf_counter()
v2.ByteStreamToStreamResult(io.BytesIO(data)).run(StreamResult())
decode = time.perf_counter() - t0

collect = Collect()
v2.ByteStreamToStreamResult(io.BytesIO(data)).run(collect)
out = io.BytesIO()
writer = v2.StreamResultToBytes(out)
t0 = time.perf_counter()
for kw in collect.calls:
    writer.status(**kw)
encode = time.perf_counter() - t0
assert len(out.getvalue()) == len(data), 'python re-encoding changed the size'
print(len(collect.calls), decode, encode)
`;

function parseArgs(args: string[]): { rounds: number; copies: number } {
  const get = (flag: string, fallback: number) => {
    const i = args.indexOf(flag);
    return i === -1 ? fallback : Number(args[i + 1]);
  };
  return { rounds: get('--rounds', 5), copies: get('--copies', 9) };
}

function decodeRun(bytes: Uint8Array): { packets: number; seconds: number } {
  let packets = 0;
  const decoder = new StreamDecoder({ packet: () => void packets++, bytes: () => {}, error: () => {} });
  const t0 = performance.now();
  for (let at = 0; at < bytes.length; at += CHUNK) decoder.push(bytes.subarray(at, at + CHUNK));
  decoder.end();
  return { packets, seconds: (performance.now() - t0) / 1000 };
}

function encodeRun(packets: Packet[], expectedSize: number): number {
  let size = 0;
  const t0 = performance.now();
  const encoder = new StreamEncoder((chunk) => void (size += chunk.length));
  for (const p of packets) encoder.write(p);
  encoder.flush();
  const seconds = (performance.now() - t0) / 1000;
  if (size !== expectedSize) throw new Error(`encoded ${size} bytes, expected ${expectedSize}`);
  return seconds;
}

export default async function bench(args: string[]): Promise<void> {
  const { rounds, copies } = parseArgs(args);
  const one = Buffer.concat(SOURCES.map((f) => readFileSync(join(FIXTURES, f))));
  const bytes = Buffer.concat(Array.from({ length: copies }, () => one));
  const decoded = decodeAll(bytes);
  if (decoded.errors.length) throw new Error(`fixture stream has errors: ${decoded.errors[0]!.message}`);
  const packets = decoded.packets;
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-'));
  const file = join(dir, 'stream.subunit');
  writeFileSync(file, bytes);
  console.log(`subunit benchmark: ${packets.length.toLocaleString('en-US')} packets, ${(bytes.length / 1e6).toFixed(1)} MB (the stestr fixtures × ${copies}), ${rounds} alternating rounds, median shown`);

  const ours = { decode: [] as number[], encode: [] as number[] };
  const theirs = { decode: [] as number[], encode: [] as number[] };
  try {
    for (let warm = 0; warm < 2; warm++) {
      decodeRun(bytes); // let the JIT settle before measuring
      encodeRun(packets, bytes.length);
    }
    for (let round = 0; round < rounds; round++) {
      const d = decodeRun(bytes);
      if (d.packets !== packets.length) throw new Error(`decoded ${d.packets} packets, expected ${packets.length}`);
      ours.decode.push(d.seconds);
      ours.encode.push(encodeRun(packets, bytes.length));
      const py = spawnSync('/usr/bin/python3', ['-c', PYTHON, file], { encoding: 'utf8' });
      if (py.status !== 0) throw new Error(`python-subunit failed (is python3-subunit installed?): ${py.stderr}`);
      const [count, decodeSeconds, encodeSeconds] = py.stdout.trim().split(' ').map(Number) as [number, number, number];
      if (count !== packets.length) throw new Error(`python-subunit saw ${count} packets, baton ${packets.length}`);
      theirs.decode.push(decodeSeconds);
      theirs.encode.push(encodeSeconds);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const n = packets.length;
  const mb = bytes.length / 1e6;
  const row = (name: string, m: typeof ours) => [
    name,
    rate(n / median(m.decode)),
    (mb / median(m.decode)).toFixed(1),
    rate(n / median(m.encode)),
    (mb / median(m.encode)).toFixed(1),
  ];
  console.log(
    table([
      ['implementation', 'decode packets/s', 'decode MB/s', 'encode packets/s', 'encode MB/s'],
      row('@baton/subunit (StreamDecoder / StreamEncoder, 64 KiB chunks)', ours),
      row('python-subunit 1.4.0 (ByteStreamToStreamResult / StreamResultToBytes)', theirs),
      ['baton / python-subunit', ratio(median(theirs.decode) / median(ours.decode)), '', ratio(median(theirs.encode) / median(ours.encode)), ''],
    ]),
  );
  console.log('reference: python-subunit 1.4.0 from Debian 12 (python3-subunit), run with /usr/bin/python3 on the same file in the same run; target: decode ≥ 10× python-subunit');
}
