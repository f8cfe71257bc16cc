// Search results: highlights, facet filters, dietary and price filters, sorting, "did you mean", pages.

import { describe, get } from '../api.js';
import { wineCard, notice, titleCase } from '../components.js';
import { h, mount } from '../dom.js';
import { navigate } from '../router.js';
import { tailorCards } from '../recs.js';
import { favouritesOff, setFavouritesOff } from '../session.js';
import { track } from '../track.js';

const PER_PAGE = 24;
const RESULT_WINDOW = 1000; // the API serves no result beyond this rank
const FACETS = [['style', 'Style'], ['country', 'Country'], ['region', 'Region'], ['grape', 'Grape']];
const DIETARY = ['organic', 'vegan', 'biodynamic', 'sulfite-free', 'low-alcohol', 'gluten-free'];
const SORTS = [['relevance', 'Best match'], ['rating', 'Top rated'], ['price_asc', 'Price: low to high'],
  ['price_desc', 'Price: high to low'], ['newest', 'Newest']];
const SHOWN_PER_FACET = 8;

/** The page's state lives in the URL: every filter is a query parameter, so results can be shared. */
function withParam(params, key, value) {
  const next = new URLSearchParams(params);
  if (value === null || value === '' || value === undefined) next.delete(key);
  else next.set(key, value);
  if (key !== 'page') next.delete('page');
  return next;
}

const go = (params) => navigate('/search', params);
const safeId = (text) => String(text).toLowerCase().replace(/[^a-z0-9]+/g, '-');

export async function render({ main, params, signal }) {
  const q = params.get('q') || '';
  if (params.getAll('ignore').includes('favourites')) setFavouritesOff(true); // cleared for the rest of the visit
  document.title = q ? `“${q}” — Cuvée` : 'All wines — Cuvée';
  const heading = h('h1', {}, q ? `Wines for “${q}”` : 'All wines');
  const status = h('p', { class: 'search-count', role: 'status' }, 'Searching…');
  const results = h('div', { class: 'results', 'aria-busy': 'true' });
  const filters = h('aside', { class: 'filters', 'aria-label': 'Filters' });
  mount(main, h('section', { class: 'page search-page' },
    h('div', { class: 'search-head' }, h('div', {}, heading, status), sortControl(params)),
    h('div', { class: 'search-layout' }, filters, results)));

  let answer;
  try {
    answer = await get('/v1/search', { query: searchQuery(params), signal });
  } catch (error) {
    if (signal.aborted) return;
    status.textContent = '';
    mount(results, notice(describe(error), 'error'));
    results.removeAttribute('aria-busy');
    return;
  }
  status.textContent = `${answer.total.toLocaleString('en')} ${answer.total === 1 ? 'wine' : 'wines'}`;
  if (q) track('search_performed', { query: q.slice(0, 200), results_count: answer.total });
  mount(filters, filterPanel(params, answer.facets));
  mount(results, favouritesChip(params, answer.understood || {}), understoodChips(params, answer.understood || {}), appliedChips(params), didYouMean(params, answer.did_you_mean), hitList(answer, q), pager(params, answer));
  results.removeAttribute('aria-busy');
}

function searchQuery(params) {
  const query = { per_page: PER_PAGE };
  for (const key of ['q', 'style', 'country', 'region', 'grape', 'price_min', 'price_max', 'sort', 'page', 'in_stock']) {
    if (params.get(key)) query[key] = params.get(key);
  }
  if (params.get('include_all')) query.include_all = 'true';
  const ignore = params.getAll('ignore');
  if (favouritesOff() && !ignore.includes('favourites')) ignore.push('favourites');
  if (ignore.length) query.ignore = ignore;
  const dietary = params.getAll('dietary');
  if (dietary.length) query.dietary = dietary;
  return query;
}

function sortControl(params) {
  const select = h('select', { id: 'sort', on: { change: () => go(withParam(params, 'sort', select.value)) } },
    SORTS.map(([value, label]) => h('option', { value, selected: (params.get('sort') || 'relevance') === value }, label)));
  return h('div', { class: 'sort-control' }, h('label', { for: 'sort' }, 'Sort by'), select);
}

function didYouMean(params, suggestion) {
  if (!suggestion) return null;
  const href = `#/search?${withParam(params, 'q', suggestion)}`;
  return h('p', { class: 'did-you-mean' }, 'Did you mean ', h('a', { href }, suggestion), '?');
}

