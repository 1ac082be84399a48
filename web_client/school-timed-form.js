// A form that starts a session now or schedules it: the staff meeting's and the event's. Its
// "Now" / "At a set time" radios show the date field and name the submit button; submitting
// checks the title and the time, then starts the session (and opens its room) or schedules it.

import * as api from './api.js';
import { ApiError } from './api.js';
import { localize } from './i18n.js';
import { $, formErrors, t, toast } from './page.js';
import {
  busy, formatTime, prepareWhen, readWhen, signOut, startNew,
} from './school-common.js';

/**
 * `ids`: {form, toggle, cancel, submit, whenField}; `kind`: the session kind; `keys`:
 * {defaultTitle, startNow, schedule, scheduled}. `extra(form)` returns the kind's own fields,
 * or null after marking what is wrong; `onOpen(form)` fills the kind's own inputs;
 * `onScheduled()` redraws the session list.
 */
export function wireTimedForm({ ids, kind, keys, extra = () => ({}), onOpen = () => {}, onScheduled }) {
  const form = $(ids.form);
  const later = () => form.elements.timing.value === 'later';

  function drawTiming() {
    $(ids.whenField).hidden = !later();
    localize($(ids.submit), t, later() ? keys.schedule : keys.startNow);
    if (later()) prepareWhen(form.elements.when);
  }

  function open(shown) {
    form.hidden = !shown;
    $(ids.toggle).setAttribute('aria-expanded', String(shown));
    if (!shown) return;
    formErrors.clear(form);
    if (!form.elements.title.value) form.elements.title.value = t.t(keys.defaultTitle);
    drawTiming();
    onOpen(form);
    form.elements.title.focus();
  }

  async function submit() {
    formErrors.clear(form);
    const title = form.elements.title.value.trim();
    if (!title) {
      formErrors.field(form, 'title', 'field.required');
      return form.elements.title.focus();
    }
    let at = null;
    if (later()) {
      const [value, problem] = readWhen(form.elements.when);
      if (problem) {
        formErrors.field(form, 'when', problem);
        return form.elements.when.focus();
      }
      at = value;
    }
    const own = extra(form);
    if (own === null) return null;
    const fields = { kind, title, ...own };
    try {
      if (!later()) return await startNew(fields);
      await api.createSession({ ...fields, scheduled_at: at });
    } catch (err) {
      if (err instanceof ApiError && err.signedOut) return signOut();
      return formErrors.fromApi(form, err, { scheduled_at: ['when', 'meeting.inPast'] })?.focus();
    }
    open(false);
    form.reset();
    toast(keys.scheduled, { title, time: formatTime(at) });
    await onScheduled();
    return null;
  }

  $(ids.toggle).addEventListener('click', () => open(form.hidden));
  $(ids.cancel).addEventListener('click', () => open(false));
  for (const radio of form.querySelectorAll('[name="timing"]')) radio.addEventListener('change', drawTiming);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy($(ids.submit), submit);
  });
}
