// Small DOM helpers: every view builds elements with h(), so API text is never parsed as HTML.

/**
 * Create an element. `attrs` keys: `class`, `text`, `on` ({event: handler}), `dataset`, booleans
 * (set when true, dropped when false), anything else as an attribute. Children may be strings, nodes,
 * arrays or null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = tag.includes(':')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.split(':')[1])
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'on') {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'text') {
      el.textContent = value;
    } else if (key === 'style') {
      el.style.cssText = value; // CSSOM, not an inline style attribute: fine under a strict CSP
    } else if (key === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replace every child of `el`. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#x27;': "'", '&#39;': "'" };

/**
 * Render a search highlight ("HTML-escaped text with <mark>") as nodes without parsing HTML:
 * only <mark> becomes an element, everything else stays text.
 */
export function highlighted(fragment) {
  const out = [];
  const parts = String(fragment).split(/(<mark>|<\/mark>)/);
  let marked = false;
  for (const part of parts) {
    if (part === '<mark>') { marked = true; continue; }
    if (part === '</mark>') { marked = false; continue; }
    if (!part) continue;
    const text = part.replace(/&(amp|lt|gt|quot|#x27|#39);/g, (m) => ENTITIES[m]);
    out.push(marked ? h('mark', {}, text) : text);
  }
  return out;
}

/** Call `fn` once `ms` have passed without another call; `.cancel()` drops the pending call. */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

let toastTimer = null;

/** A short message in the polite live region (read by screen readers, seen by everyone). */
export function toast(message, kind = 'info') {
  const el = document.getElementById('toast');
  el.className = `toast toast-${kind} toast-shown`;
  el.textContent = message;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = 'toast'; }, 4000);
}

/** A unique id for label/aria wiring. */
let counter = 0;
export function uid(prefix = 'id') {
  counter += 1;
  return `${prefix}-${counter}`;
}
