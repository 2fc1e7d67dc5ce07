// The worker side of `npm run bench -- load`, in a process of its own so that the
// coordinator's CPU and memory are measured alone: `--connections N` WebSocket
// connections to `--url`, each a worker host in the server role of the real protocol
// (Hello with slots, name and the test-list digest; Pong to every Ping) whose slots run
// no-op tests instantly: every test of a Run is started and passed in the same turn, then
// Done. A Cancel finds nothing left to take back. Goodbye closes the connection; once all
// are closed the process prints its CPU time as one JSON line and exits.
import { Channel, connectWebSocket, testListDigest, type Message, type Transport } from '@baton/protocol';
import { timestampFromMillis } from '@baton/subunit';
import { loadTestIds, parseFlags } from './_load-shared.js';

/** Connections dialled at once: a burst of 1,000 SYNs would overflow the listen backlog (511) and wait a second for the retry. */
const DIAL_CONCURRENCY = 50;

const flags = parseFlags(process.argv.slice(2), ['url', 'connections', 'tests', 'slots']);
const url = flags['url']!;
const connections = Number(flags['connections']);
const slots = Number(flags['slots']);
const digest = testListDigest(loadTestIds(Number(flags['tests'])));
const cpu0 = process.cpuUsage();
let results = 0;
let runs = 0;

const now = () => timestampFromMillis(performance.timeOrigin + performance.now());

/** A worker host whose tests cost nothing: the coordinator is all that is measured. */
function serve(transport: Transport, name: string): Promise<unknown> {
  const channel: Channel = new Channel(transport, {
    role: 'server',
    hello: { slots, name, digest },
    log: (line) => process.stderr.write(`workers: ${line}\n`),
    handlers: { message: (m) => answer(channel, m) },
  });
  return channel.closed;
}

function answer(channel: Channel, message: Message): void {
  switch (message.msg) {
    case 'Run': {
      runs++;
      const routeCode = String(message.slot ?? 0);
      const tags = [`worker-${routeCode}`];
      for (const testId of message.tests ?? []) {
        // Sub-millisecond, as the Python server stamps them: a no-op test lasts a few µs, not zero.
        void channel.sendPacket({ testId, status: 'inprogress', timestamp: now(), routeCode });
        void channel.sendPacket({ testId, status: 'success', timestamp: now(), tags, routeCode });
        results++;
      }
      void channel.send({ msg: 'Done', nonce: message.nonce, processes: { fresh: 0, restarts: 0 } });
      return;
    }
    case 'Cancel':
      // Every test this host was sent has already run: none is given back.
      void channel.send({ msg: 'Cancelled', nonce: message.nonce, tests: [] });
      return;
    case 'List':
      void channel.send({ msg: 'Done', nonce: message.nonce });
      return;
    case 'Goodbye':
      channel.close();
      return;
    default:
      return;
  }
}

const closed: Promise<unknown>[] = [];
let next = 0;
async function dialer(): Promise<void> {
  while (next < connections) {
    const n = next++;
    closed.push(serve(await connectWebSocket(url), `w${n}`));
  }
}
await Promise.all(Array.from({ length: Math.min(DIAL_CONCURRENCY, connections) }, dialer));
await Promise.all(closed);
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ cpuUs: cpu.user + cpu.system, results, runs })}\n`);
