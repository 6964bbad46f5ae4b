// Dependence: depend (by sector and by region) and keys for us on them.
import { h, post, buildForm, readForm, writeForm, viewShell, panel, drawChart, renderTable, provenance, table,
  figure, fmtFigure, runner, clean, num, regionList, datasetOptions, shortName, narrow } from './core.js';
import { ensureWorldMap, PROJECTION } from './geo.js';

const SEQ = ['#f1f6fb', '#c6dbef', '#7fb0d6', '#3a7fb8', '#1f4e79', '#0b2a47'];

export default function dependView(ctx) {
  const view = {
    title: 'Dependence',
    defaults: { data: 'icio2022', us: 'EU27', them: 'CHN', as_of: '', top: '15', min_output: '1000' },
  };
  const shell = viewShell('depend', 'Dependence of us on them',
    'Value added from them in the output of our sectors — directly and through third countries — and the technological keys: our sectors most exposed to inputs from them. Us and them are countries, blocs or bloc expressions such as EU27+G7-DEU.');
  view.el = shell.el;
  const form = buildForm('depend-form', [
    { name: 'data', label: 'Dataset', type: 'select' },
    { name: 'us', label: 'Us', list: 'dl-regions', help: 'country, bloc or expression' },
    { name: 'them', label: 'Them', list: 'dl-regions' },
    { name: 'as_of', label: 'Blocs as of', placeholder: 'YYYY-MM-DD', help: 'default: end of the data year' },
    { name: 'top', label: 'Top sectors', inputmode: 'numeric' },
    { name: 'min_output', label: 'Min. sector output', inputmode: 'decimal', help: 'in the table’s unit' },
  ], () => ctx.navigate('depend', readForm(form)));
  shell.formBox.append(form);
  const run = runner(view, form);
  const pMap = panel('depend-map', 'Where the value added in our output comes from', { tall: true });
  const pSec = panel('depend-sectors', 'Our sectors with the most value added from them');
  const pKeys = panel('depend-keys', 'Technological keys: our sectors most exposed to inputs from them');
  const pSankey = panel('depend-sankey', 'Top inputs from them into the key sectors');
  shell.panels.append(pMap.el, pSec.el, pKeys.el, pSankey.el);

  view.run = (state, isDefault) => {
    writeForm(form, state);
    datasetOptions(form.elements.data, state.data);
    regionList('dl-regions', state.data);
    const base = clean({ us: state.us, them: state.them, data: state.data, as_of: state.as_of || undefined });
    run('Running depend and keys', async (signal, b) => {
      for (const p of [pMap, pSec, pKeys, pSankey]) p.clear();
      shell.head.textContent = '';
      const t0 = performance.now();
      const sectorsReq = clean({ ...base, top: num(state.top), min_output: num(state.min_output) });
      const dep = await post('depend', sectorsReq, signal);
      drawSectors(dep);
      shell.head.append(headlineCards(dep));
      performance.mark('sovra:depend:drawn');
      if (isDefault) ctx.record('depend', state);
      b.set(`depend drawn in ${((performance.now() - t0) / 1000).toFixed(1)} s; running depend by origin and keys`);
      const [byOrigin, keys] = await Promise.all([
        post('depend', { ...base, by: 'origin' }, signal),
        post('keys', { ...base, top: 10, inputs: 3 }, signal),
        ensureWorldMap(),
      ]);
      drawMap(byOrigin);
      drawKeys(keys);
      performance.mark('sovra:depend:complete');
    });
  };

  function headlineCards(r) {
    const cards = h('div', { class: 'cards' });
    for (const [k, label] of [['value_added_from_them', 'Value added from them'], ['via_third_countries', 'of which via third countries'],
      ['direct_input_share', 'Direct inputs from them'], ['top_foreign_supplier', 'Largest foreign supplier'], ['sales_total', 'Sales to them (total)']]) {
      const f = figure(r, k);
      if (f) cards.append(h('div', { class: 'card' }, h('span', { class: 'label' }, label), h('span', { class: 'value', dataset: { key: k } }, fmtFigure(f))));
    }
    return cards;
  }

  function drawSectors(r) {
    const t = table(r, 'sectors') || r.tables[0];
    const rows = t.rows.slice().reverse();
    const cat = rows.map((x) => `${x.region} ${x.sector}`);
    drawChart(pSec.chartEl, {
      title: { text: 'Share of the value of output that is their value added', left: 0, textStyle: { fontSize: 13, fontWeight: 'normal' } },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => (v == null ? '—' : `${v.toFixed(2)} %`) },
      legend: { top: 22, left: 0, data: ['Value added from them (total)', 'of which via third countries'] },
      grid: { left: 8, right: 24, top: 56, bottom: 28, containLabel: true },
      xAxis: { type: 'value', name: '%', axisLabel: { formatter: '{value} %' } },
      yAxis: { type: 'category', data: cat, axisLabel: { fontSize: 11, formatter: (v, i) => (narrow() ? v : `${v} ${shortName(rows[i].sector_name, 22)}`) } },
      series: [
        { name: 'Value added from them (total)', type: 'bar', data: rows.map((x) => x.value_added_from_them * 100), itemStyle: { color: '#9dc3e6' }, barWidth: '70%' },
        { name: 'of which via third countries', type: 'bar', data: rows.map((x) => x.via_third_countries * 100), itemStyle: { color: '#1f4e79' }, barGap: '-100%', barWidth: '70%' },
      ],
    });
    pSec.prov.textContent = provenance(r, '% of the value of each sector’s output (direct and via third countries overlaid: the dark part is inside the total)');
    renderTable(pSec.tableBox, r, t, { limit: 15 });
  }

  function drawMap(r) {
    // The origins table: one row per region of the table, with its side (us, them, third). The map colours
    // the foreign origins by their share of our output; our own regions are drawn in one flat colour.
    const t = table(r, 'origins') || r.tables[0];
    const foreign = t.rows.filter((x) => x.side !== 'us' && x.share_of_output != null);
    const max = foreign.length ? Math.max(...foreign.map((x) => x.share_of_output)) * 100 : 1;
    const data = foreign.map((x) => ({ name: x.region, value: x.share_of_output * 100, side: x.side,
      ...(x.side === 'them' ? { itemStyle: { borderColor: '#c55a11', borderWidth: 1.5 } } : {}) }));
    for (const x of t.rows.filter((y) => y.side === 'us')) data.push({ name: x.region, value: null, us: true, itemStyle: { areaColor: '#b7c4d1' } });
    drawChart(pMap.chartEl, {
      tooltip: { trigger: 'item', formatter: (p) => (p.data && p.data.us ? `${p.name}: one of us` : `${p.name}${p.data && p.data.side === 'them' ? ' (them)' : ''}: ${p.value == null || Number.isNaN(p.value) ? '—' : `${p.value.toFixed(3)} % of our output`}`) },
      visualMap: { type: 'continuous', min: 0, max: max || 1, text: [`${max.toFixed(2)} %`, '0 %'], calculable: false, inRange: { color: SEQ },
        left: 8, bottom: 8, itemHeight: 110, itemWidth: 12, seriesIndex: 0, textStyle: { fontSize: 11 } },
      legend: { show: false },
      title: { text: 'Foreign value added in our output, % of our output, by country of origin (us in grey, them outlined)', left: 0, textStyle: { fontSize: 13, fontWeight: 'normal' } },
      series: [{ type: 'map', map: 'world', projection: PROJECTION, roam: false, nameProperty: 'name', top: 30, bottom: 10, left: 10, right: 10,
        itemStyle: { areaColor: '#e8e8e8', borderColor: '#fff', borderWidth: 0.4 },
        emphasis: { label: { show: false }, itemStyle: { areaColor: '#f2c94c' } }, select: { disabled: true },
        data }],
    });
    pMap.prov.textContent = provenance(r, '% of the value of our output that is value added of each country of origin, through all rounds (Σ ν_i L_ij x_j over our sectors)');
    const f = figure(r, 'foreign_value_added');
    pMap.setNote(f ? `Foreign value added: ${fmtFigure(f)} of our output. The table lists every origin, us included.` : '');
    renderTable(pMap.tableBox, r, t, { limit: 30 });
  }

  function drawKeys(r) {
    const t = table(r, 'sectors') || r.tables[0];
    const rows = t.rows.slice().reverse();
    drawChart(pKeys.chartEl, {
      title: { text: 'Exposed output E = inputs from them × forward multiplier', left: 0, textStyle: { fontSize: 13, fontWeight: 'normal' } },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 22, left: 0 },
      grid: { left: 8, right: 24, top: 56, bottom: 28, containLabel: true },
      xAxis: { type: 'value', name: r.provenance.units || '', nameLocation: 'middle', nameGap: 26 },
      yAxis: { type: 'category', data: rows.map((x) => `${x.region} ${x.sector}`), axisLabel: { fontSize: 11, formatter: (v, i) => (narrow() ? v : `${v} ${shortName(rows[i].sector_name, 22)}`) } },
      series: [
        { name: 'Exposed output', type: 'bar', data: rows.map((x) => x.exposed_output), itemStyle: { color: '#1f4e79' } },
        { name: 'Inputs from them', type: 'bar', data: rows.map((x) => x.inputs_from_them), itemStyle: { color: '#c55a11' } },
      ],
    });
    pKeys.prov.textContent = provenance(r, r.provenance.units || '');
    renderTable(pKeys.tableBox, r, t, { limit: 10 });
    const it = table(r, 'inputs');
    if (!it) return;
    const nodes = new Map();
    const links = [];
    for (const x of it.rows) {
      const src = `${x.input_region} ${x.input_sector}`, dst = `${x.region} ${x.sector}`;
      nodes.set(src, { name: src, itemStyle: { color: '#c55a11' } });
      nodes.set(dst, { name: dst, itemStyle: { color: '#1f4e79' } });
      links.push({ source: src, target: dst, value: x.input_value });
    }
    drawChart(pSankey.chartEl, {
      title: { text: 'From their sectors (left) to our key sectors (right)', left: 0, textStyle: { fontSize: 13, fontWeight: 'normal' } },
      tooltip: { trigger: 'item', valueFormatter: (v) => `${v.toLocaleString('en-US', { maximumFractionDigits: 0 })} ${r.provenance.units || ''}` },
      series: [{ type: 'sankey', top: 34, bottom: 10, left: 8, right: 70, nodeGap: 6, nodeWidth: 12, draggable: false,
        data: [...nodes.values()], links, lineStyle: { color: 'gradient', opacity: 0.35 }, label: { fontSize: 11 },
        emphasis: { focus: 'adjacency' } }],
    });
    pSankey.prov.textContent = provenance(r, `${r.provenance.units || ''} of intermediate inputs bought from them`);
    renderTable(pSankey.tableBox, r, it, { limit: 30, columns: ['region', 'sector', 'input_region', 'input_sector', 'input_value', 'input_share'] });
  }

  return view;
}
