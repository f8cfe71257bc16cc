// The sections of the account page: taste, preferences, orders, wishlist, reviews, history, consent, data rights.

import { api, ApiError, describe, get } from '../api.js';
import { price, tasteBars, TASTE_AXES, titleCase } from '../components.js';
import { h, mount, toast } from '../dom.js';
import { navigate } from '../router.js';
import { changeConsent, invalidateProfile, refreshCartBadge, signOut } from '../session.js';

const STYLES = ['red', 'white', 'rosé', 'sparkling', 'dessert', 'fortified'];
const DIETARY = ['organic', 'vegan', 'biodynamic', 'sulfite-free', 'low-alcohol', 'gluten-free'];
const SOURCES = { quiz: 'from the quiz', stated: 'set by you', learned: 'learned from your purchases and ratings' };

const splitList = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);
const date = (iso) => new Date(iso).toLocaleDateString('en', { dateStyle: 'medium' });

// ------------------------------------------------------------------ taste
export function tasteSection(me) {
  const taste = me.taste_profile;
  const known = TASTE_AXES.filter(([key]) => taste[key] !== null && taste[key] !== undefined);
  if (!known.length) {
    return [h('p', {}, 'We do not know your taste yet.'), h('a', { class: 'button button-primary', href: '#/quiz' }, 'Take the taste quiz')];
  }
  const sources = [...new Set(known.map(([key]) => taste.sources?.[key]).filter(Boolean))].map((s) => SOURCES[s] || s);
  return [
    tasteBars(taste),
    sources.length ? h('p', { class: 'muted small' }, `Your profile is ${sources.join(', ')}.`) : null,
    h('div', { class: 'actions' }, h('a', { class: 'button', href: '#/quiz' }, 'Retake the quiz'), tasteEditor(taste)),
  ];
}

/** Set the axes by hand (they then count as stated and the quiz keeps them). */
function tasteEditor(taste) {
  const sliders = TASTE_AXES.map(([key, label, low, high]) => {
    const input = h('input', { type: 'range', id: `taste-${key}`, min: '0', max: '100', step: '5', value: String(Math.round((taste[key] ?? 0.5) * 100)), 'aria-describedby': `taste-${key}-ends` });
    return h('div', { class: 'field' }, h('label', { for: `taste-${key}` }, label), input,
      h('span', { class: 'hint taste-ends', id: `taste-${key}-ends` }, h('span', {}, low), h('span', {}, high)));
  });
  const submit = async (event) => {
    event.preventDefault();
    const body = Object.fromEntries(TASTE_AXES.map(([key]) => [key, Number(document.getElementById(`taste-${key}`).value) / 100]));
    try {
      await api('PUT', '/v1/me/taste-profile', { body });
      invalidateProfile();
      toast('Your taste profile is saved.');
      navigate('/account');
    } catch (error) {
      toast(describe(error), 'error');
    }
  };
  return h('details', { class: 'taste-editor' }, h('summary', { class: 'button button-quiet' }, 'Adjust by hand'),
    h('form', { on: { submit } }, sliders, h('button', { type: 'submit', class: 'button button-primary' }, 'Save my taste')));
}

