// A recording's slide beside its video (playback.js): the material's page at the zoom shown,
// or the blank board, with the board's strokes as they were at the video's moment
// (stage-replay.js). Pages are drawn with pdf.js as the lesson's stage draws them
// (pdf-page.js), strokes as the live board draws them (board-draw.js).

import { BOARD_HEIGHT, BOARD_WIDTH, drawStroke } from './board-draw.js';
import { openPdf, renderPage } from './pdf-page.js';

export class PlaybackStage {
  /**
   * @param {object} options
   * @param {Document} options.doc
   * @param {HTMLElement} options.box       the slide's place (shown while there is one)
   * @param {HTMLElement} options.view      inside it, where the page and its board go
   * @param {(material: object) => string} options.pdfUrl  where a material's PDF downloads
   * @param {(on: boolean) => void} options.onShown  a slide appears (true) or goes
   */
  constructor({ doc = document, box, view, pdfUrl, onShown }) {
    this.doc = doc;
    this.box = box;
    this.view = view;
    this.pdfUrl = pdfUrl;
    this.onShown = onShown;
    this.stage = null;
    this.documents = new Map(); // material id → promise of a pdf.js document
    this.drawn = ''; // "key:zoom:width:height" of the page on the canvas
    this.task = null;
    this.page = null; // the page's canvas
    this.board = doc.createElement('canvas');
    this.board.id = 'slide-board';
    this.board.className = 'slide-board';
    this.resizes = globalThis.ResizeObserver ? new ResizeObserver(() => this._draw()) : null;
    this.resizes?.observe(view);
  }

  /** The stage as stageAt() gives it (null: no slide). */
  show(stage) {
    const before = this.stage;
    this.stage = stage;
    this.box.hidden = !stage;
    this.box.dataset.page = stage ? stage.key : '';
    if (Boolean(before) !== Boolean(stage)) this.onShown(Boolean(stage));
    if (!stage) {
      this.task?.cancel();
      this.drawn = '';
      this.box.dataset.renderedPage = '';
      return;
    }
    this._draw();
  }

  _document(material) {
    let loading = this.documents.get(material.id);
    if (!loading) {
      loading = openPdf(this.pdfUrl(material));
      loading.catch(() => this.documents.delete(material.id));
      this.documents.set(material.id, loading);
    }
    return loading;
  }

  async _draw() {
    const stage = this.stage;
    if (!stage) return;
    const rect = this.view.getBoundingClientRect();
    if (rect.width < 1 || rect.height < 1) return;
    const box = { width: rect.width, height: rect.height };
    const key = `${stage.key}:${stage.zoom}:${Math.round(box.width)}:${Math.round(box.height)}`;
    if (key === this.drawn) {
      this._strokes();
      return;
    }
    this.drawn = key;
    this.task?.cancel();
    let canvas;
    try {
      canvas = stage.material ? await this._pdfPage(stage, box) : this._blank(box);
    } catch {
      if (this.drawn === key) this.drawn = ''; // cancelled, or the PDF failed: the next moment tries again
      return;
    }
    if (this.drawn !== key) return; // a newer moment came meanwhile
    // Drawn off screen, then swapped in: a seek never shows a half-drawn page.
    canvas.id = 'slide-canvas';
    canvas.className = 'slide-canvas';
    if (this.page) this.page.replaceWith(canvas);
    else this.view.append(canvas);
    this.page = canvas;
    this.view.append(this.board);
    this.view.classList.toggle('zoomed', stage.zoom > 1);
    this.box.dataset.renderedPage = stage.key;
    this._strokes();
  }

  async _pdfPage(stage, box) {
    const pdf = await this._document(stage.material);
    const page = await pdf.getPage(stage.page);
    return renderPage(this.doc, page, box, stage.zoom, (task) => { this.task = task; });
  }

  /** The blank board: a white 16:9 sheet fitting the box. */
  _blank(box) {
    const scale = Math.min(box.width / BOARD_WIDTH, box.height / BOARD_HEIGHT);
    const ratio = globalThis.devicePixelRatio || 1;
    const canvas = this.doc.createElement('canvas');
    canvas.width = Math.floor(BOARD_WIDTH * scale * ratio);
    canvas.height = Math.floor(BOARD_HEIGHT * scale * ratio);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    canvas.style.width = `${Math.floor(BOARD_WIDTH * scale)}px`;
    canvas.style.height = `${Math.floor(BOARD_HEIGHT * scale)}px`;
    return canvas;
  }

  /** The strokes of the moment over the page, 1600 board units across its width. */
  _strokes() {
    const page = this.page;
    const stage = this.stage;
    if (!page || !stage) return;
    const board = this.board;
    board.style.left = `${page.offsetLeft}px`;
    board.style.top = `${page.offsetTop}px`;
    board.style.width = page.style.width;
    board.style.height = page.style.height;
    if (board.width !== page.width || board.height !== page.height) {
      board.width = page.width;
      board.height = page.height;
    }
    const ctx = board.getContext('2d');
    ctx.clearRect(0, 0, board.width, board.height);
    for (const stroke of stage.strokes) drawStroke(ctx, stroke, board.width / BOARD_WIDTH);
    board.dataset.strokes = String(stage.strokes.length);
  }
}
