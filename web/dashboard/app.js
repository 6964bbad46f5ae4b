// The router: #/<view>?<state>. A view's state is its form; the hash reproduces the view.
import { h } from './core.js';
import dependView from './view-depend.js';
import shockView from './view-shock.js';
import productsView from './view-products.js';
import projectsView from './view-projects.js';
import monitorView from './view-monitor.js';

const VIEWS = { depend: dependView, shock: shockView, products: productsView, projects: projectsView, monitor: monitorView };
const mounted = {};
let current = null;

function parseHash() {
  const m = /^#\/([a-z]+)(?:\?(.*))?$/.exec(location.hash || '');
  if (!m || !VIEWS[m[1]]) return { id: 'depend', state: null };
  const state = m[2] != null ? Object.fromEntries(new URLSearchParams(m[2])) : null;
  return { id: m[1], state };
}

export function stateHash(id, state) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) if (v != null && v !== '') q.set(k, v);
  const s = q.toString();
  return `#/${id}${s ? `?${s}` : ''}`;
}

const ctx = {
  /** Record a view's state in the URL and run it. */
  navigate(id, state) {
    const hash = stateHash(id, state);
    if (location.hash === hash) route(true); else location.hash = hash;
  },
  /** Put the state in the URL without running again (after a default run). */
  record(id, state) {
    const hash = stateHash(id, state);
    history.replaceState(null, '', hash);
    if (mounted[id]) mounted[id].lastHash = hash;
  },
};

function route(force) {
  const { id, state } = parseHash();
  const main = document.getElementById('view');
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.view === id) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  if (!mounted[id]) {
    mounted[id] = VIEWS[id](ctx);
  }
  const view = mounted[id];
  if (current !== view) {
    main.textContent = '';
    main.append(view.el);
    current = view;
    document.title = `${view.title} — sovra`;
  }
  if (!state && view.ran && !force) { history.replaceState(null, '', view.lastHash); return; }
  const full = { ...view.defaults, ...(state || {}) };
  if (force || view.lastHash !== location.hash || !view.ran) {
    view.lastHash = location.hash;
    view.ran = true;
    view.run(full, !state);
  }
}

function start() {
  if (typeof echarts === 'undefined') { setTimeout(start, 20); return; }
  window.addEventListener('hashchange', () => route(false));
  route(false);
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
