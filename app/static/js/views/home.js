// Home: "for you", "time to reorder" and "trending" carousels, recently viewed, and ways in.

import { get, getOptional, signedIn } from '../api.js';
import { bottle, carousel, skeletonRow, wineCard } from '../components.js';
import { h, mount } from '../dom.js';
import { listCarousel, readList, recCarousel, tailorCards, visitQuery } from '../recs.js';
import { profile } from '../session.js';

const STYLES = [['red', 'Red'], ['white', 'White'], ['rosé', 'Rosé'], ['sparkling', 'Sparkling'], ['dessert', 'Dessert'], ['fortified', 'Fortified']];

export async function render({ main, signal }) {
  document.title = 'Cuvée — wines for your taste';
  const rows = h('div', { class: 'home-rows' }, skeletonRow('Picked for you'));
  mount(main, hero(null), rows);
  const me = await profile().catch(() => null);
  if (signal.aborted) return;
  mount(main, hero(me), rows);
  const blocks = await Promise.all(rowsFor(me, signal));
  if (signal.aborted) return;
  const drawn = blocks.filter(Boolean);
  if (!drawn.some((block) => block.classList.contains('carousel'))) drawn.push(await topRated(signal));
  mount(rows, quizNudge(me), drawn, styleStrip());
}

function hasTaste(me) {
  return me && ['sweetness', 'acidity', 'tannin', 'body', 'fizz'].some((axis) => me.taste_profile[axis] !== null && me.taste_profile[axis] !== undefined);
}

function hero(me) {
  const greeting = me ? `Welcome back${me.username ? `, ${me.username}` : ''}` : 'Wines chosen for your taste';
  const text = me
    ? 'Your picks below follow your taste profile, what you view and what you buy. Dismiss what is not for you and they learn.'
    : 'Tell us how you take your coffee and which fruit you love; we will find the bottles that suit you. A few quick questions.';
  const quizHref = me ? '#/quiz' : '#/account?next=/quiz';
  return h('section', { class: 'hero' },
    h('div', {},
      h('p', { class: 'eyebrow' }, 'The curator’s cellar'),
      h('h1', {}, greeting), h('p', {}, text),
      h('div', { class: 'actions' },
        h('a', { class: 'button button-primary', href: quizHref }, hasTaste(me) ? 'Retake the taste quiz' : 'Take the taste quiz'),
        h('a', { class: 'button button-quiet', href: '#/search' }, 'Browse all wines'))),
    h('div', { class: 'hero-bottles', 'aria-hidden': 'true' },
      bottle('white', 'lg'), bottle('red', 'lg'), bottle('rosé', 'lg'), bottle('sparkling', 'lg')));
}

function forYouSubtitle(list) {
  if (list.personalised) return 'Matched to your taste profile, preferences and history — hover a score to see why';
  return list.note || 'Popular picks for now: switch on personalised recommendations in your account to get your own';
}

/** Not signed in: popular picks, or (with an anonymous id and analytics allowed) picks from this visit once it looked at something. */
async function visitorCarousel(signal) {
  const visit = visitQuery();
  const path = visit.anonymous_id ? '/v1/recommendations/visitor' : '/v1/recommendations/popular';
  const list = readList(await getOptional(path, { query: { ...visit, per_page: 12 }, signal }));
  return list?.personalised
    ? listCarousel(list, { title: 'Picked for this visit', subtitle: 'From what you looked at — sign in and they remember you', surface: 'home', id: 'popular' })
    : listCarousel(list, { title: 'Popular this season', subtitle: 'Sign in and take the taste quiz to get picks of your own', surface: 'popular', id: 'popular' });
}

function rowsFor(me, signal) {
  const safe = (promise) => promise.catch(() => null);
  const rows = [];
  if (me) {
    rows.push(safe(recCarousel('/v1/me/recommendations', { surface: 'home', per_page: 12 }, {
      title: 'For you', subtitle: forYouSubtitle, surface: 'home', dismissable: true, signal, id: 'for-you',
    })));
    rows.push(safe(recCarousel('/v1/me/reorder', { per_page: 12 }, {
      title: 'Time to reorder', subtitle: 'Bottles you come back to, the most due first', surface: 'reorder', signal, id: 'reorder',
    })));
  } else {
    rows.push(safe(visitorCarousel(signal)));
  }
  rows.push(safe(recCarousel('/v1/trending', { ...visitQuery(), per_page: 12 }, { // the visit's dismissals hold here too
    title: 'Trending', subtitle: 'What other wine lovers are opening right now', surface: 'trending', dismissable: true, signal, id: 'trending',
  })));
  if (me?.recently_viewed?.length) rows.push(safe(recentlyViewed(me.recently_viewed, signal)));
  return rows;
}

async function recentlyViewed(viewed, signal) {
  const wines = await Promise.all(viewed.slice(0, 8).map((v) => get(`/v1/wines/${encodeURIComponent(v.wine.id)}`, { signal }).catch(() => null)));
  const cards = wines.filter(Boolean).map((wine) => wineCard(wine));
  return cards.length ? tailorCards(carousel('Recently viewed', 'Pick up where you left off', cards, { id: 'recently-viewed' })) : null;
}

/** When no recommendation list is available, the best-rated wines in stock keep the page useful. */
async function topRated(signal) {
  const answer = await get('/v1/search', { query: { sort: 'rating', in_stock: true, per_page: 12 }, signal }).catch(() => null);
  if (!answer?.items.length) return null;
  return tailorCards(carousel('Top rated in the cellar', 'Our customers’ favourites, in stock now', answer.items.map((hit) => wineCard(hit.wine)), { id: 'top-rated' }));
}

function quizNudge(me) {
  if (!me || hasTaste(me)) return null;
  return h('aside', { class: 'quiz-cta', 'aria-label': 'Taste quiz' },
    h('p', {}, h('strong', {}, 'Make these picks yours. '), 'Answer the taste quiz and your recommendations change at once.'),
    h('a', { class: 'button button-primary', href: '#/quiz' }, 'Take the quiz'));
}

function styleStrip() {
  return h('section', { class: 'carousel', 'aria-labelledby': 'styles-title' },
    h('div', { class: 'carousel-head' }, h('h2', { id: 'styles-title' }, 'Browse by style')),
    h('ul', { class: 'style-strip', role: 'list' }, STYLES.map(([value, label]) =>
      h('li', {}, h('a', { class: ['style-tile', `art-${value}`], href: `#/search?style=${encodeURIComponent(value)}` }, bottle(value, 'sm'), h('span', {}, label))))));
}
