// The dashboard page: a run (live or recorded) as a timeline with its failures, and the
// repository's history. Everything comes from the read-only API of the server that
// served this file; every text from it goes into the page as text, never as markup.
import { barChart, durationChart } from './charts.js';
import { formatCounts, formatSeconds, grouped, percent } from './format.js';
import { COLOURS, Gantt, PROCESS } from './gantt.js';
import { RunModel } from './model.js';

const main = document.getElementById('main');
/** Failures listed; the rest are counted. */
const FAILURES_SHOWN = 200;
/** Failures whose tracebacks are unfolded; the others unfold on a click. */
const FAILURES_OPEN = 10;
/** How often a recorded run that is still being written is read again. */
const RECORDING_POLL_MS = 2000;
let info = null;
/** Stops whatever the current view keeps running (a live stream, a poll, a redraw timer). */
let leave = () => {};

/** An element: h('a', { href }, 'text', child…). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'hidden') el.hidden = true;
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

async function api(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await res.json();
  if (!res.ok) throw Object.assign(new Error(body.error?.message ?? res.statusText), { code: body.error?.code, status: res.status });
  return body;
}

const testHref = (id) => `#/tests/${encodeURIComponent(id)}`;
const testLink = (id) => h('a', { href: testHref(id), class: 'test-id' }, id);

function show(...children) {
  main.replaceChildren(...children);
}

function showError(error) {
  show(h('section', { class: 'error', id: 'error' }, h('h1', {}, error.status === 404 ? 'Not found' : 'Something went wrong'), h('p', {}, error.message)));
}

function card(label, value, title, id) {
  return h('div', { class: 'card', title, id }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value));
}

/** A result's attachments, tracebacks and baton's own notes unfolded when `open`. */
function attachmentsOf(list, open = true) {
  return (list ?? []).filter((a) => a.text !== undefined ? a.text.trim() !== '' : true).map((a) =>
    h('details', { open: open && (a.name === 'traceback' || a.name.startsWith('baton-')) ? 'open' : null },
      h('summary', {}, a.name),
      h('pre', {}, a.text ?? `(${a.bytes} bytes of ${a.mimeType ?? 'binary'})`)));
}

// ---------------------------------------------------------------------------------------
// A run: recorded (#/runs/ID) or live (#/live)