// ------------------------------------------------------------------ preferences
export function preferencesSection(me) {
  const prefs = me.preferences;
  const boxes = (name, values, chosen) => h('div', { class: 'option-grid' }, values.map((value) =>
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name, value, checked: chosen.includes(value) }), ` ${titleCase(value)}`)));
  const text = (id, label, values, hint) => {
    const input = h('input', { type: 'text', id, value: values.join(', '), 'aria-describedby': `${id}-hint` });
    return h('div', { class: 'field' }, h('label', { for: id }, label), input, h('span', { class: 'hint', id: `${id}-hint` }, hint));
  };
  const number = (id, label, value) => h('div', { class: 'field' }, h('label', { for: id }, label),
    h('input', { type: 'number', id, min: '0', step: '0.01', inputmode: 'decimal', value: value ?? '' }));
  const status = h('p', { role: 'status', class: 'muted' });
  const submit = async (event) => {
    event.preventDefault();
    status.textContent = 'Saving…';
    try {
      await api('PATCH', '/v1/me/preferences', { body: readPreferences(event.currentTarget, prefs) });
      invalidateProfile();
      status.textContent = 'Saved. Your recommendations follow these preferences now.';
    } catch (error) {
      status.textContent = '';
      toast(describe(error), 'error');
    }
  };
  return h('form', { class: 'preferences', on: { submit } },
    h('fieldset', {}, h('legend', {}, 'Styles I enjoy'), boxes('style', STYLES, prefs.styles)),
    h('div', { class: 'two-cols' },
      text('pref-countries', 'Countries', prefs.countries, 'Separate with commas, e.g. France, Italy'),
      text('pref-regions', 'Regions', prefs.regions, 'e.g. Rioja, Napa Valley'),
      text('pref-grapes', 'Grapes', prefs.grapes, 'e.g. Pinot Noir, Riesling'),
      text('pref-wineries', 'Wineries', prefs.wineries, 'Producers you trust'),
      text('pref-foods', 'Foods I love', prefs.foods || [], 'e.g. steak, sushi, goat cheese: wine pages say which suit a wine')),
    h('fieldset', {}, h('legend', {}, 'Price per bottle (€)'), h('div', { class: 'two-cols' },
      number('pref-min', 'From', prefs.price_range.min), number('pref-max', 'Up to', prefs.price_range.max))),
    h('fieldset', {}, h('legend', {}, 'Dietary needs'), boxes('dietary', DIETARY, prefs.dietary),
      h('p', { class: 'hint' }, 'Wines that do not meet these are never recommended to you.')),
    h('fieldset', {}, h('legend', {}, 'Not for me'), boxes('dislike-style', STYLES, prefs.dislikes.styles),
      h('div', { class: 'two-cols' },
        text('pref-dislike-grapes', 'Grapes I dislike', prefs.dislikes.grapes, 'Never recommended'),
        text('pref-dislike-wineries', 'Wineries I avoid', prefs.dislikes.wineries, 'Never recommended'))),
    dislikedWines(prefs),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button button-primary' }, 'Save preferences'), status));
}

/** The form's fields as a PreferencesUpdate (every field sent: the form shows them all). */
function readPreferences(form, prefs) {
  const checked = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
  const value = (id) => form.querySelector(`#${id}`).value;
  return {
    styles: checked('style'),
    countries: splitList(value('pref-countries')),
    regions: splitList(value('pref-regions')),
    grapes: splitList(value('pref-grapes')),
    wineries: splitList(value('pref-wineries')),
    foods: splitList(value('pref-foods')),
    dietary: checked('dietary'),
    price_range: { min: value('pref-min') || null, max: value('pref-max') || null },
    dislikes: {
      styles: checked('dislike-style'),
      grapes: splitList(value('pref-dislike-grapes')),
      wineries: splitList(value('pref-dislike-wineries')),
      wine_ids: prefs.dislikes.wine_ids,
    },
  };
}

/** Wines dismissed with "Not for me", each with an undo. */
function dislikedWines(prefs) {
  const ids = prefs.dislikes.wine_ids || [];
  if (!ids.length) return null;
  const list = h('ul', { class: 'line-list' });
  const undo = async (id, row) => {
    prefs.dislikes.wine_ids = prefs.dislikes.wine_ids.filter((w) => w !== id);
    try {
      await api('PATCH', '/v1/me/preferences', { body: { dislikes: prefs.dislikes } });
      invalidateProfile();
      row.remove();
      toast('It may be recommended again.');
    } catch (error) {
      toast(describe(error), 'error');
    }
  };
  for (const id of ids.slice(0, 30)) {
    const name = h('a', { href: `#/wine/${encodeURIComponent(id)}` }, id);
    const row = h('li', { class: 'mini-line' }, name,
      h('button', { type: 'button', class: 'button button-small button-quiet', on: { click: () => undo(id, row) } }, 'Undo'));
    list.append(row);
    get(`/v1/wines/${encodeURIComponent(id)}`).then((wine) => { name.textContent = wine.name; }, () => {});
  }
  return h('div', { class: 'field' }, h('p', { class: 'hint' }, 'Wines you dismissed:'), list);
}

