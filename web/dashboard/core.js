// Shared pieces of the dashboard: API calls (JSON and NDJSON), busy state, errors at their field,
// tables (sortable, CSV), charts and provenance. The dashboard renders reports; it computes no analysis.

export class ApiError extends Error {
  constructor(body, status, kind) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.body = body || {};
    this.status = status;
    this.requestKind = kind;
  }
}

async function readError(res, kind) {
  let body = null;
  try { body = await res.json(); } catch (_) { body = { message: `HTTP ${res.status} ${res.statusText}` }; }
  return new ApiError(body, res.status, kind);
}

/** POST /v1/<kind> with a JSON body; resolves to the report. */
export async function post(kind, body, signal) {
  const res = await fetch(`/v1/${kind}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body), signal,
  });
  if (!res.ok) throw await readError(res, kind);
  return res.json();
}

/** POST a request answered as NDJSON (a sweep or batch): onLine(report) for each line as it arrives. */
export async function postStream(kind, body, onLine, signal) {
  const res = await fetch(`/v1/${kind}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/x-ndjson, application/json' },
    body: JSON.stringify(body), signal,
  });
  if (!res.ok) throw await readError(res, kind);
  const type = res.headers.get('content-type') || '';
  if (!type.includes('ndjson')) { const doc = await res.json(); onLine(doc); return [doc]; }
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  const lines = [];
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (!line) continue;
      const doc = JSON.parse(line);
      if (doc.error) throw new ApiError(doc.error, 200, kind);
      lines.push(doc);
      onLine(doc);
    }
    if (done) break;
  }
  return lines;
}

export async function getJSON(url, signal) {
  const res = await fetch(url, { headers: { Accept: 'application/json' }, signal });
  if (!res.ok) throw await readError(res, url);
  return res.json();
}

