// A material on the lesson's stage (docs/protocol.md, "Materials"): the PDF a host shows, drawn
// with pdf.js (web_client/vendor/, `make pdfjs`), at the page and zoom the host chose. Every
// page follows the server's `material` messages; `joined` carries what is shown now, so a late
// joiner or a reconnecting page opens the same page.
//
// A host turns pages (buttons, ← → PageUp PageDown Home End) and zooms (− + buttons, - and +),
// stops showing, and picks what to show from the class panel's "Materials" (the lesson's
// class's PDFs), or uploads one there first.

import { ApiError } from './api.js';
import { localize } from './i18n.js';
import { icon } from './icons.js';
import { openPdf, renderPage } from './pdf-page.js';

export const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4];
/** The server's size limit, as its file_too_large message names it ("… than 50 MB"). */
const LIMIT = /(\d+)\s*([KM])B/;

/** The next zoom step up (+1) or down (-1) from `zoom`. */
export function zoomStep(zoom, direction) {
  if (direction > 0) return ZOOMS.find((z) => z > zoom + 1e-6) ?? ZOOMS[ZOOMS.length - 1];
  return [...ZOOMS].reverse().find((z) => z < zoom - 1e-6) ?? ZOOMS[0];
}

/** [i18n key, params] for a refused upload or request (`translator` words a size). */
export function materialError(err, translator) {
  const code = err?.code;
  if (code === 'file_too_large') {
    const [, size, unit] = LIMIT.exec(err.message || '') || [null, '50', 'M'];
    return ['error.file_too_large', { limit: translator.t(`material.size${unit}B`, { size }) }];
  }
  for (const key of [`error.${code}`, `api.${code}`]) if (code && translator.has(key)) return [key];
  return ['error.unknown', { message: err?.message || String(err) }];
}

async function apiJson(method, path, body) {
  let response;
  try {
    response = await fetch(path, { method, body, cache: 'no-store', credentials: 'same-origin' });
  } catch (err) {
    throw new ApiError(0, 'network', err?.message || 'network error');
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    /* not JSON: a proxy's error page */
  }
  if (!response.ok) {
    const error = data?.error;
    throw new ApiError(response.status, error?.code || `http_${response.status}`, error?.message || response.statusText, error?.field || null, data);
  }
  return data;
}

/** The materials a session may show (its class's, newest first). */
export const sessionMaterials = (sessionId) =>
  apiJson('GET', `/api/sessions/${encodeURIComponent(sessionId)}/materials`);

/** Uploads `file` (a File) to a session (`sessions`) or a class (`classes`). */
export function uploadMaterial(where, id, file) {
  const body = new FormData();
  body.append('file', file, file.name);
  return apiJson('POST', `/api/${where}/${encodeURIComponent(id)}/materials`, body);
}

export const classMaterials = (classId) =>
  apiJson('GET', `/api/classes/${encodeURIComponent(classId)}/materials`);

export const deleteMaterial = (materialId) =>
  apiJson('DELETE', `/api/materials/${encodeURIComponent(materialId)}`);

/** "1.2 MB" for `bytes`, in the translator's language. */
export function sizeText(bytes, translator) {
  if (bytes >= 1024 * 1024) {
    const size = new Intl.NumberFormat(translator.lang, { maximumFractionDigits: 1 }).format(bytes / (1024 * 1024));
    return translator.t('material.sizeMB', { size });
  }
  return translator.t('material.sizeKB', { size: Math.max(1, Math.round(bytes / 1024)) });
}

