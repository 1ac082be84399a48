// A session's recordings on /school: the "Recordings" button of a past or live session opens
// them under its row: when each was made, how long it is, whether the lesson video is ready
// (or how far it is), a Watch link to the playback page and, for the class's teachers and the
// school's admins, Delete.

import * as api from './api.js';
import { localize } from './i18n.js';
import { button, el, t, toast, withLang } from './page.js';
import { busy, confirming, failed, teaches, timeText } from './school-common.js';

const REFRESH_MS = 3000; // while a lesson video is being prepared, its progress is redrawn

/** The row's button; it opens and closes the list below the row. */
export function recordingsButton(session, row) {
  const toggle = button('ghost', 'recordings.button', null, { count: session.recordings });
  toggle.setAttribute('aria-expanded', 'false');
  toggle.addEventListener('click', () =>
    busy(toggle, async () => {
      const open = row.querySelector('.recordings-panel');
      if (open) {
        open.remove();
        toggle.setAttribute('aria-expanded', 'false');
        return;
      }
      const panel = el('div', 'recordings-panel');
      panel.setAttribute('role', 'region');
      panel.setAttribute('aria-label', t.t('recordings.region', { title: session.title }));
      row.append(panel);
      toggle.setAttribute('aria-expanded', 'true');
      await fill(panel, session);
    }),
  );
  return toggle;
}

async function fill(panel, session) {
  if (!panel.isConnected) return;
  let recordings;
  try {
    recordings = await api.listRecordings(session.id);
  } catch (err) {
    failed(err);
    panel.replaceChildren(el('p', 'empty', 'recordings.loadFailed'));
    return;
  }
  if (!recordings.length) {
    panel.replaceChildren(el('p', 'empty', 'recordings.none'));
    return;
  }
  const list = el('ul', 'recording-list');
  list.append(...recordings.map((r) => recordingItem(session, r, panel)));
  panel.replaceChildren(list);
  const preparing = recordings.some((r) => !r.composed && ['queued', 'composing'].includes(r.composition?.state));
  if (preparing) setTimeout(() => fill(panel, session), REFRESH_MS);
}

function recordingItem(session, recording, panel) {
  const item = el('li', 'recording-item');
  item.dataset.recordingId = recording.id;
  const about = el('div', 'recording-about');
  const when = timeText(el('span', 'recording-when'), 'recordings.when', recording.started);
  about.append(when);
  if (recording.duration != null) {
    about.append(el('span', 'recording-length', 'recordings.length', { length: clock(recording.duration) }));
  }
  about.append(videoState(recording));
  const actions = el('div', 'recording-actions');
  if (!recording.stopped) {
    actions.append(el('span', 'waiting', 'recordings.inProgress'));
  } else {
    const watch = el('a', 'button primary small', 'recordings.watch');
    watch.href = withLang(`/recordings/${encodeURIComponent(session.id)}/${encodeURIComponent(recording.id)}`);
    actions.append(watch);
  }
  if (recording.stopped && teaches(session.class_id)) {
    const remove = confirming(el('button', 'danger-button small', 'recordings.delete'), 'recordings.deleteConfirm', async () => {
      await api.deleteRecording(session.id, recording.id);
      toast('recordings.deleted');
      await fill(panel, session);
    });
    remove.type = 'button';
    actions.append(remove);
  }
  item.append(about, actions);
  return item;
}

/** "Lesson video ready", "Preparing the lesson video: 42 %", or why it is not there. */
function videoState(recording) {
  const node = el('span', 'recording-state');
  const status = recording.composition;
  if (recording.composed) {
    node.classList.add('ready');
    return localize(node, t, 'recordings.videoReady');
  }
  if (status?.state === 'composing') {
    return localize(node, t, 'recordings.videoProgress', { percent: Math.round((status.progress || 0) * 100) });
  }
  if (status?.state === 'queued') return localize(node, t, 'recordings.videoQueued');
  if (status?.state === 'failed') return localize(node, t, 'recordings.videoFailed');
  return localize(node, t, recording.stopped ? 'recordings.videoLater' : 'recordings.inProgress');
}

/** 75.4 → "1:15", 3725 → "1:02:05". */
export function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
