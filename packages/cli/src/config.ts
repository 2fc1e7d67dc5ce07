// Where a project says how its tests are listed and run: `baton.json`, or with no baton
// configuration at all, an existing `.stestr.conf` or `.testr.conf`, so that a project
// that used stestr or testrepository runs under baton unchanged.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { CLASS_GROUP_REGEX, memberPath, parseJson } from '@baton/scheduler';
import { CliError } from './errors.js';

export const CONFIG_FILES = ['baton.json', '.stestr.conf', '.testr.conf'] as const;

/** How a worker runs the project's tests. */
export type AdapterSpec =
  | {
      /** The reference Python server over a unittest suite (`.stestr.conf`'s inputs). */
      readonly kind: 'python';
      readonly testPath: string;
      readonly topDir: string;
      /** @default $BATON_PYTHON or python3 */
      readonly python: string;
      /**
       * Test servers forked from one that discovered the suite once (see
       * packages/worker's README); false for suites that cannot survive a fork.
       * @default true
       */
      readonly fork: boolean;
    }
  | {
      /** Any program that speaks baton's protocol as a test server. */
      readonly kind: 'server';
      readonly command: readonly [string, ...string[]];
    }
  | {
      /** A testr-compatible command, run once per batch. */
      readonly kind: 'testr';
      readonly testCommand: string;
      readonly testIdOption: string | undefined;
      readonly testListOption: string | undefined;
    };

/** A per-test timeout: fixed seconds, or a multiple of the test's history with a floor. */
export type TimeoutSpec = { readonly seconds: number } | { readonly multiple: number; readonly minimum: number };

export interface ProjectConfig {
  /** The directory the configuration file is in: tests run there. */
  readonly root: string;
  /** The file it came from. */
  readonly file: string;
  readonly adapter: AdapterSpec;
  /** stestr's `group_regex`: tests whose match is equal share a worker, in order. */
  readonly groupRegex: string | undefined;
  readonly timeout: TimeoutSpec | undefined;
  /** The profile runs are recorded under unless `--profile` says otherwise. */
  readonly profile: string | undefined;
}

/**
 * What the command line says over the configuration file, as stestr's options of the same
 * names do: `--test-path` and `--top-dir` (a Python suite's; paths relative to the working
 * directory), `--group-regex`, and `--parallel-class`, which wins over any group regex.
 */
export interface ConfigOverrides {
  readonly testPath?: string | undefined;
  readonly topDir?: string | undefined;
  readonly groupRegex?: string | undefined;
  readonly parallelClass?: boolean | undefined;
}

/**
 * Finds the configuration from `cwd` upwards and reads it, with the command line's
 * `overrides` over it; exit status 2 when there is none or it is bad. With no
 * configuration file, `--test-path` alone describes a Python suite rooted in `cwd`, as it
 * does for stestr.
 */
export function loadProjectConfig(cwd: string, overrides: ConfigOverrides = {}): ProjectConfig {
  const file = findConfig(cwd);
  if (file === undefined && overrides.testPath === undefined) {
    throw new CliError(
      'BATON_CLI_NO_CONFIG',
      `no baton.json, .stestr.conf or .testr.conf in ${resolve(cwd)} or above: write a baton.json (see the README) saying how to run the tests, or give --test-path DIR for a Python unittest suite`,
    );
  }
  const config = file === undefined ? commandLineConfig(cwd) : readConfig(file);
  return checkDirectories(overridden(config, overrides, cwd));
}

