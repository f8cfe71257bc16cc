// One order: the confirmation after checkout, and the detail page from the order history.

import { describe, get, signedIn } from '../api.js';
import { notice } from '../components.js';
import { h, mount } from '../dom.js';
import { navigate } from '../router.js';
import { orderCard } from './account-sections.js';

export async function render({ main, args, params, signal }) {
  document.title = 'Your order — Cuvée';
  if (!signedIn()) {
    navigate('/account');
    return;
  }
  const [orderId] = args;
  const placed = params.get('placed') === '1';
  mount(main, h('section', { class: 'page narrow' }, h('h1', {}, placed ? 'Thank you!' : 'Your order'), h('p', { class: 'muted' }, 'Loading…')));
  try {
    const order = await get(`/v1/me/orders/${encodeURIComponent(orderId)}`, { signal });
    if (signal.aborted) return;
    mount(main, h('section', { class: 'page narrow' },
      h('h1', {}, placed ? 'Thank you — your order is placed' : 'Your order'),
      placed ? h('p', { class: 'notice notice-ok' }, order.is_gift
        ? `We will wrap it for ${order.gift.recipient_name}.` : 'We are getting your bottles ready.') : null,
      orderCard(order, () => render({ main, args, params: new URLSearchParams(), signal })),
      h('h2', {}, 'Status'),
      h('ol', { class: 'order-items' }, order.history.map((change) =>
        h('li', {}, `${change.status} — ${new Date(change.at).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' })}`))),
      h('div', { class: 'actions' }, h('a', { class: 'button', href: '#/account' }, 'All my orders'), h('a', { class: 'button button-quiet', href: '#/' }, 'Keep browsing'))));
  } catch (error) {
    if (!signal.aborted) mount(main, h('section', { class: 'page narrow' }, h('h1', {}, 'Order not found'), notice(describe(error), 'error')));
  }
}
