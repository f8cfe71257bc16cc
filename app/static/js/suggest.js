// The header search box: an ARIA combobox with debounced as-you-type suggestions, chosen with
// the arrow keys and Enter, or the mouse.

import { get } from './api.js';
import { debounce, h, mount } from './dom.js';
import { navigate } from './router.js';

const KIND_LABELS = { wine: 'Wine', winery: 'Winery', grape: 'Grape', region: 'Region', country: 'Country', style: 'Style' };
const DEBOUNCE_MS = 150;

export function startSuggest() {
  const form = document.getElementById('search-form');
  const input = document.getElementById('search-input');
  const list = document.getElementById('suggestions');
  let items = [];
  let active = -1;
  let inflight = null;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };

  const highlight = (index) => {
    active = index;
    [...list.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === index)));
    if (index >= 0) {
      input.setAttribute('aria-activedescendant', list.children[index].id);
      list.children[index].scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  };

  const choose = (item) => {
    close();
    if (item.kind === 'wine' && item.wine) {
      input.value = '';
      navigate(`/wine/${encodeURIComponent(item.wine.id)}`);
    } else if (['grape', 'region', 'country'].includes(item.kind)) {
      input.value = '';
      navigate('/search', { [item.kind]: item.text });
    } else {
      input.value = item.text;
      navigate('/search', { q: item.text });
    }
  };

  const show = (suggestions) => {
    items = suggestions;
    mount(list, suggestions.map((item, i) => h('li', {
      id: `suggestion-${i}`, role: 'option', 'aria-selected': 'false', class: 'suggestion',
      // mousedown, not click: it runs before the input's blur closes the list.
      on: { mousedown: (event) => { event.preventDefault(); choose(item); } },
    }, h('span', { class: 'suggestion-text' }, item.text),
    h('span', { class: 'suggestion-kind' }, KIND_LABELS[item.kind] || item.kind))));
    list.hidden = !suggestions.length;
    input.setAttribute('aria-expanded', String(Boolean(suggestions.length)));
    active = -1;
  };

  const fetchSuggestions = debounce(async (text) => {
    inflight?.abort();
    inflight = new AbortController();
    try {
      const answer = await get('/v1/search/suggest', { query: { q: text }, signal: inflight.signal });
      if (input.value.trim() === text && document.activeElement === input) show(answer.items);
    } catch {
      // Suggestions are a nicety: a failure or a cancelled request just shows none.
    }
  }, DEBOUNCE_MS);

  input.addEventListener('input', () => {
    const text = input.value.trim();
    if (text.length < 2) { fetchSuggestions.cancel(); close(); return; }
    fetchSuggestions(text);
  });

  input.addEventListener('keydown', (event) => {
    const open = !list.hidden && items.length;
    if (event.key === 'ArrowDown' && open) {
      event.preventDefault();
      highlight((active + 1) % items.length);
    } else if (event.key === 'ArrowUp' && open) {
      event.preventDefault();
      highlight(active <= 0 ? items.length - 1 : active - 1);
    } else if (event.key === 'Enter' && open && active >= 0) {
      event.preventDefault();
      choose(items[active]);
    } else if (event.key === 'Escape') {
      if (open) { event.preventDefault(); close(); } else { input.value = ''; }
    }
  });

  input.addEventListener('blur', () => setTimeout(close, 100));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    fetchSuggestions.cancel();
    close();
    const text = input.value.trim();
    navigate('/search', text ? { q: text } : {});
  });
}

/** Show the query of the search page in the box (after a reload or a "did you mean" link). */
export function setSearchText(text) {
  const input = document.getElementById('search-input');
  if (document.activeElement !== input) input.value = text || ''; // never overwrite what is being typed
}
