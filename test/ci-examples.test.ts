// The CI examples in examples/ci/ are read by a real YAML parser and checked for what
// would break them on first use: a baton option that does not exist, a baton that is not
// the project's own, a claim that is mounted but not defined, a report written where it
// dies with its pod, a path that depends on the image's working directory, a Service that
// does not lead to the coordinator.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { runBaton } from './utils/baton-process.js';

const EXAMPLES = resolve(fileURLToPath(import.meta.url), '../../examples/ci');
/** How the examples run baton: the project's own, never a registry package called `baton`. */
const BATON = ['npx', '--no', 'baton'];

const helps = new Map<string, Promise<string>>();
/** The options `baton WORDS… --help` lists. */
async function optionsOf(words: readonly string[]): Promise<Set<string>> {
  const key = words.join(' ');
  let help = helps.get(key);
  if (help === undefined) {
    help = runBaton(EXAMPLES, [...words, '--help']).then((r) => {
      assert.equal(r.status, 0, `baton ${key} --help: ${r.stderr}`);
      return r.stdout;
    });
    helps.set(key, help);
  }
  return new Set([...(await help).matchAll(/^ +(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!));
}

/** Checks that every option of `baton ARGS…` exists for its command; returns the command's words. */
async function checkInvocation(args: readonly string[]): Promise<string[]> {
  const words = [args[0]!];
  if (args[0] === 'timings') words.push(args[1]!);
  const known = await optionsOf(words);
  for (const arg of args.filter((a) => a.startsWith('--'))) {
    assert.ok(known.has(arg.split('=')[0]!), `baton ${words.join(' ')} has no option ${arg}`);
  }
  return words;
}

/** The value following `name` in an argument list. */
function optionValue(args: readonly string[], name: string): string {
  const at = args.indexOf(name);
  assert.ok(at >= 0 && at + 1 < args.length, `${name} in ${args.join(' ')}`);
  return args[at + 1]!;
}

interface Container {
  name: string;
  workingDir?: string;
  command: string[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  restartPolicy: string;
  containers: Container[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string }; secret?: { secretName: string } }[];
}
interface Resource {
  kind: string;
  metadata: { name: string };
  spec: {
    template?: { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
    selector?: Record<string, string>;
    ports?: { port: number; targetPort: number }[];
  };
}

test('the Kubernetes example: its claim, its Service, and baton commands that need no working directory and keep the report', async () => {
  const docs = parseAllDocuments(readFileSync(join(EXAMPLES, 'kubernetes.yaml'), 'utf8'));
  for (const doc of docs) assert.deepEqual(doc.errors, []);
  const resources = docs.map((doc) => doc.toJS() as Resource);
  const named = (kind: string, name: string) => {
    const found = resources.find((r) => r.kind === kind && r.metadata.name === name);
    assert.ok(found, `a ${kind} ${name}`);
    return found;
  };
  const claims = new Set(resources.filter((r) => r.kind === 'PersistentVolumeClaim').map((r) => r.metadata.name));

  const coordinator = named('Job', 'baton-coordinator').spec.template!;
  const workers = named('Job', 'baton-workers').spec.template!;
  for (const pod of [coordinator.spec, workers.spec]) {
    for (const volume of pod.volumes ?? []) {
      if (volume.persistentVolumeClaim) assert.ok(claims.has(volume.persistentVolumeClaim.claimName), `the claim ${volume.persistentVolumeClaim.claimName} is defined`);
    }
    for (const container of pod.containers) {
      assert.deepEqual(container.command.slice(0, 3), BATON);
      assert.ok(container.workingDir !== undefined && isAbsolute(container.workingDir), `${container.name} says where the project is`);
      await checkInvocation(container.command.slice(3));
    }
  }
  /** The claim-backed mount `path` lies under, if any. */
  const onClaim = (pod: PodSpec, container: Container, path: string) => {
    const claimed = new Set((pod.volumes ?? []).filter((v) => v.persistentVolumeClaim).map((v) => v.name));
    return (container.volumeMounts ?? []).some((m) => claimed.has(m.name) && path.startsWith(`${m.mountPath}/`));
  };
  const coordinate = coordinator.spec.containers[0]!;
  const args = coordinate.command.slice(3);
  assert.equal(args[0], 'coordinator');
  for (const option of ['--junit', '--repo']) {
    const path = optionValue(args, option);
    assert.ok(isAbsolute(path) && onClaim(coordinator.spec, coordinate, `${path}/`), `${option} ${path} is on the claim, which outlives the pod`);
  }
  assert.equal(coordinator.spec.restartPolicy, 'Never');

  const service = named('Service', 'baton-coordinator');
  assert.deepEqual(service.spec.selector, coordinator.metadata?.labels, 'the Service leads to the coordinator');
  const listenPort = Number(optionValue(args, '--listen').split(':').at(-1));
  assert.equal(service.spec.ports![0]!.targetPort, listenPort);
  const work = workers.spec.containers[0]!.command.slice(3);
  assert.equal(work[0], 'worker');
  const url = new URL(optionValue(work, '--connect'));
  assert.deepEqual([url.hostname, Number(url.port)], ['baton-coordinator', service.spec.ports![0]!.port]);
  assert.ok(work.includes('--absent-ok'), 'a worker that starts after the run is over does not fail the Job');
  assert.ok(Number(optionValue(work, '--wait')) >= Number(optionValue(args, '--wait')), 'workers wait for the coordinator as long as it waits for them');
});

test('the GitHub Actions example: jobs that install the project and run its own baton with options that exist', async () => {
  const workflow = parse(readFileSync(join(EXAMPLES, 'github-actions.yml'), 'utf8')) as { jobs: Record<string, { steps: { run?: string; uses?: string }[] }> };
  assert.deepEqual(Object.keys(workflow.jobs).sort(), ['coordinator', 'worker']);
  const commands: string[][] = [];
  for (const [name, job] of Object.entries(workflow.jobs)) {
    const runs = job.steps.flatMap((step) => (step.run === undefined ? [] : [step.run.replace(/\\\n\s*/g, ' ')]));
    assert.ok(runs.includes('npm ci'), `${name} installs the project, and with it @baton/cli`);
    for (const run of runs) {
      assert.doesNotMatch(run.replaceAll('npx --no baton', ''), /(^|[\s;|&'])baton\s/, `${name}: ${run} runs the project's own baton`);
      for (const match of run.matchAll(/npx --no baton ([^\n;|&]*)/g)) {
        const args = match[1]!.trim().split(/\s+/);
        await checkInvocation(args);
        commands.push(args);
      }
    }
  }
  const worker = commands.find((args) => args[0] === 'worker');
  assert.ok(worker?.includes('--absent-ok'), 'a worker whose runner came after the run does not fail the workflow');
  assert.ok(commands.some((args) => args[0] === 'coordinator' && args.includes('--junit')));
});
