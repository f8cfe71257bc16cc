// The taste quiz: questions from the API, answers scored into a taste profile by the API.

import { api, describe, get, signedIn } from '../api.js';
import { tasteBars } from '../components.js';
import { h, mount } from '../dom.js';
import { listCarousel, readList } from '../recs.js';
import { navigate } from '../router.js';
import { invalidateProfile, personalisationOffer } from '../session.js';

export async function render({ main, signal }) {
  document.title = 'Taste quiz — Cuvée';
  if (!signedIn()) {
    navigate('/account', { next: '/quiz' });
    return;
  }
  mount(main, h('section', { class: 'page narrow' }, h('h1', {}, 'Your taste in a few questions'), h('p', { class: 'muted' }, 'Loading the questions…')));
  let quiz;
  try {
    quiz = await get('/v1/taste-quiz', { signal });
  } catch (error) {
    if (!signal.aborted) mount(main, h('section', { class: 'page narrow' }, h('h1', {}, 'Taste quiz'), h('p', { class: 'notice notice-error' }, describe(error))));
    return;
  }
  if (signal.aborted) return;
  const progress = h('p', { class: 'quiz-progress', role: 'status' }, `0 of ${quiz.questions.length} answered`);
  const error = h('p', { class: 'form-error', role: 'alert' });
  const form = h('form', { class: 'quiz', on: {
    change: () => { progress.textContent = `${answered(form).length} of ${quiz.questions.length} answered`; },
    submit: (event) => submit(event, form, main, error),
  } },
  quiz.questions.map((question, index) => h('fieldset', { class: 'quiz-question' },
    h('legend', {}, `${index + 1}. ${question.text}`),
    h('div', { class: 'quiz-options' }, question.options.map((option) => h('label', { class: 'quiz-option' },
      h('input', { type: 'radio', name: question.id, value: option.id }), option.label))))),
  error,
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button button-primary' }, 'See my taste'), progress));
  mount(main, h('section', { class: 'page narrow' },
    h('h1', {}, 'Your taste in a few questions'),
    h('p', { class: 'muted' }, 'No wine knowledge needed: what you like to eat and drink says a lot. Skip any question you like.'),
    form));
}

function answered(form) {
  return [...form.querySelectorAll('input[type="radio"]:checked')].map((input) => [input.name, input.value]);
}

async function submit(event, form, main, error) {
  event.preventDefault();
  const answers = Object.fromEntries(answered(form));
  if (!Object.keys(answers).length) {
    error.textContent = 'Answer at least one question.';
    return;
  }
  try {
    const result = await api('POST', '/v1/me/taste-quiz', { body: { answers } });
    invalidateProfile();
    const picks = h('div', { class: 'quiz-picks', id: 'quiz-picks', 'aria-live': 'polite' });
    mount(main, h('section', { class: 'page narrow quiz-result' },
      h('h1', { tabindex: '-1' }, 'Here is your taste'),
      h('div', { class: 'panel' }, tasteBars(result.taste_profile)),
      result.kept_stated.length ? h('p', { class: 'muted' }, `We kept what you set yourself for ${result.kept_stated.join(', ')}.`) : null,
      picks,
      h('div', { class: 'actions' }, h('a', { class: 'button button-primary', href: '#/', id: 'see-picks' }, 'See my picks'),
        h('a', { class: 'button button-quiet', href: '#/account' }, 'Fine-tune my preferences'))));
    main.querySelector('h1').focus();
    await showPicks(picks);
  } catch (err) {
    error.textContent = describe(err);
  }
}

/**
 * The first picks from the new profile. They need personalisation consent (off unless ticked at sign-up):
 * without it the list is popular wines, so the page says what is missing and offers it in place.
 */
async function showPicks(box) {
  const list = readList(await get('/v1/me/recommendations', { query: { per_page: 6, surface: 'quiz' } }).catch(() => null));
  if (!list) return;
  if (!list.personalised) {
    mount(box, personalisationOffer('Your picks are not personalised yet: your answers are saved, but we only use them for your picks with your permission.',
      () => showPicks(box)));
    return;
  }
  mount(box, listCarousel(list, { title: 'Your first picks', subtitle: 'Matched to the taste you just described', surface: 'quiz', id: 'first-picks' }));
}
