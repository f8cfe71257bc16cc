// Cart and checkout: quantities, totals, a gift option, and one Idempotency-Key per checkout attempt.
// Checkout sends the unit prices shown here; a price that went up meanwhile comes back as a 409
// price_changed with both prices, and the cart is shown again at the new prices before anything is charged.

import { api, ApiError, describe, get, signedIn } from '../api.js';
import { bottle, demoTag, notice, price } from '../components.js';
import { h, mount, toast } from '../dom.js';
import { navigate } from '../router.js';
import { updateCartBadge } from '../session.js';
import { track } from '../track.js';

// The attempt in progress: its key is reused only to retry the same order after a network failure
// or a 5xx, so a retried request can never place a second order.
let attempt = null;

export async function render({ main, signal }) {
  document.title = 'Your cart — Cuvée';
  if (!signedIn()) {
    mount(main, h('section', { class: 'page narrow' }, h('h1', {}, 'Your cart'),
      h('p', {}, h('a', { href: '#/account?next=/cart' }, 'Sign in'), ' to fill your cart and check out.')));
    return;
  }
  mount(main, h('section', { class: 'page' }, h('h1', {}, 'Your cart'), h('p', { class: 'muted' }, 'Loading…')));
  let cart;
  try {
    cart = await get('/v1/me/cart', { signal });
  } catch (error) {
    if (!signal.aborted) mount(main, h('section', { class: 'page' }, h('h1', {}, 'Your cart'), notice(describe(error), 'error')));
    return;
  }
  if (signal.aborted) return;
  draw(main, cart);
}

function draw(main, cart) {
  updateCartBadge(cart.bottles);
  if (!cart.items.length) {
    mount(main, h('section', { class: 'page narrow' }, h('h1', {}, 'Your cart'),
      h('div', { class: 'empty' }, h('p', {}, 'Your cart is empty.'), h('a', { class: 'button button-primary', href: '#/' }, 'Discover wines'))));
    return;
  }
  const redraw = (next) => {
    const focused = document.activeElement?.id;
    draw(main, next);
    if (focused) document.getElementById(focused)?.focus();
  };
  mount(main, h('section', { class: 'page' },
    h('h1', {}, 'Your cart'),
    h('div', { class: 'cart-layout' },
      h('ul', { class: 'cart-lines', role: 'list', 'aria-label': 'Bottles in your cart' }, cart.items.map((line) => cartLine(line, redraw))),
      checkoutPanel(cart, redraw))));
}

function cartLine(line, redraw) {
  const id = encodeURIComponent(line.wine.id);
  const setQuantity = async (quantity) => {
    try {
      const next = await api('PUT', `/v1/me/cart/items/${id}`, { body: { quantity, rec_id: line.rec_id } });
      if (quantity === 0) {
        track('cart_item_removed', { wine_id: line.wine.id });
        toast(`${line.wine.name || 'The wine'} removed from your cart.`);
      }
      redraw(next);
    } catch (error) {
      toast(describe(error), 'error');
    }
  };
  const quantity = h('input', { type: 'number', id: `qty-${line.wine.id}`, min: '0', max: '999', value: String(line.quantity),
    on: { change: (e) => setQuantity(Math.max(0, Math.min(999, Number(e.target.value) || 0))) } });
  return h('li', { class: 'cart-line' },
    h('div', { class: 'cart-line-art', 'aria-hidden': 'true' }, bottle(null, 'sm')),
    h('div', { class: 'cart-line-main' },
      h('h2', {}, h('a', { href: `#/wine/${id}` }, line.wine.name || line.wine.id)),
      h('p', { class: 'muted small' }, [line.wine.winery, `${price(line.unit_price)} a bottle`,
        line.price_rule && line.list_price ? `${line.price_rule} (was ${price(line.list_price)})` : null].filter(Boolean).join(' · '),
        demoTag(line.wine, 'price_cents')),
      !line.available ? h('p', { class: 'form-error small' }, 'No longer sold: remove it to check out.')
        : !line.in_stock ? h('p', { class: 'form-error small' }, 'Out of stock right now.') : null),
    h('div', { class: 'cart-line-controls' },
      h('label', { for: `qty-${line.wine.id}`, class: 'small' }, 'Bottles'), quantity,
      h('strong', {}, price(line.line_total)),
      h('button', { type: 'button', class: 'button button-small button-quiet', 'aria-label': `Remove ${line.wine.name || 'this wine'} from your cart`, on: { click: () => setQuantity(0) } }, 'Remove')));
}

