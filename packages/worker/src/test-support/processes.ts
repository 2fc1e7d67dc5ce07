// Who started which process, and what is left, as Linux's /proc shows it: for the tests
// of the fork server, which must leave no process behind.
import { readdirSync, readFileSync } from 'node:fs';

export interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly args: readonly string[];
}

function read(pid: number): (Proc & { readonly state: string; readonly environ: string }) | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may hold spaces and parentheses itself.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
    return { pid, ppid: Number(ppid), state: state!, args, environ: readFileSync(`/proc/${pid}/environ`, 'latin1') };
  } catch {
    return undefined; // gone meanwhile, or not ours
  }
}

/** Living processes (zombies excluded) that `where` picks. */
export function processes(where: (p: Proc & { readonly environ: string }) => boolean): Proc[] {
  const found: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = read(Number(name));
    if (p !== undefined && p.state !== 'Z' && where(p)) found.push({ pid: p.pid, ppid: p.ppid, args: p.args });
  }
  return found;
}

/** Processes whose environment holds `VAR=value`: everything a test started with that marker. */
export function marked(variable: string, value: string): Proc[] {
  return processes((p) => p.environ.split('\0').includes(`${variable}=${value}`));
}

/** Child processes of `pid`. */
export function childrenOf(pid: number): Proc[] {
  return processes((p) => p.ppid === pid);
}

/** Resolves once `check` holds, looking again every few milliseconds; rejects after `timeoutMs`. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
