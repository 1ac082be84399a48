// Every string a person sees, in Russian and English, and the way they reach the page.
//
// Static text carries `data-i18n="key"` (textContent), `data-i18n-title` (title + aria-label) or
// `data-i18n-placeholder`; `data-i18n-args` holds JSON parameters. applyTranslations() re-renders
// all of them, so switching the language needs no page reload.

const STRINGS = {
  en: {
    'app.name': 'Classroom',
    'app.title': 'Lesson',
    'lang.label': 'Language',

    'join.heading': 'Ready to join?',
    'join.headingRoom': 'Lesson “{room}”',
    'join.as': 'You join as',
    'join.button': 'Join lesson',
    'join.joining': 'Joining…',
    'join.noToken': 'This link has no access token. Ask your teacher for a new link.',
    'join.badToken': 'This link is damaged. Ask your teacher for a new link.',
    'join.micOn': 'Microphone on',
    'join.micOff': 'Microphone off',
    'join.camOn': 'Camera on',
    'join.camOff': 'Camera off',
    'join.cameraOff': 'Camera is off',
    'join.noCamera': 'No camera',
    'join.hint': 'You can turn the microphone and the camera on or off at any time.',

    'media.denied': 'The browser did not allow access to the camera and microphone. You can still join and see and hear the lesson.',
    'media.notFound': 'No camera or microphone was found. You can still join and see and hear the lesson.',
    'media.busy': 'The camera or microphone is used by another program.',
    'media.failed': 'The camera and microphone could not be started.',
    'media.insecure': 'Camera and microphone need a secure (https) connection.',

    'role.teacher': 'Teacher',
    'role.admin': 'Admin',
    'role.pupil': 'Pupil',
    'role.parent': 'Parent',
    'role.guest': 'Guest',
    'tile.you': 'you',
    'tile.screen': '{name}: screen',
    'tile.micMuted': 'Microphone is off',

    'controls.mic': 'Microphone',
    'controls.micMute': 'Turn microphone off',
    'controls.micUnmute': 'Turn microphone on',
    'controls.cam': 'Camera',
    'controls.camMute': 'Turn camera off',
    'controls.camUnmute': 'Turn camera on',
    'controls.screen': 'Share screen',
    'controls.screenStop': 'Stop sharing',
    'controls.chat': 'Chat',
    'controls.leave': 'Leave',
    'controls.sound': 'Turn on sound',

    'chat.title': 'Chat',
    'chat.placeholder': 'Write a message…',
    'chat.send': 'Send',
    'chat.empty': 'No messages yet.',
    'chat.joined': '{name} joined',
    'chat.left': '{name} left',

    'status.connecting': 'Connecting…',
    'status.reconnecting': 'Connection lost. Reconnecting…',
    'status.mediaProblem': 'Video connection is unstable…',
    'status.participants': 'Participants: {count}',

    'left.title': 'You left the lesson',
    'left.text': 'Thank you for taking part.',
    'left.rejoin': 'Join again',
    'ended.title': 'The lesson is over',
    'ended.text': 'The server closed the lesson.',
    'replaced.title': 'The lesson is open in another window',
    'replaced.text': 'You joined this lesson from another window or tab, so this one was closed.',
    'unstable.title': 'The connection keeps dropping',
    'unstable.text': 'Is this lesson open on another device with the same link? Close it there, then join again here.',

    'screen.failed': 'Screen sharing could not be started.',
    'sound.blocked': 'The browser blocked sound. Press “Turn on sound”.',

    'error.bad_json': 'The server did not understand a message from this page.',
    'error.frame_too_large': 'The message is too long.',
    'error.unknown_type': 'The server did not understand a request from this page.',
    'error.bad_message': 'The server rejected a request from this page.',
    'error.bad_token': 'This link is not valid. Ask your teacher for a new link.',
    'error.token_expired': 'This link has expired. Ask your teacher for a new link.',
    'error.not_joined': 'You are not in the lesson yet.',
    'error.already_joined': 'You are already in the lesson.',
    'error.not_allowed': 'You are not allowed to do that in this lesson.',
    'error.bad_sdp': 'The video connection could not be set up.',
    'error.room_full': 'The lesson is full. Try again later or ask your teacher.',
    'error.internal': 'Something went wrong on the server. Try again.',
    'error.timeout': 'The server did not answer in time.',
    'error.disconnected': 'Could not reach the server. Check your connection.',
    'error.unknown': 'Something went wrong: {message}',
  },
  ru: {
    'app.name': 'Класс',
    'app.title': 'Урок',
    'lang.label': 'Язык',

    'join.heading': 'Готовы присоединиться?',
    'join.headingRoom': 'Урок «{room}»',
    'join.as': 'Вы входите как',
    'join.button': 'Войти на урок',
    'join.joining': 'Подключение…',
    'join.noToken': 'В ссылке нет ключа доступа. Попросите у учителя новую ссылку.',
    'join.badToken': 'Ссылка повреждена. Попросите у учителя новую ссылку.',
    'join.micOn': 'Микрофон включён',
    'join.micOff': 'Микрофон выключен',
    'join.camOn': 'Камера включена',
    'join.camOff': 'Камера выключена',
    'join.cameraOff': 'Камера выключена',
    'join.noCamera': 'Нет камеры',
    'join.hint': 'Микрофон и камеру можно включить или выключить в любой момент.',

    'media.denied': 'Браузер не разрешил доступ к камере и микрофону. Вы всё равно можете войти, видеть и слышать урок.',
    'media.notFound': 'Камера или микрофон не найдены. Вы всё равно можете войти, видеть и слышать урок.',
    'media.busy': 'Камера или микрофон заняты другой программой.',
    'media.failed': 'Не удалось включить камеру и микрофон.',
    'media.insecure': 'Для камеры и микрофона нужно защищённое (https) соединение.',

    'role.teacher': 'Учитель',
    'role.admin': 'Администратор',
    'role.pupil': 'Ученик',
    'role.parent': 'Родитель',
    'role.guest': 'Гость',
    'tile.you': 'вы',
    'tile.screen': '{name}: экран',
    'tile.micMuted': 'Микрофон выключен',

    'controls.mic': 'Микрофон',
    'controls.micMute': 'Выключить микрофон',
    'controls.micUnmute': 'Включить микрофон',
    'controls.cam': 'Камера',
    'controls.camMute': 'Выключить камеру',
    'controls.camUnmute': 'Включить камеру',
    'controls.screen': 'Показать экран',
    'controls.screenStop': 'Остановить показ',
    'controls.chat': 'Чат',
    'controls.leave': 'Выйти',
    'controls.sound': 'Включить звук',

    'chat.title': 'Чат',
    'chat.placeholder': 'Напишите сообщение…',
    'chat.send': 'Отправить',
    'chat.empty': 'Сообщений пока нет.',
    'chat.joined': '{name} присоединяется к уроку',
    'chat.left': '{name} покидает урок',

    'status.connecting': 'Подключение…',
    'status.reconnecting': 'Связь потеряна. Переподключаемся…',
    'status.mediaProblem': 'Видеосвязь нестабильна…',
    'status.participants': 'Участники: {count}',

    'left.title': 'Вы вышли с урока',
    'left.text': 'Спасибо за участие.',
    'left.rejoin': 'Вернуться на урок',
    'ended.title': 'Урок завершён',
    'ended.text': 'Сервер закрыл урок.',
    'replaced.title': 'Урок открыт в другом окне',
    'replaced.text': 'Вы вошли на этот урок из другого окна или вкладки, поэтому здесь он закрыт.',
    'unstable.title': 'Связь всё время обрывается',
    'unstable.text': 'Может быть, урок открыт по этой же ссылке на другом устройстве? Закройте его там и войдите снова здесь.',

    'screen.failed': 'Не удалось начать показ экрана.',
    'sound.blocked': 'Браузер заблокировал звук. Нажмите «Включить звук».',

    'error.bad_json': 'Сервер не понял сообщение от этой страницы.',
    'error.frame_too_large': 'Сообщение слишком длинное.',
    'error.unknown_type': 'Сервер не понял запрос от этой страницы.',
    'error.bad_message': 'Сервер отклонил запрос от этой страницы.',
    'error.bad_token': 'Ссылка недействительна. Попросите у учителя новую ссылку.',
    'error.token_expired': 'Срок действия ссылки истёк. Попросите у учителя новую ссылку.',
    'error.not_joined': 'Вы ещё не вошли на урок.',
    'error.already_joined': 'Вы уже на уроке.',
    'error.not_allowed': 'На этом уроке у вас нет прав на это действие.',
    'error.bad_sdp': 'Не удалось установить видеосвязь.',
    'error.room_full': 'На уроке нет свободных мест. Попробуйте позже или обратитесь к учителю.',
    'error.internal': 'На сервере что-то пошло не так. Попробуйте ещё раз.',
    'error.timeout': 'Сервер не ответил вовремя.',
    'error.disconnected': 'Не удалось связаться с сервером. Проверьте подключение.',
    'error.unknown': 'Что-то пошло не так: {message}',
  },
};

