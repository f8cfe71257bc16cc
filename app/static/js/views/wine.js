// A wine: details, taste structure, match score with reasons, similar and bought-together rows,
// reviews, add to cart and to the wishlist.

import { api, ApiError, describe, get, getOptional, signedIn } from '../api.js';
import { bottle, demoTag, notice, price, stars, tasteBars, titleCase, TASTE_AXES } from '../components.js';
import { h, mount, toast } from '../dom.js';
import { listCarousel, readList, visitQuery } from '../recs.js';
import { navigate } from '../router.js';
import { invalidateProfile, personalisationOffer, profile, recommendationFor, refreshCartBadge } from '../session.js';
import { track } from '../track.js';

export async function render({ main, args, signal }) {
  const [wineId] = args;
  mount(main, h('section', { class: 'page', 'aria-busy': 'true' }, h('h1', { class: 'skeleton-text' }, 'Loading wine…')));
  let wine;
  try {
    wine = await get(`/v1/wines/${encodeURIComponent(wineId)}`, { signal });
  } catch (error) {
    if (signal.aborted) return;
    const text = error instanceof ApiError && error.status === 404 ? 'This wine is not in our cellar.' : describe(error);
    mount(main, h('section', { class: 'page narrow' }, h('h1', {}, 'Wine not found'), notice(text, 'error'),
      h('p', {}, h('a', { href: '#/search' }, 'Browse every wine'))));
    return;
  }
  document.title = `${wine.name} — Cuvée`;
  const served = recommendationFor(wine.id);
  track('wine_viewed', { wine_id: wine.id, rec_id: served?.rec_id, surface: served?.surface });
  const me = await profile().catch(() => null);
  if (signal.aborted) return;

  const rows = h('div', { class: 'wine-rows' });
  const reviews = h('section', { class: 'reviews', 'aria-labelledby': 'reviews-title' });
  mount(main, h('article', { class: 'page wine-page' },
    breadcrumb(wine),
    h('div', { class: 'wine-hero' },
      h('div', { class: ['wine-art', `art-${wine.style}`] }, bottle(wine.style, 'lg')),
      h('div', { class: 'wine-info' }, headline(wine), matchPanel(wine, served, me, signal), buyBox(wine, served))),
    h('div', { class: 'wine-details' }, tasteSection(wine, me), notesSection(wine)),
    rows, reviews));
  fillRows(rows, wine, signal);
  fillReviews(reviews, wine, signal);
}

function breadcrumb(wine) {
  return h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' }, h('ol', {},
    h('li', {}, h('a', { href: '#/' }, 'Discover')),
    h('li', {}, h('a', { href: `#/search?style=${encodeURIComponent(wine.style)}` }, titleCase(wine.style))),
    h('li', {}, h('span', { 'aria-current': 'page' }, wine.name))));
}

function headline(wine) {
  return [
    h('p', { class: 'eyebrow' }, [titleCase(wine.style), [wine.region, wine.country].filter(Boolean).join(', ')].filter(Boolean).join(' · ')),
    h('h1', { class: 'wine-title' }, wine.name),
    h('p', { class: 'wine-winery' }, [wine.winery, wine.vintage].filter(Boolean).join(' · ')),
    stars(wine.rating_mean, wine.rating_count),
    wine.dietary.length ? h('ul', { class: 'badges', 'aria-label': 'Dietary' }, wine.dietary.map((d) => h('li', { class: 'badge' }, titleCase(d)))) : null,
  ];
}

/**
 * The match score: the recommender's own (score and reasons) when the visitor came from one of its
 * lists; otherwise how close the wine sits to the user's taste profile, axis by axis. Below it, for a
 * signed-in shopper, the API's tailored notes (GET /v1/wines/{id}/for-me): palate, their foods, warnings.
 */
function matchPanel(wine, served, me, signal) {
  const tailored = h('div', { class: 'for-me', id: 'for-me', 'aria-live': 'polite' });
  if (signedIn()) fillForMe(tailored, wine, signal);
  return [scorePanel(wine, served, me), tailored];
}

