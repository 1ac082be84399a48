// Small pieces of the lesson page's panels, shared by hosting.js, tilemenu.js, lobby.js and
// polls.js.

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

/** A modal yes/no question; resolves true when the person confirmed. */
export class ConfirmDialog {
  constructor({ doc, translator }) {
    this.t = translator;
    this.dialog = doc.getElementById('confirm-dialog');
    this.title = doc.getElementById('confirm-title');
    this.text = doc.getElementById('confirm-text');
    this.ok = doc.getElementById('confirm-ok');
  }

  ask({ title, text, confirm }) {
    localize(this.title, this.t, ...title);
    localize(this.text, this.t, ...text);
    localize(this.ok, this.t, confirm);
    this.dialog.returnValue = '';
    this.dialog.showModal();
    return new Promise((resolve) => {
      this.dialog.addEventListener('close', () => resolve(this.dialog.returnValue === 'ok'), { once: true });
    });
  }
}
