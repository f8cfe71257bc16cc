// Pieces every view uses: prices, bottles, stars, taste bars, wine cards and carousels.

import { h, highlighted, uid } from './dom.js';

const STYLE_COLOURS = {
  red: ['#6d1830', '#3d0c1b'],
  white: ['#d9c77a', '#8f7d2e'],
  'rosé': ['#e79aa6', '#b55a6b'],
  sparkling: ['#e6d597', '#a48b3a'],
  dessert: ['#c98a2b', '#7a4d0f'],
  fortified: ['#5b2415', '#2e0f08'],
  classic: ['#4f5e3f', '#2c3622'],
};

export const TASTE_AXES = [
  ['sweetness', 'Sweetness', 'dry', 'sweet'],
  ['acidity', 'Acidity', 'soft', 'crisp'],
  ['tannin', 'Tannin', 'smooth', 'grippy'],
  ['body', 'Body', 'light', 'full'],
  ['fizz', 'Fizz', 'still', 'sparkling'],
];

/** "demo" beside a value the shop has not set yet (the wine's `demo_fields`: generated, not a fact). */
export function demoTag(wine, field) {
  return (wine.demo_fields || []).includes(field)
    ? h('span', { class: 'demo-tag', title: 'A generated demo value, not the shop’s own' }, 'demo')
    : null;
}

/** A Money object of the API ({amount, amount_minor, currency}) as text; '' for none. */
export function price(money) {
  if (!money) return '';
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: money.currency }).format(Number(money.amount));
  } catch {
    return `${money.amount} ${money.currency}`;
  }
}

export function titleCase(text) {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : '';
}

/** A bottle drawn in the colour of its style (decorative). */
export function bottle(style, size = 'md') {
  const [glass, shade] = STYLE_COLOURS[style] || STYLE_COLOURS.classic;
  const foil = style === 'sparkling' ? 30 : 16;
  return h('svg:svg', { class: `bottle bottle-${size}`, viewBox: '0 0 60 160', 'aria-hidden': 'true', focusable: 'false' },
    h('svg:path', { d: 'M24 4h12v34c0 6 14 12 14 28v84a6 6 0 0 1-6 6H16a6 6 0 0 1-6-6V66c0-16 14-22 14-28z', fill: glass }),
    h('svg:path', { d: 'M44 66v84a6 6 0 0 1-6 6h-4a6 6 0 0 0 6-6V66c0-12-8-18-10-24h2c2 6 12 12 12 24z', fill: shade, opacity: '.55' }),
    h('svg:rect', { x: '23', y: '2', width: '14', height: String(foil), rx: '2', fill: shade }),
    h('svg:rect', { x: '14', y: '86', width: '32', height: '42', rx: '3', fill: '#f8f2e7' }),
    h('svg:rect', { x: '19', y: '96', width: '22', height: '3', rx: '1.5', fill: shade, opacity: '.7' }),
    h('svg:rect', { x: '22', y: '104', width: '16', height: '2', rx: '1', fill: shade, opacity: '.4' }),
    h('svg:rect', { x: '22', y: '110', width: '16', height: '2', rx: '1', fill: shade, opacity: '.4' }),
    h('svg:path', { d: 'M15 72c1-6 5-10 8-13', stroke: '#fff', 'stroke-width': '2', fill: 'none', opacity: '.35', 'stroke-linecap': 'round' }));
}

/** Average rating as stars with a readable label. */
export function stars(mean, count) {
  if (count === 0 || mean === null || mean === undefined) return h('span', { class: 'stars stars-none' }, 'No ratings yet');
  const rounded = Math.round(mean * 2) / 2;
  // `count` null: one person's rating (a review), shown without a count.
  const label = count === null
    ? `Rated ${rounded.toFixed(1)} out of 5`
    : `Rated ${rounded.toFixed(1)} out of 5 by ${count} ${count === 1 ? 'person' : 'people'}`;
  return h('span', { class: 'stars', role: 'img', 'aria-label': label, title: label },
    h('span', { class: 'stars-fill', style: `--rating: ${(mean / 5) * 100}%`, 'aria-hidden': 'true' }, '★★★★★'),
    h('span', { class: 'stars-count', 'aria-hidden': 'true' }, count === null ? ` ${rounded.toFixed(1)}` : ` ${rounded.toFixed(1)} (${count})`));
}

/** Taste structure as labelled bars; `mine` (the user's profile) is marked on each bar when given. */
export function tasteBars(taste, mine = null) {
  return h('dl', { class: 'taste-bars' }, TASTE_AXES.map(([key, label, low, high]) => {
    const value = taste?.[key];
    const own = mine?.[key];
    return h('div', { class: 'taste-row' },
      h('dt', {}, label),
      h('dd', {},
        h('span', { class: 'taste-track', role: 'meter', 'aria-label': `${label}: ${describeLevel(value, low, high)}`,
          'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': value === null || value === undefined ? null : Math.round(value * 100) },
          h('span', { class: 'taste-fill', style: `width: ${Math.round((value ?? 0) * 100)}%` }),
          own !== null && own !== undefined
            ? h('span', { class: 'taste-mine', style: `left: ${Math.round(own * 100)}%`, title: 'Your taste' }) : null),
        h('span', { class: 'taste-ends', 'aria-hidden': 'true' }, h('span', {}, low), h('span', {}, high))));
  }));
}

