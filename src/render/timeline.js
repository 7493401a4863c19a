// The timeline page's script (quorate, src/render/timeline.js), embedded in every page that
// `quorate render` writes. It reads the page's data (src/render/data.rs documents the format),
// draws on a canvas only what is in view, zooms and pans, brings an anomaly's operations into
// view, and shows whole texts on hover and in the detail panel. It writes text into the page only
// through textContent and the canvas, never as markup, and loads nothing.
"use strict";
(() => {
const D = JSON.parse(document.getElementById("quorate-data").textContent);
if (D.format !== "quorate-timeline-1") throw new Error("unknown timeline data: " + D.format);
const LW = 96, AXIS = 22, HEAD = 20, LANE = 26, NODE = 30, MAX_STEP = 400;
const C = D.clients.length, K = D.keys.length, NN = D.nodes.length;
const BAND = HEAD + C * LANE + NN * NODE;
const HEIGHT = AXIS + K * BAND + 6;
const END = D.end;
const S = D.strings;
const OUTCOME = ["ok", "fail", "info"];

// The distinct times of the ordinal axis.
const times = new Float64Array(D.times.length);
{ let t = 0; for (let i = 0; i < times.length; i++) { t += D.times[i]; times[i] = t; } }
const timeOf = (r) => times[Math.max(0, Math.min(times.length - 1, Math.round(r)))];

// The operations, decoded into typed arrays.
const O = D.ops, N = O.count;
const ids = new Float64Array(N), opLane = new Int32Array(N), opKey = new Int32Array(N);
const kind = new Uint8Array(N), outcome = new Uint8Array(N), open = new Uint8Array(N);
const ra = new Int32Array(N), rb = new Int32Array(N), refAt = new Int32Array(N + 1);
const refs = new Int32Array(O.r.length);
{
  let id = 0, rank = 0, p = 0, seen = 0;
  for (let i = 0; i < N; i++) {
    if (O.id) { id += O.id[i]; ids[i] = id; } else ids[i] = O.id0 + i;
    const m = O.m[i], f = m % 18, where = Math.floor(m / 18);
    opLane[i] = where % C; opKey[i] = Math.floor(where / C);
    kind[i] = f % 3; outcome[i] = Math.floor(f / 3) % 3; open[i] = f >= 9 ? 1 : 0;
    rank += O.a[i]; ra[i] = rank;
    rb[i] = open[i] ? END + 1 : rank + O.d[i];
    refAt[i] = p;
    const count = (kind[i] === 0 ? 0 : 1) + O.n[i];
    for (let j = 0; j < count; j++, p++) {
      let code = O.r[p], tomb = 0;
      if (kind[i] === 0) { tomb = code % 2; code = Math.floor(code / 2); }
      const index = code === 0 ? seen++ : seen - code;
      refs[p] = index * 2 + tomb;
    }
  }
  refAt[N] = p;
}

// Per lane (key × client): its operations in invocation order, with the running maximum of the
// answered ones' ends (to find the first in view by bisection) and its unanswered ones apart.
const LANES = K * C;
const laneStart = new Int32Array(LANES + 1);
for (let i = 0; i < N; i++) laneStart[opKey[i] * C + opLane[i] + 1]++;
for (let l = 0; l < LANES; l++) laneStart[l + 1] += laneStart[l];
const order = new Int32Array(N);
{
  const fill = laneStart.slice(0, LANES);
  for (let i = 0; i < N; i++) order[fill[opKey[i] * C + opLane[i]]++] = i;
}
const reach = new Int32Array(N);
const openOps = new Map();
const opsOfKey = new Int32Array(K);
for (let l = 0; l < LANES; l++) {
  const s = laneStart[l], e = laneStart[l + 1];
  let sorted = true;
  for (let p = s + 1; p < e; p++) if (ra[order[p]] < ra[order[p - 1]]) { sorted = false; break; }
  if (!sorted) {
    const part = Array.from(order.subarray(s, e)).sort((x, y) => ra[x] - ra[y] || x - y);
    order.set(part, s);
  }
  let most = -1;
  for (let p = s; p < e; p++) {
    const i = order[p];
    most = Math.max(most, open[i] ? ra[i] : rb[i]);
    reach[p] = most;
    if (open[i]) { if (!openOps.has(l)) openOps.set(l, []); openOps.get(l).push(i); }
  }
}
for (let i = 0; i < N; i++) opsOfKey[opKey[i]]++;

// The anomalies: which operations each marks, and how.
const anomalies = D.anomalies;
const wanted = new Map();
for (const anomaly of anomalies) for (const id of anomaly.o) wanted.set(id, -1);
if (wanted.size > 0) for (let i = 0; i < N; i++) if (wanted.get(ids[i]) === -1) wanted.set(ids[i], i);
const indexOf = (id) => {
  const known = wanted.get(Number(id));
  if (known !== undefined) return known;
  for (let i = 0; i < N; i++) if (ids[i] === Number(id)) return i;
  return -1;
};
const MARKED = 1, WITNESS = 2, FORBIDDEN = 4;
const marks = new Uint8Array(N);
const marksOf = new Map();
anomalies.forEach((anomaly, index) => {
  for (const id of anomaly.o) {
    const i = wanted.get(id);
    if (i === undefined || i < 0) continue;
    marks[i] |= MARKED | (anomaly.w ? WITNESS : 0) | (anomaly.m === null ? FORBIDDEN : 0);
    if (!marksOf.has(i)) marksOf.set(i, []);
    marksOf.get(i).push(index);
  }
});

// The trace, per key: messages in send order with the running maximum of their ends.
const traceOf = new Map();
for (const [key, messages, states] of D.trace) {
  const most = new Int32Array(messages.length);
  let m = -1;
  messages.forEach((message, j) => { m = Math.max(m, message[0] + 1, message[1]); most[j] = m; });
  traceOf.set(key, { messages, most, states });
}
const nodeFaults = D.nodeFaults;

// The caller's labels (an external history's), and what the times count.
const LABELS = D.labels || null;
const at = D.unit === "event" ? (t) => "event " + t : (t) => t + " ms";

function label(i) {
  if (LABELS !== null && LABELS[i] !== null && LABELS[i] !== undefined) return LABELS[i];
  const p = refAt[i], q = refAt[i + 1];
  if (kind[i] === 0) {
    if (outcome[i] !== 0) return "get";
    const parts = [];
    for (let j = p; j < q; j++) parts.push((refs[j] % 2 ? "†" : "") + S[refs[j] >> 1]);
    return "get {" + parts.join(",") + "}";
  }
  const verb = kind[i] === 1 ? "put" : "del";
  const value = S[refs[p] >> 1];
  if (q - p === 1) return verb + " " + value;
  const context = [];
  for (let j = p + 1; j < q; j++) context.push(S[refs[j] >> 1]);
  return verb + " " + value + " ⟵{" + context.join(",") + "}";
}

function opText(i) {
  let text = "#" + ids[i] + " by client " + D.clients[opLane[i]] + " on key " + D.keys[opKey[i]] +
    ": " + label(i) + " — " + OUTCOME[outcome[i]] + ", invoked at " + at(timeOf(ra[i])) + ", " +
    (open[i] ? "never answered" : "answered at " + at(timeOf(rb[i])));
  for (const index of marksOf.get(i) || []) {
    const anomaly = anomalies[index];
    text += "\n" + anomaly.t + ": " + anomaly.x;
    if (anomaly.m !== null) text += " (allowed under " + anomaly.m + ")";
  }
  return text;
}

// The frame.
const viewEl = document.getElementById("view");
const canvas = document.getElementById("timeline");
const spacer = document.getElementById("spacer");
const tip = document.getElementById("tip");
const detail = document.getElementById("detail");
const ctx = canvas.getContext("2d");
const FONT = "11px ui-monospace, monospace";
ctx.font = FONT;
const CHAR = ctx.measureText("0").width || 6.7;
const MAX_SCROLL_PX = 15e6;
const view = { r0: 0, step: 10, cursorX: -1 };
const focus = new Set();
let stats = {};
let width = 0, height = 0;

function layout() {
  height = Math.round(Math.min(HEIGHT, Math.max(240, innerHeight * 0.7)));
  width = viewEl.clientWidth;
  const ratio = window.devicePixelRatio || 1;
  canvas.style.height = height + "px";
  canvas.width = Math.max(1, Math.round(width * ratio));
  canvas.height = Math.max(1, Math.round(height * ratio));
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  viewEl.style.height = height + "px";
  spacer.style.height = Math.max(0, Math.min(HEIGHT, MAX_SCROLL_PX) - height) + "px";
}
const plot = () => Math.max(20, width - LW);
const fitStep = () => Math.min(64, plot() / (END + 2));
const minStep = () => fitStep() / 2;
const X = (r) => LW + (r - view.r0) * view.step;
const R = (x) => view.r0 + (x - LW) / view.step;
// The content's vertical offset (the native scroll bar, rescaled past what a browser can scroll).
function scrollY() {
  const real = Math.max(0, HEIGHT - height), fake = Math.max(0, viewEl.scrollHeight - height);
  return fake > 0 ? viewEl.scrollTop * real / fake : 0;
}
function setScrollY(y) {
  const real = Math.max(0, HEIGHT - height), fake = Math.max(0, viewEl.scrollHeight - height);
  viewEl.scrollTop = real > 0 ? Math.max(0, Math.min(real, y)) * fake / real : 0;
}
function clampView() {
  view.step = Math.max(minStep(), Math.min(MAX_STEP, view.step));
  const margin = plot() / 2 / view.step;
  view.r0 = Math.max(-margin, Math.min(END + 1 - margin, view.r0));
}

function fill(style, x, y, w, h) { ctx.fillStyle = style; ctx.fillRect(x, y, w, h); }

function drawOp(i, x0, w, y) {
  const h = LANE - 8;
  const m = marks[i];
  let color = "#cfe3ff";
  if (outcome[i] === 1) color = "#ffd6d6";
  else if (outcome[i] === 2) color = "#e6e6e6";
  else if (kind[i] === 0) color = "#d9f2d9";
  if (focus.has(i)) color = "#ffef5c";
  fill(color, x0, y, w, h);
  ctx.setLineDash(outcome[i] === 2 ? [4, 2] : []);
  ctx.lineWidth = 1; ctx.strokeStyle = "#456";
  if (m & MARKED) {
    if (m & FORBIDDEN) { ctx.strokeStyle = "#d40000"; ctx.lineWidth = m & WITNESS ? 4 : 2.5; ctx.setLineDash([]); }
    else { ctx.strokeStyle = "#7a3fc0"; ctx.lineWidth = 2.5; ctx.setLineDash([5, 2]); }
  }
  ctx.strokeRect(x0, y, w, h);
  ctx.setLineDash([]);
  if (w > 3 * CHAR) {
    const text = label(i);
    const fits = Math.floor((w - 5) / CHAR);
    const shown = text.length <= fits ? text : text.slice(0, Math.max(0, fits - 1)) + "…";
    ctx.fillStyle = "#111";
    ctx.fillText(shown, Math.max(x0, LW) + 3, y + 13);
  }
  stats.ops++;
}

function drawLane(k, c, top, rEnd) {
  const l = k * C + c, s = laneStart[l], e = laneStart[l + 1];
  const y = top + 4;
  const r0 = view.r0 - 1;
  let lo = s, hi = e;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (reach[mid] >= r0) hi = mid; else lo = mid + 1; }
  let runStart = -1, runEnd = -2;
  const flush = () => { if (runStart >= 0) { fill("#9bbbe6", runStart, y, runEnd - runStart, LANE - 8); stats.runs++; } runStart = -1; runEnd = -2; };
  const least = Math.max(1, view.step * 0.6);
  for (let p = lo; p < e; p++) {
    const i = order[p];
    if (ra[i] > rEnd) break;
    if (open[i]) continue;
    const x0 = X(ra[i]);
    const w = Math.max(X(rb[i]) - x0, least);
    if (w < 4 && !(marks[i] & MARKED) && !focus.has(i)) {
      if (x0 <= runEnd + 1) runEnd = Math.max(runEnd, x0 + w);
      else { flush(); runStart = x0; runEnd = x0 + w; }
      continue;
    }
    flush();
    drawOp(i, x0, w, y);
  }
  flush();
  // Unanswered operations reach to the end: those begun before the view cover it alike, so the
  // latest of them stands for all.
  const opens = openOps.get(l);
  if (opens) {
    let before = -1;
    for (const i of opens) {
      if (ra[i] > rEnd) break;
      if (ra[i] < r0 && !(marks[i] & MARKED) && !focus.has(i)) { before = i; continue; }
      drawOp(i, X(ra[i]), X(END + 1) - X(ra[i]) + view.step, y);
    }
    if (before >= 0) drawOp(before, X(ra[before]), X(END + 1) - X(ra[before]) + view.step, y);
  }
}

function laneMiddle(lane, top) {
  return lane < C ? top + HEAD + lane * LANE + LANE / 2 : top + HEAD + C * LANE + (lane - C) * NODE + NODE / 2;
}

function messageEnd(message, x1, y1, y2) {
  const [, arrived, , , fate] = message;
  if (fate === 0) return [Math.max(X(arrived), x1 + 4), y2];
  if (fate === 1) return [Math.max(X(arrived), x1 + 8), (y1 + y2) / 2];
  return [x1 + Math.max(view.step, 8), (y1 + y2) / 2];
}

function drawTrace(k, top, rEnd) {
  const trace = traceOf.get(k);
  if (!trace) return;
  const { messages, most, states } = trace;
  const r0 = view.r0 - 1;
  let lo = 0, hi = messages.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (most[mid] >= r0) hi = mid; else lo = mid + 1; }
  const rect = canvas.getBoundingClientRect();
  for (let j = lo; j < messages.length; j++) {
    const message = messages[j];
    const [sent, , from, to, fate, flags, , summary] = message;
    if (sent > rEnd) break;
    const x1 = X(sent), y1 = laneMiddle(from, top), yTo = laneMiddle(to, top);
    const [x2, y2] = messageEnd(message, x1, y1, yTo);
    const chain = flags & 2;
    ctx.globalAlpha = flags & 4 ? 0.3 : 1;
    ctx.strokeStyle = chain ? "#e05a00" : fate === 0 ? "#556" : "#b00";
    ctx.lineWidth = chain ? 3 : 1;
    ctx.setLineDash(flags & 1 ? [4, 3] : []);
    ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x2, y2); ctx.stroke();
    ctx.setLineDash([]);
    if (fate === 0) {
      const angle = Math.atan2(y2 - y1, x2 - x1);
      ctx.fillStyle = chain ? "#e05a00" : "#556";
      ctx.beginPath();
      ctx.moveTo(x2, y2);
      ctx.lineTo(x2 - 7 * Math.cos(angle - 0.4), y2 - 7 * Math.sin(angle - 0.4));
      ctx.lineTo(x2 - 7 * Math.cos(angle + 0.4), y2 - 7 * Math.sin(angle + 0.4));
      ctx.fill();
    } else if (fate === 1) {
      ctx.strokeStyle = "#b00"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(x2 - 4, y2 - 4); ctx.lineTo(x2 + 4, y2 + 4); ctx.moveTo(x2 + 4, y2 - 4); ctx.lineTo(x2 - 4, y2 + 4); ctx.stroke();
    }
    ctx.globalAlpha = 1;
    stats.arrows++;
    if (chain && summary) {
      const lx = (x1 + x2) / 2 + 4, ly = (y1 + y2) / 2 - 3;
      ctx.font = "bold " + FONT;
      ctx.lineWidth = 3; ctx.strokeStyle = "#fff"; ctx.strokeText(summary, lx, ly);
      ctx.fillStyle = "#b54400"; ctx.fillText(summary, lx, ly);
      const w = ctx.measureText(summary).width;
      ctx.font = FONT;
      stats.chainLabels.push({ text: summary, left: rect.left + lx, right: rect.left + lx + w, top: rect.top + ly - 10, bottom: rect.top + ly + 2 });
    }
  }
  for (const [rank, lane, text, chain] of states) {
    if (rank < r0 || rank > rEnd) continue;
    const x = X(rank), y = top + HEAD + C * LANE + lane * NODE;
    ctx.fillStyle = chain ? "#e05a00" : "#2a5db0";
    ctx.beginPath(); ctx.arc(x, y + NODE / 2, chain ? 5 : 3, 0, 2 * Math.PI); ctx.fill();
    if (view.step >= 3 || chain) {
      ctx.font = (chain ? "bold " : "") + "10px ui-monospace, monospace";
      ctx.fillStyle = chain ? "#e05a00" : "#1d3f7a";
      ctx.fillText(text, x + 4, y + 10);
      ctx.font = FONT;
    }
    stats.states++;
  }
}