function checkoutPanel(cart, redraw) {
  const giftToggle = h('input', { type: 'checkbox', id: 'gift' });
  const recipient = h('input', { type: 'text', id: 'gift-recipient', maxlength: '200', autocomplete: 'off' });
  const message = h('textarea', { id: 'gift-message', rows: '3', maxlength: '1000' });
  const giftFields = h('div', { class: 'gift-fields', hidden: true },
    h('div', { class: 'field' }, h('label', { for: 'gift-recipient' }, 'Recipient’s name'), recipient),
    h('div', { class: 'field' }, h('label', { for: 'gift-message' }, 'Card message (optional)'), message),
    h('p', { class: 'hint small' }, 'Gifts do not shape your own recommendations.'));
  giftToggle.addEventListener('change', () => {
    giftFields.hidden = !giftToggle.checked;
    recipient.required = giftToggle.checked;
  });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'button button-primary', id: 'place-order' }, `Place order · ${price(cart.total)}`);
  const submit = async (event) => {
    event.preventDefault();
    const body = giftToggle.checked ? { gift: { recipient_name: recipient.value.trim(), message: message.value.trim() || null } } : {};
    body.seen_prices = Object.fromEntries(cart.items.map((line) => [line.wine.id, line.unit_price.amount_minor]));
    await placeOrder(body, button, error, redraw);
  };
  return h('form', { class: 'panel summary', 'aria-labelledby': 'summary-title', on: { submit } },
    h('h2', { id: 'summary-title' }, 'Order summary'),
    h('p', { class: 'summary-row' }, h('span', {}, 'Bottles'), h('span', {}, String(cart.bottles))),
    h('p', { class: 'summary-row summary-total' }, h('span', {}, 'Total'), h('span', {}, price(cart.total))),
    h('label', { class: 'check' }, giftToggle, ' This is a gift'),
    giftFields, error, button,
    h('p', { class: 'muted small' }, 'Payment is simulated in this demo shop.'));
}

async function placeOrder(body, button, error, redraw) {
  const json = JSON.stringify(body);
  if (!attempt || attempt.json !== json) attempt = { key: crypto.randomUUID(), json };
  error.textContent = '';
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    const order = await api('POST', '/v1/me/checkout', { body, headers: { 'Idempotency-Key': attempt.key } });
    attempt = null;
    updateCartBadge(0);
    navigate(`/order/${encodeURIComponent(order.id)}`, { placed: '1' });
  } catch (err) {
    // A definite refusal (4xx) ends the attempt; after a network failure or a 5xx the same key is kept,
    // so pressing the button again retries the same order instead of placing a second one.
    const definite = err instanceof ApiError && err.status < 500;
    if (definite) attempt = null;
    if (err instanceof ApiError && err.code === 'price_changed') {
      await showNewPrices(err, redraw);
      return;
    }
    error.textContent = definite ? describe(err) : `${describe(err)} Press the button again to retry safely.`;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/** The shop raised a price since the cart was drawn: nothing was charged; show the cart at its new prices. */
async function showNewPrices(err, redraw) {
  const changes = (err.problem.errors || []).map((e) => `${price(e.seen_price)} → ${price(e.price)}`).join(', ');
  toast(`A price went up since you looked (${changes}). Nothing was charged: check the new total and place the order again.`, 'error');
  try {
    redraw(await get('/v1/me/cart'));
  } catch (reload) {
    toast(describe(reload), 'error');
  }
}
