// Account: sign in / sign up when signed out; otherwise taste, preferences, consent, orders,
// wishlist, reviews, history and the user's data rights, each a section of one page.

import { describe, signedIn } from '../api.js';
import { h, mount, toast } from '../dom.js';
import { navigate } from '../router.js';
import { profile, signIn, signOut, signUp } from '../session.js';
import { consent } from '../track.js';
import {
  consentSection, dataSection, historySection, ordersSection, preferencesSection, reviewsSection, segmentSection, tasteSection,
  wishlistSection,
} from './account-sections.js';

export async function render({ main, params, signal }) {
  if (!signedIn()) {
    document.title = 'Sign in — Cuvée';
    mount(main, authPage(params.get('next')));
    return;
  }
  document.title = 'Your account — Cuvée';
  mount(main, h('section', { class: 'page' }, h('h1', {}, 'Your account'), h('p', { class: 'muted' }, 'Loading…')));
  let me;
  try {
    me = await profile({ fresh: true });
  } catch (error) {
    if (!signal.aborted) mount(main, h('section', { class: 'page' }, h('h1', {}, 'Your account'), h('p', { class: 'notice notice-error' }, describe(error))));
    if (!signedIn()) render({ main, params, signal }); // the session expired: show the sign-in forms
    return;
  }
  if (signal.aborted) return;
  const sections = [
    ['taste', 'Taste profile', tasteSection(me)],
    ['preferences', 'Preferences', preferencesSection(me)],
    ['segment', 'Shoppers like you', segmentSection(signal)],
    ['orders', 'Orders', ordersSection(signal)],
    ['wishlist', 'Wishlist', wishlistSection(signal)],
    ['reviews', 'My reviews', reviewsSection(signal)],
    ['history', 'History', historySection(signal)],
    ['privacy', 'Privacy', consentSection(me)],
    ['data', 'Your data', dataSection(me)],
  ];
  mount(main, h('section', { class: 'page' },
    h('div', { class: 'account-title' },
      h('h1', {}, me.username ? `Hello, ${me.username}` : 'Your account'),
      h('p', { class: 'muted' }, `Signed in as ${me.email}. `,
        h('button', { type: 'button', class: 'link-button', on: { click: () => { signOut(); toast('Signed out.'); navigate('/'); } } }, 'Sign out'))),
    h('div', { class: 'account-layout' },
      h('nav', { class: 'account-nav', 'aria-label': 'Account sections' }, h('ul', {},
        sections.map(([id, label]) => h('li', {}, h('a', { href: `#section-${id}`, on: { click: (e) => jump(e, id) } }, label))))),
      h('div', { class: 'account-sections' }, sections.map(([id, label, body]) =>
        h('section', { class: 'panel', id: `section-${id}`, 'aria-labelledby': `section-${id}-title`, tabindex: '-1' },
          h('h2', { id: `section-${id}-title` }, label), body))))));
}

/** In-page links would change the hash (the router's); scroll and focus the section instead. */
function jump(event, id) {
  event.preventDefault();
  const target = document.getElementById(`section-${id}`);
  target.scrollIntoView({ behavior: 'smooth', block: 'start' });
  target.focus({ preventScroll: true });
}

function authPage(next) {
  return h('section', { class: 'page' },
    h('h1', {}, 'Welcome to Cuvée'),
    h('p', { class: 'muted' }, 'Sign in to see your picks, or create an account and take the taste quiz.'),
    h('div', { class: 'auth-grid' }, signInForm(next), signUpForm(next)));
}

function field(id, label, input, hint = null) {
  input.id = id;
  if (hint) input.setAttribute('aria-describedby', `${id}-hint`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input,
    hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null);
}

function errorLine(id) {
  return h('p', { class: 'form-error', id, role: 'alert' });
}

function signInForm(next) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const error = errorLine('signin-error');
  const submit = async (event) => {
    event.preventDefault();
    error.textContent = '';
    try {
      await signIn(email.value.trim(), password.value);
      toast('Welcome back.');
      navigate(next || '/');
    } catch (err) {
      error.textContent = describe(err);
    }
  };
  return h('form', { class: 'panel', 'aria-labelledby': 'signin-title', on: { submit } },
    h('h2', { id: 'signin-title' }, 'Sign in'),
    field('signin-email', 'Email', email), field('signin-password', 'Password', password), error,
    h('button', { type: 'submit', class: 'button button-primary' }, 'Sign in'));
}

function signUpForm(next) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true });
  const password = h('input', { type: 'password', name: 'new-password', autocomplete: 'new-password', required: true, minlength: '10' });
  const username = h('input', { type: 'text', name: 'username', autocomplete: 'nickname', maxlength: '40' });
  const choice = (id, label, checked) => h('label', { class: 'check' }, h('input', { type: 'checkbox', id, checked }), ` ${label}`);
  const error = errorLine('signup-error');
  const submit = async (event) => {
    event.preventDefault();
    error.textContent = '';
    const consents = {
      personalisation: document.getElementById('signup-personalisation').checked,
      analytics: document.getElementById('signup-analytics').checked,
      marketing: document.getElementById('signup-marketing').checked,
    };
    try {
      await signUp({ email: email.value.trim(), password: password.value, username: username.value.trim(), consents });
      toast('Your account is ready. Now, a few questions about your taste.');
      navigate(next && next !== '/' ? next : '/quiz');
    } catch (err) {
      error.textContent = describe(err);
    }
  };
  return h('form', { class: 'panel', 'aria-labelledby': 'signup-title', on: { submit } },
    h('h2', { id: 'signup-title' }, 'Create an account'),
    field('signup-email', 'Email', email),
    field('signup-password', 'Password', password, 'At least 10 characters.'),
    field('signup-username', 'What should we call you? (optional)', username),
    h('fieldset', {}, h('legend', {}, 'Your choices'),
      choice('signup-personalisation', 'Personalise recommendations with my taste and purchases', false),
      h('p', { class: 'hint', id: 'signup-personalisation-hint' }, 'Needed for picks from your taste quiz and for notes on each wine about how it suits you.'
        + ' You can also allow it later, when you see your quiz results.'),
      choice('signup-analytics', 'Learn from the wines I view and the searches I make', consent() === 'granted'),
      choice('signup-marketing', 'Send me offers and news by email', false)),
    error,
    h('button', { type: 'submit', class: 'button button-primary' }, 'Create account'));
}