function draw() {
  stats = { ops: 0, runs: 0, arrows: 0, states: 0, clientLanes: 0, nodeLanes: 0, keys: 0, chainLabels: [] };
  ctx.clearRect(0, 0, width, height);
  ctx.font = FONT; ctx.textBaseline = "alphabetic";
  const y0 = scrollY();
  const rEnd = R(width) + 1;
  const first = Math.max(0, Math.floor((y0 - 1) / BAND));
  ctx.save();
  ctx.beginPath(); ctx.rect(LW, AXIS, width - LW, height - AXIS); ctx.clip();
  for (let k = first; k < K; k++) {
    const top = AXIS + k * BAND - y0;
    if (top > height) break;
    stats.keys++;
    for (let c = 0; c < C; c++) {
      const y = top + HEAD + c * LANE;
      if (y + LANE < AXIS || y > height) continue;
      fill("#fafafa", LW, y, width - LW, LANE);
      fill("#eee", LW, y + LANE - 1, width - LW, 1);
      stats.clientLanes++;
    }
    for (let n = 0; n < NN; n++) {
      const y = top + HEAD + C * LANE + n * NODE;
      if (y + NODE < AXIS || y > height) continue;
      fill("#f4f6fb", LW, y, width - LW, NODE);
      fill("#e3e6ee", LW, y + NODE - 1, width - LW, 1);
      stats.nodeLanes++;
    }
    for (const [start, end] of D.faults) {
      if (start > rEnd || end < view.r0 - 1) continue;
      fill("rgba(255,176,0,0.18)", X(start), top + HEAD, Math.max(2, X(end) - X(start)), C * LANE);
    }
    for (const [start, end, lane] of nodeFaults) {
      if (start > rEnd || end < view.r0 - 1) continue;
      fill("rgba(255,138,0,0.25)", X(start), top + HEAD + C * LANE + lane * NODE, Math.max(3, X(end) - X(start)), NODE);
    }
    for (let c = 0; c < C; c++) {
      const y = top + HEAD + c * LANE;
      if (y + LANE < AXIS || y > height) continue;
      drawLane(k, c, y, rEnd);
    }
    drawTrace(k, top, rEnd);
  }
  if (view.cursorX >= LW) fill("rgba(60,60,60,0.35)", view.cursorX, AXIS, 1, height - AXIS);
  ctx.restore();
  // The names, the keys' headings and the axis stay put over the picture.
  for (let k = first; k < K; k++) {
    const top = AXIS + k * BAND - y0;
    if (top > height) break;
    fill("#fff", 0, Math.max(AXIS, top + HEAD), LW, BAND - HEAD);
    ctx.fillStyle = "#555";
    for (let c = 0; c < C; c++) ctx.fillText("client " + D.clients[c], 4, top + HEAD + c * LANE + 17);
    for (let n = 0; n < NN; n++) ctx.fillText("node n" + D.nodes[n], 4, top + HEAD + C * LANE + n * NODE + 19);
    if (top + HEAD > AXIS) {
      fill("#e9edf5", 0, top, width, HEAD);
      ctx.fillStyle = "#123"; ctx.font = "bold 12px system-ui, sans-serif";
      ctx.fillText("key " + D.keys[k] + "  (" + opsOfKey[k] + (opsOfKey[k] === 1 ? " operation)" : " operations)"), 4, top + 14);
      ctx.font = FONT;
    } else if (top + BAND > AXIS + 16) {
      // The heading scrolled away: the key's name stays at the top of its names.
      ctx.fillStyle = "#123"; ctx.font = "bold 11px system-ui, sans-serif";
      const name = "key " + D.keys[k];
      ctx.fillText(name.length > 14 ? name.slice(0, 13) + "…" : name, 4, AXIS + 12);
      ctx.font = FONT;
    }
  }
  fill("#fff", 0, 0, width, AXIS);
  fill("#ccc", 0, AXIS - 1, width, 1);
  const every = nice(90 / view.step);
  ctx.fillStyle = "#888";
  for (let r = Math.max(0, Math.ceil(view.r0 / every) * every); r <= Math.min(rEnd, times.length - 1); r += every) {
    const x = X(r);
    if (x < LW) continue;
    fill("#ccc", x, 16, 1, AXIS - 16);
    ctx.fillStyle = "#888"; ctx.fillText(at(times[r]), x + 2, 13);
  }
  if (view.cursorX >= LW) {
    const text = at(timeOf(R(view.cursorX)));
    const w = ctx.measureText(text).width + 6;
    fill("#333", view.cursorX, 0, w, AXIS - 2);
    ctx.fillStyle = "#fff"; ctx.fillText(text, view.cursorX + 3, 14);
  }
  fill("#fff", 0, 0, LW, AXIS - 1);
  ctx.fillStyle = "#555"; ctx.fillText("time →", 4, 14);
}
function nice(value) {
  const power = Math.pow(10, Math.floor(Math.log10(Math.max(1, value))));
  for (const m of [1, 2, 5, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}

let pending = false;
function redraw() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; draw(); });
}

