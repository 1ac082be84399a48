// The whiteboard (docs/protocol.md, "Whiteboard"): strokes over the material's page when one is
// shown, else over a blank white board a host opens. The server keeps and numbers the strokes;
// this page draws what it is told (`joined`'s board, then `board_stroke`, `board_removed`,
// `board_settings`), so a late joiner and a reconnecting page see the same board.
//
// Drawn with plain Canvas 2D: a stroke is a polyline, a rectangle, an ellipse or a text, and
// that is all the board needs. Excalidraw (MIT) was weighed: it is a React application with a
// scene and a sync model of its own, which this build-less ES-module page could not take in
// without a bundler, and whose scene would have to be mapped onto the server's ordered,
// bounded strokes anyway. (tldraw's licence forbids production use without a key.)

import { BOARD_HEIGHT, BOARD_WIDTH, drawStroke } from './board-draw.js';
import { localize } from './i18n.js';

// The drawing itself is board-draw.js's, shared with the playback page (playback-stage.js).
export { BOARD_HEIGHT, BOARD_WIDTH, drawStroke };

export const PALETTE = ['#000000', '#e53935', '#1e88e5', '#43a047', '#fdd835', '#8e24aa', '#ffffff'];
const MAX_STROKE_NUMBERS = 2000; // the server's bound of one stroke's [x, y, …]
const TOOLS = ['pen', 'highlighter', 'line', 'rect', 'ellipse', 'text', 'eraser'];
const WIDTHS = { pen: 4, highlighter: 24, line: 4, rect: 4, ellipse: 4, text: 8 }; // text: its size / 4
// The width picker's choices, in board units: a highlighter is wider than a pen at each.
const SIZES = {
  thin: { pen: 2, highlighter: 12, line: 2, rect: 2, ellipse: 2 },
  medium: { pen: 4, highlighter: 24, line: 4, rect: 4, ellipse: 4 },
  thick: { pen: 10, highlighter: 40, line: 10, rect: 10, ellipse: 10 },
};
const MAX_TEXT = 500; // the server's bound of a text stroke
const ERASE_REACH = 12; // board units around the pointer that touch a stroke

/** The page a stroke belongs to: "blank", or "<materialId>:<page>" (as the server keys it). */
export function pageKey(material) {
  return material ? `${material.id}:${material.page}` : 'blank';
}

/** The stroke's page as a `board_stroke` sends it. */
function pageField(material) {
  return material ? { materialId: material.id, page: material.page } : 'blank';
}

/** Whether the point (x, y) in board units is within `reach` of `stroke`'s line. */
export function touches(stroke, x, y, reach) {
  const p = stroke.points;
  const near = reach + stroke.width / 2;
  if (stroke.tool === 'text') return Math.abs(x - p[0]) < 200 && y >= p[1] - near && y <= p[1] + stroke.width * 4 + near;
  let segments = [];
  if (stroke.tool === 'rect') {
    const [a, b, c, d] = p;
    segments = [[a, b, c, b], [c, b, c, d], [c, d, a, d], [a, d, a, b]];
  } else if (stroke.tool === 'ellipse') {
    const cx = (p[0] + p[2]) / 2, cy = (p[1] + p[3]) / 2;
    const rx = Math.max(1, Math.abs(p[2] - p[0]) / 2), ry = Math.max(1, Math.abs(p[3] - p[1]) / 2);
    const r = Math.hypot((x - cx) / rx, (y - cy) / ry);
    return Math.abs(r - 1) * Math.min(rx, ry) <= near;
  } else if (p.length === 2) {
    return Math.hypot(x - p[0], y - p[1]) <= near;
  } else {
    for (let i = 2; i < p.length; i += 2) segments.push([p[i - 2], p[i - 1], p[i], p[i + 1]]);
  }
  return segments.some(([x1, y1, x2, y2]) => {
    const dx = x2 - x1, dy = y2 - y1;
    const t = dx || dy ? Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy))) : 0;
    return Math.hypot(x - (x1 + t * dx), y - (y1 + t * dy)) <= near;
  });
}