async function fillForMe(box, wine, signal) {
  let answer;
  try {
    answer = await get(`/v1/wines/${encodeURIComponent(wine.id)}/for-me`, { signal });
  } catch {
    return; // the plain notes stand on their own
  }
  if (signal.aborted) return;
  const foods = answer.pairs_with_your_foods.map(({ food, pairings }) => `${food} (${pairings.join(', ').toLowerCase()})`);
  const lines = [
    ...answer.palate.map((text) => h('li', { class: 'for-me-palate' }, text)),
    foods.length ? h('li', { class: 'for-me-foods' }, `Goes with your ${foods.join(', ')}`) : null,
    ...answer.warnings.map((w) => h('li', { class: 'for-me-warning' }, h('span', { class: 'badge badge-warn' }, 'Note'), ` ${capitalise(w.text)}`)),
  ].filter(Boolean);
  mount(box,
    lines.length ? h('div', { class: 'match-panel' }, h('p', { class: 'match-big' }, 'For you'), h('ul', { class: 'match-why' }, lines)) : null,
    answer.personalised ? null : personalisationOffer('To see how this wine compares with your taste and the foods you like, allow personalisation.',
      () => { invalidateProfile(); return fillForMe(box, wine, signal); }));
}

function capitalise(text) {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : '';
}

function scorePanel(wine, served, me) {
  let score = served?.score ?? null;
  let reasons = served?.reasons || [];
  let label = 'match for you';
  if (score === null && me) {
    ({ score, reasons } = tasteMatch(wine.taste, me.taste_profile));
    label = 'match with your taste profile';
  }
  if (score === null) {
    return signedIn() ? h('p', { class: 'match-panel match-empty' }, h('a', { href: '#/quiz' }, 'Take the taste quiz'), ' to see how well this wine suits you.')
      : h('p', { class: 'match-panel match-empty' }, h('a', { href: '#/account' }, 'Sign in'), ' to see how well this wine suits you.');
  }
  return h('div', { class: 'match-panel' },
    h('p', { class: 'match-big' }, h('span', { class: 'match-number' }, `${Math.round(score)}%`), ` ${label}`),
    reasons.length ? h('ul', { class: 'match-why' }, reasons.map((r) => h('li', {}, r))) : null);
}

function tasteMatch(taste, mine) {
  const axes = TASTE_AXES.filter(([key]) => mine?.[key] !== null && mine?.[key] !== undefined && taste?.[key] !== undefined);
  if (!axes.length) return { score: null, reasons: [] };
  const gaps = axes.map(([key, label]) => [label.toLowerCase(), Math.abs(taste[key] - mine[key])]);
  const score = 100 * (1 - gaps.reduce((sum, [, gap]) => sum + gap, 0) / gaps.length);
  const close = gaps.filter(([, gap]) => gap <= 0.15).map(([name]) => name);
  const far = gaps.filter(([, gap]) => gap > 0.35).map(([name]) => name);
  const reasons = [];
  if (close.length) reasons.push(`Close to your taste on ${close.join(', ')}`);
  if (far.length) reasons.push(`Unlike your usual on ${far.join(', ')}`);
  return { score, reasons };
}

function buyBox(wine, served) {
  const quantity = h('select', { id: 'quantity', name: 'quantity' },
    Array.from({ length: 12 }, (_, i) => h('option', { value: String(i + 1) }, String(i + 1))));
  const stock = wine.in_stock
    ? h('p', { class: 'stock stock-in' }, wine.stock <= 10 ? `Only ${wine.stock} left` : 'In stock', demoTag(wine, 'stock'))
    : h('p', { class: 'stock stock-out' }, 'Out of stock');
  const add = async (event) => {
    event.preventDefault();
    if (!signedIn()) {
      toast('Sign in to fill your cart.');
      navigate('/account', { next: `/wine/${wine.id}` });
      return;
    }
    await addToCart(wine, Number(quantity.value), served);
  };
  return h('div', { class: 'buy-box' },
    h('p', { class: 'wine-price' }, price(wine.price), demoTag(wine, 'price_cents'),
      wine.price_rule && wine.list_price && wine.list_price.amount_minor !== wine.price?.amount_minor
        ? h('span', { class: 'muted small' }, ` ${wine.price_rule} · was ${price(wine.list_price)}`
          + (wine.price_until ? ` · until ${new Date(wine.price_until).toLocaleDateString()}` : '')) : null), stock,
    h('form', { class: 'buy-form', on: { submit: add } },
      h('label', { for: 'quantity' }, 'Bottles'), quantity,
      h('button', { type: 'submit', class: 'button button-primary', disabled: !wine.in_stock }, 'Add to cart')),
    wishlistButton(wine));
}