function describeLevel(value, low, high) {
  if (value === null || value === undefined) return 'unknown';
  const pct = Math.round(value * 100);
  const word = value < 0.34 ? low : value > 0.66 ? high : 'medium';
  return `${word} (${pct} of 100)`;
}

/** The match score with its reasons, shown on hover and keyboard focus (and read as a description). */
export function matchBadge({ score, reasons, showScore = true, label = 'match' }) {
  if ((score === null || score === undefined) && !reasons.length) return null;
  const tipId = uid('reasons');
  const numbered = showScore && score !== null && score !== undefined;
  const title = numbered ? `${Math.round(score)}% ${label}` : 'Why this wine';
  return h('span', { class: 'match' },
    h('button', { type: 'button', class: ['match-score', numbered ? null : 'match-why-button'], 'aria-describedby': tipId },
      numbered ? `${Math.round(score)}%` : 'Why?', h('span', { class: 'visually-hidden' }, numbered ? ` ${label}` : ' is this here')),
    h('span', { class: 'match-reasons', role: 'tooltip', id: tipId },
      h('strong', {}, title),
      reasons.length ? h('ul', {}, reasons.map((r) => h('li', {}, r))) : h('span', {}, ' A popular pick')));
}

/**
 * A wine card. `wine` is a summary (or search hit); options: `match` {score, reasons}, `onOpen`
 * (before following the link), `onDismiss` (shows a "Not for me" control), `highlights`.
 */
export function wineCard(wine, { match = null, onOpen = null, onDismiss = null, highlights = null, extra = null } = {}) {
  const nameNodes = highlights?.name ? highlighted(highlights.name) : [wine.name];
  const place = [wine.region, wine.country].filter(Boolean).join(', ');
  return h('article', { class: 'wine-card', dataset: { wineId: wine.id } },
    h('div', { class: ['wine-card-art', `art-${wine.style}`] }, bottle(wine.style)),
    h('div', { class: 'wine-card-body' },
      h('h3', { class: 'wine-card-title' },
        h('a', { href: `#/wine/${encodeURIComponent(wine.id)}`, on: onOpen ? { click: onOpen } : {} }, nameNodes)),
      h('p', { class: 'wine-card-winery' }, [wine.winery, wine.vintage].filter(Boolean).join(' · ')),
      h('p', { class: 'wine-card-place' }, h('span', { class: ['style-dot', `dot-${wine.style}`], 'aria-hidden': 'true' }),
        `${titleCase(wine.style)}${place ? ` · ${place}` : ''}`),
      highlights?.tasting_notes ? h('p', { class: 'wine-card-notes' }, '“', highlighted(highlights.tasting_notes), '”') : null,
      h('div', { class: 'wine-card-foot' },
        h('span', { class: 'wine-card-price' }, price(wine.price), demoTag(wine, 'price_cents')),
        stars(wine.rating_mean, wine.rating_count)),
      wine.in_stock === false ? h('p', { class: 'badge badge-muted' }, 'Out of stock') : null,
      extra),
    match ? matchBadge(match) : null,
    onDismiss ? h('button', { type: 'button', class: 'not-for-me', on: { click: onDismiss },
      'aria-label': `Not for me: ${wine.name}` }, h('span', { 'aria-hidden': 'true' }, '✕'), h('span', { class: 'not-for-me-text' }, 'Not for me')) : null);
}

/** A horizontal, scroll-snapping row of cards with previous/next buttons. */
export function carousel(title, subtitle, cards, { id = null } = {}) {
  const headingId = uid('carousel');
  const track = h('ul', { class: 'carousel-track', role: 'list' }, cards.map((card) => h('li', {}, card)));
  const scroll = (direction) => track.scrollBy({ left: direction * track.clientWidth * 0.8, behavior: 'smooth' });
  return h('section', { class: 'carousel', 'aria-labelledby': headingId, id },
    h('div', { class: 'carousel-head' },
      h('div', {}, h('h2', { id: headingId }, title), subtitle ? h('p', { class: 'carousel-sub' }, subtitle) : null),
      h('div', { class: 'carousel-controls' },
        h('button', { type: 'button', class: 'icon-button', 'aria-label': `Scroll ${title} back`, on: { click: () => scroll(-1) } }, '‹'),
        h('button', { type: 'button', class: 'icon-button', 'aria-label': `Scroll ${title} forward`, on: { click: () => scroll(1) } }, '›'))),
    track);
}

export function skeletonRow(title) {
  return h('section', { class: 'carousel carousel-loading', 'aria-busy': 'true' },
    h('div', { class: 'carousel-head' }, h('h2', {}, title)),
    h('div', { class: 'carousel-track' }, [1, 2, 3, 4].map(() => h('div', { class: 'skeleton-card' }))));
}

export function notice(text, kind = 'info') {
  return h('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : null }, text);
}
