// `npm run chaos -- [--kills N] [--coordinator-kills N] [--minutes M] [--seed S]`: the
// fault injection of issue 12, bounded by count and by time. Half the kills go to
// `baton run -j 3` (its test servers, now and then its fork server), half to
// `baton coordinator` with `baton worker --connect`s (workers, which are replaced, and their
// test servers); then the coordinator is killed N times, one worker is cut off by a proxy
// that stops forwarding, a test hangs past --timeout, and two tests break their test
// server's channel. Each run is checked (test/utils/chaos.ts says how); the table at the
// end counts faults, lost and doubled results, orphans, detection times and stalls, and
// every problem follows it. Exit status 1 if there was any.
import { availableParallelism } from 'node:os';
import { wholeNumbers } from './options.js';
import { brokenChannel, ChaosTally, chaosTable, hangingTest, killCoordinator, killLocal, killRemote, networkCut } from '../test/utils/chaos.js';

async function main(argv: string[]): Promise<void> {
  const o = wholeNumbers('chaos', argv, { kills: 120, coordinatorKills: 10, minutes: 25, seed: 1 });
  const t0 = performance.now();
  const deadline = Date.now() + o.minutes * 60_000;
  const tally = new ChaosTally();
  const log = (line: string) => console.log(line);
  const shape = { modules: 3, classes: 3, tests: 8, min: 0.05, max: 0.35 };
  const kills = { gapMs: [250, 900] as const, perRun: 8, deadline, shape, log };
  console.log(
    `chaos: ${o.kills} kills (half in baton run -j 3, half among remote workers), ${o.coordinatorKills} coordinator kills, a network cut, ` +
      `a hanging test and a broken channel; ${shape.modules * shape.classes * shape.tests} tests a run; up to ${o.minutes} min on ${availableParallelism()} cores`,
  );
  // The network cut waits out a heartbeat timeout: it runs beside the kills.
  const cut = networkCut(tally, { seed: o.seed, log });
  await killLocal(tally, { ...kills, seed: o.seed, kills: Math.ceil(o.kills / 2), jobs: 3 });
  await killRemote(tally, { ...kills, seed: o.seed + 1, kills: Math.floor(o.kills / 2), jobs: 2 });
  await cut;
  await killCoordinator(tally, { seed: o.seed + 2, count: o.coordinatorKills, deadline, shape, log });
  await hangingTest(tally, { seed: o.seed + 3, log });
  await brokenChannel(tally, { seed: o.seed + 4, log });

  console.log('');
  console.log(chaosTable(tally, (performance.now() - t0) / 1000));
  if (Date.now() > deadline) console.log(`\nthe ${o.minutes} min were up before every scenario had its count`);
  for (const n of tally.notes) console.log(`\nNOTE ${n}`);
  for (const s of tally.stalls) console.log(`\nSTALL ${s}`);
  for (const o of tally.orphans) console.log(`\nORPHAN ${o}`);
  for (const p of tally.problems) console.log(`\nPROBLEM ${p}`);
  if (tally.stalls.length + tally.orphans.length + tally.problems.length + tally.lost + tally.duplicated > 0) process.exitCode = 1;
}

await main(process.argv.slice(2));
