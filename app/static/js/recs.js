// Recommendation lists: read a list response, draw its cards, and report clicks and "not for me".

import { api, ApiError, get, getOptional, signedIn } from './api.js';
import { carousel, wineCard } from './components.js';
import { h, toast } from './dom.js';
import { invalidateProfile, profile, rememberRecommendation } from './session.js';
import { anonymousId, consent, track } from './track.js';

/**
 * For a visitor who is not signed in (and allowed analytics): their anonymous id, so that lists follow what
 * they look at on this visit. Signed in, the server knows the visit from the account.
 */
export function visitQuery() {
  const id = !signedIn() && consent() === 'granted' ? anonymousId() : null;
  return id ? { anonymous_id: id } : {};
}

/** A reason ({code, text, values}) as the sentence shown to the shopper. */
function reasonText(reason) {
  const text = typeof reason === 'string' ? reason : reason?.text || String(reason?.code || '').replace(/_/g, ' ');
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : '';
}

/** {recId, personalised, note, items: [{wine, score, reasons, conflicts}]} from a list response; null when there is none. */
export function readList(answer) {
  if (!answer) return null;
  const items = (answer.items || []).map((row) => ({
    wine: row.wine,
    score: row.match ?? null,
    reasons: (row.reasons || []).map(reasonText).filter(Boolean),
    conflicts: (row.conflicts || []).map(reasonText).filter(Boolean),
  }));
  const note = answer.note ? answer.note.charAt(0).toUpperCase() + answer.note.slice(1) : null;
  return { recId: answer.rec_id || null, personalised: answer.personalised ?? null, note, items };
}

/** Cards for a list: each click carries rec_id and position; `dismissable` adds "Not for me". */
export function recCards(list, surface, { dismissable = false } = {}) {
  // A percentage means something for a list made for this user, or for likeness to a wine; elsewhere
  // (trending, popular, reorder's due-ness) the card says why it is there without a number.
  const showScore = (Boolean(list.personalised) && surface !== 'reorder') || surface === 'similar';
  return list.items.map((item, position) => {
    const served = { rec_id: list.recId, surface, position, score: item.score, reasons: item.reasons };
    const onOpen = () => {
      rememberRecommendation(item.wine.id, served);
      if (list.recId) track('recommendation_clicked', { rec_id: list.recId, wine_id: item.wine.id, position, surface });
    };
    const onDismiss = dismissable ? (event) => notForMe(event, item.wine, served) : null;
    const match = { score: item.score, reasons: item.reasons, showScore, label: surface === 'similar' ? 'similar' : 'match' };
    // reorder: a wine bought before a need or dislike was stated stays, marked (e.g. "No longer … vegan")
    const extra = item.conflicts?.length
      ? h('p', { class: 'badge badge-warn wine-card-conflict' }, item.conflicts.join('; ')) : null;
    return wineCard(item.wine, { match, onOpen, onDismiss, extra });
  });
}

/**
 * A carousel for a list route, or null when the route is missing or the list is empty. `subtitle` may be
 * a function of the list (to say when a list is not personalised, and why).
 */
export async function recCarousel(path, query, { signal, ...options }) {
  return listCarousel(readList(await getOptional(path, { query, signal })), options);
}

/** A carousel for a list already fetched (see readList), or null when it is missing or empty. */
export function listCarousel(list, { title, subtitle, surface, dismissable = false, id }) {
  if (!list || !list.items.length) return null;
  const sub = typeof subtitle === 'function' ? subtitle(list) : subtitle;
  return tailorCards(carousel(title, sub, recCards(list, surface, { dismissable: dismissable && signedIn() }), { id }));
}

const FOR_ME_CAP = 100; // wines per call of GET /v1/wines/for-me

/**
 * For a signed-in shopper, one short tailored line on each card inside `scope` ("Lighter than what you
 * usually buy · suits your roast chicken", or a note where it crosses a stated need or dislike): one call
 * for all of them, filled in when it answers. Visitors see the plain cards, and so does anyone when the
 * call fails. A reorder card marked with a conflict already says what matters. Returns `scope`.
 */
export function tailorCards(scope) {
  if (!signedIn() || !scope) return scope;
  const cards = [...scope.querySelectorAll('.wine-card[data-wine-id]')]
    .filter((card) => !card.querySelector('.wine-card-for-me, .wine-card-conflict'));
  const ids = [...new Set(cards.map((card) => card.dataset.wineId))].slice(0, FOR_ME_CAP);
  if (!ids.length) return scope;
  get('/v1/wines/for-me', { query: { wine_id: ids } }).then((answer) => {
    const byId = new Map(answer.items.map((item) => [item.wine.id, item]));
    for (const card of cards) {
      const item = byId.get(card.dataset.wineId);
      if (item?.line && !card.querySelector('.wine-card-for-me')) card.querySelector('.wine-card-foot')?.before(forMeLine(item));
    }
  }, () => {}); // the plain card stands on its own
  return scope;
}

function forMeLine({ line, warning }) {
  return h('p', { class: ['wine-card-for-me', warning ? 'wine-card-for-me-warn' : null] },
    h('span', { class: 'wine-card-for-me-label' }, warning ? 'Note' : 'For you'), ` ${line.charAt(0).toUpperCase()}${line.slice(1)}`);
}

/**
 * "Not for me": the recommender's dismiss call puts the wine among the user's dislikes (every list honours
 * it from then on) and logs it against the list that showed it.
 */
async function notForMe(event, wine, served) {
  const item = event.currentTarget.closest('li');
  const next = item?.nextElementSibling || item?.previousElementSibling;
  item?.remove();
  next?.querySelector('a')?.focus();
  try {
    await dismiss(wine.id, served.rec_id);
    invalidateProfile();
    toast(`Noted: ${wine.name} will not be suggested again.`);
  } catch (error) {
    toast(error instanceof ApiError ? error.message : 'That could not be saved; try again.', 'error');
  }
}

async function dismiss(wineId, recId) {
  try {
    await api('POST', `/v1/me/recommendations/${encodeURIComponent(recId)}/dismiss`, { body: { wine_id: wineId } });
  } catch (error) {
    // A list the server no longer knows (or a server without the call): record the dislike directly.
    if (!(error instanceof ApiError && (error.status === 404 || error.routeMissing))) throw error;
    const me = await profile({ fresh: true });
    const dislikes = { ...me.preferences.dislikes };
    dislikes.wine_ids = [...new Set([...(dislikes.wine_ids || []), wineId])];
    await api('PATCH', '/v1/me/preferences', { body: { dislikes } });
  }
}
