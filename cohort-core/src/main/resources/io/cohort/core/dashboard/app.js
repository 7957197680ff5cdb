// cohort's dashboard: plain modern JavaScript, no build step, no library (docs/dashboard.md).
// Everything a worker or a queue wrote reaches the page through textContent, never as markup.
'use strict';

const MAX_LINES = 5000; // lines kept per output view; older ones are counted as skipped
const CSRF = document.querySelector('meta[name="cohort-csrf"]').content;
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

async function getJson(url) {
  const r = await fetch(url, { credentials: 'same-origin' });
  if (r.status === 401) throw new Error('not signed in: open the dashboard URL the session printed when it opened');
  if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
  return { body: await r.json(), event: r.headers.get('X-Cohort-Event') };
}

async function post(url, body) {
  const r = await fetch(url, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-Cohort-CSRF': CSRF }, body: JSON.stringify(body)
  });
  if (!r.ok) throw new Error((await r.json()).error || 'HTTP ' + r.status);
  return r.json();
}

const fmt = (n, digits) => (n === null || n === undefined) ? '' : Number(n).toFixed(digits);
const enc = encodeURIComponent;

// ---- views (tabs) -------------------------------------------------------------------------------
const VIEWS = ['workers', 'output', 'queues', 'results', 'resources'];
function show(view) {
  if (!VIEWS.includes(view)) view = 'workers';
  for (const v of VIEWS) {
    $(v).hidden = v !== view;
    $('tab-' + v).setAttribute('aria-selected', String(v === view));
    $('tab-' + v).tabIndex = v === view ? 0 : -1;
  }
  if (view === 'results') refreshResults();
  if (view === 'resources') startResources();
  if (view === 'output') renderOutput();
}
for (const b of document.querySelectorAll('nav button')) {
  b.addEventListener('click', () => { location.hash = b.dataset.view; });
  b.addEventListener('keydown', (e) => { // arrow keys move between tabs
    const i = VIEWS.indexOf(b.dataset.view);
    const next = e.key === 'ArrowRight' ? VIEWS[(i + 1) % VIEWS.length] : e.key === 'ArrowLeft' ? VIEWS[(i + VIEWS.length - 1) % VIEWS.length] : null;
    if (next) { location.hash = next; $('tab-' + next).focus(); }
  });
}
window.addEventListener('hashchange', () => show(location.hash.slice(1).split('/')[0]));

// ---- workers ------------------------------------------------------------------------------------
const workers = new Map(); // id -> description

function workerRow(w) {
  const app = w.status === 'running'
    ? el('a', { href: '/apps/' + enc(w.id) + '/', target: '_blank', rel: 'noopener', text: 'open app' }) : '';
  const stop = el('button', {
    class: 'danger', 'data-stop': w.id, disabled: ['succeeded', 'failed', 'stopped'].includes(w.status),
    'aria-label': 'Stop ' + w.id, text: 'Stop', onclick: () => stopWorkers([w.id])
  });
  const output = el('button', { text: 'Output', 'aria-label': 'Output of ' + w.id, onclick: () => openOutput(w.id) });
  const launch = launches.get(w.id);
  const stopLaunch = launch === undefined ? null : el('button', {
    class: 'danger', 'data-stop-launch': launch, 'aria-label': 'Stop launch ' + launch, text: 'Stop launch ' + launch,
    onclick: () => stopWorkers([...launches].filter(([, n]) => n === launch).map(([id]) => id))
  });
  return el('tr', { id: 'worker-' + w.id, 'data-status': w.status },
    el('td', { text: w.id }),
    el('td', { text: w.runs || '' }),
    el('td', { text: w.kernel }),
    el('td', {}, el('span', { class: 'status status-' + w.status, text: w.status }),
      w.reason ? el('span', { class: 'reason', text: w.reason }) : null),
    el('td', { text: w.ip_address }),
    el('td', { class: 'num', text: fmt(w.cpu, 2) }),
    el('td', { class: 'num', text: fmt(w.memory, 2) }),
    el('td', { text: (w.gpus || []).join(',') }),
    el('td', { text: w.running_at ? new Date(w.running_at).toLocaleTimeString() : '' }),
    el('td', { class: 'num', text: fmt(w.duration, 1), 'data-running-at': w.status === 'running' ? w.running_at : null }),
    el('td', { class: 'num', text: w.exit_code === null ? '' : String(w.exit_code) }),
    el('td', {}, app),
    el('td', {}, stop, ' ', output, stopLaunch ? ' ' : null, stopLaunch));
}

