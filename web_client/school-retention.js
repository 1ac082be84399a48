// /school's setting of how long the school keeps its recordings (admins): a number of days,
// 0 for "until deleted by hand"; the server deletes older ones by itself.

import * as api from './api.js';
import { ApiError } from './api.js';
import { $, formErrors, toast } from './page.js';
import { busy, signOut, state } from './school-common.js';

export const KEPT_DAYS_MAX = 3650;

export function fillRetentionForm() {
  $('retention-form').elements.days.value = String(state.school.recordings_kept_days || 0);
}

export function wireRetentionForm(schoolUpdated) {
  const form = $('retention-form');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formErrors.clear(form);
    const text = form.elements.days.value.trim();
    const days = Number(text);
    if (!/^\d+$/.test(text) || days > KEPT_DAYS_MAX) {
      formErrors.field(form, 'days', 'retention.invalid');
      form.elements.days.focus();
      return;
    }
    busy(form.querySelector('[type="submit"]'), async () => {
      let school;
      try {
        school = await api.updateSchool({ recordings_kept_days: days });
      } catch (err) {
        if (err instanceof ApiError && err.signedOut) return signOut();
        return formErrors.fromApi(form, err, { recordings_kept_days: ['days', 'retention.invalid'] });
      }
      schoolUpdated(school);
      fillRetentionForm();
      const kept = school.recordings_kept_days;
      toast(kept ? 'retention.saved' : 'retention.savedForever', { days: kept });
      return null;
    });
  });
}