function hitList(answer, q) {
  if (!answer.items.length) {
    return h('div', { class: 'empty' }, h('p', {}, 'No wine matches all of that.'),
      h('p', {}, 'Try fewer filters, or ', h('a', { href: '#/search' }, 'browse every wine'), '.'));
  }
  return tailorCards(h('ul', { class: 'card-grid', role: 'list' },
    answer.items.map((hit, i) => {
      const position = (answer.page - 1) * answer.per_page + i;
      // what shoppers click for a query: the merchant's search report (GET /v1/admin/analytics/search)
      const onOpen = q ? () => track('search_result_clicked', { query: q.slice(0, 200), wine_id: hit.wine.id, position }) : null;
      return h('li', {}, wineCard(hit.wine, { highlights: hit.highlights, onOpen }));
    })));
}

function pager(params, answer) {
  const page = answer.page;
  const last = Math.max(1, Math.ceil(Math.min(answer.total, RESULT_WINDOW) / answer.per_page));
  if (last === 1) return null;
  const link = (n, label, rel) => h('a', { class: 'button button-quiet', href: `#/search?${withParam(params, 'page', String(n))}`, rel }, label);
  return h('nav', { class: 'pager', 'aria-label': 'Result pages' },
    page > 1 ? link(page - 1, '← Previous', 'prev') : h('span'),
    h('span', {}, `Page ${page} of ${last}`),
    page < last ? link(page + 1, 'Next →', 'next') : h('span'));
}

const READINGS = { style: 'Style', country: 'Country', region: 'Region', grape: 'Grape', pairing: 'Goes with',
  taste: 'Taste', price_min: 'From', price_max: 'Up to', dietary: 'Diet' };

/** The signed-in shopper's favourites that ranked this page, as one chip; removing it clears them for the visit.
 * Once cleared, a link brings them back. */
function favouritesChip(params, understood) {
  if (understood.your_favourites) {
    const next = new URLSearchParams(params);
    next.append('ignore', 'favourites');
    next.delete('page');
    const text = `Your favourites: ${understood.your_favourites}`;
    return h('ul', { class: 'chips', 'aria-label': 'Shown first' }, h('li', { class: 'chips-label' }, 'Shown first:'),
      h('li', {}, h('a', { class: 'chip chip-favourites', href: `#/search?${next}`, 'aria-label': `Stop putting your favourites first: ${understood.your_favourites}` },
        text, h('span', { 'aria-hidden': 'true' }, ' ✕'))));
  }
  if (!favouritesOff()) return null;
  const useAgain = () => {
    setFavouritesOff(false);
    const next = new URLSearchParams(params);
    next.delete('ignore');
    params.getAll('ignore').filter((r) => r !== 'favourites').forEach((r) => next.append('ignore', r));
    next.delete('page');
    go(next);
  };
  return h('p', { class: 'favourites-off' }, 'Your favourites are not put first during this visit. ',
    h('button', { type: 'button', class: 'link-button', id: 'use-favourites', on: { click: useAgain } }, 'Put them first again'));
}

/** What the shop read from the words, each a removable chip (removing one sends ignore=<reading>). */
function understoodChips(params, understood) {
  const keys = Object.keys(understood).filter((key) => key in READINGS);
  const relaxed = understood.relaxed;
  if (!keys.length && !relaxed && !understood.your_needs) return null;
  const chip = (key) => {
    const reading = key.startsWith('price') ? 'price' : key;
    const next = new URLSearchParams(params);
    next.append('ignore', reading);
    next.delete('page');
    const text = `${READINGS[key]}: ${key === 'style' ? titleCase(understood[key]) : understood[key]}`;
    return h('li', {}, h('a', { class: 'chip chip-understood', href: `#/search?${next}`, 'aria-label': `Do not read ${text}` },
      text, h('span', { 'aria-hidden': 'true' }, ' ✕')));
  };
  return h('div', { class: 'understood' },
    keys.length ? h('ul', { class: 'chips', 'aria-label': 'What we understood' }, h('li', { class: 'chips-label' }, 'We understood:'), keys.map(chip)) : null,
    relaxed ? h('p', { class: 'relaxed', role: 'note' }, `Nothing fitted everything, so we let go of: ${relaxed}.`) : null,
    understood.your_needs ? h('p', { class: 'your-needs', role: 'note' }, `Showing only ${understood.your_needs} wines, as your profile asks. `,
      h('a', { href: `#/search?${withParam(params, 'include_all', 'true')}` }, 'Include everything')) : null);
}

