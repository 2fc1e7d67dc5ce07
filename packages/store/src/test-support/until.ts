/**
 * Polls `check` every 25 ms until it holds, for up to `timeoutMs`. For state another
 * process writes (a repository under a running `baton load`), which sends no event.
 */
export async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if (check()) return;
    await new Promise((resume) => setTimeout(resume, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
}
