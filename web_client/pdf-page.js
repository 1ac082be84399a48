// A PDF's page drawn with pdf.js (web_client/vendor/, `make pdfjs`): the lesson's stage
// (materials.js) and a recording's playback (playback-stage.js) draw pages alike.

const PDFJS = '/static/vendor/pdf.min.js';
const PDFJS_WORKER = '/static/vendor/pdf.worker.min.js';

let pdfjsLoading = null;

/** pdf.js, loaded once, the first time a page is drawn. */
export function pdfjs() {
  pdfjsLoading ||= import(PDFJS).then((lib) => {
    lib.GlobalWorkerOptions.workerSrc = PDFJS_WORKER;
    return lib;
  });
  return pdfjsLoading;
}

/** The PDF at `url` opened (a pdf.js document's promise). */
export function openPdf(url) {
  return pdfjs().then((lib) => lib.getDocument({ url, isEvalSupported: false }).promise);
}

/**
 * Draws `page` (a pdf.js page) to fit a `box` ({width, height} in CSS pixels) at `zoom`
 * (1: the whole page fits; more is larger) on a new canvas, off screen, at the screen's pixel
 * density; `onTask` gets the render task (to cancel it for a newer one). Resolves to the
 * canvas, sized in CSS pixels, or rejects when cancelled.
 */
export async function renderPage(doc, page, box, zoom, onTask = () => {}) {
  const natural = page.getViewport({ scale: 1 });
  const fit = Math.min(box.width / natural.width, box.height / natural.height);
  const ratio = globalThis.devicePixelRatio || 1;
  const viewport = page.getViewport({ scale: fit * zoom * ratio });
  const canvas = doc.createElement('canvas');
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  const task = page.render({ canvasContext: canvas.getContext('2d'), viewport });
  onTask(task);
  await task.promise;
  canvas.style.width = `${Math.floor(viewport.width / ratio)}px`;
  canvas.style.height = `${Math.floor(viewport.height / ratio)}px`;
  return canvas;
}
