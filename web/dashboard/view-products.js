// Products: the dependency screen of an importer (trade store), alternative suppliers of one product,
// and the import-substitution opportunities (Atlas-style feasibility scatter).
import { h, post, buildForm, readForm, writeForm, viewShell, panel, drawChart, renderTable, provenance, table, column,
  figure, fmtFigure, fmt, runner, clean, num, ApiError, showError } from './core.js';
import { hsSection } from './hs.js';

export default function productsView(ctx) {
  const view = {
    title: 'Products',
    defaults: { importer: 'DEU', on: 'CHN', year: '', product: '', partners: '' },
  };
  const shell = viewShell('products', 'Products: trade dependence of an importer',
    'Product by product (HS6) from the trade store: the imports by HS section with the dependent products flagged (CEPII GeoDep / EU SWD(2021) 352 criteria), who else could supply a product, and the products the importer could make next.');
  view.el = shell.el;
  const form = buildForm('products-form', [
    { name: 'importer', label: 'Importer', list: 'dl-regions', help: 'country, bloc or expression' },
    { name: 'on', label: 'Share from', list: 'dl-regions', help: 'them (optional)' },
    { name: 'year', label: 'Year', placeholder: 'latest held', inputmode: 'numeric' },
    { name: 'product', label: 'Product (suppliers)', placeholder: 'first dependent', help: 'HS6 code; or click a row' },
    { name: 'partners', label: 'Suppliers among', list: 'dl-regions', placeholder: 'everyone', help: 'e.g. EU27+G7' },
  ], () => ctx.navigate('products', readForm(form)));
  shell.formBox.append(form);
  const run = runner(view, form);
  const pTree = panel('products-tree', 'Imports by HS section; dependent products flagged', { tall: true });
  const pSup = panel('products-suppliers', 'Alternative suppliers of a product');
  const pOpp = panel('products-opps', 'Opportunities: feasibility against complexity', { tall: true });
  shell.panels.append(pTree.el, pSup.el, pOpp.el);
  let current = null;

  view.run = (state, isDefault) => {
    writeForm(form, state);
    current = state;
    const year = num(state.year);
    run('Running trade_depend and opportunities', async (signal, b) => {
      for (const p of [pTree, pSup, pOpp]) p.clear();
      shell.head.textContent = '';
      const dep = await post('trade_depend', clean({ importer: state.importer, on: state.on || undefined, year, all: true }), signal);
      drawTree(dep);
      shell.head.append(cards(dep));
      const t = table(dep, 'products');
      const firstDep = t.rows.find((r) => r.dependent);
      const product = state.product || (firstDep && firstDep.product) || (t.rows[0] && t.rows[0].product);
      if (isDefault) ctx.record('products', { ...state });
      b.set('Running trade_suppliers and opportunities');
      const [sup, opp] = await Promise.allSettled([
        product ? post('trade_suppliers', clean({ importer: state.importer, product, partners: state.partners || undefined, year }), signal) : Promise.resolve(null),
        post('opportunities', clean({ country: state.importer, year, top: 60 }), signal),
      ]);
      if (sup.status === 'fulfilled' && sup.value) drawSuppliers(sup.value, product); else if (sup.status === 'rejected') throw sup.reason;
      if (opp.status === 'fulfilled') drawOpps(opp.value); else throw opp.reason;
    });
  };

  function cards(r) {
    const box = h('div', { class: 'cards' });
    for (const [k, label] of [['products_imported', 'Products imported'], ['dependent', 'Dependent products'], ['persistent', 'Persistently dependent'], ['year', 'Year']]) {
      const f = figure(r, k);
      if (f) box.append(h('div', { class: 'card' }, h('span', { class: 'label' }, label), h('span', { class: 'value', dataset: { key: k } }, fmtFigure(f))));
    }
    return box;
  }

  function drawTree(r) {
    const t = table(r, 'products');
    const unit = (column(t, 'imports') || {}).unit || '';
    const groups = new Map();
    const total = t.rows.reduce((a, x) => a + (x.imports || 0), 0) || 1; // only to decide which rectangles get a label
    for (const x of t.rows) {
      const s = hsSection(x.product) || { id: '—', name: 'Other codes' };
      if (!groups.has(s.id)) groups.set(s.id, { name: `${s.id} ${s.name}`, children: [] });
      groups.get(s.id).children.push({
        name: x.product_name ? `${x.product} ${x.product_name}` : x.product, value: x.imports, product: x.product, dependent: x.dependent,
        itemStyle: x.dependent ? { color: '#e0001b', borderColor: '#000', borderWidth: 1 } : undefined,
        label: { show: (x.imports || 0) / total > 0.01 },
      });
    }
    const chart = drawChart(pTree.chartEl, {
      legend: { show: false },
      title: { text: `${r.title} — dependent products in red`, left: 0, textStyle: { fontSize: 13, fontWeight: 'normal' } },
      tooltip: { formatter: (p) => `${p.name}<br>imports ${fmt(p.value, { kind: 'amount', decimals: 0 })} ${unit}${p.data && p.data.dependent ? '<br><b>dependent</b>' : ''}` },
      series: [{ type: 'treemap', top: 30, left: 0, right: 0, bottom: 24, roam: false, nodeClick: false, breadcrumb: { show: false },
        upperLabel: { show: true, height: 20, color: '#fff', fontSize: 11, fontWeight: 'bold' },
        data: [...groups.values()], visibleMin: 0,
        levels: [
          { color: ['#1f4e79', '#548235', '#7f6000', '#2e75b6', '#7030a0', '#385d8a', '#806000', '#3b6e8f'], itemStyle: { borderColor: '#fff', borderWidth: 2, gapWidth: 2 }, upperLabel: { show: true, height: 20, color: '#fff', fontSize: 11, fontWeight: 'bold', overflow: 'truncate' } },
          { colorSaturation: [0.25, 0.6], colorMappingBy: 'value', itemStyle: { borderColorSaturation: 0.75, borderWidth: 0.5, gapWidth: 0.5 },
            label: { show: true, fontSize: 10, formatter: (p) => p.data.product || p.name, overflow: 'truncate' } },
        ] }],
    });
    chart.off('click');
    chart.on('click', (p) => { if (p.data && p.data.product) pick(p.data.product); });
    pTree.prov.textContent = provenance(r, `imports, ${unit}; rectangles sized by imports, grouped by HS section`);
    const dependentRows = t.rows.filter((x) => x.dependent);
    pTree.setNote(`${dependentRows.length} dependent of ${t.rows.length} products imported. Click a product (or a table row) for its alternative suppliers.`);
    renderTable(pTree.tableBox, r, t, { limit: 25, markRow: (x) => (x.dependent ? 'flagged' : null), onRow: (x) => pick(x.product) });
  }

  async function pick(product) {
    if (!current) return;
    const state = { ...current, product };
    ctx.record('products', state);
    current = state;
    writeForm(form, state);
    const st = form.querySelector('.status');
    st.hidden = false; st.textContent = `Running trade_suppliers for ${product} …`;
    try {
      const sup = await post('trade_suppliers', clean({ importer: state.importer, product, partners: state.partners || undefined, year: num(state.year) }));
      drawSuppliers(sup, product);
      st.textContent = `Suppliers of ${product} drawn`;
    } catch (e) { showError(form, e, () => form.requestSubmit()); }
  }

  function drawSuppliers(r, product) {
    const t = table(r, 'suppliers');
    const top = t.rows.slice(0, 15).reverse();
    const unit = (column(t, 'to_importer') || {}).unit || '';
    drawChart(pSup.chartEl, {
      title: { text: `Product ${product}: exporters by share of world exports`, left: 0, textStyle: { fontSize: 13, fontWeight: 'normal' } },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 22, left: 0 },
      grid: { left: 8, right: 30, top: 56, bottom: 30, containLabel: true },
      xAxis: { type: 'value', name: unit, nameLocation: 'middle', nameGap: 24 },
      yAxis: { type: 'category', data: top.map((x) => x.exporter) },
      series: [
        { name: 'Sold to the importer', type: 'bar', stack: 's', data: top.map((x) => x.to_importer), itemStyle: { color: '#1f4e79' } },
        { name: 'Sold elsewhere (room to redirect)', type: 'bar', stack: 's', data: top.map((x) => x.elsewhere), itemStyle: { color: '#9dc3e6' } },
      ],
    });
    pSup.prov.textContent = provenance(r, `exports of the product, ${unit}`);
    pSup.setNote(t.rows.length ? '' : 'No exporter of this product among the partners asked.');
    renderTable(pSup.tableBox, r, t, { limit: 20 });
  }

  function drawOpps(r) {
    const t = table(r, 'opportunities');
    const cogs = t.rows.map((x) => Math.abs(x.cog || 0));
    const cmax = Math.max(1e-12, ...cogs);
    drawChart(pOpp.chartEl, {
      title: { text: `${r.title}: feasibility against complexity (size: opportunity gain)`, left: 0, textStyle: { fontSize: 13, fontWeight: 'normal' } },
      tooltip: { formatter: (p) => { const x = p.data.row; return `${x.product}${x.product_name ? ` ${x.product_name}` : ''}<br>density ${fmt(x.density, { kind: 'ratio', decimals: 3 })} · PCI ${fmt(x.pci, { kind: 'ratio', decimals: 2 })} · COG ${fmt(x.cog, { kind: 'ratio', decimals: 2 })}<br>${x.why || ''}`; } },
      grid: { left: 14, right: 40, top: 56, bottom: 40, containLabel: true },
      xAxis: { type: 'value', name: 'density: more feasible →', nameLocation: 'middle', nameGap: 26, scale: true },
      yAxis: { type: 'value', name: 'PCI (product complexity) ↑', nameTextStyle: { align: 'left' }, scale: true },
      series: [{ type: 'scatter', data: t.rows.map((x) => ({ value: [x.density, x.pci], row: x, symbolSize: 8 + 30 * Math.sqrt(Math.abs(x.cog || 0) / cmax) })),
        itemStyle: { color: 'rgba(31,78,121,0.55)', borderColor: '#1f4e79' },
        label: { show: t.rows.length <= 20, formatter: (p) => p.data.row.product, position: 'right', fontSize: 10 } }],
    });
    pOpp.prov.textContent = provenance(r, 'density and PCI (indices; bubble area by COG, the opportunity gain)');
    renderTable(pOpp.tableBox, r, t, { limit: 20 });
  }

  return view;
}