async function addToCart(wine, quantity, served) {
  try {
    const cart = await get('/v1/me/cart');
    const line = cart.items.find((item) => item.wine.id === wine.id);
    const body = { quantity: (line?.quantity || 0) + quantity };
    if (served?.rec_id) body.rec_id = served.rec_id;
    await api('PUT', `/v1/me/cart/items/${encodeURIComponent(wine.id)}`, { body });
    track('cart_item_added', { wine_id: wine.id, rec_id: served?.rec_id });
    refreshCartBadge();
    toast(`${quantity} × ${wine.name} added to your cart.`);
  } catch (error) {
    toast(describe(error), 'error');
  }
}

function wishlistButton(wine) {
  const button = h('button', { type: 'button', class: 'button button-quiet wish', 'aria-pressed': 'false' }, '♡ Add to wishlist');
  const show = (on) => {
    button.setAttribute('aria-pressed', String(on));
    button.textContent = on ? '♥ In your wishlist' : '♡ Add to wishlist';
  };
  if (signedIn()) {
    get(`/v1/me/wishlist/${encodeURIComponent(wine.id)}`).then(({ entry }) => show(entry !== null), () => show(false));
  }
  button.addEventListener('click', async () => {
    if (!signedIn()) {
      toast('Sign in to keep a wishlist.');
      navigate('/account', { next: `/wine/${wine.id}` });
      return;
    }
    const on = button.getAttribute('aria-pressed') !== 'true';
    try {
      await api(on ? 'PUT' : 'DELETE', `/v1/me/wishlist/${encodeURIComponent(wine.id)}`);
      show(on);
      track(on ? 'wishlist_added' : 'wishlist_removed', { wine_id: wine.id });
      toast(on ? 'Saved to your wishlist.' : 'Removed from your wishlist.');
    } catch (error) {
      toast(describe(error), 'error');
    }
  });
  return button;
}

function tasteSection(wine, me) {
  const mine = me?.taste_profile;
  const hasMine = mine && TASTE_AXES.some(([key]) => mine[key] !== null && mine[key] !== undefined);
  return h('section', { class: 'panel', 'aria-labelledby': 'taste-title' },
    h('h2', { id: 'taste-title' }, 'Taste structure'),
    tasteBars(wine.taste, hasMine ? mine : null),
    hasMine ? h('p', { class: 'legend' }, h('span', { class: 'legend-mine', 'aria-hidden': 'true' }), ' Your taste profile') : null);
}

function notesSection(wine) {
  const facts = [
    ['Grapes', wine.grapes.join(', ')],
    ['Region', [wine.region, wine.country].filter(Boolean).join(', ')],
    ['Alcohol', wine.abv ? `${wine.abv}%` : null],
    ['Pairs with', wine.food_pairings.join(', ')],
  ].filter(([, value]) => value);
  return h('section', { class: 'panel', 'aria-labelledby': 'notes-title' },
    h('h2', { id: 'notes-title' }, 'Tasting notes', demoTag(wine, 'tasting_notes')),
    h('p', { class: 'notes' }, wine.tasting_notes || 'No notes yet.'),
    h('dl', { class: 'facts' }, facts.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value)))));
}