// The launch each worker came from, asked for when a worker the page does not know of appears.
const launches = new Map();
let launchesAsked = null;
function refreshLaunchesSoon() {
  if (launchesAsked) return;
  launchesAsked = setTimeout(async () => {
    launchesAsked = null;
    const { body } = await getJson('/ui/launches');
    for (const [id, n] of Object.entries(body)) launches.set(id, n);
    for (const w of workers.values()) updateWorker(w);
  }, 200);
}

// A running worker's seconds go on between its events: counted here from its start, not asked for.
setInterval(() => {
  for (const td of document.querySelectorAll('td[data-running-at]')) {
    td.textContent = fmt((Date.now() - Date.parse(td.dataset.runningAt)) / 1000, 1);
  }
}, 1000);

function updateWorker(w) {
  const known = workers.has(w.id);
  workers.set(w.id, w);
  const row = workerRow(w);
  const old = $('worker-' + w.id);
  if (old) old.replaceWith(row); else document.querySelector('#worker-table tbody').append(row);
  if (!known && !launches.has(w.id)) refreshLaunchesSoon();
  if (!known) $('output-worker').append(el('option', { value: w.id, text: w.id + ' — ' + (w.runs || '') }));
  const running = [...workers.values()].filter((x) => x.status === 'running').length;
  $('worker-count').textContent = workers.size + ' workers, ' + running + ' running';
}

async function stopWorkers(ids) {
  try {
    for (const id of ids) { const b = document.querySelector('[data-stop="' + CSS.escape(id) + '"]'); if (b) b.disabled = true; }
    (await post('/v1/workers/stop', { ids })).forEach(updateWorker);
  } catch (e) { $('connection').textContent = 'stop failed: ' + e.message; }
}
$('stop-all').addEventListener('click', () => stopWorkers([]));

// ---- output -------------------------------------------------------------------------------------
// One bounded tail per view ('*' = all workers interleaved), filled from the event stream.
const views = new Map();
function viewOf(key) {
  let v = views.get(key);
  if (!v) { v = { lines: [], skipped: 0, next: null, loaded: key === '*', dirty: true, rendered: 0 }; views.set(key, v); }
  return v;
}
function addLine(key, line) {
  const v = viewOf(key);
  if (key !== '*' && v.next !== null && line.line > v.next) v.skipped += line.line - v.next; // a gap in the numbering
  if (key !== '*') v.next = Math.max(v.next || 0, line.line + 1);
  v.lines.push(line);
  if (v.lines.length > 2 * MAX_LINES) { // trimmed in bulk, so that a flood costs no more than a trickle per line
    const cut = v.lines.length - MAX_LINES;
    v.lines.splice(0, cut);
    v.skipped += cut;
    v.rendered = v.rendered < cut ? -1 : v.rendered - cut;
  }
  v.dirty = true;
}
function currentKey() { return $('output-worker').value; }

async function openOutput(id) {
  $('output-worker').value = id;
  location.hash = 'output';
  await loadTail(id);
  renderOutput();
}

async function loadTail(id) {
  const v = viewOf(id);
  if (v.loaded || id === '*') return;
  v.loaded = true;
  const { body } = await getJson('/v1/workers/' + enc(id) + '/output?tail=' + MAX_LINES);
  const fetched = body.lines.map((l, i) => ({ worker: id, stream: l.stream, text: l.text, line: body.first + i }));
  const later = v.lines.filter((l) => l.line >= body.next);
  // The fetched tail replaces what the view held before it: skipped is what lies before the tail, and any gap after it.
  let skipped = body.first, expect = body.next;
  for (const l of later) { if (l.line > expect) skipped += l.line - expect; expect = l.line + 1; }
  v.skipped = skipped;
  v.lines = fetched.concat(later);
  v.next = expect;
  v.rendered = -1;
  v.dirty = true;
}

function lineNode(l, prefixed) {
  const d = el('div', { class: l.stream === 'err' ? 'err' : 'out' });
  if (prefixed) d.append(el('span', { class: 'prefix', text: '[' + l.worker + (l.stream === 'err' ? ' err' : '') + '] ' }));
  else if (l.stream === 'err') d.append(el('span', { class: 'prefix', text: '[err] ' }));
  d.append(document.createTextNode(l.text));
  return d;
}

