// Monitoring: monitor on a table series with a programme of targets; KPI lines with the target path.
import { h, post, buildForm, readForm, writeForm, viewShell, panel, drawChart, renderTable, provenance, table, column,
  figure, fmtFigure, fmt, runner, clean, num, regionList, datasetOptions } from './core.js';
import { PROGRAMME_TOML } from './examples.js';

const STATUS = { achieved: '#2e6b30', on_track: '#2e75b6', behind: '#b36b00', worsening: '#a50021' };
const STATUS_TEXT = { achieved: 'achieved', on_track: 'on track', behind: 'behind', worsening: 'worsening' };

export default function monitorView(ctx) {
  const view = {
    title: 'Monitoring',
    defaults: { data: 'wiod2013', us: 'RUS', them: 'EU27', years: '', window: '5', programme: '' },
  };
  const shell = viewShell('monitor', 'Monitoring import substitution over the years',
    'The indicators a programme of import substitution is judged by, for every year of a table series, with the targets of a programme: the path from the baseline to the target, the trend, and the status. Current prices: a change over time mixes volumes, prices and exchange rates.');
  view.el = shell.el;
  const form = buildForm('monitor-form', [
    { name: 'data', label: 'Dataset (a series)', type: 'select' },
    { name: 'us', label: 'Us', list: 'dl-regions-m' },
    { name: 'them', label: 'Them', list: 'dl-regions-m' },
    { name: 'years', label: 'Years', placeholder: 'all, or 1995:2011' },
    { name: 'window', label: 'Trend window (years)', inputmode: 'numeric' },
    { name: 'programme', label: 'Programme of targets (TOML; Ctrl+Enter runs)', type: 'textarea', rows: 7, wide: true },
  ], () => {
    const s = readForm(form);
    if (s.programme === PROGRAMME_TOML.trim()) s.programme = '';
    ctx.navigate('monitor', s);
  });
  shell.formBox.append(form);
  const run = runner(view, form);
  const pTargets = panel('monitor-targets', 'Targets: KPI, target path and status', { noChart: true, full: true });
  const multiples = h('div', { class: 'small-multiples', role: 'group', 'aria-label': 'one chart per target' });
  const tprov = h('p', { class: 'prov' });
  pTargets.el.querySelector('.panel-body').before(h('figure', { class: 'chart-fig' }, multiples, h('figcaption', null, tprov)));
  const pKpis = panel('monitor-kpis', 'Indicators over the years (all of us, all products)');
  shell.panels.append(pTargets.el, pKpis.el);

  view.run = (state, isDefault) => {
    writeForm(form, { ...state, programme: state.programme || PROGRAMME_TOML.trim() });
    datasetOptions(form.elements.data, state.data);
    regionList('dl-regions-m', state.data);
    const body = clean({ us: state.us, them: state.them, data: state.data, years: state.years || undefined, window: num(state.window),
      by: ['sector'], programme: state.programme || PROGRAMME_TOML });
    run('Running monitor', async (signal) => {
      pTargets.clear(); pKpis.clear(); multiples.textContent = ''; tprov.textContent = '';
      shell.head.textContent = '';
      const r = await post('monitor', body, signal);
      shell.head.append(cards(r));
      drawTargets(r);
      drawKpis(r, state.us);
      if (isDefault) ctx.record('monitor', state);
    });
  };

  function cards(r) {
    const box = h('div', { class: 'cards' });
    for (const [k, label] of [['targets_worsening', 'Targets worsening'], ['targets_behind', 'Behind'], ['targets_on_track', 'On track'], ['targets_achieved', 'Achieved'], ['years', 'Years']]) {
      const f = figure(r, k);
      if (f) box.append(h('div', { class: `card${k === 'targets_worsening' && f.value > 0 ? ' bad' : ''}` }, h('span', { class: 'label' }, label), h('span', { class: 'value', dataset: { key: k } }, fmtFigure(f))));
    }
    return box;
  }

  function drawTargets(r) {
    const tt = table(r, 'targets');
    const kt = table(r, 'kpis');
    const pt = table(r, 'target_paths');
    if (!tt || !tt.rows.length) { pTargets.setNote('The programme has no targets.'); return; }
    for (const t of tt.rows) {
      const col = column(kt, t.kpi) || { kind: 'ratio', decimals: 3 };
      const isShare = col.kind === 'share';
      const k = (v) => (v == null ? null : isShare ? v * 100 : v);
      // The report's own year-by-year table of each target: the indicator and the straight path to the goal.
      const pathRows = (pt ? pt.rows : []).filter((x) => x.id === t.id);
      const series = pathRows.filter((x) => x.value != null).map((x) => [x.year, k(x.value)]);
      const path = pathRows.filter((x) => x.path != null).map((x) => [x.year, k(x.path)]);
      const color = STATUS[t.status] || '#555';
      const el = h('div', { class: 'chart', role: 'img', 'aria-label': `${t.id}: ${STATUS_TEXT[t.status] || t.status}` });
      multiples.append(el);
      drawChart(el, {
        title: { text: `${t.id}`, subtext: `${t.kpi} · ${t.scope}${t.sector !== 'all' ? ` · ${t.sector}` : ''} · ${t.direction.replace('_', ' ')} ${fmt(t.target, col)} by ${t.target_year} — ${STATUS_TEXT[t.status] || t.status}`,
          left: 6, top: 4, textStyle: { fontSize: 13, color }, subtextStyle: { fontSize: 11, color: '#444' } },
        tooltip: { trigger: 'axis', valueFormatter: (v) => (v == null ? '—' : isShare ? `${v.toFixed(2)} %` : v.toFixed(3)) },
        grid: { left: 10, right: 16, top: 58, bottom: 24, containLabel: true },
        xAxis: { type: 'value', min: Math.min(series.length ? series[0][0] : t.baseline_year, t.baseline_year), max: Math.max(t.target_year, ...series.map((x) => x[0])), interval: 5, axisLabel: { formatter: (v) => String(v) } },
        yAxis: { type: 'value', scale: true, axisLabel: { formatter: isShare ? '{value} %' : '{value}' } },
        series: [
          { name: t.kpi, type: 'line', data: series, symbolSize: 4, color, lineStyle: { width: 2 } },
          { name: 'target path', type: 'line', data: path, color: '#555', lineStyle: { type: 'dashed', width: 1.5 }, symbol: 'none' },
          { name: 'target', type: 'scatter', data: [[t.target_year, k(t.target)]], symbol: 'diamond', symbolSize: 12, color: '#222' },
        ],
      });
    }
    tprov.textContent = `${provenance(r, 'each KPI in its own unit (shares in %); dashed: the straight path from the baseline to the target; colour: status')} · status: ${Object.entries(STATUS_TEXT).map(([k, v]) => v).join(', ')}`;
    renderTable(pTargets.tableBox, r, tt, { limit: 20, markRow: (x) => `st-row-${x.status}` });
    for (const td of pTargets.tableBox.querySelectorAll('td[data-key="status"]')) td.classList.add(`st-${JSON.parse(td.dataset.v)}`);
  }

  function drawKpis(r, us) {
    const kt = table(r, 'kpis');
    const rows = kt.rows.filter((x) => x.sector === 'all');
    const keys = ['import_penetration', 'imports_from_them_share', 'direct_input_share', 'va_from_them', 'va_via_third', 'fva_final_demand_share'].filter((k) => column(kt, k));
    drawChart(pKpis.chartEl, {
      title: { text: `${r.title}: shares, all products`, left: 0, textStyle: { fontSize: 13, fontWeight: 'normal' } },
      tooltip: { trigger: 'axis', valueFormatter: (v) => (v == null ? '—' : `${v.toFixed(2)} %`) },
      legend: { top: 22, left: 0, type: 'scroll' },
      grid: { left: 10, right: 20, top: 64, bottom: 30, containLabel: true },
      xAxis: { type: 'value', min: 'dataMin', max: 'dataMax', interval: 2, axisLabel: { formatter: (v) => String(v) } },
      yAxis: { type: 'value', axisLabel: { formatter: '{value} %' } },
      series: keys.map((k) => ({ name: column(kt, k).label, type: 'line', symbolSize: 4, data: rows.map((x) => [x.year, x[k] == null ? null : x[k] * 100]) })),
    });
    pKpis.prov.textContent = provenance(r, '% (current prices)');
    renderTable(pKpis.tableBox, r, kt, { limit: 17 });
  }

  return view;
}