function runView(model) {
  const heading = h('h1', {}, 'Run');
  const cards = h('div', { class: 'cards', id: 'summary' });
  const progress = h('div', { class: 'progress', id: 'progress' }, h('div', { class: 'done' }), h('div', { class: 'failed' }));
  const legend = h('div', { class: 'legend' },
    ...['success', 'fail', 'uxsuccess', 'skip', 'xfail', 'inprogress', 'running'].map((s) => h('span', {}, swatch(COLOURS[s]), s)),
    h('span', {}, swatch('#f6e3df'), 'idle'), h('span', {}, swatch('#eceef1'), 'not there'), h('span', {}, '▼ test server restarted / worker lost'),
    h('span', {}, swatch(PROCESS), '◆ the slot continues on a fresh test server (foot: starting it)'),
    h('span', { class: 'muted' }, 'wheel: zoom · drag: pan · double-click: whole run'));
  const canvas = h('canvas', { id: 'gantt' });
  const tooltip = h('div', { class: 'tooltip', hidden: true });
  const details = h('div', { id: 'details', class: 'details' });
  const failuresHead = h('h2', {}, 'Failures');
  const failures = h('ol', { id: 'failures', class: 'failures' });
  const more = h('p', { class: 'muted', id: 'more-failures' });
  const gantt = new Gantt(canvas, tooltip, (i) => select(i));
  show(h('section', { class: 'run' }, heading, cards, progress, legend, h('div', { class: 'chart' }, canvas, tooltip), details, failuresHead, failures, more));
  let listed = 0;
  let shown = null;

  function select(i) {
    if (i <= -2) return;
    const m = gantt.model;
    const failure = m.failures.find((f) => f.index === i);
    const box = h('div', {}, h('h3', {}, testLink(m.tests[i])),
      h('p', {}, `${m.status[i]} · ${formatSeconds((m.stop[i] - m.start[i]) / 1000)} on ${m.lanes[m.lane[i]]}, from ${formatSeconds(m.start[i] / 1000)} to ${formatSeconds(m.stop[i] / 1000)} into the run`));
    details.replaceChildren(box);
    if (failure?.attachments) box.append(...attachmentsOf(failure.attachments));
    else if (!m.live && m.run) {
      api(`/api/runs/${m.run.id}?test=${encodeURIComponent(m.tests[i])}&limit=10`).then((r) => {
        for (const result of r.results) box.append(...attachmentsOf(result.attachments));
      }, () => undefined);
    }
  }

  function failureItem(f, m) {
    const i = f.index;
    const item = h('li', { class: 'failure' },
      h('div', {}, h('span', { class: `status ${m.status[i]}` }, m.status[i]), ' ', testLink(m.tests[i]), h('span', { class: 'muted' }, ` on ${m.lanes[m.lane[i]]}`)));
    if (f.attachments) item.append(...attachmentsOf(f.attachments, listed < FAILURES_OPEN));
    return item;
  }

  return {
    gantt,
    /** Draws what changed in the model since the last call. */
    update(m) {
      if (m !== shown) {
        // A live stream that reconnected starts over with a new model.
        shown = m;
        listed = 0;
        failures.replaceChildren();
      }
      gantt.model = m;
      const run = m.run ?? {};
      const state = m.finished ? (m.summary ? exitWord(m.summary.exitCode) : recordedWord(run)) : m.live ? 'running' : unfinishedWord(run);
      heading.replaceChildren(`Run ${run.id ?? '…'} `, h('span', { class: 'badge' }, run.profile ?? ''), ' ', h('span', { class: `state ${state.replace(/ /g, '-')}`, id: 'run-state' }, state));
      const stats = m.laneStats(gantt.now());
      const idle = stats.reduce((n, s) => n + s.idle, 0);
      const window = stats.reduce((n, s) => n + s.window, 0);
      const done = m.stats ? m.stats.done : m.tests.length;
      const total = m.stats ? m.stats.total : m.total;
      const failed = m.failures.length;
      const tail = m.tail();
      const restarts = m.marks.filter((k) => k.kind !== 'lost').length;
      const fresh = m.processes.filter((p) => p.cause === 'fresh');
      const freshCost = fresh.reduce((n, p) => n + Math.max(0, p.ready - p.asked), 0);
      const wall = m.finished ? m.end / 1000 : null;
      cards.replaceChildren(...[
        card('Tests', `${grouped(done)} / ${grouped(total)}`, 'results recorded / tests selected', 'card-tests'),
        card('Failed', grouped(failed), 'failures, unexpected successes and unfinished tests', 'card-failed'),
        card(m.finished ? 'Wall time' : 'Elapsed', formatSeconds(wall ?? gantt.now() / 1000), 'from the run\'s start to its end'),
        m.finished ? null : card('ETA', m.stats?.etaMs === undefined ? '–' : formatSeconds(m.stats.etaMs / 1000), 'estimated work left over the slots connected', 'card-eta'),
        card('Lower bound', m.bound ? formatSeconds(m.bound.seconds) : '–', BOUND_BASIS[m.bound?.basis ?? 'run'], 'card-bound'),
        card('Efficiency', m.bound ? percent(m.bound.efficiency) : '–', 'lower bound / wall time', 'card-efficiency'),
        card('Slots', grouped(m.lanes.length), 'worker slots (one lane each)', 'card-slots'),
        card('Idle', percent(window > 0 ? idle / window : null), 'slot time spent running nothing, over all slots', 'card-idle'),
        card('Tail', tail ? formatSeconds(tail.seconds) : '–', 'from when the first slot ran out of work to when the last one finished', 'card-tail'),
        card('Restarts', grouped(restarts), 'test server processes baton ended for a timeout or a crash (▼), each replaced by a fresh one if the slot had tests left', 'card-restarts'),
        card('Fresh servers', grouped(fresh.length), `test server processes started fresh because a slot's next tests lay behind its process in discovery order (as after a steal), each marked ◆ on its lane; starting them took ${formatSeconds(freshCost / 1000)} in all, mostly while the old process still ran`, 'card-fresh'),
      ].filter((c) => c !== null));
      progress.firstChild.style.width = `${total > 0 ? (100 * (done - failed)) / total : 0}%`;
      progress.lastChild.style.width = `${total > 0 ? (100 * failed) / total : 0}%`;
      failuresHead.textContent = `Failures (${grouped(failed)})`;
      for (; listed < Math.min(m.failures.length, FAILURES_SHOWN); listed++) failures.append(failureItem(m.failures[listed], m));
      more.textContent = m.failures.length > FAILURES_SHOWN ? `and ${grouped(m.failures.length - FAILURES_SHOWN)} more` : '';
      gantt.draw();
    },
  };
}

/** What the lower bound counted, by the timeline's `bound.basis`. */
const BOUND_BASIS = {
  run: 'the shortest wall time any schedule of these tests on these slots could take, per segment of the plan the larger of the work over the slots and the longest unit (a group of tests that must share a process counts as one)',
  tests: 'the shortest wall time any schedule of these tests on these slots could take: the larger of the work over the slots and the longest test. The run recorded no bound of its own, so each test counts alone: with a plan or groups the true bound is higher',
};

