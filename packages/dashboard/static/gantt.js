// The timeline: one lane per worker slot, one bar per test coloured by its status, drawn
// on a canvas. Bars thinner than a pixel are merged per pixel column (the most severe
// status wins), so that 100,000 results cost a pass over arrays, not 100,000 shapes.
import { SEVERITY } from './model.js';
import { formatSeconds } from './format.js';

export const COLOURS = {
  success: '#3f9b5f',
  xfail: '#7fbf94',
  skip: '#aab2bf',
  inprogress: '#8e5bb5',
  uxsuccess: '#e08a2e',
  fail: '#d23c3c',
  running: '#4b8fd6',
};
const BY_SEVERITY = Object.keys(SEVERITY).sort((a, b) => SEVERITY[a] - SEVERITY[b]);
/** Where a slot continued on a fresh test server process (a fork): its tick, and its start's cost. */
export const PROCESS = '#1d3f94';
const IDLE = '#f6e3df';
const ABSENT = '#eceef1';
const LABEL_WIDTH = 190;
const AXIS_HEIGHT = 26;
/** Room under the lanes for the tail's label. */
const FOOT_HEIGHT = 18;
const RIGHT_MARGIN = 12;
/** Pixels a pointer may miss a thin bar by and still point at it. */
const SLOP = 3;

export class Gantt {
  /**
   * @param canvas where to draw
   * @param tooltip an element shown beside the pointer over a bar
   * @param onSelect called with a result's index when its bar is clicked
   */
  constructor(canvas, tooltip, onSelect) {
    this.canvas = canvas;
    this.tooltip = tooltip;
    this.onSelect = onSelect;
    this.model = null;
    this.view = null;
    this.selected = -1;
    this.pending = false;
    this.drag = null;
    canvas.addEventListener('mousemove', (e) => this.hover(e));
    canvas.addEventListener('mouseleave', () => (this.tooltip.hidden = true));
    canvas.addEventListener('mousedown', (e) => (this.drag = { x: e.offsetX, view: this.view && { ...this.view }, moved: false }));
    window.addEventListener('mouseup', () => setTimeout(() => (this.drag = null)));
    canvas.addEventListener('click', (e) => this.click(e));
    canvas.addEventListener('dblclick', () => {
      this.view = null;
      this.draw();
    });
    canvas.addEventListener('wheel', (e) => this.zoom(e), { passive: false });
    window.addEventListener('resize', () => this.draw());
  }

  setModel(model) {
    this.model = model;
    this.draw();
  }

