import { pythonTestServer, testrCommandAdapter, testServerAdapter, type AdapterFactory } from '@baton/worker';
import type { AdapterSpec, ProjectConfig } from '../config.js';

/** The worker adapter that runs a project's tests, as its configuration says. */
export function adapterFor(config: ProjectConfig): AdapterFactory {
  const spec: AdapterSpec = config.adapter;
  switch (spec.kind) {
    case 'python':
      return testServerAdapter(pythonTestServer({ testPath: spec.testPath, topDir: spec.topDir, cwd: config.root, python: spec.python }));
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

/** Every test the project has, listed the way its workers will list them. */
export async function listTests(config: ProjectConfig, log: (line: string) => void): Promise<string[]> {
  const adapter = await adapterFor(config)({ slot: 0, output: () => {}, log });
  try {
    return await adapter.list();
  } finally {
    await adapter.close();
  }
}
