// A lesson page's room token, kept out of the address bar. No DOM here.
//
// The address of a live room is /lesson/<room>: safe to copy, to share, to show on a shared
// screen, since it names the room and nobody in it. The token that lets this person in lives
// in this tab's sessionStorage (a reload keeps it; another tab, browser or person does not
// have it): whoever opens a copy of the address is asked who they are, and the server's
// policy answers for their own account.

const PREFIX = 'classroom.room.';
// A token this close to its expiry is not worth a join that would fail half-way.
const EXPIRY_MARGIN_S = 30;

/** The token's claims, for the page to show (the server verifies the signature). */
export function decodeToken(token) {
  try {
    const base64 = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0)); // UTF-8: names are Cyrillic
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

/** The shareable address of a room. */
export function lessonPath(room) {
  return `/lesson/${encodeURIComponent(room)}`;
}

/** The room an address /lesson/<room> names, or null (/lesson?token=… names none). */
export function roomOfPath(pathname) {
  const parts = pathname.split('/').filter(Boolean);
  if (parts.length !== 2 || parts[0] !== 'lesson') return null;
  try {
    return decodeURIComponent(parts[1]);
  } catch {
    return null;
  }
}

export function keepRoomToken(room, token) {
  try {
    sessionStorage.setItem(PREFIX + room, token);
  } catch {
    /* storage disabled: this page load still has the token; a reload asks again */
  }
}

/** This tab's token for `room`, unless it has (nearly) expired. */
export function roomToken(room) {
  let token = null;
  try {
    token = sessionStorage.getItem(PREFIX + room);
  } catch {
    return null;
  }
  const exp = token ? decodeToken(token)?.exp : null;
  if (typeof exp !== 'number' || exp - EXPIRY_MARGIN_S < Date.now() / 1000) return null;
  return token;
}

export function forgetRoomToken(room) {
  try {
    sessionStorage.removeItem(PREFIX + room);
  } catch {
    /* nothing was kept */
  }
}