export class MaterialStage {
  /**
   * @param {object} options
   * @param {Document} options.doc
   * @param {object} options.translator
   * @param {(key: string, params?: object, tone?: string) => void} options.toast
   * @param {(on: boolean) => void} options.onStage  the stage shows a material (true) or people
   */
  constructor({ doc = document, translator, toast, onStage }) {
    this.doc = doc;
    this.t = translator;
    this.toast = toast;
    this.onStage = onStage;
    const $ = (id) => doc.getElementById(id);
    this.$ = $;
    this.el = $('material-stage');
    this.view = $('material-view');
    this.canvas = $('material-canvas');
    this.client = null;
    this.host = false;
    this.sessionId = null;
    this.shown = null; // {id, title, pages, page, zoom, url}
    this.documents = new Map(); // material id → Promise of a pdf.js document
    this.drawing = null; // the render task under way
    this.drawn = ''; // "id:page:zoom:width:height" of what the canvas holds
    this.listed = [];

    $('material-stop').prepend(icon('close'));
    $('material-prev').append(icon('chevronLeft'));
    $('material-next').append(icon('chevronRight'));
    $('material-prev').addEventListener('click', () => this.turn(-1));
    $('material-next').addEventListener('click', () => this.turn(1));
    $('material-zoom-out').addEventListener('click', () => this.zoom(-1));
    $('material-zoom-in').addEventListener('click', () => this.zoom(1));
    $('material-stop').addEventListener('click', () => this._request('material_stop', {}));
    $('host-material-upload').prepend(icon('upload'));
    $('host-material-upload').addEventListener('click', () => $('host-material-file').click());
    $('host-material-file').addEventListener('change', (ev) => {
      const [file] = ev.target.files || [];
      ev.target.value = '';
      if (file) this.upload(file);
    });
    doc.addEventListener('keydown', (ev) => this._key(ev));
    // The page is redrawn at the stage's new size (a rotated phone, the chat opened).
    this.resizes = globalThis.ResizeObserver ? new ResizeObserver(() => this._draw()) : null;
    this.resizes?.observe(this.view);
    translator.addEventListener?.('change', () => this._label());
  }

  /** A (re)joined connection: what `joined` says is shown, and its `material` messages. */
  attach(client, joined) {
    this.client = client;
    this.host = Boolean(client.grants?.moderate);
    this.sessionId = joined.room;
    this.$('material-controls').hidden = !this.host;
    this.$('host-materials').hidden = !this.host;
    client.addEventListener('roomevent', (ev) => {
      const message = ev.detail.message;
      if (client === this.client && message.type === 'material') this.show(message.material);
    });
    this.show(joined.material ?? null);
    if (this.host) this.refreshList();
  }

  /** The lesson is over for this page. */
  reset() {
    this.client = null;
    this.show(null);
    for (const loading of this.documents.values()) loading.then((pdf) => pdf.destroy(), () => {});
    this.documents.clear();
  }

  /** Shows `material` ({id, title, pages, page, zoom, url}) as the server says, or nothing. */
  show(material) {
    const before = this.shown;
    this.shown = material && material.id ? { ...material } : null;
    const on = Boolean(this.shown);
    this.el.hidden = !on;
    this.el.dataset.materialId = this.shown?.id ?? '';
    this.el.dataset.page = on ? String(this.shown.page) : '';
    if (Boolean(before) !== on) this.onStage(on);
    this._label();
    this._markListed();
    if (!on) {
      this.drawing?.cancel();
      this.drawn = '';
      this.el.dataset.renderedPage = '';
      return;
    }
    this._draw();
  }

  turn(step) {
    if (!this.host || !this.shown) return;
    const page = Math.min(Math.max(1, this.shown.page + step), this.shown.pages);
    if (page !== this.shown.page) this._request('material_page', { page });
  }

  zoom(direction) {
    if (!this.host || !this.shown) return;
    const zoom = zoomStep(this.shown.zoom, direction);
    if (zoom !== this.shown.zoom) this._request('material_zoom', { zoom });
  }

  /** Puts a material of the lesson's class on everyone's stage. */
  present(materialId) {
    return this._request('material_show', { materialId });
  }

  async upload(file) {
    const button = this.$('host-material-upload');
    button.disabled = true;
    localize(button.querySelector('span'), this.t, 'material.uploading');
    try {
      const material = await uploadMaterial('sessions', this.sessionId, file);
      this.toast('material.uploaded', { title: material.title }, 'info');
      await this.refreshList();
      await this.present(material.id);
    } catch (err) {
      this.toast(...materialError(err, this.t));
    } finally {
      button.disabled = false;
      localize(button.querySelector('span'), this.t, 'material.upload');
    }
  }

  /** The class panel's list of what may be shown. */
  async refreshList() {
    if (!this.host || !this.sessionId) return;
    try {
      this.listed = (await sessionMaterials(this.sessionId)).materials || [];
    } catch (err) {
      this.listed = [];
      // A room that is no class's lesson (a staff meeting, the demo room) shows none.
      if (err?.status === 400 || err?.status === 404) this.$('host-materials').hidden = true;
    }
    const list = this.$('host-materials-list');
    list.replaceChildren(...this.listed.map((m) => this._item(m)));
    this.$('host-materials-empty').hidden = this.listed.length > 0;
    this._markListed();
  }

