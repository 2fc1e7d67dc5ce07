// The benchmark runner: `npm run bench -- <name> [args…]` runs scripts/bench/<name>.ts,
// whose default export takes the remaining arguments. `npm run bench` lists them.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'bench');
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`${name ? `unknown benchmark '${name}'. ` : ''}usage: npm run bench -- <name> [args…]\nbenchmarks: ${available.join(', ')}`);
  process.exit(2);
}
const mod = (await import(pathToFileURL(join(dir, `${name}.ts`)).href)) as { default: (args: string[]) => Promise<void> };
await mod.default(args);