// ------------------------------------------------------------------ segment
/** The shoppers with a taste like yours, as the last training grouped them (GET /v1/me/segment). */
export function segmentSection(signal) {
  const box = h('div', { id: 'my-segment' }, h('p', { class: 'muted' }, 'Loading…'));
  get('/v1/me/segment', { signal }).then(({ segment }) => {
    if (!segment) {
      mount(box, h('p', {}, 'Not placed yet: the next training groups you once you have rated, bought or taken the taste quiz.'));
      return;
    }
    mount(box,
      h('p', {}, h('strong', {}, segment.label), ` — ${segment.summary}`),
      h('p', { class: 'muted small' }, `${segment.size.toLocaleString('en')} shoppers · typical bottle ${price(segment.typical_price)}`));
  }, (error) => { if (!signal.aborted) mount(box, h('p', { class: 'notice notice-error' }, describe(error))); });
  return box;
}

// ------------------------------------------------------------------ orders
export function ordersSection(signal) {
  const box = h('div', {}, h('p', { class: 'muted' }, 'Loading your orders…'));
  get('/v1/me/orders', { query: { per_page: 20 }, signal }).then((page) => {
    if (!page.items.length) {
      mount(box, h('p', {}, 'No orders yet. ', h('a', { href: '#/search' }, 'Find something to enjoy.')));
      return;
    }
    mount(box, h('ul', { class: 'line-list', id: 'order-history' }, page.items.map((order) => h('li', {}, orderCard(order, () => navigate('/account'))))),
      page.total > page.items.length ? h('p', { class: 'muted small' }, `Showing your ${page.items.length} latest of ${page.total} orders.`) : null);
  }, (error) => { if (!signal.aborted) mount(box, h('p', { class: 'notice notice-error' }, describe(error))); });
  return box;
}

/** One order: status, date, items and total; a cancel control while it can still be cancelled. */
export function orderCard(order, afterCancel) {
  const cancel = async () => {
    if (!window.confirm('Cancel this order? The bottles go back to the cellar.')) return;
    try {
      await api('POST', `/v1/me/orders/${encodeURIComponent(order.id)}/cancel`);
      toast('Your order is cancelled.');
      afterCancel();
    } catch (error) {
      toast(describe(error), 'error');
    }
  };
  return h('article', { class: 'order', 'aria-label': `Order of ${date(order.placed_at)}` },
    h('div', { class: 'order-head' },
      h('h3', {}, h('a', { href: `#/order/${encodeURIComponent(order.id)}` }, `Order of ${date(order.placed_at)}`)),
      h('span', { class: ['status', `status-${order.status}`] }, order.status)),
    h('ul', { class: 'order-items' }, order.items.map((item) =>
      h('li', {}, `${item.quantity} × `, h('a', { href: `#/wine/${encodeURIComponent(item.wine.id)}` }, item.wine.name), ` — ${price(item.line_total)}`))),
    h('div', { class: 'order-head' },
      h('strong', {}, `Total ${price(order.total)}`),
      order.is_gift ? h('span', { class: 'badge' }, `Gift for ${order.gift?.recipient_name || 'someone'}`) : null,
      order.can_cancel ? h('button', { type: 'button', class: 'button button-small button-quiet', on: { click: cancel } }, 'Cancel order') : null));
}

// ------------------------------------------------------------------ wishlist
export function wishlistSection(signal) {
  const box = h('div', {}, h('p', { class: 'muted' }, 'Loading your wishlist…'));
  const load = () => get('/v1/me/wishlist', { query: { per_page: 50 }, signal }).then((page) => {
    if (!page.items.length) {
      mount(box, h('p', {}, 'Nothing saved yet. Tap ♡ on a wine to keep it here.'));
      return;
    }
    mount(box, h('ul', { class: 'line-list', id: 'wishlist' }, page.items.map((entry) => wishlistLine(entry, load))));
  }, (error) => { if (!signal.aborted) mount(box, h('p', { class: 'notice notice-error' }, describe(error))); });
  load();
  return box;
}