function swatch(colour) {
  const s = h('i', { class: 'swatch' });
  s.style.background = colour;
  return s;
}

const exitWord = (code) => (code === 0 ? 'passed' : code === 1 ? 'failed' : 'infrastructure failure');
// A run without an end, as the API's `state` says (the store's runState): its process
// still records it here or on another machine, or it was cut short (killed, crashed).
const UNFINISHED = { running: 'in progress', elsewhere: 'in progress on another machine', stopped: 'cut short' };
const unfinishedWord = (run) => UNFINISHED[run.state] ?? 'incomplete';
const recording = (run) => run.state === 'running' || run.state === 'elsewhere';
function recordedWord(run) {
  if (!run.complete) return unfinishedWord(run);
  const c = run.counts ?? {};
  return (c.fail ?? 0) + (c.uxsuccess ?? 0) + (c.inprogress ?? 0) > 0 ? 'failed' : 'passed';
}

async function recordedRun(id) {
  const timeline = await api(`/api/runs/${id}/timeline`);
  const model = RunModel.fromTimeline(timeline);
  const view = runView(model);
  // Tracebacks of the first failures, read once: the timeline carries none.
  const failing = await api(`/api/runs/${model.run.id}?status=fail,uxsuccess,inprogress&limit=${FAILURES_SHOWN}`);
  const byKey = new Map(failing.results.map((r) => [`${r.worker ?? '(no worker)'}\n${r.testId}`, r.attachments]));
  for (const f of model.failures) f.attachments = byKey.get(`${model.lanes[model.lane[f.index]]}\n${model.tests[f.index]}`) ?? null;
  view.update(model);
  if (recording(model.run)) {
    const timer = setTimeout(() => route(), RECORDING_POLL_MS);
    leave = () => clearTimeout(timer);
  }
}

function liveRun() {
  let model = new RunModel();
  const view = runView(model);
  const connection = document.getElementById('connection');
  const source = new EventSource('/api/live');
  const ticker = setInterval(() => {
    if (model.live && !model.finished) view.update(model);
  }, 500);
  source.onopen = () => {
    // The server sends everything again on each connection.
    model = new RunModel();
    connection.textContent = 'live';
  };
  source.onmessage = (e) => {
    model.apply(JSON.parse(e.data));
    view.update(model);
    if (model.finished) {
      source.close();
      clearInterval(ticker);
      connection.textContent = 'run finished';
    }
  };
  source.onerror = () => {
    if (!model.finished) connection.textContent = 'disconnected: reconnecting…';
  };
  view.update(model);
  leave = () => {
    source.close();
    clearInterval(ticker);
    connection.textContent = '';
  };
}

// ---------------------------------------------------------------------------------------
// History (#/history) and one test (#/tests/ID)

function table(head, rows, id) {
  return h('table', { id }, h('thead', {}, h('tr', {}, ...head.map((x) => h('th', {}, x)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((x) => h('td', {}, x))))));
}

function profileQuery(profile) {
  return profile ? `profile=${encodeURIComponent(profile)}` : '';
}

