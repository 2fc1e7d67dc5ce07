import type { OutputSink } from './context.js';

/** A stream a command writes to, as `process.stdout` is one. */
export interface OutputStream {
  write(data: string | Uint8Array, done?: (error?: Error | null) => void): unknown;
  on(event: 'error', listener: (error: Error & { code?: string }) => void): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/**
 * `out` for a reader that may go away: `baton slowest --all | head -1`, `baton run
 * --subunit | head -c 100`. Once the reader closed the pipe (EPIPE), what is written is
 * dropped, quietly, as a shell's own tools do: the command goes on (a run still records
 * every result) and ends with the status it would have had. Any other error of the stream
 * is the process's to report.
 */
export function toClosablePipe(out: OutputStream): OutputSink & { readonly closed: boolean } {
  let closed = false;
  out.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
    closed = true;
  });
  return {
    write: (data) => (closed ? true : out.write(data)),
    get closed() {
      return closed;
    },
    // The live display and colours are for a terminal: the wrapper says whether it is one.
    get isTTY() {
      return out.isTTY;
    },
    get columns() {
      return out.columns;
    },
  };
}
