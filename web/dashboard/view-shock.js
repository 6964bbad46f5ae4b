// Shock: one scenario (countries, sectors) and a τ sweep streamed as NDJSON.
import { h, post, postStream, buildForm, readForm, writeForm, viewShell, panel, drawChart, renderTable, provenance,
  table, figure, fmtFigure, param, runner, clean, num, list, regionList, datasetOptions, shortName, narrow } from './core.js';
import { ensureWorldMap, PROJECTION } from './geo.js';

const HEAT = ['#fff7ec', '#fdd49e', '#fc8d59', '#d7301f', '#7f0000'];
// sanction-simulator's default rerouting friction (docs/shock.md: `tau = 0.30`); the report echoes it as the
// `tau` parameter when the request leaves τ out.
const PEER_DEFAULT_TAU = 0.3;

export default function shockView(ctx) {
  const view = {
    title: 'Shock',
    defaults: { data: 'icio2022', sanctioning: 'USA', target: 'CHN', instrument: 'embargo', sectors: '', model: 'rerouting',
      tau: '', delta: '', as_of: '', detail: '', sweep: 'tau=0.1:0.9:0.1' },
  };
  const shell = viewShell('shock', 'Shock: embargoes, export bans, import bans',
    'What happens to output, country by country and sector by sector, if one side stops trading with the other. Rerouting model (sanction-simulator’s) or linear extraction; the τ sweep runs the same scenario over a range of rerouting frictions.');
  view.el = shell.el;
  const form = buildForm('shock-form', [
    { name: 'data', label: 'Dataset', type: 'select' },
    { name: 'sanctioning', label: 'Sanctioning side', list: 'dl-regions' },
    { name: 'target', label: 'Target side', list: 'dl-regions' },
    { name: 'instrument', label: 'Instrument', type: 'select', options: [['embargo', 'embargo (both ways)'], ['export-ban', 'export ban'], ['import-ban', 'import ban']] },
    { name: 'sectors', label: 'Selling sectors', placeholder: 'all; e.g. C26 C27', help: 'codes, space or comma separated' },
    { name: 'model', label: 'Model', type: 'select', options: [['rerouting', 'rerouting (sanction-simulator)'], ['extraction', 'extraction (linear)']] },
    { name: 'tau', label: 'Friction τ', placeholder: 'default 0.30', inputmode: 'decimal' },
    { name: 'delta', label: 'Leakage δ', placeholder: 'default 0.10', inputmode: 'decimal' },
    { name: 'as_of', label: 'Blocs as of', placeholder: 'YYYY-MM-DD' },
    { name: 'detail', label: 'Sectors of country', list: 'dl-regions', placeholder: 'most hit', help: 'whose sectors to list' },
    { name: 'sweep', label: 'Sweep', placeholder: 'tau=0.1:0.9:0.1', help: 'empty: no sweep' },
  ], () => ctx.navigate('shock', readForm(form)));
  shell.formBox.append(form);
  const run = runner(view, form);
  const pMap = panel('shock-map', 'Output loss share γ by country', { tall: true });
  const pSec = panel('shock-sectors', 'Most hit sectors');
  const pSweep = panel('shock-sweep', 'τ sweep: loss shares against the rerouting friction');
  shell.panels.append(pMap.el, pSec.el, pSweep.el);

  view.run = (state, isDefault) => {
    writeForm(form, state);
    datasetOptions(form.elements.data, state.data);
    regionList('dl-regions', state.data);
    const scenario = clean({ sanctioning: state.sanctioning, target: state.target, instrument: state.instrument || undefined,
      sectors: list(state.sectors), model: state.model || undefined, tau: num(state.tau), delta: num(state.delta),
      data: state.data, as_of: state.as_of || undefined });
    run('Running the shock', async (signal, b) => {
      for (const p of [pMap, pSec, pSweep]) p.clear();
      shell.head.textContent = '';
      const [rep] = await Promise.all([post('shock', clean({ ...scenario, detail: state.detail || undefined }), signal), ensureWorldMap()]);
      shell.head.append(cards(rep));
      drawMap(rep);
      drawSectors(rep);
      if (isDefault) ctx.record('shock', state);
      if (state.sweep) {
        b.set('Running the τ sweep (results appear as they arrive)');
        const lines = [];
        await postStream('shock', { ...scenario, sweep: state.sweep }, (doc) => {
          lines.push(doc);
          drawSweep(lines, rep, false);
          b.set(`τ sweep: ${lines.filter((d) => d.kind === 'shock' && table(d, 'countries')).length} scenarios received`);
        }, signal);
        drawSweep(lines, rep, true);
      } else pSweep.setNote('No sweep asked (the Sweep field is empty).');
    });
  };

  function cards(r) {
    const box = h('div', { class: 'cards' });
    for (const [k, label] of [['world_output_loss_share', 'World output loss'], ['sanctioning_loss_share', 'Sanctioning side γ'],
      ['target_loss_share', 'Target side γ'], ['third_loss_share', 'Third countries γ'], ['power_ratio', 'Power ratio (target γ / sanctioning γ)'], ['trustworthy', 'Trustworthy']]) {
      const f = figure(r, k);
      if (f) box.append(h('div', { class: `card${k === 'trustworthy' && f.value === false ? ' bad' : ''}` }, h('span', { class: 'label' }, label), h('span', { class: 'value', dataset: { key: k } }, fmtFigure(f))));
    }
    return box;
  }

  function drawMap(r) {
    const t = table(r, 'countries');
    const vals = t.rows.map((x) => x.loss_share).filter((v) => v != null);
    const max = vals.length ? Math.max(...vals) * 100 : 1;
    drawChart(pMap.chartEl, {
      title: { text: `${r.title}: output loss as % of each country’s output`, left: 0, textStyle: { fontSize: 13, fontWeight: 'normal' } },
      tooltip: { trigger: 'item', formatter: (p) => `${p.name}${p.data ? ` (${p.data.side})` : ''}: ${p.value == null || Number.isNaN(p.value) ? 'not in the table' : `${p.value.toFixed(3)} %`}` },
      visualMap: { type: 'continuous', min: 0, max: max || 1, text: [`${max.toFixed(2)} %`, '0 %'], inRange: { color: HEAT }, left: 8, bottom: 8, itemHeight: 110, itemWidth: 12, textStyle: { fontSize: 11 } },
      series: [{ type: 'map', map: 'world', projection: PROJECTION, roam: false, top: 30, bottom: 10, left: 10, right: 10,
        itemStyle: { areaColor: '#e8e8e8', borderColor: '#fff', borderWidth: 0.4 }, emphasis: { label: { show: false }, itemStyle: { areaColor: '#9dc3e6' } }, select: { disabled: true },
        data: t.rows.map((x) => ({ name: x.region, value: x.loss_share == null ? null : x.loss_share * 100, side: x.side,
          itemStyle: x.side !== 'third' ? { borderColor: '#222', borderWidth: 1.2 } : undefined })) }],
    });
    pMap.prov.textContent = provenance(r, 'γ = output loss / output, % (sanctioning and target countries outlined)');
    renderTable(pMap.tableBox, r, t, { limit: 20, markRow: (x) => (x.side !== 'third' ? 'flagged' : null) });
  }

  function drawSectors(r) {
    const t = table(r, 'sectors');
    const top = t.rows.slice(0, 15).reverse();
    drawChart(pSec.chartEl, {
      title: { text: t.title, left: 0, textStyle: { fontSize: 13, fontWeight: 'normal' } },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 22, left: 0 },
      grid: { left: 8, right: 40, top: 56, bottom: 28, containLabel: true },
      xAxis: [{ type: 'value', name: r.provenance.units || '', nameLocation: 'middle', nameGap: 26 }],
      yAxis: { type: 'category', data: top.map((x) => x.sector), axisLabel: { fontSize: 11, formatter: (v, i) => (narrow() ? v : `${v} ${shortName(top[i].sector_name, 26)}`) } },
      series: [{ name: 'Output loss', type: 'bar', data: top.map((x) => x.output_loss), itemStyle: { color: '#a50021' } }],
    });
    pSec.prov.textContent = provenance(r, `${r.provenance.units || ''} of output lost (the table adds γ and fulfilment h)`);
    renderTable(pSec.tableBox, r, t, { limit: 15 });
  }

  function drawSweep(lines, single, final) {
    const reps = lines.filter((d) => d.kind === 'shock' && table(d, 'countries'));
    const summary = lines.find((d) => table(d, 'scenarios'));
    const pts = reps.map((d) => ({ tau: param(d, 'tau'), d }));
    const s = (k) => pts.map((p) => [p.tau, (figure(p.d, k) || {}).value * 100]);
    const tauNow = param(single, 'tau');
    drawChart(pSweep.chartEl, {
      title: { text: `${single.title}: loss shares over τ${final ? '' : ' (arriving…)'}`, left: 0, textStyle: { fontSize: 13, fontWeight: 'normal' } },
      tooltip: { trigger: 'axis', valueFormatter: (v) => (v == null ? '—' : `${v.toFixed(3)} %`) },
      legend: { top: 22, left: 0 },
      grid: { left: 8, right: 30, top: 60, bottom: 34, containLabel: true },
      xAxis: { type: 'value', name: 'τ (rerouting friction)', nameLocation: 'middle', nameGap: 24, min: 0, max: 1 },
      yAxis: { type: 'value', name: '% of output', axisLabel: { formatter: '{value} %' } },
      series: [
        { name: 'Target side γ', type: 'line', data: s('target_loss_share'), symbolSize: 6, color: '#a50021',
          markLine: { symbol: 'none', silent: true, lineStyle: { type: 'dashed', color: '#333' }, label: { formatter: `sanction-simulator default τ = ${PEER_DEFAULT_TAU}`, position: 'insideEndTop', fontSize: 11 }, data: [{ xAxis: PEER_DEFAULT_TAU }] } },
        { name: 'Sanctioning side γ', type: 'line', data: s('sanctioning_loss_share'), symbolSize: 6, color: '#1f4e79' },
        { name: 'Third countries γ', type: 'line', data: s('third_loss_share'), symbolSize: 6, color: '#7f7f7f' },
        { name: 'World', type: 'line', data: s('world_output_loss_share'), symbolSize: 6, color: '#bf9000', lineStyle: { type: 'dotted' } },
      ],
    });
    pSweep.setNote(tauNow != null && tauNow !== PEER_DEFAULT_TAU ? `This scenario’s τ is ${tauNow}; the dashed line marks the peer’s default.` : '');
    const rows = pts.map((p) => ({ scenario: param(p.d, 'scenario'), tau: p.tau,
      target_loss_share: figure(p.d, 'target_loss_share').value, sanctioning_loss_share: figure(p.d, 'sanctioning_loss_share').value,
      third_loss_share: figure(p.d, 'third_loss_share').value, world_output_loss_share: figure(p.d, 'world_output_loss_share').value,
      trustworthy: figure(p.d, 'trustworthy').value }));
    const colOf = (key) => {
      const f = reps.length ? figure(reps[0], key) : null;
      return f ? { key, label: f.label, unit: f.unit, kind: f.kind, decimals: f.decimals } : { key, label: key, kind: 'text', decimals: 0 };
    };
    const tbl = { key: 'sweep', title: 'Scenarios of the sweep (figures of each streamed report)',
      columns: [{ key: 'scenario', label: 'scenario', kind: 'text', decimals: 0 }, { key: 'tau', label: 'τ', kind: 'ratio', decimals: 2 },
        colOf('target_loss_share'), colOf('sanctioning_loss_share'), colOf('third_loss_share'), colOf('world_output_loss_share'), colOf('trustworthy')],
      rows };
    const pseudo = { ...(reps[0] || single), title: `${single.title} — τ sweep`, parameters: [{ key: 'sweep', value: param(reps[0] || single, 'sweep') || '' }] };
    renderTable(pSweep.tableBox, pseudo, tbl, { limit: 30, source: 'sweep' });
    if (final && summary) pSweep.prov.textContent = `${provenance(single, '% of output (γ per side)')} · ${reps.length} scenarios streamed as NDJSON, then the summary report (“${summary.title}”)`;
    else pSweep.prov.textContent = provenance(single, '% of output (γ per side)');
  }

  return view;
}
