// /school's class cards, for the class's teachers (and admins): the class's materials (PDFs
// shown in its lessons, materials.js), each opened, or deleted; a new one uploaded.

import { localize } from './i18n.js';
import { icon } from './icons.js';
import { classMaterials, deleteMaterial, materialError, sizeText, uploadMaterial } from './materials.js';
import { button, el, t, toast } from './page.js';
import { busy, confirming, state, timeText } from './school-common.js';

// class id → {materials: [...], max_mb} once loaded; redrawn cards show it at once.
const known = new Map();
const loading = new Map();

/** The card's "Materials" section: a summary with the count, opened to the list. */
export function materialsSection(cls) {
  const details = el('details', 'materials');
  details.dataset.classId = cls.id;
  draw(details, cls);
  if (!loading.has(cls.id)) loading.set(cls.id, refresh(cls));
  return details;
}

async function refresh(cls) {
  try {
    known.set(cls.id, await classMaterials(cls.id));
  } catch {
    known.set(cls.id, { materials: null, max_mb: null });
  }
  for (const details of document.querySelectorAll(`details.materials[data-class-id="${CSS.escape(cls.id)}"]`)) {
    draw(details, cls);
  }
}

function draw(details, cls) {
  const listing = known.get(cls.id);
  const materials = listing?.materials;
  const summary = materials?.length
    ? el('summary', null, 'material.summary', { count: materials.length })
    : el('summary', null, 'material.heading');
  const limit = t.t('material.sizeMB', { size: Math.round(listing?.max_mb ?? 50) });
  const hint = el('p', 'materials-hint', 'material.limits', { limit });
  const list = el('ul', 'material-rows');
  if (materials) list.append(...materials.map((m) => row(m, cls)));
  const empty = el('p', 'materials-empty', materials === null ? 'material.listFailed' : 'material.none');
  empty.hidden = Boolean(materials?.length) || listing === undefined;

  const input = el('input');
  input.type = 'file';
  input.accept = '.pdf,application/pdf,.docx,.odt,.pptx,.odp';
  input.hidden = true;
  input.className = 'material-file';
  const upload = button('secondary with-icon material-upload', null, () => input.click());
  upload.append(icon('upload'), el('span', null, 'material.upload'));
  input.addEventListener('change', () => {
    const [file] = input.files || [];
    input.value = '';
    if (file) busy(upload, () => send(cls, file));
  });
  details.replaceChildren(summary, hint, list, empty, upload, input);
}

async function send(cls, file) {
  try {
    const material = await uploadMaterial('classes', cls.id, file);
    toast('material.uploaded', { title: material.title });
  } catch (err) {
    toast(...materialError(err, t), 'error');
    return;
  }
  await refresh(cls);
}

function row(material, cls) {
  const item = el('li', 'material-row');
  item.dataset.materialId = material.id;
  item.append(icon('document'));
  const text = el('div', 'material-text');
  const open = el('a', 'material-title');
  open.href = material.url;
  open.target = '_blank';
  open.rel = 'noopener';
  open.textContent = material.title;
  const meta = el('div', 'material-meta');
  const lesson = material.session_id && state.sessions.find((s) => s.id === material.session_id);
  meta.append(
    el('span', null, 'material.pages', { pages: material.pages }),
    el('span', null, null),
    timeText(el('span'), 'material.uploadedAt', material.created_at),
    lesson
      ? el('span', null, 'material.forLesson', { title: lesson.title })
      : el('span', null, material.session_id ? 'material.forALesson' : 'material.forClass'),
  );
  meta.children[1].textContent = sizeText(material.size, t);
  text.append(open, meta);
  const remove = el('button', 'danger-button small', 'material.delete');
  remove.type = 'button';
  confirming(remove, 'material.deleteConfirm', async () => {
    try {
      await deleteMaterial(material.id);
      toast('material.deleted', { title: material.title });
    } catch (err) {
      toast(...materialError(err, t), 'error');
    }
    await refresh(cls);
  });
  item.append(text, remove);
  localize(remove, t, 'material.delete');
  return item;
}