// What is under a point of the canvas: its whole text, and the operation if it is one.
function hit(x, y) {
  const y0 = scrollY();
  if (y < AXIS) return null;
  const content = y - AXIS + y0;
  const k = Math.floor(content / BAND);
  if (k < 0 || k >= K) return null;
  const within = content - k * BAND;
  if (within < HEAD) return { text: "key " + D.keys[k] + ": " + opsOfKey[k] + " operations" };
  if (x < LW) {
    const lane = Math.floor((within - HEAD) / LANE);
    const name = lane < C ? "client " + D.clients[lane] : "node n" + D.nodes[Math.min(NN - 1, Math.floor((within - HEAD - C * LANE) / NODE))];
    return { text: "key " + D.keys[k] + ", " + name };
  }
  const r = R(x), slack = 3 / view.step;
  if (within < HEAD + C * LANE) {
    const c = Math.floor((within - HEAD) / LANE), l = k * C + c;
    let best = -1;
    const s = laneStart[l], e = laneStart[l + 1];
    let lo = s, hi = e;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (ra[order[mid]] <= r + slack) lo = mid + 1; else hi = mid; }
    for (let p = lo - 1; p >= s && p >= lo - 64; p--) {
      const i = order[p];
      const end = open[i] ? END + 1 : Math.max(rb[i], ra[i] + 0.6);
      if (end >= r - slack) { best = i; break; }
    }
    for (const i of openOps.get(l) || []) if (ra[i] <= r + slack && (best < 0 || ra[i] > ra[best])) best = i;
    if (best >= 0) return { text: opText(best), op: best };
    for (const [start, end, text] of D.faults) if (start - slack <= r && r <= end + slack) return { text };
    return null;
  }
  const lane = C + Math.floor((within - HEAD - C * LANE) / NODE);
  const trace = traceOf.get(k);
  const top = AXIS + k * BAND - y0;
  if (trace) {
    for (const [rank, stateLane, text, , ms] of trace.states) {
      if (stateLane === lane - C && Math.abs(X(rank) - x) <= 5) return { text: "n" + D.nodes[lane - C] + " holds " + text + " from " + ms + " ms" };
    }
    let best = null, bestDistance = 5;
    const { messages, most } = trace;
    const from = R(x - 5) - 1;
    let lo = 0, hi = messages.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (most[mid] >= from) hi = mid; else lo = mid + 1; }
    for (let j = lo; j < messages.length; j++) {
      const message = messages[j];
      const x1 = X(message[0]);
      if (x1 > x + 5) break;
      const y1 = laneMiddle(message[2], top);
      const [x2, y2] = messageEnd(message, x1, y1, laneMiddle(message[3], top));
      if (x2 < x - 5) continue;
      const dx = x2 - x1, dy = y2 - y1, length = dx * dx + dy * dy;
      const t = length > 0 ? Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / length)) : 0;
      const distance = Math.hypot(x - (x1 + t * dx), y - (y1 + t * dy));
      if (distance < bestDistance) { bestDistance = distance; best = message; }
    }
    if (best) return { text: best[6] };
  }
  for (const [start, end, faultLane, text] of nodeFaults) {
    if (faultLane === lane - C && start - slack <= r && r <= end + slack) return { text };
  }
  return null;
}