// ---------------------------------------------------------------- DOM helpers

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else el.setAttribute(k, v === true ? '' : v);
    }
  }
  for (const c of children.flat()) if (c != null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

// ---------------------------------------------------------------- formatting (per column kind)

export function fmt(v, col) {
  if (v == null) return '—';
  if (Array.isArray(v)) return v.join(', ');
  const d = col && Number.isInteger(col.decimals) ? Math.min(col.decimals, 12) : 2;
  switch (col && col.kind) {
    case 'share': return `${(v * 100).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })} %`;
    case 'amount': case 'ratio':
      return typeof v === 'number' ? v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : String(v);
    case 'count': case 'rank': return typeof v === 'number' ? v.toLocaleString('en-US') : String(v);
    case 'year': return String(v);
    case 'flag': return v ? 'yes' : 'no';
    default: return String(v);
  }
}

export function fmtFigure(f) { return f ? `${fmt(f.value, f)}${f.unit && f.kind !== 'share' ? ` ${f.unit}` : ''}` : '—'; }
export function figure(report, key) { return (report.summary || []).find((f) => f.key === key); }
export function param(report, key) { const p = (report.parameters || []).find((x) => x.key === key); return p ? p.value : undefined; }
export function table(report, key) { return (report.tables || []).find((t) => t.key === key); }
export function column(t, key) { return t.columns.find((c) => c.key === key); }

// ---------------------------------------------------------------- busy state with elapsed time

export function busy(statusEl, label) {
  const t0 = performance.now();
  statusEl.hidden = false;
  statusEl.classList.add('busy');
  statusEl.classList.remove('failed');
  const tick = () => { statusEl.textContent = `${label} … ${((performance.now() - t0) / 1000).toFixed(1)} s`; };
  tick();
  const timer = setInterval(tick, 100);
  return {
    set(text) { label = text; tick(); },
    done(text) {
      clearInterval(timer);
      statusEl.classList.remove('busy');
      statusEl.textContent = text || `Done in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    },
    fail(text) { clearInterval(timer); statusEl.classList.remove('busy'); statusEl.classList.add('failed'); statusEl.textContent = text; },
  };
}

// ---------------------------------------------------------------- errors at their field

export function clearErrors(form) {
  for (const el of form.querySelectorAll('.field-error')) { el.textContent = ''; el.hidden = true; }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.has-error')) el.classList.remove('has-error');
}

/** Show an API error as the API words it, next to the field at fault (or above the form), with `nearest`. */
export function showError(form, err, onNearest) {
  const body = err instanceof ApiError ? err.body : { message: String(err && err.message || err) };
  const field = body.field && form.querySelector(`[name="${CSS.escape(body.field)}"]`);
  const slot = (field && form.querySelector(`#err-${CSS.escape(form.id)}-${CSS.escape(body.field)}`)) || form.querySelector('.form-error');
  slot.hidden = false;
  slot.textContent = '';
  const who = err instanceof ApiError && err.requestKind ? `${err.requestKind}: ` : '';
  if (body.nearest != null && body.nearest !== '') {
    const near = h('span', { class: 'nearest' }, 'Nearest: ');
    if (field && onNearest) {
      near.append(h('button', { type: 'button', class: 'linkish', onclick: () => { field.value = body.nearest; onNearest(); } }, body.nearest), ' (use it and run)');
    } else near.append(h('strong', null, body.nearest));
    slot.append(near, ' ');
  }
  slot.append(h('span', { class: 'err-kind' }, body.kind ? `${body.kind} — ` : ''), `${who}${body.message || 'request failed'}`);
  if (body.field && !field) slot.append(h('span', null, ` (field: ${body.field})`));
  if (field) { field.setAttribute('aria-invalid', 'true'); const w = field.closest('.field'); if (w && !w.classList.contains('wide')) w.classList.add('has-error'); }
  return slot;
}

// ---------------------------------------------------------------- forms

let fieldSeq = 0;
/** A form from field specs; Enter submits (Ctrl+Enter in text areas). */
export function buildForm(id, fields, onSubmit, submitLabel = 'Run') {
  const form = h('form', { id, class: 'query', novalidate: true, 'aria-label': 'query' });
  form.append(h('p', { class: 'form-error', role: 'alert', hidden: true }));
  const grid = h('div', { class: 'fields' });
  for (const f of fields) {
    const fid = `f-${id}-${f.name}-${++fieldSeq}`;
    const errId = `err-${id}-${f.name}`;
    let input;
    const common = { id: fid, name: f.name, 'aria-describedby': `${errId}${f.help ? ` ${fid}-help` : ''}` };
    if (f.type === 'select') {
      input = h('select', common, (f.options || []).map(([v, t]) => h('option', { value: v }, t)));
    } else if (f.type === 'textarea') {
      input = h('textarea', { ...common, rows: f.rows || 6, spellcheck: 'false' });
      input.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); } });
    } else {
      input = h('input', { ...common, type: 'text', list: f.list, placeholder: f.placeholder, autocomplete: 'off', inputmode: f.inputmode });
    }
    const wrap = h('div', { class: `field${f.wide ? ' wide' : ''}` },
      h('label', { for: fid }, f.label),
      input,
      f.help ? h('small', { id: `${fid}-help`, class: 'help' }, f.help) : null,
      h('span', { id: errId, class: 'field-error', role: 'alert', hidden: true }));
    grid.append(wrap);
  }
  form.append(grid, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, submitLabel),
    h('span', { class: 'status', role: 'status', 'aria-live': 'polite', hidden: true })));
  form.addEventListener('submit', (e) => { e.preventDefault(); onSubmit(); });
  return form;
}

export function readForm(form) {
  const s = {};
  for (const el of form.elements) if (el.name) s[el.name] = el.value.trim();
  return s;
}
export function writeForm(form, state) {
  for (const el of form.elements) if (el.name && state[el.name] != null) el.value = state[el.name];
}

/** A datalist of regions and blocs for a dataset (GET /v1/datasets/{name}?table=regions, GET /v1/blocs). */
const listCache = new Map();
export async function regionList(id, data) {
  let dl = document.getElementById(id);
  if (!dl) { dl = h('datalist', { id }); document.body.append(dl); }
  const key = `${data}`;
  if (dl.dataset.for === key) return listCache.get(key);
  dl.dataset.for = key;
  try {
    const [regs, blocs] = await Promise.all([
      getJSON(`/v1/datasets/${encodeURIComponent(data)}?table=regions`).catch(() => null),
      listCache.get('blocs') || getJSON('/v1/blocs').then((b) => { listCache.set('blocs', b); return b; }).catch(() => null),
    ]);
    dl.textContent = '';
    const names = {};
    const rt = regs && table(regs, 'regions');
    if (rt) for (const r of rt.rows) { names[r.region] = r.name; dl.append(h('option', { value: r.region }, r.name)); }
    const bt = blocs && blocs.tables[0];
    if (bt) for (const r of bt.rows) dl.append(h('option', { value: r.bloc }, r.title || r.bloc));
    listCache.set(key, names);
    return names;
  } catch (_) { return {}; }
}