function wishlistLine(entry, reload) {
  const id = encodeURIComponent(entry.wine.id);
  const act = async (method, path, body, message) => {
    try {
      await api(method, path, body ? { body } : {});
      toast(message);
      if (method === 'DELETE') reload(); else refreshCartBadge();
    } catch (error) {
      toast(describe(error), 'error');
    }
  };
  const toCart = async () => {
    const cart = await get('/v1/me/cart').catch(() => ({ items: [] }));
    const line = cart.items.find((item) => item.wine.id === entry.wine.id);
    act('PUT', `/v1/me/cart/items/${id}`, { quantity: (line?.quantity || 0) + 1 }, `${entry.wine.name} is in your cart.`);
  };
  return h('li', { class: 'mini-line' },
    h('div', {}, h('a', { href: `#/wine/${id}` }, entry.wine.name || entry.wine.id),
      h('div', { class: 'small muted' }, [entry.wine.winery, entry.wine.price ? price(entry.wine.price) : null, `saved ${date(entry.added_at)}`].filter(Boolean).join(' · ')),
      entry.price_dropped ? h('span', { class: 'badge badge-ok' }, `Now cheaper (was ${price(entry.price_when_added)})`) : null,
      entry.back_in_stock ? h('span', { class: 'badge badge-ok' }, 'Back in stock') : null),
    h('div', { class: 'actions' },
      entry.in_stock ? h('button', { type: 'button', class: 'button button-small', on: { click: toCart } }, 'Add to cart') : h('span', { class: 'badge badge-muted' }, 'Out of stock'),
      h('button', { type: 'button', class: 'button button-small button-quiet', 'aria-label': `Remove ${entry.wine.name || 'this wine'} from your wishlist`,
        on: { click: () => act('DELETE', `/v1/me/wishlist/${id}`, null, 'Removed from your wishlist.') } }, 'Remove')));
}

// ------------------------------------------------------------------ reviews and history
/** A list read page by page from `path` (the API's page envelope), with a "Show more" button. */
function pagedList(path, query, id, line, empty, signal) {
  const box = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const list = h('ul', { class: 'line-list', id });
  const more = h('button', { type: 'button', class: 'button button-small button-quiet' }, 'Show more');
  let page = 0;
  const load = () => get(path, { query: { ...query, page: page + 1, per_page: 10 }, signal }).then((answer) => {
    page = answer.page;
    if (!answer.total) { mount(box, h('p', {}, empty)); return; }
    list.append(...answer.items.map(line));
    mount(box, list, page * answer.per_page < answer.total ? more : null);
  }, (error) => { if (!signal.aborted) mount(box, h('p', { class: 'notice notice-error' }, describe(error))); });
  more.addEventListener('click', load);
  load();
  return box;
}

const wineLink = (id, name) => h('a', { href: `#/wine/${encodeURIComponent(id)}` }, name || 'a wine no longer listed');

export function reviewsSection(signal) {
  return pagedList('/v1/me/reviews', {}, 'my-reviews', (review) => h('li', { class: 'mini-line' },
    h('div', {}, wineLink(review.wine.id, review.wine.name), ` — ${review.rating} ★`,
      review.verified ? h('span', { class: 'badge badge-ok' }, 'Verified purchase') : null,
      review.text ? h('p', { class: 'small' }, review.text) : null,
      h('div', { class: 'small muted' }, date(review.created_at)))),
  'No reviews yet. Share what you thought on any wine page.', signal);
}