function findConfig(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_FILES) {
      const file = join(dir, name);
      if (existsSync(file)) return file;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Where a configuration given wholly on the command line says it came from. */
const COMMAND_LINE = 'the command line';

/** A Python suite rooted in `cwd`, its test path to come from `--test-path`. */
function commandLineConfig(cwd: string): ProjectConfig {
  return {
    root: resolve(cwd),
    file: COMMAND_LINE,
    adapter: { kind: 'python', testPath: '', topDir: '.', python: defaultPython(), fork: true },
    groupRegex: undefined,
    timeout: undefined,
    profile: undefined,
  };
}

function overridden(config: ProjectConfig, o: ConfigOverrides, cwd: string): ProjectConfig {
  let adapter = config.adapter;
  if (o.testPath !== undefined || o.topDir !== undefined) {
    if (adapter.kind !== 'python') {
      const flags = [o.testPath === undefined ? [] : ['--test-path'], o.topDir === undefined ? [] : ['--top-dir']].flat().join(' and ');
      throw new CliError('BATON_CLI_USAGE', `${flags} describe a Python unittest suite, and ${config.file} runs its tests with ${adapter.kind === 'testr' ? 'a testr command' : 'a test server of its own'}`);
    }
    // Typed relative to the working directory; tests run from the configuration's.
    const fromRoot = (flag: string, path: string) => {
      const problem = directoryProblem(resolve(cwd, path));
      if (problem !== undefined) throw new CliError('BATON_CLI_USAGE', `${flag} ${path}: ${problem}`);
      return relative(config.root, resolve(cwd, path)) || '.';
    };
    adapter = {
      ...adapter,
      ...(o.testPath === undefined ? {} : { testPath: fromRoot('--test-path', o.testPath) }),
      ...(o.topDir === undefined ? {} : { topDir: fromRoot('--top-dir', o.topDir) }),
    };
  }
  const groupRegex = o.parallelClass === true
    ? CLASS_GROUP_REGEX
    : o.groupRegex === undefined ? config.groupRegex : regexOption('--group-regex', o.groupRegex);
  return { ...config, adapter, groupRegex };
}

function regexOption(flag: string, value: string): string {
  return validRegex(value, (why) => new CliError('BATON_CLI_USAGE', `${flag} ${JSON.stringify(value)} ${why}`));
}

/** `value` when it compiles; else what `refuse` makes of "is not a valid regular expression: …". */
function validRegex(value: string, refuse: (why: string) => CliError): string {
  try {
    new RegExp(value);
  } catch (error) {
    throw refuse(`is not a valid regular expression: ${(error as Error).message}`);
  }
  return value;
}

/**
 * Refuses a Python suite whose test or top directory is not there, as a configuration
 * problem: its test servers would otherwise fail to discover it, in Python's words, after
 * the run had begun.
 */
function checkDirectories(config: ProjectConfig): ProjectConfig {
  const a = config.adapter;
  if (a.kind !== 'python') return config;
  const json = config.file.endsWith('.json');
  const dirs: [string, string][] = [[json ? '$.python.testPath' : 'test_path', a.testPath], [json ? '$.python.topDir' : 'top_dir', a.topDir]];
  for (const [key, dir] of dirs) {
    const problem = directoryProblem(resolve(config.root, dir));
    if (problem !== undefined) throw bad(config.file, key, `names ${dir}, and ${problem}`);
  }
  return config;
}

/** Why `path` is not a directory one can discover tests in; undefined when it is one. */
function directoryProblem(path: string): string | undefined {
  try {
    return statSync(path).isDirectory() ? undefined : `${path} is not a directory`;
  } catch {
    return `${path} does not exist`;
  }
}

/** Reads one configuration file. */
export function readConfig(file: string): ProjectConfig {
  return parseConfig(readFileSync(file, 'utf8'), file);
}

/**
 * Reads the text of a configuration file named `file` (its name says which kind it is).
 * Throws `BATON_CLI_BAD_CONFIG` naming the file and where in it the problem is.
 */
export function parseConfig(text: string, file: string): ProjectConfig {
  const root = dirname(resolve(file));
  if (file.endsWith('.json')) return fromBatonJson(text, file, root);
  const ini = parseIni(text, file);
  if (file.endsWith('.stestr.conf')) return fromStestrConf(ini, file, root);
  const testCommand = ini.get('test_command');
  if (!testCommand) throw bad(file, 'test_command', 'is missing: testr configurations name the command that runs the tests');
  return {
    root,
    file,
    // An empty option is no option, as testrepository reads it.
    adapter: { kind: 'testr', testCommand, testIdOption: ini.get('test_id_option') || undefined, testListOption: ini.get('test_list_option') || undefined },
    groupRegex: regex(file, 'group_regex', ini.get('group_regex')),
    timeout: undefined,
    profile: undefined,
  };
}

/** The keys stestr 3 reads from `.stestr.conf`; baton honours each and refuses any other rather than ignore it. */
export const STESTR_KEYS = ['test_path', 'top_dir', 'group_regex', 'parallel_class'] as const;

function fromStestrConf(ini: Map<string, string>, file: string, root: string): ProjectConfig {
  for (const key of ini.keys())
    if (!(STESTR_KEYS as readonly string[]).includes(key))
      throw bad(file, key, `is not a setting stestr reads (${STESTR_KEYS.join(', ')}); baton refuses it rather than ignore it`);
  // stestr runs its command through a shell, so these two may use $VAR and ${VAR:-default}.
  const testPath = expandVariables(ini.get('test_path') ?? '');
  if (!testPath) throw bad(file, 'test_path', 'is missing: stestr configurations name the directory tests are discovered in');
  const topDir = expandVariables(ini.get('top_dir') ?? '') || '.';
  // As stestr: parallel_class wins over group_regex.
  const parallelClass = ini.has('parallel_class') && iniBoolean(file, 'parallel_class', ini.get('parallel_class') as string);
  return {
    root,
    file,
    adapter: { kind: 'python', testPath, topDir, python: defaultPython(), fork: true },
    groupRegex: parallelClass ? CLASS_GROUP_REGEX : regex(file, 'group_regex', ini.get('group_regex')),
    timeout: undefined,
    profile: undefined,
  };
}

/** A boolean as Python's configparser `getboolean` reads it. */
function iniBoolean(file: string, key: string, value: string): boolean {
  const v = value.toLowerCase();
  if (['1', 'yes', 'true', 'on'].includes(v)) return true;
  if (['0', 'no', 'false', 'off'].includes(v)) return false;
  throw bad(file, key, `must be a boolean (true/false, yes/no, on/off, 1/0), not ${JSON.stringify(value)}`);
}

/** `$VAR`, `${VAR}` and `${VAR:-default}` expanded from the environment, as a POSIX shell would. */
export function expandVariables(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return text.replace(/\$(?:\{(\w+)(?::-([^}]*))?\}|(\w+))/g, (_, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
    const value = env[(braced ?? bare) as string];
    return value !== undefined && value !== '' ? value : fallback ?? '';
  });
}