async function fillRows(rows, wine, signal) {
  const id = encodeURIComponent(wine.id);
  const fetchList = (path, query = {}) => getOptional(path, { query: { per_page: 12, ...query }, signal }).then(readList, () => null);
  const [similar, together] = await Promise.all([
    fetchList(`/v1/wines/${id}/similar`, visitQuery()), // tilted towards the other wines of this visit
    fetchList(`/v1/wines/${id}/bought-together`),
  ]);
  if (signal.aborted) return;
  // Bought together holds real co-purchases only (empty until there are some, and then hidden); each
  // wine is shown once, in that rarer row rather than among the similar ones.
  if (similar && together) {
    const bought = new Set(together.items.map((item) => item.wine.id));
    similar.items = similar.items.filter((item) => !bought.has(item.wine.id));
  }
  mount(rows,
    listCarousel(similar, { title: 'Similar wines', subtitle: 'Close in structure, or loved by the same people', surface: 'similar', id: 'similar' }),
    listCarousel(together, { title: 'Often bought together', subtitle: 'In the same orders as this wine', surface: 'bought_together', id: 'bought-together' }));
}

async function fillReviews(section, wine, signal) {
  const id = encodeURIComponent(wine.id);
  const title = h('h2', { id: 'reviews-title' }, 'Reviews');
  mount(section, title, h('p', {}, 'Loading reviews…'));
  try {
    const [page, mine] = await Promise.all([
      get(`/v1/wines/${id}/reviews`, { query: { per_page: 10 }, signal }),
      signedIn() ? get(`/v1/wines/${id}/reviews/me`, { signal }).then(({ review }) => review, () => null) : null,
    ]);
    if (signal.aborted) return;
    mount(section, title,
      page.rating_count ? h('p', { class: 'reviews-summary' }, stars(page.rating_mean, page.rating_count),
        h('span', { class: 'muted small', id: 'rating-rule' }, ` ${page.rating_verified_count} verified, ${page.rating_unverified_count} unverified`
          + ' — a verified purchase counts four times as much in the average.')) : null,
      page.items.length ? h('ul', { class: 'review-list', role: 'list' }, page.items.map(reviewItem))
        : h('p', { class: 'muted' }, 'No reviews yet — be the first.'),
      signedIn() ? reviewForm(wine, mine, () => fillReviews(section, wine, signal))
        : h('p', {}, h('a', { href: '#/account' }, 'Sign in'), ' to write a review.'));
  } catch (error) {
    if (!signal.aborted) mount(section, title, notice(describe(error), 'error'));
  }
}

function reviewItem(review) {
  return h('li', { class: 'review' },
    h('p', { class: 'review-head' }, stars(review.rating, null), ' ', h('strong', {}, review.reviewer),
      review.verified ? h('span', { class: 'badge badge-ok' }, 'Verified purchase') : null),
    review.text ? h('p', {}, review.text) : null,
    h('p', { class: 'muted small' }, new Date(review.updated_at).toLocaleDateString('en', { dateStyle: 'medium' })));
}

function reviewForm(wine, mine, refresh) {
  const rating = h('select', { id: 'review-rating', required: true },
    [5, 4.5, 4, 3.5, 3, 2.5, 2, 1.5, 1].map((r) => h('option', { value: String(r), selected: mine ? mine.rating === r : r === 4 }, `${r} ★`)));
  const text = h('textarea', { id: 'review-text', rows: '3', maxlength: '2000' });
  text.value = mine?.text || '';
  const submit = async (event) => {
    event.preventDefault();
    try {
      await api('PUT', `/v1/wines/${encodeURIComponent(wine.id)}/reviews/me`, { body: { rating: Number(rating.value), text: text.value } });
      toast('Thank you for your review.');
      refresh();
    } catch (error) {
      toast(describe(error), 'error');
    }
  };
  const remove = async () => {
    try {
      await api('DELETE', `/v1/wines/${encodeURIComponent(wine.id)}/reviews/me`);
      toast('Your review was removed.');
      refresh();
    } catch (error) {
      toast(describe(error), 'error');
    }
  };
  return h('form', { class: 'review-form', on: { submit } },
    h('h3', {}, mine ? 'Your review' : 'Write a review'),
    h('div', { class: 'field' }, h('label', { for: 'review-rating' }, 'Rating'), rating),
    h('div', { class: 'field' }, h('label', { for: 'review-text' }, 'What did you think? (optional)'), text),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button' }, mine ? 'Update review' : 'Post review'),
      mine ? h('button', { type: 'button', class: 'button button-quiet', on: { click: remove } }, 'Delete review') : null));
}