function describe(heading, texts) {
  detail.textContent = "";
  const title = document.createElement("b");
  title.textContent = heading;
  detail.appendChild(title);
  for (const text of texts) {
    const line = document.createElement("pre");
    line.textContent = text;
    detail.appendChild(line);
  }
}

function zoomAt(x, factor) {
  const r = R(x);
  view.step *= factor;
  clampView();
  view.r0 = r - (x - LW) / view.step;
  clampView();
  redraw();
}
function pan(pixels) { view.r0 += pixels / view.step; clampView(); redraw(); }
function fit() { view.step = fitStep(); view.r0 = 0; clampView(); redraw(); }
// Shows ranks lo..hi across `share` of the width, zoomed no closer than `closest` px a step.
function show(lo, hi, share, closest) {
  view.step = Math.max(minStep(), Math.min(closest, plot() * share / Math.max(1, hi - lo)));
  view.r0 = (lo + hi) / 2 - plot() / 2 / view.step;
  clampView();
}

// The anomaly list, built from the data (its texts only through textContent).
// Zooms and scrolls so that these operations are in view, the first one's key in the middle.
function bringIntoView(found) {
  if (found.length === 0) return;
  let lo = Infinity, hi = -Infinity;
  for (const i of found) { lo = Math.min(lo, ra[i]); hi = Math.max(hi, rb[i]); }
  show(lo, hi, 0.6, 48);
  const k = opKey[found[0]];
  let top = Infinity, bottom = -Infinity;
  for (const i of found) {
    if (opKey[i] !== k) continue;
    const y = AXIS + k * BAND + HEAD + opLane[i] * LANE;
    top = Math.min(top, y); bottom = Math.max(bottom, y + LANE);
  }
  setScrollY((top + bottom) / 2 - AXIS - (height - AXIS) / 2);
}