  _item(material) {
    const item = this.doc.createElement('li');
    item.className = 'host-item material-item';
    item.dataset.materialId = material.id;
    const text = this.doc.createElement('span');
    text.className = 'host-name';
    const title = this.doc.createElement('span');
    title.className = 'material-item-title';
    title.textContent = material.title;
    const pages = this.doc.createElement('small');
    localize(pages, this.t, 'material.pages', { pages: material.pages });
    text.append(title, pages);
    const button = this.doc.createElement('button');
    button.type = 'button';
    button.className = 'text-button material-show';
    localize(button, this.t, 'material.show');
    button.addEventListener('click', () => this.present(material.id));
    item.append(icon('document'), text, button);
    return item;
  }

  _markListed() {
    for (const item of this.$('host-materials-list').children) {
      const on = item.dataset.materialId === this.shown?.id;
      item.classList.toggle('on-stage', on);
      const button = item.querySelector('.material-show');
      button.disabled = on;
      localize(button, this.t, on ? 'material.onStage' : 'material.show');
    }
  }

  async _request(type, fields) {
    if (!this.client || this.client.state !== 'joined') return;
    try {
      await this.client.request(type, fields);
    } catch (err) {
      this.toast(...materialError(err, this.t));
    }
  }

  _key(ev) {
    if (!this.host || !this.shown || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const target = ev.target;
    if (target?.closest?.('input, textarea, select, [contenteditable="true"], dialog[open]')) return;
    const steps = { ArrowRight: 1, PageDown: 1, ArrowLeft: -1, PageUp: -1 };
    if (ev.key in steps) this.turn(steps[ev.key]);
    else if (ev.key === 'Home') this.turn(-this.shown.pages);
    else if (ev.key === 'End') this.turn(this.shown.pages);
    else if (ev.key === '+' || ev.key === '=') this.zoom(1);
    else if (ev.key === '-') this.zoom(-1);
    else return;
    ev.preventDefault();
  }

  _label() {
    const shown = this.shown;
    this.$('material-title').textContent = shown?.title ?? '';
    const label = this.$('material-page-label');
    if (!shown) {
      label.textContent = '';
      return;
    }
    localize(label, this.t, 'material.pageOf', { page: shown.page, pages: shown.pages });
    this.$('material-zoom-label').textContent = `${Math.round(shown.zoom * 100)}%`;
    this.$('material-prev').disabled = shown.page <= 1;
    this.$('material-next').disabled = shown.page >= shown.pages;
    this.$('material-zoom-out').disabled = shown.zoom <= ZOOMS[0];
    this.$('material-zoom-in').disabled = shown.zoom >= ZOOMS[ZOOMS.length - 1];
  }

  _document(material) {
    let loading = this.documents.get(material.id);
    if (!loading) {
      loading = openPdf(material.url);
      loading.catch(() => this.documents.delete(material.id)); // a later show tries again
      this.documents.set(material.id, loading);
    }
    return loading;
  }

  /** Draws the shown page to fit the stage (its zoom on top), unless it already is. */
  async _draw() {
    const shown = this.shown;
    if (!shown) return;
    const box = this.view.getBoundingClientRect();
    if (box.width < 1 || box.height < 1) return;
    const key = `${shown.id}:${shown.page}:${shown.zoom}:${Math.round(box.width)}:${Math.round(box.height)}`;
    if (key === this.drawn) return;
    this.drawn = key;
    this.el.classList.add('loading');
    let page;
    try {
      const pdf = await this._document(shown);
      page = await pdf.getPage(shown.page);
    } catch {
      if (this.drawn === key) {
        this.drawn = '';
        this.el.classList.remove('loading');
        this.toast('material.failed');
      }
      return;
    }
    if (this.drawn !== key) return; // a newer page or size came meanwhile
    // Zoom 1: the whole page fits the stage; more is larger, and the stage scrolls.
    this.drawing?.cancel();
    let canvas;
    try {
      canvas = await renderPage(this.doc, page, box, shown.zoom, (task) => { this.drawing = task; });
    } catch {
      return; // cancelled for a newer one
    }
    if (this.drawn !== key) return;
    // Drawn off screen, then swapped in: a page turn never shows a half-drawn page.
    canvas.id = 'material-canvas';
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${shown.title}: ${this.t.t('material.pageOf', { page: shown.page, pages: shown.pages })}`);
    this.canvas.replaceWith(canvas);
    this.canvas = canvas;
    this.view.classList.toggle('zoomed', shown.zoom > 1);
    this.el.classList.remove('loading');
    this.el.dataset.renderedPage = String(shown.page);
    this.el.dataset.renderedZoom = String(shown.zoom);
  }
}