export function historySection(signal) {
  const box = h('div', {});
  const kind = h('select', { id: 'history-kind', 'aria-label': 'Show' },
    h('option', { value: '' }, 'Wines viewed and searches'), h('option', { value: 'view' }, 'Wines viewed'), h('option', { value: 'search' }, 'Searches'));
  const line = (entry) => h('li', { class: 'mini-line' }, h('div', {},
    entry.kind === 'view' ? ['Viewed ', wineLink(entry.wine.id, entry.wine.name)]
      : ['Searched ', h('a', { href: `#/search?q=${encodeURIComponent(entry.query)}` }, `“${entry.query}”`)],
    h('div', { class: 'small muted' }, new Date(entry.at).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' }))));
  const show = () => mount(box, h('div', { class: 'field' }, kind),
    pagedList('/v1/me/history', kind.value ? { kind: kind.value } : {}, 'history', line,
      'Nothing yet: what you view and search appears here while analytics is switched on (Privacy).', signal));
  kind.addEventListener('change', show);
  show();
  return box;
}

// ------------------------------------------------------------------ consent
const CONSENTS = [
  ['personalisation', 'Personalised recommendations', 'Use my taste profile, purchases and ratings to pick wines for me.'],
  ['analytics', 'Learn from my visits', 'Record the wines I view and the searches I make (also in this browser).'],
  ['marketing', 'Offers by email', 'Tell me about new arrivals and offers.'],
];

export function consentSection(me) {
  const ledger = me.consent.history || [];
  const lastChange = (kind) => ledger.filter((c) => c.kind === kind).at(-1);
  return [
    CONSENTS.map(([kind, label, text]) => {
      const id = `consent-${kind}`;
      const last = lastChange(kind);
      const toggle = async (event) => {
        const on = event.target.checked;
        try {
          await changeConsent({ [kind]: on });
          toast(`${label}: ${on ? 'on' : 'off'}.`);
        } catch (error) {
          event.target.checked = !on;
          toast(describe(error), 'error');
        }
      };
      return h('div', { class: 'switch-row' },
        h('label', { for: id }, label, h('p', {}, text, last ? ` Last changed ${date(last.at)}.` : '')),
        h('input', { type: 'checkbox', role: 'switch', class: 'switch', id, checked: me.consent[kind], on: { change: toggle } }));
    }),
  ];
}

// ------------------------------------------------------------------ data rights
export function dataSection(me) {
  return [
    h('p', {}, 'Take a copy of everything we hold about you, or close your account for good.'),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'button', id: 'download-data', on: { click: downloadData } }, 'Download my data'),
      h('button', { type: 'button', class: 'button button-danger', id: 'delete-account', on: { click: () => deleteDialog(me).showModal() } }, 'Delete my account')),
  ];
}

async function downloadData() {
  try {
    const data = await get('/v1/me/export');
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
    const link = h('a', { href: URL.createObjectURL(blob), download: `cuvee-my-data-${new Date().toISOString().slice(0, 10)}.json` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    toast('Your data is downloading.');
  } catch (error) {
    toast(error instanceof ApiError && error.routeMissing ? 'Data export is not available on this server yet.' : describe(error), 'error');
  }
}

function deleteDialog(me) {
  const password = h('input', { type: 'password', id: 'delete-password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'delete-title' });
  const submit = async (event) => {
    event.preventDefault();
    error.textContent = '';
    try {
      const receipt = await api('DELETE', '/v1/me', { body: { password: password.value } });
      dialog.close();
      signOut();
      navigate('/');
      toast(`Your account and your data are erased (receipt ${receipt?.request_id || 'sent'}). Goodbye.`);
    } catch (err) {
      error.textContent = err instanceof ApiError && err.routeMissing ? 'Account deletion is not available on this server yet.' : describe(err);
    }
  };
  mount(dialog, h('form', { on: { submit } },
    h('h2', { id: 'delete-title' }, 'Delete your account?'),
    h('p', {}, `This erases ${me.email}, your preferences, history, wishlist and reviews. Orders are kept without your name for accounting. It cannot be undone.`),
    h('div', { class: 'field' }, h('label', { for: 'delete-password' }, 'Confirm with your password'), password),
    error,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button button-danger' }, 'Delete everything'),
      h('button', { type: 'button', class: 'button button-quiet', on: { click: () => dialog.close() } }, 'Keep my account'))));
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  return dialog;
}
