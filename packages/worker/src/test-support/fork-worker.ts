// A worker process whose two slots fork from a fork server, both inside a test that never
// ends, for the test that SIGKILLs it: prints "running" once both tests started.
import { pythonAdapter } from '../python-adapter.js';
import { SUITE_DIR, T, harness } from './coordinator.js';

const h = await harness({ adapter: pythonAdapter({ testPath: 'tests', cwd: SUITE_DIR }), slots: 2 });
void h.coordinator.run([T.sleeps], { slot: 0 });
void h.coordinator.run([T.sleeps], { slot: 1 });
await h.coordinator.until(() => h.coordinator.packets.filter((p) => p.status === 'inprogress').length === 2, 'both tests to start');
process.stdout.write('running\n');