/** ?lang=ru|en wins; otherwise the browser's first preference; otherwise English. */
export function detectLanguage(search = globalThis.location?.search ?? '', nav = globalThis.navigator) {
  const fromUrl = new URLSearchParams(search).get('lang');
  if (fromUrl && STRINGS[fromUrl]) return fromUrl;
  const preferred = [...(nav?.languages || []), nav?.language || ''];
  for (const tag of preferred) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (STRINGS[base]) return base;
  }
  return 'en';
}

export class Translator extends EventTarget {
  constructor(lang = detectLanguage()) {
    super();
    this.lang = STRINGS[lang] ? lang : 'en';
  }

  /** The string for `key` with `{name}` parameters filled in; the key itself if unknown. */
  t(key, params = {}) {
    const template = STRINGS[this.lang][key] ?? STRINGS.en[key] ?? key;
    return template.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
  }

  has(key) {
    return key in STRINGS[this.lang] || key in STRINGS.en;
  }

  setLanguage(lang) {
    if (!STRINGS[lang] || lang === this.lang) return;
    this.lang = lang;
    this.dispatchEvent(new CustomEvent('change', { detail: { lang } }));
  }

  /** Re-renders every element under `root` that carries a data-i18n* attribute. */
  apply(root = document) {
    if (root === document) {
      document.documentElement.lang = this.lang;
      document.title = this.t('app.title');
    }
    const args = (el) => {
      try {
        return el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : {};
      } catch {
        return {};
      }
    };
    const each = (selector, fn) => {
      if (root.matches?.(selector)) fn(root);
      root.querySelectorAll(selector).forEach(fn);
    };
    each('[data-i18n]', (el) => {
      el.textContent = this.t(el.dataset.i18n, args(el));
    });
    each('[data-i18n-title]', (el) => {
      const text = this.t(el.dataset.i18nTitle, args(el));
      el.title = text;
      el.setAttribute('aria-label', text);
    });
    each('[data-i18n-placeholder]', (el) => {
      el.placeholder = this.t(el.dataset.i18nPlaceholder, args(el));
    });
  }
}

/** Marks `el` to show `key` (with `params`) in the current language, now and after a switch. */
export function localize(el, translator, key, params) {
  el.dataset.i18n = key;
  if (params) el.dataset.i18nArgs = JSON.stringify(params);
  else delete el.dataset.i18nArgs;
  el.textContent = translator.t(key, params);
  return el;
}