function renderOutput() {
  if ($('output').hidden) return;
  const key = currentKey();
  const v = viewOf(key);
  const box = $('output-lines');
  const search = $('output-search').value.toLowerCase();
  let shown = v.lines.length > MAX_LINES ? v.lines.slice(v.lines.length - MAX_LINES) : v.lines;
  const trimmed = v.lines.length - shown.length;
  if (search) {
    shown = shown.filter((l) => l.text.toLowerCase().includes(search));
    box.replaceChildren(...shown.map((l) => lineNode(l, key === '*')));
    v.rendered = -1;
  } else if (v.rendered < 0 || box.dataset.key !== key || v.lines.length - v.rendered > MAX_LINES) {
    box.replaceChildren(...shown.map((l) => lineNode(l, key === '*')));
    v.rendered = v.lines.length;
  } else { // only what came since the last frame, and as many of the oldest go
    const frag = document.createDocumentFragment();
    for (let i = v.rendered; i < v.lines.length; i++) frag.append(lineNode(v.lines[i], key === '*'));
    box.append(frag);
    v.rendered = v.lines.length;
    while (box.childElementCount > MAX_LINES) box.firstElementChild.remove();
  }
  box.dataset.key = key;
  const skipped = v.skipped + trimmed;
  $('output-notice').textContent = (skipped ? skipped + ' lines skipped (the view keeps the newest ' + MAX_LINES
    + '; download the whole log). ' : '') + (search ? shown.length + ' lines match.' : '')
    + (key === '*' ? ' Lines from before this page opened are in each worker\'s view.' : '');
  const dl = $('output-download');
  dl.hidden = key === '*';
  if (key !== '*') { dl.href = '/ui/logs/' + enc(key); dl.setAttribute('download', key + '.log'); }
  if ($('output-follow').checked) box.scrollTop = box.scrollHeight;
  v.dirty = false;
}
$('output-worker').addEventListener('change', async () => { await loadTail(currentKey()); viewOf(currentKey()).rendered = -1; renderOutput(); });
$('output-search').addEventListener('input', () => { viewOf(currentKey()).rendered = -1; renderOutput(); });

let frameAsked = false;
function redrawSoon() {
  if (frameAsked) return;
  frameAsked = true;
  // At most one redraw per frame however fast lines come (setTimeout too: frames stop in a hidden tab).
  const run = () => { if (!frameAsked) return; frameAsked = false; if (viewOf(currentKey()).dirty) renderOutput(); };
  requestAnimationFrame(run);
  setTimeout(run, 250);
}

