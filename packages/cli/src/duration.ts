import { CliError } from './errors.js';

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Seconds in a duration as people write one on a command line: `90` (seconds), `90s`,
 * `15m`, `2h`, `1h30m`, `1.5h`. `option` names it in the message of one that is not.
 */
export function parseDuration(text: string, option: string): number {
  const trimmed = text.trim();
  let seconds = 0;
  if (/^\d+(\.\d+)?$/.test(trimmed)) seconds = Number(trimmed);
  else {
    const parts = /^(?:\d+(?:\.\d+)?[smhd])+$/.test(trimmed) ? trimmed.match(/\d+(?:\.\d+)?[smhd]/g) ?? [] : [];
    if (parts.length === 0) throw new CliError('BATON_CLI_USAGE', `${option} takes a duration such as 90, 90s, 15m, 2h or 1h30m, not ${JSON.stringify(text)}`);
    for (const part of parts) seconds += Number(part.slice(0, -1)) * UNIT_SECONDS[part.slice(-1)]!;
  }
  if (!(seconds > 0)) throw new CliError('BATON_CLI_USAGE', `${option} takes a duration above zero, not ${JSON.stringify(text)}`);
  return seconds;
}