async function history(params) {
  const profile = params.get('profile') ?? info.latestRun?.profile ?? info.profiles[0];
  const q = profileQuery(profile);
  const [runs, slowest, flaky, failing] = await Promise.all([
    api(`/api/runs?limit=50&${q}`),
    api(`/api/slowest?limit=15&${q}`),
    api(`/api/flaky?limit=15&${q}`),
    api(`/api/failing?${q}`),
  ]);
  const select = h('select', { id: 'profile' }, ...info.profiles.map((p) => {
    const o = h('option', { value: p }, p);
    o.selected = p === profile;
    return o;
  }));
  select.onchange = () => (location.hash = `#/history?${profileQuery(select.value)}`);
  const canvas = h('canvas', { id: 'walls' });
  const tooltip = h('div', { class: 'tooltip', hidden: true });
  show(h('section', { class: 'history' },
    h('h1', {}, 'History ', info.profiles.length > 1 ? select : h('span', { class: 'badge' }, profile ?? '')),
    h('h2', {}, 'Wall time of recent runs'),
    h('div', { class: 'chart' }, canvas, tooltip),
    h('div', { class: 'grid' },
      h('section', {}, h('h2', {}, slowest.run ? `Slowest tests of run ${slowest.run.id}` : 'Slowest tests'),
        table(['Test', 'Duration', 'Status'], slowest.slowest.map((s) => [testLink(s.testId), formatSeconds(s.duration), s.status]), 'slowest')),
      h('section', {}, h('h2', {}, `Flaky tests (last ${flaky.runs} runs)`),
        flaky.flaky.length === 0 ? h('p', { class: 'muted' }, 'No test both passed and failed.') :
          table(['Test', 'Flips', 'Failed', 'Last failed'], flaky.flaky.map((f) => [testLink(f.testId), f.flips, `${f.failures} / ${f.results}`, h('a', { href: `#/runs/${f.lastFailedRun}` }, `run ${f.lastFailedRun}`)]), 'flaky')),
      h('section', {}, h('h2', {}, `Failing now (${failing.failing.length})`),
        failing.failing.length === 0 ? h('p', { class: 'muted' }, 'Nothing is failing.') :
          table(['Test', 'Last failed in'], failing.failing.slice(0, 50).map((f) => [testLink(f.testId), f.result ? h('a', { href: `#/runs/${f.result.run}` }, `run ${f.result.run}`) : '–']), 'failing'))),
    h('h2', {}, 'Runs'),
    table(['Run', 'Started', 'Wall time', 'Results', 'Exit'], runs.runs.map((r) => [
      h('a', { href: `#/runs/${r.id}` }, String(r.id)), r.start.slice(0, 19).replace('T', ' '), formatSeconds(r.wallSeconds),
      formatCounts(r.counts), r.complete ? String(r.exitStatus ?? '–') : unfinishedWord(r)]), 'runs')));
  const items = runs.runs.slice().reverse().map((r) => ({
    label: String(r.id),
    value: r.wallSeconds,
    colour: !r.complete ? '#aab2bf' : (r.counts.fail ?? 0) + (r.counts.uxsuccess ?? 0) + (r.counts.inprogress ?? 0) > 0 ? COLOURS.fail : COLOURS.success,
    title: `run ${r.id}: ${formatSeconds(r.wallSeconds)}\n${formatCounts(r.counts)}`,
    id: r.id,
  }));
  barChart(canvas, tooltip, items, (item) => (location.hash = `#/runs/${item.id}`));
}

async function testHistory(id, params) {
  const profileParam = params.get('profile');
  const t = await api(`/api/tests/${encodeURIComponent(id)}${profileParam ? `?${profileQuery(profileParam)}` : ''}`);
  const sections = [];
  const charts = [];
  for (const [profile, p] of Object.entries(t.profiles)) {
    const canvas = h('canvas', { class: 'durations' });
    const tooltip = h('div', { class: 'tooltip', hidden: true });
    charts.push([canvas, tooltip, p.results]);
    sections.push(h('section', {},
      h('h2', {}, `${profile}: ${p.results.length} results, estimate ${formatSeconds(p.estimate)}`),
      h('div', { class: 'chart' }, canvas, tooltip),
      table(['Run', 'Started', 'Status', 'Duration', 'Worker'], p.results.slice().reverse().map((r) => [
        h('a', { href: `#/runs/${r.run}` }, String(r.run)), (r.start ?? '–').slice(0, 19).replace('T', ' '), h('span', { class: `status ${r.status}` }, r.status), formatSeconds(r.duration), r.worker ?? '–']))));
  }
  show(h('section', { class: 'test' }, h('h1', { class: 'test-id' }, t.testId), ...sections));
  for (const [canvas, tooltip, results] of charts) {
    durationChart(canvas, tooltip, results.map((r) => ({
      value: r.duration, status: r.status, label: `run ${r.run}`,
      title: `run ${r.run}: ${r.status}, ${formatSeconds(r.duration)}${r.worker ? ` on ${r.worker}` : ''}`,
    })));
  }
}

// ---------------------------------------------------------------------------------------

async function route() {
  leave();
  leave = () => {};
  const [path, query] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query ?? '');
  const parts = (path || '/').split('/').filter(Boolean);
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('current', location.hash.startsWith(a.getAttribute('href')));
  try {
    if (parts.length === 0) {
      location.replace(info.live ? '#/live' : info.latestRun ? '#/runs/latest' : '#/history');
    } else if (parts[0] === 'live' && info.live) liveRun();
    else if (parts[0] === 'runs' && parts[1]) await recordedRun(parts[1]);
    else if (parts[0] === 'history') await history(params);
    else if (parts[0] === 'tests' && parts[1]) await testHistory(decodeURIComponent(parts.slice(1).join('/')), params);
    else showError({ status: 404, message: `nothing at ${location.hash}` });
  } catch (error) {
    showError(error);
  }
}

async function start() {
  try {
    info = await api('/api/info');
  } catch (error) {
    return showError(error);
  }
  document.getElementById('nav-live').hidden = !info.live;
  window.addEventListener('hashchange', route);
  await route();
}

start();
