// The one place that decides whether baton's human output is coloured, and how it paints.

/** The colours stestr's subunit-trace paints with: ok green, FAILED red, SKIPPED blue. */
export type Colour = 'red' | 'green' | 'blue';

/** Paints text in a colour, or leaves it as it is. */
export type Paint = (text: string, colour: Colour) => string;

const SGR: Readonly<Record<Colour, number>> = { red: 31, green: 32, blue: 34 };

/** Bold and coloured, exactly as stestr's AnsiColorizer writes it. */
export const ansi: Paint = (text, colour) => `\x1b[${SGR[colour]};1m${text}\x1b[0m`;

/** No colour. */
export const plain: Paint = (text) => text;

/** The environment variables the decision reads. */
export interface ColourEnv {
  readonly [name: string]: string | undefined;
}

/** FORCE_COLOR values that ask for colour, as Node's own `tty.getColorDepth` reads them; any other (`0`, `false`) refuses it. */
const FORCE_ON = new Set(['', '1', '2', '3', 'true']);

/**
 * Whether output going to a stream (a terminal or not) is coloured. `--color`/`--no-color`
 * (`flag`) decide first; then `FORCE_COLOR`, even off a terminal (it wins over
 * `NO_COLOR`, as in Node); then a non-empty `NO_COLOR` (no-color.org) or `TERM=dumb`
 * refuse it; otherwise a terminal gets colour and anything else (a pipe, a file, a CI
 * log) does not.
 */
export function wantsColour(flag: boolean | undefined, env: ColourEnv, isTTY: boolean | undefined): boolean {
  if (flag !== undefined) return flag;
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return FORCE_ON.has(force);
  if ((env['NO_COLOR'] ?? '') !== '' || env['TERM'] === 'dumb') return false;
  return isTTY === true;
}

/** The paint for a stream, by `wantsColour`. */
export function paintFor(flag: boolean | undefined, env: ColourEnv, stream: { readonly isTTY?: boolean }): Paint {
  return wantsColour(flag, env, stream.isTTY) ? ansi : plain;
}