const items = [];
{
  const list = document.getElementById("anomalies");
  const all = document.createDocumentFragment();
  anomalies.forEach((anomaly, index) => {
    const item = document.createElement("li");
    item.className = anomaly.m !== null ? "allowed" : anomaly.w ? "forbidden witness" : "forbidden";
    item.dataset.anomaly = String(index);
    item.dataset.ops = anomaly.o.join(" ");
    item.title = (anomaly.m !== null ? "allowed under " + anomaly.m + "; " : "") + "click to show its operations";
    const title = document.createElement("b");
    title.textContent = anomaly.t;
    item.append(title, " (" + anomaly.o.map((id) => "#" + id).join(", ") + "): " + anomaly.x);
    all.appendChild(item);
    items.push(item);
  });
  if (list) list.appendChild(all);
}
let current = -1;
function focusAnomaly(index) {
  const anomaly = anomalies[index];
  if (!anomaly) return;
  current = index;
  focus.clear();
  const found = [];
  for (const id of anomaly.o) {
    const i = wanted.get(id);
    if (i !== undefined && i >= 0) { focus.add(i); found.push(i); }
  }
  for (const item of items) item.classList.toggle("current", Number(item.dataset.anomaly) === index);
  document.body.dataset.focused = found.map((i) => ids[i]).join(" ");
  bringIntoView(found);
  describe(anomaly.t + " (" + anomaly.o.map((id) => "#" + id).join(", ") + "): " + anomaly.x +
    (anomaly.m !== null ? " (allowed under " + anomaly.m + ")" : ""), found.map(opText));
  viewEl.scrollIntoView({ block: "nearest" });
  draw();
}
for (const item of items) item.addEventListener("click", () => focusAnomaly(Number(item.dataset.anomaly)));
// Go to a key (its name, or the first that starts so) or to an operation (# and its id).
const goto = document.getElementById("goto");
function goTo(text) {
  text = text.trim();
  const id = /^#\d+$/.test(text) ? text.slice(1) : null;
  if (id !== null) {
    const i = indexOf(id);
    if (i < 0) { describe("no operation #" + id + " in this picture", []); return false; }
    focus.clear(); focus.add(i);
    bringIntoView([i]);
    describe("operation", [opText(i)]);
  } else {
    let k = D.keys.indexOf(text);
    if (k < 0) k = D.keys.findIndex((key) => key.startsWith(text));
    if (k < 0) { describe("no key " + JSON.stringify(text) + " in this picture", []); return false; }
    setScrollY(k * BAND);
  }
  viewEl.scrollIntoView({ block: "nearest" });
  draw();
  return true;
}
goto.addEventListener("keydown", (event) => { if (event.key === "Enter") goTo(goto.value); });
const step = (delta) => { if (anomalies.length > 0) focusAnomaly(((current + delta) % anomalies.length + anomalies.length) % anomalies.length); };

