// Events on /school (a concert, a contest, an assembly): the form that creates one with its
// performers, who performs in the session list, and the guest link its hosts hand to families.

import * as api from './api.js';
import { localize } from './i18n.js';
import { button, el, t, toast } from './page.js';
import { busy, state } from './school-common.js';
import { refreshSessions } from './school-sessions.js';
import { wireTimedForm } from './school-timed-form.js';

const MAX_PERFORMERS = 20; // classroom/service.py MAX_PERFORMERS
const ROLE_ORDER = { admin: 0, teacher: 1, pupil: 2 };

/** Who may go on stage: the people this page knows (an admin: the whole school; a teacher:
 * their classes), parents aside. Teachers first, then by name. */
function candidates() {
  const people = new Map();
  const add = (p) => {
    if (p.role in ROLE_ORDER && !people.has(p.id)) people.set(p.id, { id: p.id, name: p.name, role: p.role });
  };
  add(state.me);
  for (const u of state.users) add(u);
  for (const detail of state.details.values()) for (const m of detail?.members || []) add(m);
  return [...people.values()].sort(
    (a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.name.localeCompare(b.name, t.lang),
  );
}

function drawChosenCount(form) {
  const chosen = form.querySelectorAll('[name="performer"]:checked').length;
  localize(form.querySelector('.performer-count'), t, 'event.chosen', { count: chosen, max: MAX_PERFORMERS });
  for (const box of form.querySelectorAll('[name="performer"]')) {
    box.disabled = !box.checked && chosen >= MAX_PERFORMERS;
  }
}

/** The checkbox list, the organiser ticked; a filter narrows it in a big school. */
function fillPerformers(form) {
  const list = form.querySelector('.performer-list');
  list.replaceChildren(...candidates().map((p) => {
    const item = el('label', 'choice-item performer');
    item.dataset.name = p.name.toLowerCase();
    const box = el('input');
    box.type = 'checkbox';
    box.name = 'performer';
    box.value = p.id;
    box.checked = p.id === state.me.id;
    const name = el('span');
    name.textContent = p.name;
    item.append(box, name, el('span', 'badge plain', `role.${p.role}`));
    return item;
  }));
  form.elements.filter.value = '';
  drawChosenCount(form);
}

function filterPerformers(form) {
  const needle = form.elements.filter.value.trim().toLowerCase();
  for (const item of form.querySelectorAll('.performer')) {
    item.hidden = Boolean(needle) && !item.dataset.name.includes(needle);
  }
}

export function wireEventForm() {
  const form = document.getElementById('event-form');
  form.elements.filter.addEventListener('input', () => filterPerformers(form));
  form.querySelector('.performer-list').addEventListener('change', () => drawChosenCount(form));
  wireTimedForm({
    ids: {
      form: 'event-form', toggle: 'event-button', cancel: 'event-cancel', submit: 'event-submit',
      whenField: 'event-when-field',
    },
    kind: 'event',
    keys: {
      defaultTitle: 'event.defaultTitle', startNow: 'staff.startNow', schedule: 'staff.schedule',
      scheduled: 'staff.scheduled',
    },
    extra: (f) => ({ performers: [...f.querySelectorAll('[name="performer"]:checked')].map((b) => b.value) }),
    onOpen: fillPerformers,
    onScheduled: refreshSessions,
  });
}

/** "Performers: Anna, Boris" under an event's title (names this page knows). */
export function eventMeta(session) {
  if (!session.performers?.length) return [];
  const known = new Map(candidates().map((p) => [p.id, p.name]));
  const names = session.performers.map((id) => known.get(id)).filter(Boolean);
  const span = el('span', 'performers');
  if (names.length === session.performers.length) {
    localize(span, t, 'event.performers', { names: names.join(', ') });
  } else {
    localize(span, t, 'event.performerCount', { count: session.performers.length });
  }
  return [span];
}

/** The hosts' "Guest link" button: it shows the link under the row, ready to copy. */
export function eventActions(session, row) {
  const open = button('ghost', 'event.guestLink', null);
  open.setAttribute('aria-expanded', 'false');
  open.addEventListener('click', () => busy(open, async () => {
    const shown = row.querySelector('.event-link-panel');
    if (shown) {
      shown.remove();
      open.setAttribute('aria-expanded', 'false');
      return;
    }
    const { url } = await api.eventLink(session.id);
    row.append(linkPanel(url, session));
    open.setAttribute('aria-expanded', 'true');
  }));
  return [open];
}

function linkPanel(url, session) {
  const panel = el('div', 'event-link-panel');
  const hint = el('p', 'field-hint', 'event.linkHint');
  const input = el('input', 'event-link');
  input.readOnly = true;
  input.value = url;
  input.setAttribute('aria-label', t.t('event.guestLink'));
  input.addEventListener('focus', () => input.select());
  const copy = button('secondary small', 'event.copy', async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(url);
      toast('event.copied');
    } catch {
      // No clipboard (an insecure origin, a refused permission): the text is selected.
      toast('event.copyByHand');
    }
  });
  const line = el('div', 'event-link-line');
  line.append(input, copy);
  panel.append(hint, line, audienceSwitch(session));
  return panel;
}

/** "The whole audience watches the broadcast": for an audience past what one server carries
 * over WebRTC (the rest of it gets the broadcast anyway, past MAX_AUDIENCE). */
function audienceSwitch(session) {
  const row = el('div', 'switch-row');
  const box = el('input', 'switch');
  box.type = 'checkbox';
  box.setAttribute('role', 'switch');
  box.id = `hls-only-${session.id}`;
  box.checked = Boolean(session.hls_only);
  const label = el('label', null, 'event.hlsOnly');
  label.htmlFor = box.id;
  const hint = el('p', 'field-hint', 'event.hlsOnlyHint');
  box.addEventListener('change', () => busy(box, async () => {
    try {
      const changed = await api.setAudience(session.id, box.checked);
      session.hls_only = changed.hls_only;
      toast(changed.hls_only ? 'event.hlsOnlyOn' : 'event.hlsOnlyOff');
    } catch (err) {
      box.checked = Boolean(session.hls_only);
      throw err;
    }
  }));
  row.append(box, label, hint);
  return row;
}