function defaultPython(): string {
  return process.env['BATON_PYTHON'] ?? 'python3';
}

/**
 * The `[DEFAULT]` section of an INI file as Python's configparser reads it: `key=value`
 * or `key: value`, continuation lines (indented) joined with newlines, `#`/`;` comments.
 * A line that is none of these (no `=` or `:`, or nothing before it) is refused naming
 * its line, as configparser refuses it: stestr would stop there with a ParsingError.
 */
export function parseIni(text: string, file: string): Map<string, string> {
  const values = new Map<string, string>();
  let section = 'DEFAULT';
  let last: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    if (/^\s*([#;]|$)/.test(raw)) continue;
    if (/^\s/.test(raw) && last !== undefined) {
      if (section === 'DEFAULT') values.set(last, `${values.get(last)}\n${raw.trim()}`);
      continue;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (header) {
      section = header[1]!.trim();
      last = undefined;
      continue;
    }
    // The first '=' or ':' splits key from value. (A lazy pattern for the key took time
    // quadratic in the length of a line without either: a minute for 200,000 characters.)
    const split = raw.search(/[=:]/);
    const key = split < 0 ? '' : raw.slice(0, split).trim().toLowerCase();
    if (key === '') {
      const shown = raw.length > 60 ? `${raw.slice(0, 60)}…` : raw;
      throw bad(file, `line ${n + 1}`, `is not a setting (name = value), a [section] or a comment: ${JSON.stringify(shown)}`);
    }
    last = key;
    if (section === 'DEFAULT') values.set(last, raw.slice(split + 1).trim());
  }
  return values;
}

function fromBatonJson(text: string, file: string, root: string): ProjectConfig {
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const { line, column, message } = parsed.problem;
    throw new CliError('BATON_CLI_BAD_CONFIG', `${file}: line ${line} column ${column}: not valid JSON: ${message}`);
  }
  const obj = record(parsed.value, file, '$');
  const known = new Set(['python', 'server', 'testr', 'groupRegex', 'timeout', 'profile']);
  for (const key of Object.keys(obj)) if (!known.has(key)) throw bad(file, memberPath('$', key), `is not a baton.json setting (known: ${[...known].join(', ')})`);
  const kinds = ['python', 'server', 'testr'].filter((k) => obj[k] !== undefined);
  if (kinds.length !== 1) throw bad(file, '$', `needs exactly one of "python", "server" or "testr" to say how tests run${kinds.length ? ` (found ${kinds.join(' and ')})` : ''}`);
  let adapter: AdapterSpec;
  if (obj['python'] !== undefined) {
    const p = record(obj['python'], file, '$.python');
    adapter = {
      kind: 'python',
      testPath: string(p['testPath'], file, '$.python.testPath'),
      topDir: p['topDir'] === undefined ? '.' : string(p['topDir'], file, '$.python.topDir'),
      python: p['interpreter'] === undefined ? defaultPython() : string(p['interpreter'], file, '$.python.interpreter'),
      fork: p['fork'] === undefined ? true : boolean(p['fork'], file, '$.python.fork'),
    };
  } else if (obj['server'] !== undefined) {
    const s = record(obj['server'], file, '$.server');
    const command = s['command'];
    if (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === 'string')) {
      throw bad(file, '$.server.command', 'must be a non-empty array of strings (the program and its arguments)');
    }
    adapter = { kind: 'server', command: command as [string, ...string[]] };
  } else {
    const t = record(obj['testr'], file, '$.testr');
    adapter = {
      kind: 'testr',
      testCommand: string(t['testCommand'], file, '$.testr.testCommand'),
      testIdOption: t['testIdOption'] === undefined ? undefined : string(t['testIdOption'], file, '$.testr.testIdOption'),
      testListOption: t['testListOption'] === undefined ? undefined : string(t['testListOption'], file, '$.testr.testListOption'),
    };
  }
  return {
    root,
    file,
    adapter,
    groupRegex: obj['groupRegex'] === undefined ? undefined : regex(file, '$.groupRegex', string(obj['groupRegex'], file, '$.groupRegex')),
    timeout: obj['timeout'] === undefined ? undefined : timeout(obj['timeout'], file),
    profile: obj['profile'] === undefined ? undefined : string(obj['profile'], file, '$.profile'),
  };
}

function boolean(value: unknown, file: string, path: string): boolean {
  if (typeof value !== 'boolean') throw bad(file, path, 'must be true or false');
  return value;
}

function timeout(value: unknown, file: string): TimeoutSpec {
  // Finite throughout: 1e400 reads as Infinity, which every Run would carry as null.
  if (typeof value === 'number') {
    if (!(value > 0) || !Number.isFinite(value)) throw bad(file, '$.timeout', 'must be a positive number of seconds');
    return { seconds: value };
  }
  const t = record(value, file, '$.timeout');
  const multiple = t['multiple'];
  if (typeof multiple !== 'number' || !(multiple > 1) || !Number.isFinite(multiple)) throw bad(file, '$.timeout.multiple', 'must be a number above 1 (a multiple of the test\'s usual duration)');
  const minimum = t['minimum'] ?? 60;
  if (typeof minimum !== 'number' || !(minimum > 0) || !Number.isFinite(minimum)) throw bad(file, '$.timeout.minimum', 'must be a positive number of seconds');
  return { multiple, minimum };
}

function regex(file: string, where: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return validRegex(value, (why) => bad(file, where, why));
}

function record(value: unknown, file: string, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(file, path, 'must be an object');
  return value as Record<string, unknown>;
}

function string(value: unknown, file: string, path: string): string {
  if (typeof value !== 'string' || value === '') throw bad(file, path, 'must be a non-empty string');
  return value;
}

function bad(file: string, path: string, what: string): CliError {
  return new CliError('BATON_CLI_BAD_CONFIG', `${file}: ${path} ${what}`);
}