// Where an operation's bar is on the screen, for tests: null when it is not drawn in view.
function opRect(id) {
  const i = indexOf(id);
  if (i < 0) return null;
  const x0 = X(ra[i]), x1 = X(rb[i]) + (open[i] ? view.step : 0);
  const y = AXIS + opKey[i] * BAND + HEAD + opLane[i] * LANE + 4 - scrollY();
  const box = canvas.getBoundingClientRect();
  return { left: box.left + x0, right: box.left + Math.max(x1, x0 + 1), top: box.top + y, bottom: box.top + y + LANE - 8, drawn: x1 >= LW && x0 <= width && y + LANE - 8 >= AXIS && y <= height };
}
function inView(id) {
  const box = opRect(id);
  if (!box) return false;
  const frame = canvas.getBoundingClientRect();
  return box.left >= frame.left + LW - 1 && box.right <= frame.right + 1 && box.top >= frame.top + AXIS && box.bottom <= frame.bottom &&
    box.top >= 0 && box.bottom <= innerHeight;
}

// Input: drag, wheel, buttons, keys, hover and click.
let drag = null;
canvas.addEventListener("mousedown", (event) => {
  drag = { x: event.clientX, y: event.clientY, moved: false };
  canvas.classList.add("dragging");
  viewEl.focus({ preventScroll: true });
});
window.addEventListener("mousemove", (event) => {
  if (!drag) return;
  const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
  if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
  if (drag.moved) {
    view.r0 -= dx / view.step; clampView();
    setScrollY(scrollY() - dy);
    drag.x = event.clientX; drag.y = event.clientY;
    redraw();
  }
});
window.addEventListener("mouseup", (event) => {
  if (!drag) return;
  const wasClick = !drag.moved;
  drag = null;
  canvas.classList.remove("dragging");
  if (!wasClick || event.target !== canvas) return;
  const box = canvas.getBoundingClientRect();
  const found = hit(event.clientX - box.left, event.clientY - box.top);
  if (!found) return;
  if (found.op !== undefined) { focus.clear(); focus.add(found.op); describe("operation", [found.text]); draw(); }
  else describe("detail", [found.text]);
});
canvas.addEventListener("mousemove", (event) => {
  const box = canvas.getBoundingClientRect();
  const x = event.clientX - box.left, y = event.clientY - box.top;
  view.cursorX = x;
  const found = drag && drag.moved ? null : hit(x, y);
  if (found) {
    tip.textContent = found.text;
    tip.hidden = false;
    tip.style.left = Math.min(event.clientX + 14, innerWidth - tip.offsetWidth - 4) + "px";
    tip.style.top = (event.clientY + 16 + tip.offsetHeight > innerHeight ? event.clientY - tip.offsetHeight - 8 : event.clientY + 16) + "px";
  } else tip.hidden = true;
  redraw();
});
canvas.addEventListener("mouseleave", () => { tip.hidden = true; view.cursorX = -1; redraw(); });
viewEl.addEventListener("wheel", (event) => {
  const box = canvas.getBoundingClientRect();
  const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? height : 1;
  if (event.ctrlKey || event.metaKey || event.altKey) {
    event.preventDefault();
    zoomAt(Math.max(LW, event.clientX - box.left), Math.exp(-event.deltaY * unit * 0.002));
  } else if (event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
    event.preventDefault();
    pan((event.shiftKey && event.deltaX === 0 ? event.deltaY : event.deltaX) * unit);
  }
}, { passive: false });
viewEl.addEventListener("scroll", redraw);
const actions = {
  in: () => zoomAt(LW + plot() / 2, 1.5),
  out: () => zoomAt(LW + plot() / 2, 1 / 1.5),
  fit,
  left: () => pan(-plot() * 0.25),
  right: () => pan(plot() * 0.25),
  next: () => step(1),
  prev: () => step(-1),
};
for (const button of document.querySelectorAll("button[data-act]")) button.addEventListener("click", () => actions[button.dataset.act]());
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName)) return;
  const act = { "+": "in", "=": "in", "-": "out", "_": "out", "0": "fit", ArrowLeft: "left", ArrowRight: "right", n: "next", p: "prev" }[event.key];
  if (!act) return;
  event.preventDefault();
  actions[act]();
});
window.addEventListener("resize", () => { layout(); clampView(); draw(); });

