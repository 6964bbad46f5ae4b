// Projects: projects_select with an efficient frontier; the chosen portfolio and every candidate.
import { h, post, buildForm, readForm, writeForm, viewShell, panel, drawChart, renderTable, provenance, table,
  figure, fmtFigure, fmt, runner, clean, num, list, datasetOptions } from './core.js';
import { PROJECTS_TOML } from './examples.js';

/** "RUS=1000, BLR=500" → {"RUS": 1000, "BLR": 500} (values as typed when not numbers: the API judges them). */
function pairs(s) {
  if (!s || !s.trim()) return undefined;
  const o = {};
  for (const part of s.split(/[,;\s]+/).filter(Boolean)) {
    const i = part.indexOf('=');
    if (i < 0) o[part] = '';
    else o[part.slice(0, i)] = num(part.slice(i + 1));
  }
  return o;
}

export default function projectsView(ctx) {
  const view = {
    title: 'Projects',
    defaults: { data: 'icio2022', projects: '', budget: '1500', budget_by: 'RUS=1000,BLR=500', objective: 'dependence', frontier: '0:3000:150',
      must: '', never: '', us: '', against: '', weights: '' },
  };
  const shell = viewShell('projects', 'Projects: which import-substitution plants to fund',
    'The portfolio that maximises the objective within the budgets (mixed-integer programme over the candidates’ effects measured through the supply chain), and the efficient frontier: the best objective at each budget. Default candidates: the project’s illustrative Union State example (invented capacities and costs).');
  view.el = shell.el;
  const form = buildForm('projects-form', [
    { name: 'data', label: 'Dataset', type: 'select' },
    { name: 'budget', label: 'Budget', inputmode: 'decimal', help: 'in the table’s unit; empty: unlimited' },
    { name: 'budget_by', label: 'Budget per payer', placeholder: 'RUS=1000,BLR=500' },
    { name: 'objective', label: 'Objective', type: 'select', options: [['dependence', 'dependence cut'], ['value-added', 'value added gained'], ['shock', 'shock loss avoided'], ['weighted', 'weighted']] },
    { name: 'weights', label: 'Weights', placeholder: 'dependence=1,value-added=0.5' },
    { name: 'frontier', label: 'Frontier budgets', placeholder: 'start:stop:step' },
    { name: 'must', label: 'Must fund', placeholder: 'ids' },
    { name: 'never', label: 'Never fund', placeholder: 'ids' },
    { name: 'us', label: 'Us', placeholder: 'hosts and served', list: 'dl-regions' },
    { name: 'against', label: 'Them', placeholder: 'replaced regions', list: 'dl-regions' },
    { name: 'projects', label: 'Candidate projects (TOML or CSV; Ctrl+Enter runs)', type: 'textarea', rows: 8, wide: true },
  ], () => {
    const s = readForm(form);
    if (s.projects === PROJECTS_TOML.trim()) s.projects = '';
    ctx.navigate('projects', s);
  });
  shell.formBox.append(form);
  const run = runner(view, form);
  const pFront = panel('projects-frontier', 'Efficient frontier and the chosen portfolio');
  const pPort = panel('projects-portfolio', 'The chosen projects');
  const pCand = panel('projects-candidates', 'Every candidate', { noChart: true });
  shell.panels.append(pFront.el, pPort.el, pCand.el);

  view.run = (state, isDefault) => {
    writeForm(form, { ...state, projects: state.projects || PROJECTS_TOML.trim() });
    datasetOptions(form.elements.data, state.data);
    const body = clean({ projects: state.projects || PROJECTS_TOML, data: state.data, budget: num(state.budget), budget_by: pairs(state.budget_by),
      objective: state.objective || undefined, weights: pairs(state.weights), frontier: state.frontier || undefined,
      must: list(state.must), never: list(state.never), us: state.us || undefined, against: state.against || undefined });
    run('Running projects_select', async (signal) => {
      for (const p of [pFront, pPort, pCand]) p.clear();
      shell.head.textContent = '';
      const r = await post('projects_select', body, signal);
      shell.head.append(cards(r));
      drawFrontier(r);
      drawPortfolio(r);
      renderTable(pCand.tableBox, r, table(r, 'candidates'), { limit: 30, markRow: (x) => (chosenIds(r).has(x.id) ? 'selected' : null) });
      if (isDefault) ctx.record('projects', state);
    });
  };

  const chosenIds = (r) => new Set((table(r, 'portfolio') || { rows: [] }).rows.map((x) => x.id));

  function cards(r) {
    const box = h('div', { class: 'cards' });
    for (const [k, label] of [['chosen', 'Projects chosen'], ['cost', 'Cost'], ['objective', 'Objective (sum of effects)'], ['dependence_cut_joint', 'Dependence cut, joint'],
      ['value_added_gained_joint', 'Value added gained, joint'], ['proven_optimal', 'Proven optimal'], ['gap', 'Gap']]) {
      const f = figure(r, k);
      if (f) box.append(h('div', { class: 'card' }, h('span', { class: 'label' }, label), h('span', { class: 'value', dataset: { key: k } }, fmtFigure(f))));
    }
    return box;
  }

  function drawFrontier(r) {
    const t = table(r, 'frontier');
    const unit = r.provenance.units || '';
    if (!t) {
      pFront.setNote('No frontier asked (the “Frontier budgets” field is empty): the portfolio alone is shown.');
      return;
    }
    const cost = figure(r, 'cost'), obj = figure(r, 'objective'), budget = figure(r, 'budget');
    drawChart(pFront.chartEl, {
      title: { text: 'Optimal objective against the budget; the chosen portfolio marked', left: 0, textStyle: { fontSize: 13, fontWeight: 'normal' } },
      tooltip: { trigger: 'item', formatter: (p) => (p.data && p.data.row ? `budget ${fmt(p.data.row.budget, { kind: 'amount', decimals: 0 })}: objective ${fmt(p.data.row.objective, { kind: 'amount', decimals: 1 })}, cost ${fmt(p.data.row.cost, { kind: 'amount', decimals: 0 })}, ${p.data.row.projects} projects<br>${p.data.row.chosen || '—'}` : p.seriesName) },
      legend: { top: 22, left: 0 },
      grid: { left: 14, right: 40, top: 76, bottom: 40, containLabel: true },
      xAxis: { type: 'value', name: `budget (${unit})`, nameLocation: 'middle', nameGap: 26 },
      yAxis: { type: 'value', name: `objective (${unit})`, nameTextStyle: { align: 'left' } },
      series: [
        { name: 'Efficient frontier', type: 'line', step: 'end', data: t.rows.map((x) => ({ value: [x.budget, x.objective], row: x })), symbolSize: 6, color: '#1f4e79',
          itemStyle: { color: (p) => (p.data.row.proven_optimal ? '#1f4e79' : '#b36b00') } },
        ...(cost && obj ? [{ name: 'Chosen portfolio (its cost and objective)', type: 'scatter', symbol: 'diamond', symbolSize: 16, color: '#c55a11',
          data: [[cost.value, obj.value]], z: 5, label: { show: true, position: 'top', formatter: `chosen: ${fmt(obj.value, { kind: 'amount', decimals: 0 })}` } }] : []),
      ],
    });
    pFront.prov.textContent = provenance(r, `${unit}; steps are budgets of the frontier (orange points: not proven optimal)${budget ? '' : ''}`);
    renderTable(pFront.tableBox, r, t, { limit: 25 });
  }

  function drawPortfolio(r) {
    const t = table(r, 'portfolio');
    const unit = r.provenance.units || '';
    const rows = t.rows.slice().reverse();
    drawChart(pPort.chartEl, {
      title: { text: 'Individual effects of the chosen projects', left: 0, textStyle: { fontSize: 13, fontWeight: 'normal' } },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 22, left: 0 },
      grid: { left: 8, right: 30, top: 56, bottom: 30, containLabel: true },
      xAxis: { type: 'value', name: unit, nameLocation: 'middle', nameGap: 24 },
      yAxis: { type: 'category', data: rows.map((x) => x.id), axisLabel: { fontSize: 11 } },
      series: [
        { name: 'Dependence cut', type: 'bar', data: rows.map((x) => x.dependence_cut), color: '#1f4e79' },
        { name: 'Value added gained', type: 'bar', data: rows.map((x) => x.value_added_gained), color: '#548235' },
        { name: 'Cost', type: 'bar', data: rows.map((x) => x.cost), color: '#c55a11' },
      ],
    });
    pPort.prov.textContent = provenance(r, unit);
    renderTable(pPort.tableBox, r, t, { limit: 20 });
  }

  return view;
}
