import { h, mount } from '../dom.js';

export async function render({ main }) {
  mount(main, h('section', { class: 'page' }, h('h1', {}, 'quiz')));
}