export class Whiteboard {
  /**
   * @param {object} options
   * @param {Document} options.doc
   * @param {object} options.translator
   * @param {(key: string, params?: object, tone?: string) => void} options.toast
   * @param {() => object|null} options.material  the material shown now ({id, page…}) or null
   * @param {(on: boolean) => void} options.onStage  the blank board takes the stage (true)
   */
  constructor({ doc = document, translator, toast, material, onStage }) {
    this.doc = doc;
    this.t = translator;
    this.toast = toast;
    this.material = material;
    this.onStage = onStage;
    const $ = (id) => doc.getElementById(id);
    this.$ = $;
    this.stage = $('board-stage'); // the blank board's place on the stage
    this.paper = $('board-paper'); // the white 16:9 sheet inside it
    this.toolbar = $('board-toolbar');
    this.canvas = doc.createElement('canvas');
    this.canvas.id = 'board-canvas';
    this.canvas.className = 'board-canvas';
    this.client = null;
    this.selfId = null;
    this.host = false;
    this.shown = false;
    this.allowed = 'none';
    this.strokes = new Map(); // seq → stroke, in the server's order
    this.tool = 'pen';
    this.color = PALETTE[1];
    this.size = 'medium'; // the width picker's choice (SIZES)
    this.drawing = null; // the stroke being drawn here: {tool, color, width, points}
    this.erased = new Set(); // strokes this page asked the server to erase (not sent twice)
    this.writing = null; // the text box open on the board

    this._buildToolbar();
    const c = this.canvas;
    c.addEventListener('pointerdown', (ev) => this._down(ev));
    c.addEventListener('pointermove', (ev) => this._move(ev));
    c.addEventListener('pointerup', (ev) => this._up(ev));
    c.addEventListener('pointercancel', (ev) => this._up(ev));
    // Placed again over the page when the stage's size changes or the material's page is
    // redrawn (materials.js swaps in a new canvas).
    this.resizes = globalThis.ResizeObserver ? new ResizeObserver(() => this.place()) : null;
    this.resizes?.observe(this.paper);
    const view = $('material-view');
    if (view) {
      this.resizes?.observe(view);
      new MutationObserver(() => this.place()).observe(view, { childList: true });
    }
    translator.addEventListener?.('change', () => this._fillAllow());
  }

  /** A (re)joined connection: the board as `joined` carries it (a large board's other
   *  strokes follow at once in `board_strokes` messages), then its changes. */
  attach(client, joined) {
    this.client = client;
    this.selfId = joined.self?.id ?? null;
    this.host = Boolean(client.grants?.moderate);
    this.load(joined.board);
    client.addEventListener('roomevent', (ev) => {
      if (client !== this.client) return;
      const m = ev.detail.message;
      if (m.type === 'board') {
        this.load(m.board); // another board: a breakout group's, or the room's again
        this._render();
      } else if (m.type === 'board_strokes') {
        this._load(m.pages);
        this._render();
      } else if (m.type === 'board_stroke') {
        this.strokes.set(m.stroke.seq, m.stroke);
        this._render();
      } else if (m.type === 'board_removed') {
        for (const seq of m.seqs) this.strokes.delete(seq);
        this._render();
      } else if (m.type === 'board_settings') {
        this._settings(m.shown, m.allowed);
      } else if (m.type === 'material') {
        this.onStage(); // a material shown over the blank board takes its place, and back
      }
    });
  }

  /** The whole board, as `joined` (or a `board` message) carries it; a large one's other
   * strokes follow in `board_strokes` parts. */
  load(board) {
    board = board || { shown: false, allowed: 'none', pages: {} };
    this.strokes = new Map();
    this._load(board.pages);
    this.erased.clear();
    this._settings(board.shown, board.allowed);
  }

  /** Strokes by page ({page: [stroke…]}) onto the board, kept in the server's order. */
  _load(pages) {
    for (const strokes of Object.values(pages || {})) for (const s of strokes) this.strokes.set(s.seq, s);
    this.strokes = new Map([...this.strokes.entries()].sort((a, b) => a[0] - b[0]));
  }

