// Recommendation lists: read a list response, draw its cards, and report clicks and "not for me".

import { api, ApiError, getOptional, signedIn } from './api.js';
import { carousel, wineCard } from './components.js';
import { toast } from './dom.js';
import { invalidateProfile, profile, rememberRecommendation } from './session.js';
import { track } from './track.js';

/** A reason as text, whichever way the API phrases it (a string, or {text|label|detail, code, value}). */
function reasonText(reason) {
  if (typeof reason === 'string') return reason;
  if (!reason || typeof reason !== 'object') return '';
  const text = reason.text || reason.label || reason.message || reason.detail;
  if (text) return text;
  const code = String(reason.code || '').replace(/_/g, ' ');
  const value = Array.isArray(reason.value) ? reason.value.join(', ') : reason.value;
  return value !== undefined && value !== null ? `${code}: ${value}` : code;
}

/** {recId, items: [{wine, score, reasons}]} from a list response; null when there is none. */
export function readList(answer) {
  if (!answer) return null;
  const rows = answer.items || answer.recommendations || answer.wines || [];
  const items = rows.map((row) => ({
    wine: row.wine || row,
    score: row.match_score ?? row.score ?? null,
    reasons: (row.reasons || row.explanation || []).map(reasonText).filter(Boolean),
  })).filter((item) => item.wine && item.wine.id);
  return { recId: answer.rec_id || null, surface: answer.surface || null, items };
}

/** Cards for a list: each click carries rec_id and position; `dismissable` adds "Not for me". */
export function recCards(list, surface, { dismissable = false } = {}) {
  return list.items.map((item, position) => {
    const served = { rec_id: list.recId, surface, position, score: item.score, reasons: item.reasons };
    const onOpen = () => {
      rememberRecommendation(item.wine.id, served);
      if (list.recId) track('recommendation_clicked', { rec_id: list.recId, wine_id: item.wine.id, position, surface });
    };
    const onDismiss = dismissable ? (event) => notForMe(event, item.wine, served) : null;
    return wineCard(item.wine, { match: { score: item.score, reasons: item.reasons }, onOpen, onDismiss });
  });
}

/** A carousel for a list route, or null when the route is missing or the list is empty. */
export async function recCarousel(path, query, { title, subtitle, surface, dismissable = false, signal, id }) {
  const list = readList(await getOptional(path, { query, signal }));
  if (!list || !list.items.length) return null;
  return carousel(title, subtitle, recCards(list, surface, { dismissable }), { id });
}

/**
 * "Not for me": the wine joins the user's disliked wines (a hard filter the recommender honours) and
 * the dismissal is reported against the list that showed it.
 */
async function notForMe(event, wine, served) {
  const card = event.currentTarget.closest('.wine-card');
  const item = card.closest('li');
  const next = item?.nextElementSibling || item?.previousElementSibling;
  if (served.rec_id) track('recommendation_dismissed', { rec_id: served.rec_id, wine_id: wine.id, surface: served.surface });
  item?.remove();
  next?.querySelector('a')?.focus();
  if (!signedIn()) {
    toast(`We'll hide ${wine.name}. Sign in to make it stick.`);
    return;
  }
  try {
    const me = await profile({ fresh: true });
    const dislikes = { ...me.preferences.dislikes };
    dislikes.wine_ids = [...new Set([...(dislikes.wine_ids || []), wine.id])];
    await api('PATCH', '/v1/me/preferences', { body: { dislikes } });
    invalidateProfile();
    toast(`Noted: no more ${wine.name}.`);
  } catch (error) {
    toast(error instanceof ApiError ? error.message : 'That could not be saved; try again.', 'error');
  }
}
