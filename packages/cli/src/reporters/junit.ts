import { isFailing, isText } from '@baton/subunit';
import type { RunResult, RunSummary } from '@baton/coordinator';
import { FileReporter, type ReportTarget } from './file.js';

const utf8 = new TextDecoder();

/**
 * `--junit FILE`: a JUnit XML report written when the run ends, one testcase per test
 * (classname and name split at the last dot, as subunit2junitxml does), failures with
 * their tracebacks, skips with their reasons, captured output in system-out. A test tried
 * again (`--retries`) is reported as Maven Surefire reports its reruns: one that passed
 * in the end has a `flakyFailure` per failed attempt and no `failure` (a pass to readers
 * that know neither); one that failed every time has its first attempt as its `failure`
 * and a `rerunFailure` for each later one. Each holds a `stackTrace` and `system-out`.
 */
export class JUnitReporter extends FileReporter {
  constructor(file: string, target?: ReportTarget) {
    super('--junit', file, target);
  }

  protected entry(result: RunResult): RunResult {
    return result;
  }

  protected render(results: readonly RunResult[], summary: RunSummary): string {
    return junitXml(results, summary.wallMs / 1000, summary.notRun);
  }
}

/** The JUnit document for some results. Tests that never ran are errors. */
export function junitXml(results: readonly RunResult[], seconds: number, notRun: readonly string[] = []): string {
  const failures = results.filter((r) => isFailing(r.status)).length;
  const skipped = results.filter((r) => r.status === 'skip').length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="baton" tests="${results.length + notRun.length}" failures="${failures}" errors="${notRun.length}" skipped="${skipped}" time="${seconds.toFixed(3)}">`,
  ];
  for (const r of results) {
    const { classname, name } = split(r.id);
    const open = `  <testcase classname="${attr(classname)}" name="${attr(name)}" time="${(r.duration ?? 0).toFixed(3)}"`;
    const body: string[] = [];
    const attempts = [...(r.failedAttempts ?? []), r];
    if (isFailing(r.status)) {
      const [first, ...reruns] = attempts;
      body.push(failureElement(first!));
      for (const a of reruns) body.push(...rerunElement('rerunFailure', a));
    } else {
      for (const a of r.failedAttempts ?? []) body.push(...rerunElement('flakyFailure', a));
      if (r.status === 'skip') body.push(`    <skipped message="${attr(textOf(r, /^reason$/))}"/>`);
    }
    const out = textOf(r, OUTPUT);
    if (out) body.push(`    <system-out>${cdata(out)}</system-out>`);
    lines.push(body.length === 0 ? `${open}/>` : `${open}>`, ...body, ...(body.length === 0 ? [] : ['  </testcase>']));
  }
  for (const id of notRun) {
    const { classname, name } = split(id);
    lines.push(`  <testcase classname="${attr(classname)}" name="${attr(name)}" time="0.000">`, '    <error message="not run">the run ended before this test ran</error>', '  </testcase>');
  }
  lines.push('</testsuite>', '');
  return lines.join('\n');
}

/** The attachments that say why a test failed, and those that hold what it printed. */
const DETAILS = /^(traceback|baton-.*|reason)$/;
const OUTPUT = /^(stdout|stderr)$/;

/** The text of a result's attachments whose names match. */
function textOf(r: RunResult, names: RegExp): string {
  return r.attachments.filter((a) => names.test(a.name) && isText(a)).map((a) => utf8.decode(a.content)).join('\n');
}

/** Why a failing result failed: its tracebacks and baton's reasons, or what its status means. */
function detailsOf(r: RunResult): string {
  if (r.status === 'uxsuccess') return 'the test was expected to fail, and passed';
  return textOf(r, DETAILS) || `${r.id} ${r.status === 'inprogress' ? 'never finished' : 'failed'}`;
}

function messageOf(r: RunResult): string {
  return r.status === 'uxsuccess' ? 'unexpected success' : firstLine(detailsOf(r));
}

function failureElement(r: RunResult): string {
  return `    <failure message="${attr(messageOf(r))}">${cdata(detailsOf(r))}</failure>`;
}

/** A failed attempt other than the one a `failure` holds, as Surefire writes a rerun. */
function rerunElement(tag: 'rerunFailure' | 'flakyFailure', r: RunResult): string[] {
  const out = textOf(r, OUTPUT);
  return [
    `    <${tag} message="${attr(messageOf(r))}">`,
    `      <stackTrace>${cdata(detailsOf(r))}</stackTrace>`,
    ...(out ? [`      <system-out>${cdata(out)}</system-out>`] : []),
    `    </${tag}>`,
  ];
}

function split(id: string): { classname: string; name: string } {
  const dot = id.lastIndexOf('.');
  return dot < 0 ? { classname: '', name: id } : { classname: id.slice(0, dot), name: id.slice(dot + 1) };
}

function firstLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

// XML 1.0 cannot carry most control characters at all, escaped or not.
const INVALID_XML = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

function attr(s: string): string {
  return s.replace(INVALID_XML, '?').replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, '&#10;');
}

function cdata(s: string): string {
  return `<![CDATA[${s.replace(INVALID_XML, '?').replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}