// ---------------------------------------------------------------- panels, charts, tables

const charts = new Set();
window.addEventListener('resize', () => { for (const c of charts) if (!c.isDisposed()) c.resize(); });
const mqPrint = window.matchMedia('print');
mqPrint.addEventListener('change', () => { for (const c of charts) if (!c.isDisposed()) c.resize(); });

export const PALETTE = ['#1f4e79', '#c55a11', '#7f7f7f', '#2e75b6', '#548235', '#bf9000', '#7030a0', '#a50021'];
const BASE = {
  color: PALETTE,
  textStyle: { fontFamily: 'inherit', color: '#222' },
  animation: false,
  aria: { enabled: true },
};

export function drawChart(el, option) {
  let c = echarts.getInstanceByDom(el);
  if (!c) { c = echarts.init(el, null, { renderer: 'canvas' }); charts.add(c); }
  c.setOption({ ...BASE, ...option }, true);
  return c;
}

/** A titled panel: chart on the left, its table beside it, provenance under the chart. */
export function panel(id, title, opts = {}) {
  const chartEl = opts.noChart ? null : h('div', { class: `chart${opts.tall ? ' tall' : ''}${opts.short ? ' short' : ''}`, role: 'img', 'aria-label': title });
  const prov = h('p', { class: 'prov' });
  const tableBox = h('div', { class: 'table-box' });
  const note = h('p', { class: 'panel-note', hidden: true });
  const el = h('section', { class: `panel${opts.full ? ' full' : ''}`, id: `panel-${id}`, 'aria-labelledby': `h-${id}` },
    h('h2', { id: `h-${id}` }, title),
    note,
    h('div', { class: 'panel-body' },
      chartEl ? h('figure', { class: 'chart-fig' }, chartEl, h('figcaption', null, prov)) : null,
      tableBox));
  return { el, chartEl, prov, tableBox, note,
    setNote(t) { note.hidden = !t; note.textContent = t || ''; },
    clear() { if (chartEl) { const c = echarts.getInstanceByDom(chartEl); if (c) c.clear(); } tableBox.textContent = ''; prov.textContent = ''; note.hidden = true; } };
}

/** Provenance of a report, with the unit of what the chart shows. */
export function provenance(report, unitText) {
  const p = report.provenance || {};
  const parts = [];
  if (unitText) parts.push(`Unit: ${unitText}`);
  if (p.dataset) parts.push(`Dataset: ${p.dataset}${p.title ? ` — ${p.title}` : ''}${p.year != null ? `, ${p.year}` : ''}${p.units ? ` (${p.units})` : ''}`);
  else parts.push(`Data: ${report.title}`);
  if (p.source) parts.push(`Source: ${p.source}`);
  const imported = (report.notes || []).find((n) => n.startsWith('imported from:'));
  if (!p.source && imported) parts.push(`Source: ${imported.replace(/^imported from:\s*/, 'trade store, ')}`);
  parts.push(`sovra ${p.sovra_version || ''} report “${report.kind}”`);
  return parts.join(' · ');
}