function appliedChips(params) {
  const chips = [];
  for (const [key, label] of [...FACETS, ['price_min', 'From'], ['price_max', 'Up to']]) {
    const value = params.get(key);
    if (value) chips.push([`${label}: ${key === 'style' ? titleCase(value) : value}`, withParam(params, key, null)]);
  }
  for (const need of params.getAll('dietary')) {
    const next = new URLSearchParams(params);
    next.delete('dietary');
    params.getAll('dietary').filter((d) => d !== need).forEach((d) => next.append('dietary', d));
    chips.push([titleCase(need), next]);
  }
  if (params.get('in_stock')) chips.push(['In stock', withParam(params, 'in_stock', null)]);
  if (!chips.length) return null;
  return h('ul', { class: 'chips', 'aria-label': 'Active filters' }, chips.map(([text, next]) =>
    h('li', {}, h('a', { class: 'chip', href: `#/search?${next}`, 'aria-label': `Remove filter ${text}` }, text, h('span', { 'aria-hidden': 'true' }, ' ✕')))));
}

function filterPanel(params, facets) {
  const groups = FACETS.map(([key, label]) => facetGroup(params, key, label, facets[key] || []));
  const panel = h('div', { class: 'filter-groups' }, groups, dietaryGroup(params), priceGroup(params, facets), stockGroup(params));
  // On a narrow screen the filters fold away behind one button.
  const details = h('details', { class: 'filters-fold', open: window.matchMedia('(min-width: 800px)').matches },
    h('summary', {}, 'Filters'), panel);
  return details;
}

function facetGroup(params, key, label, counts) {
  const chosen = params.get(key);
  if (!counts.length && !chosen) return null;
  const item = ({ value, count }) => {
    const pressed = chosen === value;
    return h('li', {}, h('button', {
      type: 'button', class: 'facet', id: `facet-${key}-${safeId(value)}`, 'aria-pressed': String(pressed),
      on: { click: () => go(withParam(params, key, pressed ? null : value)) },
    }, h('span', {}, key === 'style' ? titleCase(value) : value), h('span', { class: 'facet-count' }, String(count))));
  };
  const all = counts.length ? counts : [{ value: chosen, count: 0 }];
  const first = all.slice(0, SHOWN_PER_FACET);
  const rest = all.slice(SHOWN_PER_FACET);
  const list = h('ul', { class: 'facet-list', role: 'list' }, first.map(item));
  const more = rest.length ? h('button', {
    type: 'button', class: 'link-button', 'aria-expanded': 'false', on: {
      click: (event) => { list.append(...rest.map(item)); event.currentTarget.remove(); },
    },
  }, `Show ${rest.length} more`) : null;
  return h('fieldset', { class: 'filter-group' }, h('legend', {}, label), list, more);
}

function dietaryGroup(params) {
  const chosen = new Set(params.getAll('dietary'));
  const toggle = (need, on) => {
    const next = new URLSearchParams(params);
    next.delete('dietary');
    next.delete('page');
    const set = new Set(chosen);
    if (on) set.add(need); else set.delete(need);
    [...set].forEach((d) => next.append('dietary', d));
    go(next);
  };
  return h('fieldset', { class: 'filter-group' }, h('legend', {}, 'Dietary'),
    DIETARY.map((need) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', id: `dietary-${need}`, checked: chosen.has(need), on: { change: (e) => toggle(need, e.target.checked) } }),
      ` ${titleCase(need)}`)));
}

function priceGroup(params, facets) {
  const min = h('input', { type: 'number', id: 'price-min', min: '0', step: '1', inputmode: 'decimal', value: params.get('price_min') || '', placeholder: facets.price_min ? Math.floor(Number(facets.price_min.amount)) : '' });
  const max = h('input', { type: 'number', id: 'price-max', min: '0', step: '1', inputmode: 'decimal', value: params.get('price_max') || '', placeholder: facets.price_max ? Math.ceil(Number(facets.price_max.amount)) : '' });
  const apply = (event) => {
    event.preventDefault();
    go(withParam(withParam(params, 'price_min', min.value), 'price_max', max.value));
  };
  return h('form', { class: 'filter-group price-filter', on: { submit: apply } },
    h('fieldset', {}, h('legend', {}, 'Price (€)'),
      h('div', { class: 'price-inputs' },
        h('label', {}, h('span', { class: 'visually-hidden' }, 'Minimum price'), min), '–',
        h('label', {}, h('span', { class: 'visually-hidden' }, 'Maximum price'), max),
        h('button', { type: 'submit', class: 'button button-small' }, 'Apply'))));
}

function stockGroup(params) {
  return h('label', { class: 'check filter-group' },
    h('input', { type: 'checkbox', id: 'in-stock', checked: Boolean(params.get('in_stock')),
      on: { change: (e) => go(withParam(params, 'in_stock', e.target.checked ? 'true' : null)) } }),
    ' In stock only');
}
