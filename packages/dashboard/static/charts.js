// The history charts: the wall time of recent runs (a bar per run), and one test's
// duration over its runs (a point per result, coloured by status).
import { COLOURS } from './gantt.js';
import { formatSeconds } from './format.js';

const PAD = { left: 58, right: 12, top: 12, bottom: 26 };

function setup(canvas, height) {
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  canvas.style.height = `${height}px`;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.font = '11px system-ui, sans-serif';
  return { ctx, width, height, plotW: Math.max(10, width - PAD.left - PAD.right), plotH: height - PAD.top - PAD.bottom };
}

/** The top of the y axis for values up to `max`: a whole number of nice steps. */
function axisTop(max) {
  const raw = Math.max(max, 0.001) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
  return step * 4;
}

function yAxis(ctx, c, top) {
  ctx.fillStyle = '#555';
  ctx.strokeStyle = '#e2e5e9';
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    const y = PAD.top + c.plotH - (v / top) * c.plotH;
    ctx.beginPath();
    ctx.moveTo(PAD.left, Math.round(y) + 0.5);
    ctx.lineTo(PAD.left + c.plotW, Math.round(y) + 0.5);
    ctx.stroke();
    ctx.fillText(formatSeconds(v), PAD.left - 6, y);
  }
  ctx.textAlign = 'left';
}

/**
 * Bars of `items` ({ label, value (seconds), colour, title }), oldest left. Hovering shows
 * `title` in `tooltip`; a click calls `onPick(item)`.
 */
export function barChart(canvas, tooltip, items, onPick) {
  const c = setup(canvas, 190);
  const { ctx } = c;
  const max = axisTop(Math.max(0, ...items.map((i) => i.value ?? 0)));
  yAxis(ctx, c, max);
  const slot = c.plotW / Math.max(1, items.length);
  const bar = Math.max(1, Math.min(40, slot * 0.75));
  items.forEach((item, k) => {
    const h = ((item.value ?? 0) / max) * c.plotH;
    ctx.fillStyle = item.colour;
    ctx.fillRect(PAD.left + k * slot + (slot - bar) / 2, PAD.top + c.plotH - h, bar, h);
  });
  ctx.fillStyle = '#555';
  ctx.textBaseline = 'alphabetic';
  const every = Math.ceil(items.length / Math.max(1, c.plotW / 60));
  ctx.textAlign = 'center';
  items.forEach((item, k) => {
    if (k % every === 0) ctx.fillText(item.label, PAD.left + (k + 0.5) * slot, c.height - 8);
  });
  ctx.textAlign = 'left';
  const at = (e) => {
    const k = Math.floor((e.offsetX - PAD.left) / slot);
    return k >= 0 && k < items.length ? items[k] : undefined;
  };
  canvas.onmousemove = (e) => {
    const item = at(e);
    tooltip.hidden = item === undefined;
    canvas.style.cursor = item ? 'pointer' : 'default';
    if (item) place(tooltip, canvas, e, item.title);
  };
  canvas.onmouseleave = () => (tooltip.hidden = true);
  canvas.onclick = (e) => {
    const item = at(e);
    if (item) onPick(item);
  };
  canvas.dataset.bars = String(items.length);
}

/** One test's durations over time: `points` ({ t (ms), value (seconds), status, title }), oldest first. */
export function durationChart(canvas, tooltip, points) {
  const c = setup(canvas, 220);
  const { ctx } = c;
  const timed = points.filter((p) => p.value !== null);
  const max = axisTop(Math.max(0, ...timed.map((p) => p.value)));
  yAxis(ctx, c, max);
  // Evenly spaced by run rather than by date: runs cluster in bursts.
  const inset = 10;
  const xOf = (k) => PAD.left + inset + (points.length === 1 ? c.plotW / 2 - inset : (k / (points.length - 1)) * (c.plotW - 2 * inset));
  const yOf = (v) => PAD.top + c.plotH - (v / max) * c.plotH;
  ctx.strokeStyle = '#9aa7b8';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  let started = false;
  points.forEach((p, k) => {
    if (p.value === null) return;
    if (started) ctx.lineTo(xOf(k), yOf(p.value));
    else ctx.moveTo(xOf(k), yOf(p.value));
    started = true;
  });
  ctx.stroke();
  points.forEach((p, k) => {
    ctx.fillStyle = COLOURS[p.status] ?? COLOURS.fail;
    ctx.beginPath();
    ctx.arc(xOf(k), p.value === null ? PAD.top + c.plotH : yOf(p.value), 4, 0, Math.PI * 2);
    ctx.fill();
  });
  ctx.fillStyle = '#555';
  ctx.textBaseline = 'alphabetic';
  if (points.length > 0) {
    ctx.fillText(points[0].label, PAD.left, c.height - 8);
    ctx.textAlign = 'right';
    ctx.fillText(points[points.length - 1].label, PAD.left + c.plotW, c.height - 8);
    ctx.textAlign = 'left';
  }
  canvas.onmousemove = (e) => {
    let best = -1;
    let miss = 12;
    points.forEach((p, k) => {
      const d = Math.abs(xOf(k) - e.offsetX);
      if (d < miss) {
        best = k;
        miss = d;
      }
    });
    tooltip.hidden = best < 0;
    if (best >= 0) place(tooltip, canvas, e, points[best].title);
  };
  canvas.onmouseleave = () => (tooltip.hidden = true);
  canvas.dataset.points = String(points.length);
}

function place(tooltip, canvas, e, text) {
  tooltip.textContent = text;
  const box = canvas.getBoundingClientRect();
  tooltip.style.left = `${Math.max(0, Math.min(e.clientX - box.left + 14, box.width - 320))}px`;
  tooltip.style.top = `${e.clientY - box.top + 14}px`;
}