function csvCell(v) {
  if (v == null) return '';
  if (Array.isArray(v)) v = v.join(', ');
  const s = String(v);
  return /[",\r\n]/.test(s) || s.startsWith('#') ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The report's table as CSV (every column, full precision), with provenance as leading `#` lines. */
export function tableCsv(report, t) {
  const p = report.provenance || {};
  const lines = [`# ${report.title}`];
  if (p.dataset) lines.push(`# dataset: ${p.dataset}${p.title ? ` — ${p.title}` : ''}${p.year != null ? `, year ${p.year}` : ''}${p.units ? ` (${p.units})` : ''}`);
  if (p.source) lines.push(`# source: ${p.source}`);
  lines.push(`# sovra ${p.sovra_version || ''}`);
  for (const q of report.parameters || []) lines.push(`# parameter ${q.key}: ${Array.isArray(q.value) ? q.value.join(', ') : q.value}`);
  lines.push(t.columns.map((c) => c.key).join(','));
  for (const r of t.rows) lines.push(t.columns.map((c) => csvCell(r[c.key])).join(','));
  return `${lines.join('\n')}\n`;
}

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

/**
 * Render a report table: sortable headers (buttons), the first `limit` rows with "show all", a CSV
 * download. Each cell keeps its exact value in data-v (JSON) for checks; `markRow(row)` adds a class.
 */
export function renderTable(box, report, t, opts = {}) {
  box.textContent = '';
  if (!t) return null;
  const all = t.columns.every((c) => c.hidden);
  let cols = t.columns.filter((c) => all || !c.hidden);
  if (opts.columns) cols = opts.columns.map((k) => column(t, k)).filter(Boolean);
  const joined = new Set(cols.filter((c) => c.join && cols.some((x) => x.key === c.join)).map((c) => c.key));
  const shown = cols.filter((c) => !joined.has(c.key));
  const rowsAll = t.rows.slice();
  let order = rowsAll.map((_, i) => i);
  let limit = opts.limit || 25;
  let sortKey = null, sortDir = 0;
  const tbl = h('table', { class: 'data', dataset: { kind: report.kind, table: t.key, source: opts.source || 'report' } });
  const cap = h('caption', null, opts.caption || t.title);
  const thead = h('thead');
  const tbody = h('tbody');
  const hr = h('tr');
  for (const c of shown) {
    const unit = c.kind === 'share' ? '%' : c.unit;
    const btn = h('button', { type: 'button', class: 'sort', title: c.doc ? `${c.label} (${c.doc})` : c.label }, c.label, unit ? h('span', { class: 'unit' }, ` (${unit})`) : '');
    const th = h('th', { scope: 'col', 'aria-sort': 'none', class: `k-${c.kind}`, dataset: { key: c.key, kind: c.kind, decimals: String(c.decimals) } }, btn);
    btn.addEventListener('click', () => {
      if (sortKey === c.key) sortDir = -sortDir; else { sortKey = c.key; sortDir = ['code', 'text', 'date'].includes(c.kind) ? 1 : -1; }
      order.sort((a, b) => cmp(rowsAll[a][c.key], rowsAll[b][c.key]) * sortDir);
      for (const x of hr.children) x.setAttribute('aria-sort', 'none');
      th.setAttribute('aria-sort', sortDir > 0 ? 'ascending' : 'descending');
      tbl.dataset.sorted = `${c.key}:${sortDir > 0 ? 'asc' : 'desc'}`;
      fill();
    });
    hr.append(th);
  }
  thead.append(hr);
  const more = h('button', { type: 'button', class: 'linkish more' });
  more.addEventListener('click', () => { limit = limit >= rowsAll.length ? (opts.limit || 25) : rowsAll.length; fill(); });
  function fill() {
    tbody.textContent = '';
    const n = Math.min(limit, order.length);
    for (let k = 0; k < n; k++) {
      const r = rowsAll[order[k]];
      const tr = h('tr', { dataset: { row: String(order[k]) } });
      if (opts.markRow) { const m = opts.markRow(r); if (m) tr.classList.add(m); }
      if (opts.onRow) {
        tr.tabIndex = 0; tr.classList.add('clickable');
        tr.addEventListener('click', () => opts.onRow(r));
        tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); opts.onRow(r); } });
      }
      for (const c of shown) {
        const v = r[c.key];
        const td = h('td', { class: `k-${c.kind}`, dataset: { key: c.key, v: JSON.stringify(v === undefined ? null : v) } }, fmt(v, c));
        const j = cols.find((x) => x.join === c.key && joined.has(x.key));
        if (j && r[j.key] != null) td.append(h('span', { class: 'joined', dataset: { key: j.key, v: JSON.stringify(r[j.key] ?? null) } }, ` ${fmt(r[j.key], j)}`));
        tr.append(td);
      }
      tbody.append(tr);
    }
    more.hidden = rowsAll.length <= (opts.limit || 25);
    more.textContent = limit >= rowsAll.length ? `Show the first ${opts.limit || 25} rows` : `Show all ${rowsAll.length} rows`;
    tbl.dataset.shown = String(n);
  }
  tbl.append(cap, thead, tbody);
  fill();
  const file = `${report.kind}-${t.key}.csv`;
  const dl = h('button', { type: 'button', class: 'csv', 'aria-label': `Download ${t.title} as CSV` }, 'Download CSV');
  dl.addEventListener('click', () => download(file, tableCsv(report, t)));
  box.append(h('div', { class: 'table-tools' }, h('span', { class: 'rows' }, `${rowsAll.length} rows`), dl),
    h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t.title }, tbl), more);
  return tbl;
}