  reset() {
    this.client = null;
    this.strokes = new Map();
    this._settings(false, 'none');
  }

  /** Whether this page may draw now (the server decides; this only spares a refusal). */
  get mayDraw() {
    return this.host || this.allowed === 'all' || (this.selfId !== null && this.allowed === this.selfId);
  }

  /** The blank board is on the stage: open, and no material shown (whose page is the board). */
  get onBlank() {
    return this.shown && !this.material();
  }

  _settings(shown, allowed) {
    this.shown = Boolean(shown);
    this.allowed = allowed || 'none';
    this.onStage();
    this.$('board-open').hidden = !this.host;
    localize(this.$('board-open'), this.t, this.shown ? 'board.close' : 'board.open');
    this._fillAllow();
    this.place();
  }

  // --- where the board is ---------------------------------------------------------------

  /** Over the material's page when one is shown, else on the blank board (when open). */
  place() {
    const material = this.material();
    if (this.stage.hidden === this.onBlank) this.stage.hidden = !this.onBlank;
    const pageCanvas = this.doc.getElementById('material-canvas');
    let parent = null;
    let box = null;
    if (material && pageCanvas && pageCanvas.offsetWidth > 0) {
      parent = this.$('material-view');
      box = { left: pageCanvas.offsetLeft, top: pageCanvas.offsetTop, width: pageCanvas.offsetWidth, height: pageCanvas.offsetHeight };
    } else if (!material && this.shown) {
      parent = this.paper;
      box = { left: 0, top: 0, width: this.paper.clientWidth, height: this.paper.clientHeight };
    }
    const visible = Boolean(parent && box.width > 0);
    if (!visible) {
      this.canvas.remove();
      this.toolbar.hidden = true;
      return;
    }
    // In the stage's flow, under the material's title and page (or atop the blank board):
    // laid over the stage it hid them.
    const before = material ? parent : this.stage.querySelector('.board-view');
    if (this.toolbar.nextElementSibling !== before) before.before(this.toolbar);
    if (this.canvas.parentElement !== parent) parent.append(this.canvas);
    this.canvas.style.left = `${box.left}px`;
    this.canvas.style.top = `${box.top}px`;
    this.canvas.style.width = `${box.width}px`;
    this.canvas.style.height = `${box.height}px`;
    const ratio = globalThis.devicePixelRatio || 1;
    this.canvas.width = Math.round(box.width * ratio);
    this.canvas.height = Math.round(box.height * ratio);
    this.canvas.classList.toggle('can-draw', this.mayDraw);
    this.toolbar.hidden = !this.mayDraw;
    this.$('board-clear').hidden = !this.host;
    this.$('board-allow').hidden = !this.host;
    this._render();
  }

  /** Canvas pixels per board unit: the width is the board's 1600 units, both ways alike. */
  get scale() {
    return this.canvas.width / BOARD_WIDTH;
  }

  _render() {
    if (!this.canvas.parentElement) return;
    const ctx = this.canvas.getContext('2d');
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const page = pageKey(this.material());
    for (const stroke of this.strokes.values()) if (stroke.page === page) drawStroke(ctx, stroke, this.scale);
    if (this.drawing && this.drawing.points.length >= 2) drawStroke(ctx, this.drawing, this.scale);
    this.canvas.dataset.strokes = String([...this.strokes.values()].filter((s) => s.page === page).length);
  }

  // --- drawing ---------------------------------------------------------------------------

  _point(ev) {
    const box = this.canvas.getBoundingClientRect();
    const unit = box.width / BOARD_WIDTH;
    return [Math.round(((ev.clientX - box.left) / unit) * 10) / 10, Math.round(((ev.clientY - box.top) / unit) * 10) / 10];
  }

  _down(ev) {
    if (!this.mayDraw || ev.button > 0) return;
    ev.preventDefault();
    this.canvas.setPointerCapture?.(ev.pointerId);
    const [x, y] = this._point(ev);
    if (this.tool === 'eraser') {
      this.drawing = { tool: 'eraser' };
      this._erase(x, y);
      return;
    }
    if (this.tool === 'text') {
      this._write(x, y);
      return;
    }
    this.drawing = { tool: this.tool, color: this.color, width: SIZES[this.size][this.tool], points: [x, y] };
    this._render();
  }

