// Which of the class's cameras are on screen: a page at a time. No DOM here.
//
// A phone shows 4 classmates' cameras and a computer 9; the rest of the class is heard, not
// seen, and costs no video (the page asks the server for the videos it shows: protocol.md,
// set_subscriptions `video`). The pinned person comes first, so they are on the first page.

export const PHONE_WIDTH = 760;
export const PER_PAGE_PHONE = 4;
export const PER_PAGE_WIDE = 9;

// With one tile on the stage the rest is a strip: one row of them (and our own tile).
export const STRIP_PHONE = 3;
export const STRIP_WIDE = 5;

/** How many remote cameras fit a screen `width` pixels wide (`staged`: beside a stage). */
export function perPage(width, staged = false) {
  if (width <= PHONE_WIDTH) return staged ? STRIP_PHONE : PER_PAGE_PHONE;
  return staged ? STRIP_WIDE : PER_PAGE_WIDE;
}

/**
 * One page of `keys` (remote cameras in the order the grid shows them), with `first` (the
 * pinned person, present or not) moved to the front.
 * @returns {{shown: string[], page: number, pages: number}} `page` clamped to what exists.
 */
export function pageOf(keys, { first = [], size, page }) {
  const leading = [...new Set(first.filter((key) => keys.includes(key)))]; // pinned and brought in may be one
  const ordered = [...leading, ...keys.filter((key) => !leading.includes(key))];
  const pages = Math.max(1, Math.ceil(ordered.length / size));
  const at = Math.min(Math.max(0, page), pages - 1);
  return { shown: ordered.slice(at * size, (at + 1) * size), page: at, pages };
}
