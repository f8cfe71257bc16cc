// A hash router: "#/path?query" → a view module, loaded on first use. Views draw into <main>.

import { h, mount } from './dom.js';

const ROUTES = [
  { name: 'home', pattern: /^\/$/, load: () => import('./views/home.js') },
  { name: 'search', pattern: /^\/search$/, load: () => import('./views/search.js') },
  { name: 'wine', pattern: /^\/wine\/([^/]+)$/, load: () => import('./views/wine.js') },
  { name: 'account', pattern: /^\/account$/, load: () => import('./views/account.js') },
  { name: 'quiz', pattern: /^\/quiz$/, load: () => import('./views/quiz.js') },
  { name: 'cart', pattern: /^\/cart$/, load: () => import('./views/cart.js') },
  { name: 'order', pattern: /^\/order\/([^/]+)$/, load: () => import('./views/order.js') },
];

let current = { name: null, controller: null };
const routeListeners = new Set();

/** Call `listener(name, params)` after each route change. */
export function onRoute(listener) {
  routeListeners.add(listener);
}

export function navigate(path, params = null) {
  const query = params ? new URLSearchParams(params).toString() : '';
  const target = `#${path}${query ? `?${query}` : ''}`;
  if (location.hash === target) render();
  else location.hash = target;
}

/** The current route's query parameters. */
export function currentParams() {
  return parse().params;
}

function parse() {
  const raw = location.hash.startsWith('#/') ? location.hash.slice(1) : '/';
  const [path, query = ''] = raw.split('?');
  return { path: path || '/', params: new URLSearchParams(query) };
}

async function render() {
  // In-page anchors such as "#main" (the skip link) are not routes.
  if (location.hash && !location.hash.startsWith('#/')) return;
  const { path, params } = parse();
  const route = ROUTES.find((r) => r.pattern.test(path));
  current.controller?.abort();
  const controller = new AbortController();
  const sameView = route && current.name === route.name;
  const firstRender = current.name === null;
  const focusedId = sameView ? document.activeElement?.id : null;
  const focusAtStart = document.activeElement;
  current = { name: route ? route.name : 'missing', controller };
  const main = document.getElementById('main');
  if (!route) {
    mount(main, h('section', { class: 'page narrow' }, h('h1', { tabindex: '-1' }, 'Page not found'),
      h('p', {}, h('a', { href: '#/' }, 'Back to the shop'))));
    return;
  }
  const args = path.match(route.pattern).slice(1).map(decodeURIComponent);
  const view = await route.load();
  if (controller.signal.aborted) return;
  main.setAttribute('data-view', route.name);
  // A view draws its frame at once and fills it as answers arrive: listeners run as soon as the frame is
  // there, focus moves once the view has settled (its heading may be redrawn meanwhile).
  const drawn = view.render({ main, params, args, signal: controller.signal });
  for (const listener of routeListeners) listener(route.name, params, args);
  await drawn;
  if (controller.signal.aborted) return;
  // Whoever moved focus while the view loaded (typing in the search box) keeps it.
  const userMoved = document.activeElement !== focusAtStart && document.activeElement !== document.body;
  if (!userMoved) restoreFocus(main, { sameView, firstRender, focusedId });
}

function restoreFocus(main, { sameView, firstRender, focusedId }) {
  const again = sameView && focusedId ? document.getElementById(focusedId) : null;
  if (again) {
    again.focus(); // the same control in the redrawn view (a facet, the sort order)
  } else if (!firstRender) {
    // A new page: move focus to its heading so keyboard and screen-reader users start there.
    const heading = main.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
    window.scrollTo(0, 0);
  }
}

export function startRouter() {
  window.addEventListener('hashchange', render);
  render();
}
