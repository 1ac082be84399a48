// Small pieces of the lesson page's panels, shared by hosting.js, lobby.js and polls.js.

import { localize } from './i18n.js';

/** A small text button for list rows ("Lower", "Admit"), labelled in the page's language. */
export function actionButton(translator, key, onClick, className = 'text-button') {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = className;
  localize(button, translator, key);
  button.addEventListener('click', onClick);
  return button;
}

/** A count next to a heading; hidden at zero. */
export function setCount(el, count) {
  el.hidden = !count;
  el.textContent = String(count);
}