  /** Draws at the next frame, once however often it is asked. */
  draw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.paint();
    });
  }

  /** ms from the run's origin, now. */
  now() {
    return this.model.live && !this.model.finished ? Date.now() - this.model.origin : this.model.end;
  }

  geometry() {
    const m = this.model;
    const width = this.canvas.clientWidth;
    const laneHeight = Math.max(4, Math.min(22, Math.floor(640 / Math.max(1, m.lanes.length))));
    const t1 = this.view ? this.view.t1 : Math.max(1, m.finished ? m.end : this.now());
    const t0 = this.view ? this.view.t0 : 0;
    return { width, laneHeight, top: AXIS_HEIGHT, left: LABEL_WIDTH, plot: Math.max(10, width - LABEL_WIDTH - RIGHT_MARGIN), t0, t1 };
  }

  paint() {
    const m = this.model;
    if (m === null) return;
    const g = this.geometry();
    const height = g.top + m.lanes.length * g.laneHeight + FOOT_HEIGHT;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.style.height = `${height}px`;
    if (this.canvas.width !== Math.round(g.width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(g.width * dpr);
      this.canvas.height = Math.round(height * dpr);
    }
    const ctx = this.canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, g.width, height);
    const x = (t) => g.left + ((t - g.t0) / (g.t1 - g.t0)) * g.plot;
    const now = this.now();
    const stats = m.laneStats(now);

    this.axis(ctx, g, x, height);
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    const lists = m.byLane();
    let drawn = 0;
    for (let l = 0; l < m.lanes.length; l++) {
      const y = g.top + l * g.laneHeight;
      const h = Math.max(2, g.laneHeight - (g.laneHeight > 8 ? 3 : 1));
      // The lane: grey where the slot was not there, rose where it was and ran nothing.
      ctx.fillStyle = ABSENT;
      ctx.fillRect(g.left, y, g.plot, h);
      const from = Math.max(g.left, x(m.laneFrom[l]));
      const to = Math.min(g.left + g.plot, x(m.laneTo[l] ?? (m.finished ? m.end : now)));
      if (to > from) {
        ctx.fillStyle = IDLE;
        ctx.fillRect(from, y, to - from, h);
      }
      drawn += this.bars(ctx, lists[l], x, y, h, g);
      const r = m.running.get(l);
      if (r !== undefined) {
        ctx.fillStyle = COLOURS.running;
        const x0 = Math.max(g.left, x(r.start));
        ctx.fillRect(x0, y, Math.max(2, Math.min(g.left + g.plot, x(now)) - x0), h);
      }
      this.label(ctx, stats[l], y, h, g);
    }
    this.tail(ctx, g, x, height);
    const processes = this.markProcesses(ctx, g, x);
    this.markRestarts(ctx, g, x);
    if (this.selected >= 0 && m.start[this.selected] !== null) {
      const y = g.top + m.lane[this.selected] * g.laneHeight;
      const x0 = x(m.start[this.selected]);
      ctx.strokeStyle = '#111';
      ctx.lineWidth = 2;
      ctx.strokeRect(x0 - 1, y - 1, Math.max(3, x(m.stop[this.selected]) - x0 + 2), g.laneHeight - 1);
    }
    // What the browser tests (and curious readers) can check against the repository.
    Object.assign(this.canvas.dataset, {
      lanes: String(m.lanes.length),
      bars: String(drawn),
      running: String(m.running.size),
      processes: String(processes),
      plotLeft: String(g.left),
      plotWidth: String(g.plot),
      top: String(g.top),
      laneHeight: String(g.laneHeight),
      t0: String(g.t0),
      t1: String(g.t1),
    });
  }

  /** The bars of one lane; returns how many results it drew (merged ones included). */
  bars(ctx, list, x, y, h, g) {
    const m = this.model;
    const right = g.left + g.plot;
    let column = -1;
    let worst = -1;
    const flush = () => {
      if (column >= 0) {
        ctx.fillStyle = COLOURS[BY_SEVERITY[worst]];
        ctx.fillRect(column, y, 1, h);
      }
      column = -1;
      worst = -1;
    };
    for (let k = 0; k < list.length; k++) {
      const i = list[k];
      const s = m.start[i];
      const e = m.stop[i];
      if (e < g.t0 || s > g.t1) continue;
      const x0 = Math.max(g.left, x(s));
      const x1 = Math.min(right, x(e));
      const severity = SEVERITY[m.status[i]] ?? SEVERITY.fail;
      if (x1 - x0 < 1.5) {
        const c = Math.floor(x0);
        if (c !== column) {
          flush();
          column = c;
        }
        worst = Math.max(worst, severity);
      } else {
        flush();
        ctx.fillStyle = COLOURS[m.status[i]] ?? COLOURS.fail;
        // A pixel of lane between neighbours, so that each test reads as a bar of its own.
        ctx.fillRect(x0, y, Math.max(1, x1 - x0 - (x1 - x0 > 4 ? 1 : 0)), h);
      }
    }
    flush();
    return list.length;
  }

  label(ctx, stat, y, h, g) {
    const idle = stat.window > 0 ? stat.idle / stat.window : 0;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, y, g.left - 4, h);
    // The idle share as a bar under the name: a glance down the column finds who waited.
    const bar = 46;
    ctx.fillStyle = '#e4e7eb';
    ctx.fillRect(g.left - bar - 8, y + 1, bar, Math.max(1, h - 2));
    ctx.fillStyle = idle > 0.25 ? '#d9534f' : idle > 0.1 ? '#e8a23a' : '#8fb99a';
    ctx.fillRect(g.left - bar - 8, y + 1, Math.round(bar * idle), Math.max(1, h - 2));
    if (h >= 9) {
      ctx.fillStyle = '#222';
      ctx.fillText(clip(ctx, stat.name, g.left - bar - 14), 4, y + h / 2);
      ctx.fillStyle = '#555';
      ctx.textAlign = 'right';
      ctx.font = '10px system-ui, sans-serif';
      ctx.fillText(`${Math.round(idle * 100)}%`, g.left - 10, y + h / 2);
      ctx.textAlign = 'left';
      ctx.font = '12px system-ui, sans-serif';
    }
  }

  axis(ctx, g, x, height) {
    const span = g.t1 - g.t0;
    const step = niceStep(span / Math.max(2, g.plot / 110));
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'alphabetic';
    ctx.fillStyle = '#555';
    ctx.strokeStyle = '#e2e5e9';
    ctx.lineWidth = 1;
    for (let t = Math.ceil(g.t0 / step) * step; t <= g.t1; t += step) {
      const px = Math.round(x(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(px, g.top - 6);
      ctx.lineTo(px, height);
      ctx.stroke();
      const label = formatSeconds(t / 1000);
      if (px + 3 + ctx.measureText(label).width <= g.width) ctx.fillText(label, px + 3, g.top - 10);
    }
    ctx.fillText('worker slot · idle', 4, g.top - 10);
  }

  tail(ctx, g, x, height) {
    const tail = this.model.tail();
    if (tail === null || tail.stop <= tail.start) return;
    const x0 = Math.max(g.left, x(tail.start));
    const x1 = Math.min(g.left + g.plot, x(tail.stop));
    if (x1 <= x0) return;
    const bottom = height - FOOT_HEIGHT + 4;
    ctx.fillStyle = 'rgba(40, 40, 90, 0.10)';
    ctx.fillRect(x0, g.top - 4, x1 - x0, bottom - g.top + 4);
    ctx.strokeStyle = 'rgba(40, 40, 90, 0.55)';
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(Math.round(x0) + 0.5, g.top - 4);
    ctx.lineTo(Math.round(x0) + 0.5, bottom);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#33335a';
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'alphabetic';
    const text = `tail ${formatSeconds(tail.seconds)}: the last slots running while the others had nothing left`;
    const w = ctx.measureText(text).width;
    // Under the band, on whichever side of its start has room.
    ctx.fillText(text, x0 + 4 + w > g.left + g.plot ? Math.max(g.left, x0 - 4 - w) : x0 + 4, height - 3);
  }

  /**
   * Where a slot continued on a fresh test server process: a tick across the lane with a
   * diamond on top where the new process took over, and under the lane's foot a bar from
   * when the fork was asked for to when it was ready (what starting it cost; often while
   * the old process still ran). Returns how many it drew.
   */
  markProcesses(ctx, g, x) {
    const m = this.model;
    const right = g.left + g.plot;
    let drawn = 0;
    ctx.fillStyle = PROCESS;
    for (const p of m.processes) {
      if (p.from < g.t0 || p.from > g.t1) continue;
      const y = g.top + p.lane * g.laneHeight;
      const h = Math.max(2, g.laneHeight - (g.laneHeight > 8 ? 3 : 1));
      const px = Math.round(x(p.from));
      ctx.fillRect(px - 1, y, 2, h);
      const d = Math.min(4, Math.max(2, h / 4));
      ctx.beginPath();
      ctx.moveTo(px, y - 1);
      ctx.lineTo(px + d, y - 1 + d);
      ctx.lineTo(px, y - 1 + 2 * d);
      ctx.lineTo(px - d, y - 1 + d);
      ctx.closePath();
      ctx.fill();
      const x0 = Math.max(g.left, x(p.asked));
      const x1 = Math.min(right, x(p.ready));
      if (x1 >= g.left && x0 <= right) ctx.fillRect(x0, y + h - Math.min(3, h / 3), Math.max(2, x1 - x0), Math.min(3, h / 3));
      drawn++;
    }
    return drawn;
  }

  /** The process start whose tick (or, at the lane's foot, start bar) is under a point of the canvas, or -1. */
  hitProcess(px, py) {
    const m = this.model;
    if (m === null || m.processes.length === 0) return -1;
    const g = this.geometry();
    const lane = Math.floor((py - g.top) / g.laneHeight);
    if (lane < 0 || lane >= m.lanes.length || px < g.left) return -1;
    const x = (t) => g.left + ((t - g.t0) / (g.t1 - g.t0)) * g.plot;
    const foot = py - (g.top + lane * g.laneHeight) >= (g.laneHeight * 2) / 3;
    let best = -1;
    let bestMiss = SLOP;
    m.processes.forEach((p, k) => {
      if (p.lane !== lane) return;
      const onBar = foot && px >= x(p.asked) - 1 && px <= Math.max(x(p.ready), x(p.asked) + 2) + 1;
      const miss = onBar ? 0 : Math.abs(px - x(p.from));
      if (miss <= bestMiss) {
        best = k;
        bestMiss = miss;
      }
    });
    return best;
  }

  /** A triangle where baton ended a test server (a timeout, a crash) or lost a worker. */
  markRestarts(ctx, g, x) {
    const m = this.model;
    ctx.fillStyle = '#111';
    for (const mark of m.marks) {
      const t = m.stop[mark.index] ?? m.start[mark.index];
      if (t === null || t < g.t0 || t > g.t1) continue;
      const px = x(t);
      const y = g.top + m.lane[mark.index] * g.laneHeight;
      ctx.beginPath();
      ctx.moveTo(px - 5, y);
      ctx.lineTo(px + 5, y);
      ctx.lineTo(px, y + Math.min(9, g.laneHeight - 2));
      ctx.closePath();
      ctx.fill();
    }
  }

  /** The result under a point of the canvas, or -1 (or -2 - lane for a running test). */
  hit(px, py) {
    const m = this.model;
    if (m === null) return -1;
    const g = this.geometry();
    const lane = Math.floor((py - g.top) / g.laneHeight);
    if (lane < 0 || lane >= m.lanes.length || px < g.left) return -1;
    const perPx = (g.t1 - g.t0) / g.plot;
    const t = g.t0 + (px - g.left) * perPx;
    const list = m.byLane()[lane];
    // The last bar that starts at or before t (a slot's bars are in start order).
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (m.start[list[mid]] <= t + SLOP * perPx) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    let best = -1;
    let bestMiss = Infinity;
    // Bars overlap only in a lane of results that name no worker: a few back suffice.
    for (let k = found; k >= 0 && k > found - 64 && bestMiss > 0; k--) {
      const i = list[k];
      const miss = t < m.start[i] ? m.start[i] - t : t > m.stop[i] ? t - m.stop[i] : 0;
      if (miss < bestMiss) {
        best = i;
        bestMiss = miss;
      }
    }
    if (best >= 0 && bestMiss <= SLOP * perPx) return best;
    const r = m.running.get(lane);
    if (r !== undefined && t >= r.start) return -2 - lane;
    return -1;
  }

  hover(e) {
    if (this.drag && this.drag.view) {
      const dx = e.offsetX - this.drag.x;
      if (Math.abs(dx) > 2) {
        this.drag.moved = true;
        const g = this.geometry();
        const dt = (dx / g.plot) * (this.drag.view.t1 - this.drag.view.t0);
        this.view = { t0: this.drag.view.t0 - dt, t1: this.drag.view.t1 - dt };
        this.draw();
      }
      return;
    }
    const m = this.model;
    const k = this.hitProcess(e.offsetX, e.offsetY);
    const i = k >= 0 ? -1 : this.hit(e.offsetX, e.offsetY);
    if (k === -1 && i === -1) {
      this.tooltip.hidden = true;
      this.canvas.style.cursor = 'default';
      return;
    }
    this.canvas.style.cursor = 'pointer';
    if (k >= 0) {
      const p = m.processes[k];
      const why = p.cause === 'fresh'
        ? 'fresh test server: the slot\'s next tests lay behind its process in discovery order (as after a steal)'
        : 'test server replaced: its process died or was killed';
      this.tooltip.textContent = `${why}\non ${m.lanes[p.lane]}, running tests from ${formatSeconds(p.from / 1000)}\nstarting it took ${formatSeconds((p.ready - p.asked) / 1000)} (asked at ${formatSeconds(p.asked / 1000)}, ready at ${formatSeconds(p.ready / 1000)})`;
    } else if (i <= -2) {
      const lane = -2 - i;
      const r = m.running.get(lane);
      this.tooltip.textContent = `${r.test}\nrunning on ${m.lanes[lane]} for ${formatSeconds((this.now() - r.start) / 1000)}`;
    } else {
      const d = (m.stop[i] - m.start[i]) / 1000;
      this.tooltip.textContent = `${m.tests[i]}\n${m.status[i]} · ${formatSeconds(d)} · ${m.lanes[m.lane[i]]}\nfrom ${formatSeconds(m.start[i] / 1000)} to ${formatSeconds(m.stop[i] / 1000)}`;
    }
    this.tooltip.hidden = false;
    const box = this.canvas.getBoundingClientRect();
    const left = Math.min(e.clientX - box.left + 14, box.width - 360);
    this.tooltip.style.left = `${Math.max(0, left)}px`;
    this.tooltip.style.top = `${e.clientY - box.top + 16}px`;
  }

  click(e) {
    if (this.drag && this.drag.moved) return;
    const i = this.hit(e.offsetX, e.offsetY);
    if (i < 0) return;
    this.selected = i;
    this.draw();
    this.onSelect(i);
  }

  zoom(e) {
    if (this.model === null) return;
    const g = this.geometry();
    if (e.offsetX < g.left) return;
    e.preventDefault();
    const t = g.t0 + ((e.offsetX - g.left) / g.plot) * (g.t1 - g.t0);
    const factor = Math.exp(e.deltaY * 0.0015);
    const span = Math.max(1, (g.t1 - g.t0) * factor);
    const t0 = t - ((t - g.t0) / (g.t1 - g.t0)) * span;
    this.view = { t0, t1: t0 + span };
    this.draw();
  }
}

/** 1, 2 or 5 times a power of ten: a tick step near `raw` (ms). */
function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-3)));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

function clip(ctx, text, width) {
  if (ctx.measureText(text).width <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(`…${text.slice(text.length - mid)}`).width <= width) lo = mid;
    else hi = mid - 1;
  }
  return `…${text.slice(text.length - lo)}`;
}