  _move(ev) {
    const d = this.drawing;
    if (!d) return;
    const [x, y] = this._point(ev);
    if (d.tool === 'eraser') {
      this._erase(x, y);
      return;
    }
    if (d.tool === 'line' || d.tool === 'rect' || d.tool === 'ellipse') {
      d.points = [d.points[0], d.points[1], x, y];
    } else {
      const n = d.points.length;
      if (Math.hypot(x - d.points[n - 2], y - d.points[n - 1]) < 2) return; // too close to say more
      d.points.push(x, y);
      // The server takes a stroke of 1000 points at most: a longer line goes on as a new one.
      if (d.points.length >= MAX_STROKE_NUMBERS) {
        this._send(d);
        this.drawing = { ...d, points: [x, y] };
      }
    }
    this._render();
  }

  _up() {
    const d = this.drawing;
    this.drawing = null;
    if (d && d.tool !== 'eraser') this._send(d);
    this._render();
  }

  _send(stroke) {
    const page = this.material();
    const fields = { page: pageField(page), tool: stroke.tool, color: stroke.color, width: stroke.width, points: stroke.points };
    if (stroke.tool === 'text') fields.text = stroke.text;
    else if (stroke.tool !== 'pen' && stroke.tool !== 'highlighter' && stroke.points.length === 2) return; // a click, no shape
    this._request('board_stroke', fields);
  }

