// Packets written by python-subunit 1.4.0's StreamResultToBytes (Debian 12), as hex, with
// the packet each one encodes. The generating calls are in the comments.
import type { Packet } from '../packet.js';

const ts = { seconds: 1795304473, nanos: 440154000 }; // 2026-11-21 23:41:13.440154 UTC

export interface PythonFixture {
  name: string;
  hex: string;
  packet: Packet;
}

export const PYTHON_FIXTURES: PythonFixture[] = [
  // status()
  { name: 'minimal', hex: 'b321000819d79a8d', packet: { runnable: true } },
  // status(test_id='pkg.T.test_a', test_status='exists')
  {
    name: 'exists',
    hex: 'b32901150c706b672e542e746573745f619ec38eeb',
    packet: { testId: 'pkg.T.test_a', status: 'exists', runnable: true },
  },
  // status(test_id='pkg.T.test_a', test_status='inprogress', timestamp=ts)
  {
    name: 'inprogress',
    hex: 'b32b021d6b022c19da3c37900c706b672e542e746573745f618c35cf4e',
    packet: { timestamp: ts, testId: 'pkg.T.test_a', status: 'inprogress', runnable: true },
  },
  // status(test_id='pkg.T.test_a', test_status='success', timestamp=ts, test_tags={'worker-0'}, route_code='0')
  {
    name: 'success with tags and route code',
    hex: 'b32f83296b022c19da3c37900c706b672e542e746573745f610108776f726b65722d300130c406847d',
    packet: { timestamp: ts, testId: 'pkg.T.test_a', tags: ['worker-0'], routeCode: '0', status: 'success', runnable: true },
  },
  // status(test_id='pkg.T.test_a', file_name='traceback', file_bytes=b'Traceback\n',
  //        mime_type='text/x-traceback;charset=utf8', eof=True, runnable=False, timestamp=ts)
  {
    name: 'file chunk, eof, not runnable',
    hex: 'b32a7040516b022c19da3c37900c706b672e542e746573745f611d746578742f782d74726163656261636b3b636861727365743d757466380974726163656261636b0a54726163656261636b0aac858157',
    packet: {
      timestamp: ts,
      testId: 'pkg.T.test_a',
      mimeType: 'text/x-traceback;charset=utf8',
      file: { name: 'traceback', content: new TextEncoder().encode('Traceback\n') },
      eof: true,
      runnable: false,
    },
  },
  // status(test_id='t.test_é', test_status='fail')
  {
    name: 'non-ASCII id',
    hex: 'b329061209742e746573745fc3a927999683',
    packet: { testId: 't.test_é', status: 'fail', runnable: true },
  },
  // status(test_id='x', file_name='f', file_bytes=b'a'*100): a two-byte length varint
  {
    name: 'two-byte length',
    hex: 'b32940407301780166406461616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161f4e8397d',
    packet: { testId: 'x', file: { name: 'f', content: new Uint8Array(100).fill(0x61) }, runnable: true },
  },
  // status(test_id='x', test_status='xfail')
  { name: 'xfail', hex: 'b329070a017836c8f82d', packet: { testId: 'x', status: 'xfail', runnable: true } },
  // status(file_name='stdout', file_bytes=b'hi\n'): output that belongs to no test
  {
    name: 'stray output',
    hex: 'b3214013067374646f75740368690af4132d4a',
    packet: { file: { name: 'stdout', content: new TextEncoder().encode('hi\n') }, runnable: true },
  },
];

export function hex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
