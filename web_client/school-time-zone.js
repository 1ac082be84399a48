// /school's time zone setting (admins, issue 18): the IANA zone the school's attendance shows
// its times in. The browser offers the zones it knows; the server checks the name.

import * as api from './api.js';
import { ApiError } from './api.js';
import { $, formErrors, toast } from './page.js';
import { busy, signOut, state } from './school-common.js';

/** Russia's zones first (the schools this is made for), then every zone the browser knows. */
const RUSSIA = [
  'Europe/Kaliningrad', 'Europe/Moscow', 'Europe/Samara', 'Asia/Yekaterinburg', 'Asia/Omsk',
  'Asia/Novosibirsk', 'Asia/Krasnoyarsk', 'Asia/Irkutsk', 'Asia/Yakutsk', 'Asia/Vladivostok',
  'Asia/Magadan', 'Asia/Kamchatka',
];

export function fillTimeZoneForm() {
  $('time-zone-form').elements.zone.value = state.school.time_zone || 'Europe/Moscow';
}

export function wireTimeZoneForm(schoolUpdated) {
  const form = $('time-zone-form');
  const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const list = $('time-zone-list');
  for (const zone of [...RUSSIA, ...known.filter((z) => !RUSSIA.includes(z))]) {
    const option = document.createElement('option');
    option.value = zone;
    list.append(option);
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formErrors.clear(form);
    const zone = form.elements.zone.value.trim();
    if (!zone) {
      formErrors.field(form, 'zone', 'zone.unknown');
      form.elements.zone.focus();
      return;
    }
    busy(form.querySelector('[type="submit"]'), async () => {
      let school;
      try {
        school = await api.updateSchool({ time_zone: zone });
      } catch (err) {
        if (err instanceof ApiError && err.signedOut) return signOut();
        return formErrors.fromApi(form, err, { unknown_time_zone: ['zone', 'zone.unknown'] })?.focus();
      }
      schoolUpdated(school);
      fillTimeZoneForm();
      toast('zone.saved', { zone: school.time_zone });
      return null;
    });
  });
}
