// Clickstream: an anonymous id the shop issued (signed, kept in localStorage), events batched in memory and sent with
// navigator.sendBeacon (text/plain, so no CORS preflight) every few seconds and when the page is hidden.
// Nothing is recorded or sent before the visitor gives analytics consent.

const ANON_KEY = 'cuvee.anonymous_id';
const CONSENT_KEY = 'cuvee.analytics_consent'; // "granted" | "denied"; absent: not asked yet
const ENDPOINT = '/v1/events';
const FLUSH_EVERY_MS = 5000;
const MAX_BATCH = 100; // the endpoint's limit per batch
const MAX_BYTES = 60 * 1024; // under the endpoint's 64 KiB and the browser's beacon quota
const VISIT_SIGNALS = new Set(['wine_viewed', 'recommendation_clicked', 'cart_item_added', 'recommendation_dismissed']);

let queue = [];
const consentListeners = new Set();

/** This browser's anonymous id, or null until the shop has issued one (see ensureAnonymousId). */
export function anonymousId() {
  return localStorage.getItem(ANON_KEY);
}

let issuing = null;

/** The anonymous id, asking the shop for one the first time: only an id it issued can later be linked. */
export function ensureAnonymousId() {
  const id = anonymousId();
  if (id) return Promise.resolve(id);
  issuing ??= fetch('/v1/anonymous-ids', { method: 'POST' })
    .then((response) => (response.ok ? response.json() : Promise.reject(new Error(`HTTP ${response.status}`))))
    .then((body) => {
      localStorage.setItem(ANON_KEY, body.anonymous_id);
      return body.anonymous_id;
    })
    .finally(() => {
      issuing = null;
    });
  return issuing;
}

/** A new anonymous id (at sign-out: the old one stays linked to the account that signed out). */
export function resetAnonymousId() {
  localStorage.removeItem(ANON_KEY);
  return ensureAnonymousId();
}

/** "granted", "denied" or null when the visitor has not chosen yet. */
export function consent() {
  return localStorage.getItem(CONSENT_KEY);
}

export function setConsent(granted) {
  localStorage.setItem(CONSENT_KEY, granted ? 'granted' : 'denied');
  if (!granted) queue = []; // withdrawn: what was waiting is dropped, never sent
  for (const listener of consentListeners) listener(granted);
}

export function onConsentChange(listener) {
  consentListeners.add(listener);
}

/**
 * Record an event (sent with the next batch). `fields` per type: wine_id, query, results_count,
 * rec_id, position, surface. Without consent it is dropped at once.
 */
export function track(type, fields = {}) {
  if (consent() !== 'granted') return;
  const event = {
    event_id: crypto.randomUUID(),
    type,
    occurred_at: new Date().toISOString(),
  };
  const id = anonymousId(); // else filled in at flush, once issued
  if (id) event.anonymous_id = id;
  for (const [key, value] of Object.entries(fields)) {
    if (value !== null && value !== undefined && value !== '') event[key] = value;
  }
  queue.push(event);
  // what the recommendations react to within the visit goes out at once, so the next page reflects it
  if (queue.length >= MAX_BATCH || VISIT_SIGNALS.has(type)) flush();
}

const encoder = new TextEncoder();
const byteLength = (text) => encoder.encode(text).length;

/** Send what is queued, in batches that fit the endpoint; keep what the browser refused for next time. */
export function flush() {
  if (consent() !== 'granted' || !queue.length || !navigator.sendBeacon) return;
  const id = anonymousId();
  if (!id) {
    ensureAnonymousId().then(flush, () => {}); // offline: the queue waits for the next flush
    return;
  }
  for (const event of queue) event.anonymous_id ??= id;
  while (queue.length) {
    let batch = queue.slice(0, MAX_BATCH);
    let body = JSON.stringify(batch);
    while (byteLength(body) > MAX_BYTES && batch.length > 1) {
      batch = batch.slice(0, Math.ceil(batch.length / 2));
      body = JSON.stringify(batch);
    }
    // A string body goes out as text/plain;charset=UTF-8, a "simple" request the browser never preflights.
    if (!navigator.sendBeacon(ENDPOINT, body)) return;
    queue = queue.slice(batch.length);
  }
}

/** Start the timers and page-lifecycle hooks; call once. */
export function startTracking() {
  setInterval(flush, FLUSH_EVERY_MS);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') flush();
  });
  window.addEventListener('pagehide', flush);
}