function cmp(a, b) {
  if (a == null && b == null) return 0;
  if (a == null) return 1;
  if (b == null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean') return (a ? 1 : 0) - (b ? 1 : 0);
  return String(a).localeCompare(String(b));
}

/** Headline figures of a report as a compact definition list. */
export function headline(report, max = 8) {
  const dl = h('dl', { class: 'headline' });
  for (const l of (report.headline || []).slice(0, max)) dl.append(h('div', null, h('dt', null, l.label), h('dd', null, l.text)));
  return dl;
}

/** A narrow screen: charts drop long category names. */
export function narrow() { return window.innerWidth < 700; }
export function pct(v) { return v == null ? null : v * 100; }
export function shortName(s, n = 28) { return s && s.length > n ? `${s.slice(0, n - 1)}…` : s; }

// ---------------------------------------------------------------- view scaffolding

/** The frame of a view: heading, intro, the form, headline figures and the panels. */
export function viewShell(id, title, intro) {
  const el = h('div', { class: 'view', id: `view-${id}`, dataset: { view: id, state: 'idle' } });
  const formBox = h('div', { class: 'form-box' });
  const head = h('div', { class: 'headline-box', 'aria-live': 'polite' });
  const panels = h('div', { class: 'panels' });
  el.append(h('h1', null, title), h('p', { class: 'intro' }, intro), formBox, head, panels);
  return { el, formBox, head, panels };
}

/** A request value from a form string: numbers as numbers, anything else as typed (the API judges it). */
export function num(s) {
  if (s == null || s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) && /^[-+0-9.eE]+$/.test(s) ? n : s;
}
export function list(s) {
  if (s == null || s.trim() === '') return undefined;
  return s.split(/[\s,]+/).filter(Boolean);
}
/** Drop undefined and empty-string fields. */
export function clean(o) {
  const r = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== '') r[k] = v;
  return r;
}

/** Run a view's requests with a busy line, abort the previous run, mark the view ready or failed. */
export function runner(view, form) {
  let ctrl = null, seq = 0;
  return async function run(label, work) {
    if (ctrl) ctrl.abort();
    ctrl = new AbortController();
    const my = ++seq;
    clearErrors(form);
    view.el.dataset.state = 'busy';
    const b = busy(form.querySelector('.status'), label);
    try {
      await work(ctrl.signal, b);
      if (my !== seq) return;
      b.done();
      view.el.dataset.state = 'ready';
    } catch (e) {
      if (my !== seq || (e && e.name === 'AbortError')) return;
      b.fail('Failed: the API’s message is shown at the field at fault (or above the form).');
      showError(form, e, () => form.requestSubmit());
      view.el.dataset.state = 'error';
      if (!(e instanceof ApiError)) console.warn(e);
    }
  };
}

export async function datasetOptions(select, want) {
  try {
    const r = await getJSON('/v1/datasets');
    const t = r.tables[0];
    select.textContent = '';
    for (const row of t.rows) select.append(h('option', { value: row.name }, `${row.name} — ${row.years}`));
    if (want && ![...select.options].some((o) => o.value === want)) select.append(h('option', { value: want }, want));
    if (want) select.value = want;
    return t.rows;
  } catch (_) { if (want) { select.append(h('option', { value: want }, want)); select.value = want; } return []; }
}
