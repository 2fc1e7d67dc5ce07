import { execFile } from 'node:child_process';
import type { Listing } from '@baton/protocol';
import { listingOf, pythonAdapter, testrCommandAdapter, testServerAdapter, type AdapterFactory } from '@baton/worker';
import type { AdapterSpec, ProjectConfig } from '../config.js';

/** The worker adapter that runs a project's tests, as its configuration says. */
export function adapterFor(config: ProjectConfig): AdapterFactory {
  const spec: AdapterSpec = config.adapter;
  switch (spec.kind) {
    case 'python':
      return pythonAdapter({ testPath: spec.testPath, topDir: spec.topDir, cwd: config.root, python: spec.python, fork: spec.fork });
    case 'server':
      return testServerAdapter({ command: spec.command[0], args: spec.command.slice(1), cwd: config.root });
    case 'testr':
      return testrCommandAdapter({
        testCommand: spec.testCommand,
        ...(spec.testIdOption === undefined ? {} : { testIdOption: spec.testIdOption }),
        ...(spec.testListOption === undefined ? {} : { testListOption: spec.testListOption }),
        cwd: config.root,
      });
  }
}

/**
 * The configuration with its Python interpreter named by absolute path, found once by
 * asking it. A bare `python3` may be a version manager's shim (pyenv) that costs a
 * quarter of a second of CPU at every start: paid once here instead of by every test
 * server, all starting at the same moment. Asynchronous, so that it overlaps the loading
 * of the rest of the run; the configuration itself when there is nothing to resolve.
 */
export function withResolvedPython(config: ProjectConfig): ProjectConfig | Promise<ProjectConfig> {
  const spec = config.adapter;
  if (spec.kind !== 'python' || spec.python.includes('/')) return config;
  return new Promise((resolve) => {
    execFile(spec.python, ['-c', 'import sys; print(sys.executable)'], { cwd: config.root, encoding: 'utf8' }, (error, stdout) => {
      const resolved = error ? '' : stdout.trim();
      resolve(resolved.startsWith('/') ? { ...config, adapter: { ...spec, python: resolved } } : config);
    });
  });
}

/** Every test the project has, listed the way its workers will list them, and which share fixtures. */
export async function listTests(config: ProjectConfig, log: (line: string) => void): Promise<Listing> {
  const factory = adapterFor(config);
  try {
    const adapter = await factory({ slot: 0, output: () => {}, log });
    try {
      return await listingOf(adapter);
    } finally {
      await adapter.close();
    }
  } finally {
    await factory.dispose?.();
  }
}
