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

    // ---- the school pages: /signin, /school, /join/… (signin.js, school.js, join.js) ----
    'common.loading': 'Loading…',
    'common.retry': 'Try again',
    'common.cancel': 'Cancel',
    'form.login': 'Login',
    'form.loginHint': '3–64 characters: Latin letters, digits, dot, dash or underscore.',
    'form.password': 'Password',
    'form.passwordHint': 'At least 8 characters.',
    'field.required': 'Please fill this in.',
    'field.loginInvalid': 'The login must be 3–64 characters: Latin letters, digits, dot, dash or underscore.',
    'field.loginTaken': 'This login is already taken. Choose another one.',
    'field.passwordShort': 'The password must be at least 8 characters.',
    'field.nameInvalid': 'Enter a name of up to 100 characters.',
    'field.childRequired': 'Choose your child.',

    'api.network': 'Could not reach the server. Check your connection and try again.',
    'api.unauthorized': 'Please sign in again.',
    'api.bad_credentials': 'Wrong login or password.',
    'api.forbidden': 'You are not allowed to do this.',
    'api.not_found': 'This no longer exists. Reload the page.',
    'api.invalid_input': 'Some of the data is not valid.',
    'api.conflict': 'This login is already taken.',
    'api.session_ended': 'This session has already ended.',
    'api.session_not_live': 'This session has not started yet.',
    'api.invite_expired': 'This invite link has expired.',
    'api.invite_revoked': 'This invite link was revoked.',
    'api.invite_used_up': 'This invite link has been used up.',
    'api.unknown': 'Something went wrong: {message}',

    'signin.title': 'Sign in — Classroom',
    'signin.heading': 'Sign in',
    'signin.lead': 'Use the login and password you got from your school or chose when you joined.',
    'signin.submit': 'Sign in',
    'signin.submitting': 'Signing in…',
    'signin.missing': 'Enter your login and password.',
    'signin.badCredentials': 'Wrong login or password. Check them and try again.',
    'signin.inviteHint': 'Pupils and parents: to create an account, open the invite link from your teacher.',

    'school.title': '{school} — Classroom',
    'school.signOut': 'Sign out',
    'school.unverified': 'An administrator of your school has to verify your account before you can teach classes. Ask them to do it; then reload this page.',
    'badge.verifiedTeacher': 'Teacher ✓ verified',
    'badge.unverifiedTeacher': 'Teacher · not verified',
    'time.today': 'today, {time}',
    'time.tomorrow': 'tomorrow, {time}',
    'time.yesterday': 'yesterday, {time}',

    'classes.mine': 'My classes',
    'classes.all': 'Classes',
    'classes.pupil': 'My class',
    'classes.parent': 'My child’s class',
    'classes.emptyTeacher': 'You do not teach any class yet. An administrator of your school can assign you to one.',
    'classes.emptyAdmin': 'There are no classes yet. Create the first one under Administration below.',
    'classes.emptyMember': 'You are not in any class yet.',
    'class.teacher': 'Teacher: {names}',
    'class.teachersMany': 'Teachers: {names}',
    'class.noTeacher': 'No teacher yet',
    'class.pupils': 'Pupils: {count}',
    'class.yourChild': 'Your child: {names}',
    'class.startLesson': 'Start lesson',
    'class.joinLive': 'Join the live lesson',
    'class.copyPupilLink': 'Copy pupil invite link',
    'class.copyParentLink': 'Copy parent invite link',
    'class.inviteCaption': 'Copy invite link:',
    'class.invitePupils': 'for pupils',
    'class.inviteParents': 'for parents',
    'class.scheduleMeeting': 'Schedule parent meeting',
    'members.summary': 'Members: {count}',
    'members.you': '(you)',
    'members.yourChild': 'your child',

    'invites.summary': 'Invite links: {count}',
    'invites.forPupils': 'For pupils',
    'invites.forParents': 'For parents',
    'invites.forChild': 'parent of {name}',
    'invites.uses': 'used {uses} of {max}',
    'invites.until': 'valid until {time}',
    'invites.linkLabel': 'Invite link',
    'invites.copy': 'Copy',
    'invites.revoke': 'Revoke',
    'invites.revokeConfirm': 'Revoke for good?',
    'invites.revoked': 'The link is revoked: nobody can join {class} with it any more.',
    'invites.copied.pupil': 'Pupil invite link for {class} copied. Send it to your pupils.',
    'invites.copied.parent': 'Parent invite link for {class} copied. Send it to the parents.',
    'invites.copyYourself': 'Copy the highlighted link and send it.',

    'meeting.heading': 'Parent meeting of {class}',
    'meeting.when': 'Date and time',
    'meeting.title': 'Title',
    'meeting.defaultTitle': 'Parent meeting — {class}',
    'meeting.submit': 'Schedule',
    'meeting.needTime': 'Choose the date and time.',
    'meeting.inPast': 'This time has already passed. Choose a later one.',
    'meeting.needTitle': 'Give the meeting a title.',
    'meeting.scheduled': 'Parent meeting of {class} scheduled for {time}.',

    'sessions.heading': 'Lessons and meetings',
    'sessions.live': 'Live now',
    'sessions.upcoming': 'Upcoming',
    'sessions.past': 'Past',
    'sessions.showAll': 'Show all ({count})',
    'sessions.emptyHost': 'Nothing here yet. Start a lesson or schedule a parent meeting from a class.',
    'sessions.emptyMember': 'Nothing is planned yet. When the teacher starts a lesson, a Join button appears here.',
    'sessions.startedAt': 'started {time}',
    'sessions.endedAt': 'ended {time}',
    'sessions.scheduledFor': '{time}',
    'sessions.notStarted': 'not started yet',
    'sessions.start': 'Start',
    'sessions.join': 'Join',
    'sessions.end': 'End',
    'sessions.endConfirm': 'End for everyone?',
    'sessions.endedToast': '“{title}” has ended for everyone.',
    'sessions.attendance': 'Attendance CSV',
    'sessions.waiting': 'Waiting for the teacher',
    'kind.lesson': 'Lesson',
    'kind.parent_meeting': 'Parent meeting',
    'kind.consultation': 'Consultation',
    'kind.staff_meeting': 'Staff meeting',
    'kind.event': 'Event',
    'state.scheduled': 'Scheduled',
    'state.live': 'Live',
    'state.ended': 'Ended',

    'admin.heading': 'Administration',
    'admin.createClass': 'New class',
    'admin.className': 'Class name',
    'admin.classNamePlaceholder': 'e.g. 5A',
    'admin.createClassButton': 'Create class',
    'admin.classCreated': 'Class {name} created.',
    'admin.createTeacher': 'New teacher',
    'admin.teacherName': 'Full name',
    'admin.passwordHint': 'At least 8 characters. Give the login and password to the teacher.',
    'admin.createTeacherButton': 'Create teacher',
    'admin.teacherCreated': '{name} can now sign in as “{login}”. Verify them to let them teach.',
    'admin.assign': 'Assign a teacher to a class',
    'admin.class': 'Class',
    'admin.assignButton': 'Assign',
    'admin.assigned': '{teacher} now teaches {class}.',
    'admin.people': 'People',
    'people.admins': 'Administrators ({count})',
    'people.teachers': 'Teachers ({count})',
    'people.pupils': 'Pupils ({count})',
    'people.parents': 'Parents ({count})',
    'people.teaches': 'teaches {classes}',
    'people.noClasses': 'no classes yet',
    'people.parentOf': 'parent of {names}',
    'people.verified': '✓ verified',
    'people.unverified': 'not verified',
    'people.verify': 'Verify',
    'people.verifiedToast': '{name} is verified and can teach now.',

    'invite.title': 'Join {class} — Classroom',
    'invite.titlePlain': 'Invitation — Classroom',
    'invite.heading': 'Join class {class}',
    'invite.lead.pupil': 'You are invited to {class} of {school} as a pupil.',
    'invite.lead.parent': 'You are invited to {class} of {school} as a parent.',
    'invite.expires': 'The link works until {time}.',
    'invite.child': 'Your child',
    'invite.childChoose': 'Choose…',
    'invite.name': 'Your name',
    'invite.nameHint.pupil': 'First and last name, as your teacher and classmates will see it.',
    'invite.nameHint.parent': 'First and last name, as the teacher will see it.',
    'invite.submit': 'Create account and join',
    'invite.submitting': 'Creating your account…',
    'invite.haveAccountSignIn': 'Already have an account? Sign in',
    'invite.dead.not_found.title': 'This link does not work',
    'invite.dead.not_found.text': 'There is no invite at this address. Check that the whole link was copied, or ask your teacher for a new one.',
    'invite.dead.invite_expired.title': 'This link has expired',
    'invite.dead.invite_expired.text': 'Invite links work for a limited time. Ask your teacher for a new one.',
    'invite.dead.invite_revoked.title': 'This link was revoked',
    'invite.dead.invite_revoked.text': 'The teacher has switched this invite link off. Ask your teacher for a new one.',
    'invite.dead.invite_used_up.title': 'This link has been used up',
    'invite.dead.invite_used_up.text': 'As many people as the teacher allowed have already joined with this link. Ask your teacher for a new one.',
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

    // ---- the school pages: /signin, /school, /join/… (signin.js, school.js, join.js) ----
    'common.loading': 'Загрузка…',
    'common.retry': 'Попробовать ещё раз',
    'common.cancel': 'Отмена',
    'form.login': 'Логин',
    'form.loginHint': 'От 3 до 64 символов: латинские буквы, цифры, точка, дефис или подчёркивание.',
    'form.password': 'Пароль',
    'form.passwordHint': 'Не меньше 8 символов.',
    'field.required': 'Заполните это поле.',
    'field.loginInvalid': 'Логин — от 3 до 64 символов: латинские буквы, цифры, точка, дефис или подчёркивание.',
    'field.loginTaken': 'Этот логин уже занят. Выберите другой.',
    'field.passwordShort': 'Пароль должен быть не короче 8 символов.',
    'field.nameInvalid': 'Введите имя длиной до 100 символов.',
    'field.childRequired': 'Выберите своего ребёнка.',

    'api.network': 'Не удалось связаться с сервером. Проверьте подключение и попробуйте ещё раз.',
    'api.unauthorized': 'Войдите снова.',
    'api.bad_credentials': 'Неверный логин или пароль.',
    'api.forbidden': 'У вас нет прав на это действие.',
    'api.not_found': 'Этого уже нет. Обновите страницу.',
    'api.invalid_input': 'Некоторые данные введены неверно.',
    'api.conflict': 'Этот логин уже занят.',
    'api.session_ended': 'Это занятие уже завершено.',
    'api.session_not_live': 'Это занятие ещё не началось.',
    'api.invite_expired': 'Срок действия ссылки-приглашения истёк.',
    'api.invite_revoked': 'Ссылка-приглашение отозвана.',
    'api.invite_used_up': 'Ссылка-приглашение исчерпана.',
    'api.unknown': 'Что-то пошло не так: {message}',

    'signin.title': 'Вход — Класс',
    'signin.heading': 'Вход',
    'signin.lead': 'Введите логин и пароль, которые вы получили в школе или выбрали при регистрации.',
    'signin.submit': 'Войти',
    'signin.submitting': 'Входим…',
    'signin.missing': 'Введите логин и пароль.',
    'signin.badCredentials': 'Неверный логин или пароль. Проверьте их и попробуйте ещё раз.',
    'signin.inviteHint': 'Ученикам и родителям: чтобы создать аккаунт, откройте ссылку-приглашение от учителя.',

    'school.title': '{school} — Класс',
    'school.signOut': 'Выйти',
    'school.unverified': 'Прежде чем вести занятия, ваш аккаунт должен подтвердить администратор школы. Попросите его об этом, затем обновите страницу.',
    'badge.verifiedTeacher': 'Учитель ✓ проверен',
    'badge.unverifiedTeacher': 'Учитель · не проверен',
    'time.today': 'сегодня, {time}',
    'time.tomorrow': 'завтра, {time}',
    'time.yesterday': 'вчера, {time}',

    'classes.mine': 'Мои классы',
    'classes.all': 'Классы',
    'classes.pupil': 'Мой класс',
    'classes.parent': 'Класс ребёнка',
    'classes.emptyTeacher': 'Вы пока не ведёте ни одного класса. Администратор школы может назначить вас в класс.',
    'classes.emptyAdmin': 'Классов пока нет. Создайте первый в разделе «Администрирование» ниже.',
    'classes.emptyMember': 'Вы пока не состоите ни в одном классе.',
    'class.teacher': 'Учитель: {names}',
    'class.teachersMany': 'Учителя: {names}',
    'class.noTeacher': 'Учитель не назначен',
    'class.pupils': 'Учеников: {count}',
    'class.yourChild': 'Ваш ребёнок: {names}',
    'class.startLesson': 'Начать урок',
    'class.joinLive': 'Войти на идущий урок',
    'class.copyPupilLink': 'Скопировать ссылку-приглашение для учеников',
    'class.copyParentLink': 'Скопировать ссылку-приглашение для родителей',
    'class.inviteCaption': 'Скопировать приглашение:',
    'class.invitePupils': 'для учеников',
    'class.inviteParents': 'для родителей',
    'class.scheduleMeeting': 'Назначить собрание',
    'members.summary': 'Участники: {count}',
    'members.you': '(вы)',
    'members.yourChild': 'ваш ребёнок',

    'invites.summary': 'Ссылки-приглашения: {count}',
    'invites.forPupils': 'Для учеников',
    'invites.forParents': 'Для родителей',
    'invites.forChild': 'родителю: {name}',
    'invites.uses': 'использована {uses} из {max}',
    'invites.until': 'действует до {time}',
    'invites.linkLabel': 'Ссылка-приглашение',
    'invites.copy': 'Копировать',
    'invites.revoke': 'Отозвать',
    'invites.revokeConfirm': 'Точно отозвать?',
    'invites.revoked': 'Ссылка отозвана: по ней больше нельзя вступить в {class}.',
    'invites.copied.pupil': 'Ссылка-приглашение для учеников {class} скопирована. Отправьте её ученикам.',
    'invites.copied.parent': 'Ссылка-приглашение для родителей {class} скопирована. Отправьте её родителям.',
    'invites.copyYourself': 'Скопируйте выделенную ссылку и отправьте её.',

    'meeting.heading': 'Родительское собрание {class}',
    'meeting.when': 'Дата и время',
    'meeting.title': 'Название',
    'meeting.defaultTitle': 'Родительское собрание — {class}',
    'meeting.submit': 'Назначить',
    'meeting.needTime': 'Выберите дату и время.',
    'meeting.inPast': 'Это время уже прошло. Выберите более позднее.',
    'meeting.needTitle': 'Укажите название собрания.',
    'meeting.scheduled': 'Родительское собрание {class} назначено: {time}.',

    'sessions.heading': 'Уроки и встречи',
    'sessions.live': 'Идут сейчас',
    'sessions.upcoming': 'Запланированы',
    'sessions.past': 'Прошедшие',
    'sessions.showAll': 'Показать все ({count})',
    'sessions.emptyHost': 'Пока ничего нет. Начните урок или назначьте родительское собрание в карточке класса.',
    'sessions.emptyMember': 'Пока ничего не запланировано. Когда учитель начнёт урок, здесь появится кнопка «Войти».',
    'sessions.startedAt': 'начало: {time}',
    'sessions.endedAt': 'окончание: {time}',
    'sessions.scheduledFor': '{time}',
    'sessions.notStarted': 'ещё не начато',
    'sessions.start': 'Начать',
    'sessions.join': 'Войти',
    'sessions.end': 'Завершить',
    'sessions.endConfirm': 'Завершить для всех?',
    'sessions.endedToast': '«{title}» завершено для всех.',
    'sessions.attendance': 'Посещаемость (CSV)',
    'sessions.waiting': 'Ждём учителя',
    'kind.lesson': 'Урок',
    'kind.parent_meeting': 'Родительское собрание',
    'kind.consultation': 'Консультация',
    'kind.staff_meeting': 'Педсовет',
    'kind.event': 'Мероприятие',
    'state.scheduled': 'Запланировано',
    'state.live': 'Идёт',
    'state.ended': 'Завершено',

    'admin.heading': 'Администрирование',
    'admin.createClass': 'Новый класс',
    'admin.className': 'Название класса',
    'admin.classNamePlaceholder': 'например, 5А',
    'admin.createClassButton': 'Создать класс',
    'admin.classCreated': 'Класс {name} создан.',
    'admin.createTeacher': 'Новый учитель',
    'admin.teacherName': 'Имя и отчество или ФИО',
    'admin.passwordHint': 'Не меньше 8 символов. Передайте логин и пароль учителю.',
    'admin.createTeacherButton': 'Создать учителя',
    'admin.teacherCreated': '{name} теперь может войти с логином «{login}». Подтвердите учителя, чтобы он мог вести занятия.',
    'admin.assign': 'Назначить учителя в класс',
    'admin.class': 'Класс',
    'admin.assignButton': 'Назначить',
    'admin.assigned': '{teacher} теперь ведёт {class}.',
    'admin.people': 'Люди',
    'people.admins': 'Администраторы ({count})',
    'people.teachers': 'Учителя ({count})',
    'people.pupils': 'Ученики ({count})',
    'people.parents': 'Родители ({count})',
    'people.teaches': 'ведёт {classes}',
    'people.noClasses': 'пока без классов',
    'people.parentOf': 'родитель: {names}',
    'people.verified': '✓ проверен',
    'people.unverified': 'не проверен',
    'people.verify': 'Подтвердить',
    'people.verifiedToast': '{name}: аккаунт подтверждён, теперь можно вести занятия.',

    'invite.title': 'Приглашение в {class} — Класс',
    'invite.titlePlain': 'Приглашение — Класс',
    'invite.heading': 'Присоединяйтесь к классу {class}',
    'invite.lead.pupil': 'Вас приглашают в класс {class} ({school}) как ученика.',
    'invite.lead.parent': 'Вас приглашают в класс {class} ({school}) как родителя.',
    'invite.expires': 'Ссылка действует до {time}.',
    'invite.child': 'Ваш ребёнок',
    'invite.childChoose': 'Выберите…',
    'invite.name': 'Ваше имя',
    'invite.nameHint.pupil': 'Имя и фамилия — так вас увидят учитель и одноклассники.',
    'invite.nameHint.parent': 'Имя и фамилия — так вас увидит учитель.',
    'invite.submit': 'Создать аккаунт и войти',
    'invite.submitting': 'Создаём аккаунт…',
    'invite.haveAccountSignIn': 'Уже есть аккаунт? Войти',
    'invite.dead.not_found.title': 'Ссылка не работает',
    'invite.dead.not_found.text': 'Приглашения с таким адресом нет. Проверьте, что ссылка скопирована целиком, или попросите у учителя новую.',
    'invite.dead.invite_expired.title': 'Срок действия ссылки истёк',
    'invite.dead.invite_expired.text': 'Ссылки-приглашения действуют ограниченное время. Попросите у учителя новую.',
    'invite.dead.invite_revoked.title': 'Ссылка отозвана',
    'invite.dead.invite_revoked.text': 'Учитель отключил эту ссылку-приглашение. Попросите у учителя новую.',
    'invite.dead.invite_used_up.title': 'Ссылка исчерпана',
    'invite.dead.invite_used_up.text': 'По этой ссылке уже вступило столько людей, сколько разрешил учитель. Попросите у учителя новую.',
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