// ---- queues -------------------------------------------------------------------------------------
const queues = new Map();
function updateQueue(q) {
  queues.set(q.queue, q);
  const state = q.drained ? 'drained' : q.closed ? 'closed' : 'open';
  const row = el('tr', { id: 'queue-' + q.queue, 'data-ready': q.ready, 'data-done': q.done },
    el('td', { text: q.queue }),
    el('td', { class: 'num', text: String(q.ready) }), el('td', { class: 'num', text: String(q.in_flight) }),
    el('td', { class: 'num', text: String(q.done) }), el('td', { class: 'num', text: String(q.failed) }),
    el('td', { class: 'num', text: String(q.added) }), el('td', { class: 'num', text: fmt(q.rate_per_second, 1) }),
    el('td', { class: 'num', text: q.eta_seconds === null ? '' : String(q.eta_seconds) }), el('td', { text: state }),
    el('td', {}, el('button', { text: 'Items', 'data-items': q.queue, 'aria-label': 'Items of ' + q.queue, onclick: () => showItems(q.queue, 0) }), ' ',
      el('button', { text: 'Dead letters', 'data-dead': q.queue, 'aria-label': 'Dead letters of ' + q.queue, onclick: () => showDead(q.queue) })));
  const old = document.getElementById('queue-' + q.queue);
  if (old) old.replaceWith(row); else document.querySelector('#queue-table tbody').append(row);
}
async function showDead(name) {
  const { body } = await getJson('/v1/queues/' + enc(name) + '/dead');
  const box = $('queue-detail');
  box.replaceChildren(el('h3', { text: 'Dead letters of ' + name + ' (' + body.length + ')' }),
    el('table', {}, el('thead', {}, el('tr', {}, ...['Item', 'Attempts', 'Error', 'Value'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, ...body.map((d) => el('tr', {}, el('td', { text: String(d.id) }), el('td', { text: String(d.attempts) }),
        el('td', {}, el('pre', { class: 'value', text: d.error || '' })), el('td', {}, el('pre', { class: 'value', text: JSON.stringify(d.value) })))))));
}
const PAGE = 50;
async function showItems(name, after) {
  const { body } = await getJson('/v1/queues/' + enc(name) + '/items?limit=' + PAGE + '&after=' + after);
  const more = body.next === null ? null
    : el('button', { text: 'Next ' + PAGE, 'data-next': body.next, onclick: () => showItems(name, body.next) });
  $('queue-detail').replaceChildren(el('h3', { text: 'Items of ' + name + (after ? ' after item ' + after : '') }),
    el('table', { id: 'queue-items' }, el('thead', {}, el('tr', {}, ...['Item', 'State', 'Attempts', 'Key', 'Value'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, ...body.items.map((i) => el('tr', {}, el('td', { text: String(i.id) }), el('td', { text: i.state }),
        el('td', { text: String(i.attempts) }), el('td', { text: i.key ?? '' }), el('td', {}, el('pre', { class: 'value', text: JSON.stringify(i.value) })))))),
    after ? el('button', { text: 'First page', onclick: () => showItems(name, 0) }) : '', ' ', more || '');
}
async function loadQueues() {
  const { body } = await getJson('/v1/queues');
  for (const name of body) updateQueue((await getJson('/v1/queues/' + enc(name))).body);
}

// ---- results, chart, snapshots -------------------------------------------------------------------
let results = [];
let sortBy = { column: 'key', descending: false };
let resultsAsked = null;
function refreshResultsSoon() { // after a change that may have stored results (an item done, a worker ended)
  if (resultsAsked || $('results').hidden) return;
  resultsAsked = setTimeout(() => { resultsAsked = null; refreshResults(); }, 500);
}
async function refreshResults() {
  results = (await getJson('/v1/results')).body;
  renderResults();
  const snaps = (await getJson('/v1/snapshots')).body;
  $('snapshot-list').replaceChildren(...snaps.map((s) => el('li', {},
    el('a', { href: '/v1/snapshots/' + enc(s.name), download: s.name, text: s.name }),
    el('span', { class: 'muted', text: ' ' + s.size + ' bytes, by ' + (s.worker || 'the session') + ', sha256 ' + s.sha256.slice(0, 12) }))));
}
function cell(r, c) {
  if (c === 'key' || c === 'worker' || c === 'item' || c === 'stored_at') return r[c];
  return r.value !== null && typeof r.value === 'object' && !Array.isArray(r.value) ? r.value[c] : (c === 'value' ? r.value : undefined);
}
function resultColumns() {
  const cols = ['key'];
  for (const r of results) {
    if (r.value !== null && typeof r.value === 'object' && !Array.isArray(r.value)) {
      for (const k of Object.keys(r.value)) if (!cols.includes(k)) cols.push(k);
    } else if (!cols.includes('value')) cols.push('value');
  }
  return cols.concat(['worker', 'item']);
}
function renderResults() {
  const cols = resultColumns();
  const filter = $('result-filter').value.toLowerCase();
  let rows = results.filter((r) => !filter || cols.some((c) => String(cell(r, c) ?? '').toLowerCase().includes(filter)));
  const dir = sortBy.descending ? -1 : 1;
  rows.sort((a, b) => {
    const x = cell(a, sortBy.column), y = cell(b, sortBy.column);
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * dir;
    return String(x ?? '').localeCompare(String(y ?? ''), undefined, { numeric: true }) * dir;
  });
  $('result-table').tHead.rows[0].replaceChildren(...cols.map((c) => el('th', {
    scope: 'col', 'aria-sort': sortBy.column === c ? (sortBy.descending ? 'descending' : 'ascending') : 'none'
  }, el('button', {
    text: c + (sortBy.column === c ? (sortBy.descending ? ' ▼' : ' ▲') : ''), 'data-column': c,
    onclick: () => { sortBy = { column: c, descending: sortBy.column === c ? !sortBy.descending : true }; renderResults(); }
  }))));
  $('result-table').tBodies[0].replaceChildren(...rows.map((r) => el('tr', {}, ...cols.map((c) => {
    const v = cell(r, c);
    return el('td', { class: typeof v === 'number' ? 'num' : '', text: v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v) });
  }))));
  $('result-count').textContent = rows.length + ' of ' + results.length + ' results';
  const numeric = cols.filter((c) => results.some((r) => typeof cell(r, c) === 'number'));
  for (const [id, pick] of [['chart-x', 0], ['chart-y', 1]]) {
    const s = $(id), was = s.value;
    s.replaceChildren(...numeric.map((c) => el('option', { value: c, text: c })));
    s.value = numeric.includes(was) ? was : numeric[Math.min(pick, numeric.length - 1)] || '';
  }
  drawChart(rows);
}
$('result-filter').addEventListener('input', renderResults);
$('chart-x').addEventListener('change', renderResults);
$('chart-y').addEventListener('change', renderResults);

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
// A plot of points (or a line through them) with its axes' ranges; drawn in the page as SVG.
function plot(points, { width = 520, height = 280, xLabel = '', yLabel = '', line = false, limit = null, yMin = null, title = '' }) {
  const m = { l: 56, r: 12, t: 12, b: 36 };
  const s = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title || (yLabel + ' against ' + xLabel) });
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]).concat(limit === null ? [] : [limit]);
  let x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = yMin === null ? Math.min(...ys) : yMin, y1 = Math.max(...ys);
  if (!points.length) { x0 = 0; x1 = 1; y0 = yMin === null ? 0 : yMin; y1 = limit === null ? 1 : Math.max(limit, y0 + 1); }
  if (x0 === x1) { x0 -= 1; x1 += 1; } if (y0 === y1) { y0 -= 1; y1 += 1; }
  const X = (x) => m.l + (x - x0) / (x1 - x0) * (width - m.l - m.r);
  const Y = (y) => height - m.b - (y - y0) / (y1 - y0) * (height - m.t - m.b);
  s.append(svg('line', { x1: m.l, y1: height - m.b, x2: width - m.r, y2: height - m.b, stroke: '#57606a' }),
    svg('line', { x1: m.l, y1: m.t, x2: m.l, y2: height - m.b, stroke: '#57606a' }));
  for (let i = 0; i <= 4; i++) {
    const yv = y0 + (y1 - y0) * i / 4, xv = x0 + (x1 - x0) * i / 4;
    s.append(svg('text', { x: m.l - 4, y: Y(yv) + 4, 'text-anchor': 'end', 'font-size': 10 }, +yv.toPrecision(3)),
      svg('text', { x: X(xv), y: height - m.b + 14, 'text-anchor': 'middle', 'font-size': 10 }, +xv.toPrecision(3)));
  }
  s.append(svg('text', { x: (width + m.l) / 2, y: height - 4, 'text-anchor': 'middle', 'font-size': 11 }, xLabel),
    svg('text', { x: 12, y: (height - m.b) / 2, 'font-size': 11, transform: `rotate(-90 12 ${(height - m.b) / 2})`, 'text-anchor': 'middle' }, yLabel));
  if (limit !== null) s.append(svg('line', { x1: m.l, x2: width - m.r, y1: Y(limit), y2: Y(limit), stroke: '#a40e26', 'stroke-dasharray': '4 3', class: 'limit' }));
  if (line && points.length) s.append(svg('polyline', { fill: 'none', stroke: '#0b5cad', 'stroke-width': 1.5, points: points.map((p) => X(p[0]) + ',' + Y(p[1])).join(' ') }));
  else for (const p of points) s.append(svg('circle', { cx: X(p[0]), cy: Y(p[1]), r: 4, fill: '#0b5cad', class: 'point' }, undefined));
  return s;
}
function drawChart(rows) {
  const x = $('chart-x').value, y = $('chart-y').value;
  const points = rows.map((r) => [cell(r, x), cell(r, y)]).filter((p) => typeof p[0] === 'number' && typeof p[1] === 'number');
  $('chart').replaceChildren(x && y ? plot(points, { xLabel: x, yLabel: y, title: y + ' against ' + x + ' (' + points.length + ' results)' })
    : el('p', { class: 'muted', text: 'No numeric fields to chart yet.' }));
}

