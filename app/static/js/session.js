// Who is browsing: sign-in state, the cached profile, consent kept in step with the account,
// the cart badge, and which recommendation led to which wine (for attribution).

import { api, ApiError, get, setToken, signedIn } from './api.js';
import { h, mount } from './dom.js';
import { consent, ensureAnonymousId, resetAnonymousId, setConsent } from './track.js';

let profilePromise = null;

/** The signed-in user's profile (cached until invalidated); null when signed out. */
export function profile({ fresh = false } = {}) {
  if (!signedIn()) return Promise.resolve(null);
  if (fresh || !profilePromise) {
    profilePromise = get('/v1/me/profile').catch((error) => {
      profilePromise = null;
      throw error;
    });
  }
  return profilePromise;
}

export function invalidateProfile() {
  profilePromise = null;
}

/** Link this browser's anonymous history to the account (only stored with analytics consent). */
async function linkBrowser() {
  try {
    await api('POST', '/v1/me/anonymous-id', { body: { anonymous_id: await ensureAnonymousId() } });
  } catch (error) {
    // The id belongs to another account (shared computer), or was made by an older storefront rather than
    // issued by the shop (422): start afresh rather than mix histories.
    if (error instanceof ApiError && (error.status === 409 || error.status === 422)) {
      await api('POST', '/v1/me/anonymous-id', { body: { anonymous_id: await resetAnonymousId() } });
    } else if (!(error instanceof ApiError && error.routeMissing)) {
      throw error;
    }
  }
}

/** After sign-in the account's consent is the truth in this browser too. */
async function adoptAccount() {
  const me = await profile({ fresh: true });
  setConsent(Boolean(me.consent.analytics));
  if (me.consent.analytics) await linkBrowser();
  return me;
}

export async function signIn(email, password) {
  const answer = await api('POST', '/v1/auth/login', { body: { email, password } });
  setToken(answer.access_token);
  return adoptAccount();
}

/** Create the account, give it the consents chosen in the form, and sign in. */
export async function signUp({ email, password, username, consents }) {
  const answer = await api('POST', '/v1/auth/register', { body: { email, password, username: username || null } });
  setToken(answer.access_token);
  if (Object.values(consents).some(Boolean)) await api('PUT', '/v1/me/consent', { body: consents });
  return adoptAccount();
}

export function signOut() {
  setToken(null);
  invalidateProfile();
  setFavouritesOff(false);
  resetAnonymousId().catch(() => {}); // offline: the next beacon asks again
  updateCartBadge(0);
}

/** Change consents on the account (when signed in) and in this browser. */
export async function changeConsent(changes) {
  if ('analytics' in changes) setConsent(changes.analytics);
  if (!signedIn()) return null;
  const result = await api('PUT', '/v1/me/consent', { body: changes });
  invalidateProfile();
  if (changes.analytics) await linkBrowser();
  return result;
}

export const PERSONALISATION_USES = 'your taste profile, preferences, ratings and purchases';

/**
 * Personalisation consent offered where it is needed: what it enables and one button that gives it (PUT
 * /v1/me/consent) and then calls `onGranted`. Nothing personal is used until then (the API's rule).
 */
export function personalisationOffer(why, onGranted) {
  const status = h('p', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'button', class: 'button button-primary', id: 'allow-personalisation' }, 'Personalise with my taste');
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = '';
    try {
      await changeConsent({ personalisation: true });
      await onGranted();
    } catch (error) {
      button.disabled = false;
      status.textContent = error instanceof ApiError ? error.message : 'That could not be saved; try again.';
    }
  });
  return h('div', { class: 'panel consent-offer', id: 'personalisation-offer' },
    h('p', {}, why, ` Personalising uses ${PERSONALISATION_USES}; you can switch it off any time in your account.`),
    button, status);
}

/** The banner's choice; for a signed-in user it is recorded on the account too. */
export async function answerBanner(granted) {
  setConsent(granted);
  if (signedIn()) await changeConsent({ analytics: granted });
}

export function needsConsentAnswer() {
  return consent() === null;
}

// ------------------------------------------------------------------ favourites in search
const FAVOURITES_OFF_KEY = 'cuvee.favourites-off';

/** Whether the shopper cleared their favourites from search in this visit (every search then sends ignore=favourites). */
export function favouritesOff() {
  return sessionStorage.getItem(FAVOURITES_OFF_KEY) === '1';
}

export function setFavouritesOff(off) {
  if (off) sessionStorage.setItem(FAVOURITES_OFF_KEY, '1');
  else sessionStorage.removeItem(FAVOURITES_OFF_KEY);
}

// ------------------------------------------------------------------ cart badge
export function updateCartBadge(bottles) {
  const badge = document.getElementById('cart-count');
  badge.hidden = !bottles;
  mount(badge, String(bottles || ''), h('span', { class: 'visually-hidden' }, bottles === 1 ? ' bottle' : ' bottles'));
}

export async function refreshCartBadge() {
  if (!signedIn()) return updateCartBadge(0);
  try {
    updateCartBadge((await get('/v1/me/cart')).bottles);
  } catch {
    updateCartBadge(0);
  }
}

// ------------------------------------------------------------------ recommendation attribution
const ATTRIBUTION_KEY = 'cuvee.attribution';

function attributions() {
  try {
    return JSON.parse(sessionStorage.getItem(ATTRIBUTION_KEY)) || {};
  } catch {
    return {};
  }
}

/** Remember that `wineId` was reached from a recommendation (rec_id, surface, position, score, reasons). */
export function rememberRecommendation(wineId, served) {
  const all = attributions();
  all[wineId] = served;
  const ids = Object.keys(all);
  for (const old of ids.slice(0, Math.max(0, ids.length - 50))) delete all[old];
  sessionStorage.setItem(ATTRIBUTION_KEY, JSON.stringify(all));
}

export function recommendationFor(wineId) {
  return attributions()[wineId] || null;
}