// The first picture: the whole history, or the chain that explains the witness, across and down.
layout();
view.step = fitStep();
view.r0 = 0;
clampView();
{
  let lo = Infinity, hi = -Infinity, chainKey = -1;
  for (const [key, messages, states] of D.trace) {
    for (const [sent, arrived, , , , flags] of messages) {
      if (!(flags & 2)) continue;
      if (chainKey < 0) chainKey = key;
      lo = Math.min(lo, sent); hi = Math.max(hi, arrived < 0 ? sent + 1 : arrived);
    }
    for (const [rank, , , chain] of states) {
      if (!chain) continue;
      if (chainKey < 0) chainKey = key;
      lo = Math.min(lo, rank); hi = Math.max(hi, rank);
    }
  }
  if (chainKey >= 0) {
    show(lo, hi, 0.6, 64);
    if (view.step < 16) show(lo, hi, 0.6, 16);
    setScrollY(chainKey * BAND);
  }
}
draw();
window.quorate = { view, draw, fit, zoomAt, pan, focusAnomaly, goTo, opRect, inView, hit, label: (id) => label(indexOf(id)), opText: (id) => opText(indexOf(id)), stats: () => stats, data: D };
document.body.dataset.drawnMs = String(Math.round(performance.now()));
document.body.dataset.ready = "yes";
})();