// ---- resources ----------------------------------------------------------------------------------
let resourceStream = null;
const samples = [];
function startResources() {
  if (resourceStream) return;
  resourceStream = new EventSource('/v1/resources/stream');
  resourceStream.addEventListener('sample', (e) => { samples.push(JSON.parse(e.data)); if (samples.length > 300) samples.shift(); drawResources(); });
}
function drawResources() {
  if ($('resources').hidden || !samples.length) return;
  const t0 = Date.parse(samples[0].at);
  const t = (s) => (Date.parse(s.at) - t0) / 1000;
  const last = samples[samples.length - 1];
  const cpu = samples.filter((s) => s.machine.cpu_busy !== null).map((s) => [t(s), 100 * s.machine.cpu_busy]);
  const mem = samples.map((s) => [t(s), (s.machine.memory_total - s.machine.memory_available) / 2 ** 30]);
  $('machine-charts').replaceChildren(
    el('figure', {}, plot(cpu, { line: true, xLabel: 'seconds', yLabel: 'CPU busy %', yMin: 0, limit: 100, width: 420, height: 220 }),
      el('figcaption', { text: 'Machine CPU (' + last.machine.cpus + ' cores)' })),
    el('figure', {}, plot(mem, { line: true, xLabel: 'seconds', yLabel: 'memory used GiB', yMin: 0, limit: last.machine.memory_total / 2 ** 30, width: 420, height: 220 }),
      el('figcaption', { text: 'Machine memory' })));
  $('resources').dataset.samples = samples.length;
  const ids = Object.keys(last.workers);
  $('resource-note').textContent = ids.length ? '' : 'No worker is running (or this backend does not report usage).';
  $('worker-charts').replaceChildren(...ids.map((id) => {
    const w = workers.get(id);
    const c = samples.filter((s) => s.workers[id] && s.workers[id].cpu !== null).map((s) => [t(s), s.workers[id].cpu]);
    const m = samples.filter((s) => s.workers[id]).map((s) => [t(s), s.workers[id].memory_bytes / 2 ** 20]);
    return el('figure', { 'data-worker': id },
      plot(c, { line: true, xLabel: 'seconds', yLabel: 'cores', yMin: 0, limit: w ? w.cpu : null, width: 320, height: 180 }),
      plot(m, { line: true, xLabel: 'seconds', yLabel: 'MiB', yMin: 0, limit: w ? w.memory * 1024 : null, width: 320, height: 180 }),
      el('figcaption', { text: id + ': CPU (limit ' + (w ? w.cpu : '?') + ' cores) and memory (limit ' + (w ? w.memory : '?') + ' GB)' }));
  }));
}