  /** A text box where the board was clicked: Enter (or leaving it) puts the text there. */
  _write(x, y) {
    this.writing?.remove();
    const input = this.doc.createElement('input');
    input.type = 'text';
    input.className = 'board-text';
    input.maxLength = MAX_TEXT;
    input.setAttribute('aria-label', this.t.t('board.tool.text'));
    const unit = this.canvas.offsetWidth / BOARD_WIDTH;
    input.style.left = `${this.canvas.offsetLeft + x * unit}px`;
    input.style.top = `${this.canvas.offsetTop + y * unit}px`;
    input.style.color = this.color;
    input.style.fontSize = `${Math.max(8, WIDTHS.text * 4 * unit)}px`;
    let done = false;
    const finish = (keep) => {
      if (done) return;
      done = true;
      const text = input.value.trim();
      input.remove();
      if (this.writing === input) this.writing = null;
      if (keep && text) this._send({ tool: 'text', color: this.color, width: WIDTHS.text, points: [x, y], text });
    };
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') finish(true);
      else if (ev.key === 'Escape') finish(false);
    });
    input.addEventListener('blur', () => finish(true));
    this.canvas.parentElement.append(input);
    this.writing = input;
    // Focused after this pointerdown is over: focusing during it would lose to the canvas.
    setTimeout(() => input.focus(), 0);
  }

  /** The eraser takes away the strokes it touches (a host's any, a pupil's their own). */
  _erase(x, y) {
    const page = pageKey(this.material());
    for (const stroke of [...this.strokes.values()].reverse()) {
      if (stroke.page !== page || this.erased.has(stroke.seq)) continue;
      if (!this.host && stroke.by !== this.selfId) continue;
      if (touches(stroke, x, y, ERASE_REACH)) {
        this.erased.add(stroke.seq);
        this._request('board_undo', { seq: stroke.seq });
      }
    }
  }

  async _request(type, fields) {
    if (!this.client || this.client.state !== 'joined') return null;
    try {
      return await this.client.request(type, fields);
    } catch (err) {
      const key = `board.error.${err?.code}`;
      this.toast(this.t.has?.(key) ? key : 'board.error.other', { message: err?.message || String(err) });
      return null;
    }
  }

  // --- the toolbar -----------------------------------------------------------------------

  _buildToolbar() {
    const bar = this.toolbar;
    const tools = this.doc.createElement('span');
    tools.className = 'board-tools';
    tools.setAttribute('role', 'radiogroup');
    for (const tool of TOOLS) {
      const button = this._button(`board-tool-${tool}`, `board.tool.${tool}`, () => this._choose(tool));
      button.dataset.tool = tool;
      button.setAttribute('role', 'radio');
      tools.append(button);
    }
    const colors = this.doc.createElement('span');
    colors.className = 'board-colors';
    for (const color of PALETTE) {
      const swatch = this._button('', 'board.color', () => this._colour(color));
      swatch.className = 'board-swatch';
      delete swatch.dataset.i18n; // a swatch shows its colour, not a word
      swatch.textContent = '';
      swatch.title = this.t.t('board.color');
      swatch.setAttribute('aria-label', `${this.t.t('board.color')} ${color}`);
      swatch.dataset.color = color;
      swatch.style.background = color;
      colors.append(swatch);
    }
    const widths = this.doc.createElement('span');
    widths.className = 'board-widths';
    widths.setAttribute('role', 'radiogroup');
    for (const size of Object.keys(SIZES)) {
      const button = this._button(`board-width-${size}`, `board.width.${size}`, () => this._width(size));
      delete button.dataset.i18n; // a line as thick as it draws; its name in title, aria-label
      button.textContent = '';
      button.dataset.i18nTitle = `board.width.${size}`;
      button.title = this.t.t(`board.width.${size}`);
      button.setAttribute('aria-label', button.title);
      button.setAttribute('role', 'radio');
      button.dataset.size = size;
      const line = this.doc.createElement('span');
      line.className = 'board-width-line';
      line.style.height = `${SIZES[size].pen / 2 + 1}px`;
      button.append(line);
      widths.append(button);
    }
    const undo = this._button('board-undo', 'board.undo', () => this._request('board_undo', {}));
    const clear = this._button('board-clear', 'board.clear', () => {
      const material = this.material();
      this._request('board_clear', { page: pageField(material) });
    });
    const allow = this.doc.createElement('select');
    allow.id = 'board-allow';
    allow.className = 'board-allow';
    allow.addEventListener('focus', () => this._fillAllow());
    allow.addEventListener('change', () => this._request('board_allow', { who: allow.value }));
    bar.append(tools, widths, colors, undo, clear, allow);
    this.$('board-open').addEventListener('click', () => this._request('board_show', { shown: !this.shown }));
    this._choose('pen');
    this._colour(this.color);
    this._width(this.size);
  }

  _button(id, key, onClick) {
    const button = this.doc.createElement('button');
    button.type = 'button';
    button.className = 'soft small';
    if (id) button.id = id;
    localize(button, this.t, key);
    button.addEventListener('click', onClick);
    return button;
  }

  _choose(tool) {
    this.tool = tool;
    for (const b of this.toolbar.querySelectorAll('[data-tool]')) b.setAttribute('aria-checked', String(b.dataset.tool === tool));
    for (const b of this.toolbar.querySelectorAll('[data-size]')) b.disabled = !SIZES[this.size][tool]; // text, eraser
  }

  _width(size) {
    this.size = size;
    for (const b of this.toolbar.querySelectorAll('[data-size]')) b.setAttribute('aria-checked', String(b.dataset.size === size));
  }

  _colour(color) {
    this.color = color;
    for (const b of this.toolbar.querySelectorAll('.board-swatch')) b.setAttribute('aria-pressed', String(b.dataset.color === color));
  }

  /** The host's choice of who draws: nobody, every pupil, or one called to the board. */
  _fillAllow() {
    const select = this.$('board-allow');
    if (!select) return;
    const options = [
      ['none', this.t.t('board.allow.none')],
      ['all', this.t.t('board.allow.all')],
    ];
    for (const [id, p] of this.client?.participants ?? []) {
      if (!p.host && !p.audience) options.push([id, this.t.t('board.allow.one', { name: p.name })]);
    }
    if (!options.some(([id]) => id === this.allowed)) options.push([this.allowed, this.t.t('board.allow.one', { name: '…' })]);
    select.replaceChildren(
      ...options.map(([value, label]) => {
        const option = this.doc.createElement('option');
        option.value = value;
        option.textContent = label;
        return option;
      }),
    );
    select.value = this.allowed;
  }
}