// ---- the event stream ---------------------------------------------------------------------------
function onEvent(type, data) {
  if (type === 'output') {
    addLine(data.worker, data);
    addLine('*', data);
    if (data.worker === currentKey() || currentKey() === '*') redrawSoon();
  } else if (type === 'worker') {
    updateWorker(data);
    if (['succeeded', 'failed', 'stopped'].includes(data.status)) refreshResultsSoon();
  } else if (type === 'queue') {
    updateQueue(data);
    refreshResultsSoon();
  } else if (type === 'gap') {
    // The page fell too far behind: those lines are counted, and are in each worker's log.
    const n = data.to - data.from + 1;
    viewOf('*').skipped += n;
    viewOf('*').dirty = true;
    redrawSoon();
  } else if (type === 'closed') {
    $('connection').textContent = 'the session has ended';
  }
}

async function start() {
  show(location.hash.slice(1) || 'workers');
  // The current state first, then every change after it: the list's X-Cohort-Event is where the stream starts.
  const { body, event } = await getJson('/v1/workers');
  body.forEach(updateWorker);
  await loadQueues();
  // group=lines: a batch of output lines comes as one event, one parse for many lines.
  const stream = new EventSource('/v1/events?group=lines&after=' + enc(event || '0'));
  for (const type of ['worker', 'output', 'queue', 'gap', 'closed']) {
    stream.addEventListener(type, (e) => onEvent(type, JSON.parse(e.data)));
  }
  stream.addEventListener('lines', (e) => { for (const l of JSON.parse(e.data).lines) onEvent('output', l); });
  // Lines the session spared a page that fell too far behind: counted; a worker's view sees the gap in its line numbers.
  stream.addEventListener('skipped', (e) => onEvent('gap', { from: 1, to: JSON.parse(e.data).lines }));
  // On a reconnect the browser sends Last-Event-ID itself: the stream resumes after the last event seen.
  stream.addEventListener('open', () => { $('connection').textContent = 'live'; document.body.dataset.live = 'true'; });
  stream.addEventListener('error', () => {
    if ($('connection').textContent !== 'the session has ended') $('connection').textContent = 'reconnecting…';
    if (stream.readyState === EventSource.CLOSED) $('connection').textContent = 'disconnected: reload the page';
  });
}
start().catch((e) => { $('connection').textContent = 'cannot load the session: ' + e.message; });
