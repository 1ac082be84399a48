// What a recorded room's stage showed besides people at a moment, from the recording's
// timeline: the same rules as the composer's (recording/stage.py), applied to the events in
// time order up to `t`:
//   material        the material shown from then on ({id, pages, page, zoom, …}; null: none)
//   board           the whole board when the recording began ({shown, pages: {key: [stroke]}})
//   board_stroke    one stroke added; board_removed: the strokes of `seqs` gone
//   board_settings  the blank board opened or closed (`shown`)
//   board_unrecorded  the recording took no more of the board: no strokes, no blank board after
// At `t` the stage shows the material's page with the strokes of "<id>:<page>", else the
// blank board when open with the strokes of "blank", else nothing (the video alone).
// A seek backwards replays from the start: the timeline of a lesson is a few thousand lines.

const KINDS = new Set([
  'material', 'board', 'board_stroke', 'board_removed', 'board_settings', 'board_unrecorded',
]);

/** The events that change the stage, in time order (same-time ones as written). */
export function stageEvents(timeline) {
  return timeline
    .filter((e) => KINDS.has(e.type) && Number.isFinite(e.at))
    .map((e, i) => [e, i])
    .sort((a, b) => a[0].at - b[0].at || a[1] - b[1])
    .map(([e]) => e);
}

/**
 * The stage at `t` (the server's clock, as the events' `at`): null, or
 * {material | null, page, zoom, key, strokes, changes}, where `changes` counts the events
 * applied (the same count, the same stage).
 */
export function stageAt(events, t) {
  let material = null;
  let shown = false;
  let strokes = new Map();
  let changes = 0;
  for (const e of events) {
    if (e.at > t) break;
    changes += 1;
    if (e.type === 'material') {
      material = e.material && e.material.id ? e.material : null;
    } else if (e.type === 'board') {
      shown = Boolean(e.board?.shown);
      strokes = new Map();
      for (const list of Object.values(e.board?.pages || {})) for (const s of list) if (Number.isInteger(s?.seq)) strokes.set(s.seq, s);
    } else if (e.type === 'board_stroke') {
      if (Number.isInteger(e.stroke?.seq)) strokes.set(e.stroke.seq, e.stroke);
    } else if (e.type === 'board_removed') {
      for (const seq of e.seqs || []) strokes.delete(seq);
    } else if (e.type === 'board_settings') {
      shown = Boolean(e.shown);
    } else if (e.type === 'board_unrecorded') {
      shown = false;
      strokes = new Map();
    }
  }
  let page = 1;
  let zoom = 1;
  let key = 'blank';
  if (material) {
    page = material.page || 1;
    zoom = material.zoom || 1;
    key = `${material.id}:${page}`;
  } else if (!shown) {
    return null;
  }
  const onPage = [...strokes.values()].filter((s) => s.page === key).sort((a, b) => a.seq - b.seq);
  return { material, page, zoom, key, strokes: onPage, changes };
}

/**
 * The polls asked by `t`, latest last, as the class saw them then: the question and options
 * (`poll`), the counts shown to everyone (the last `poll_results` by `t`; none when the poll
 * kept its results to the teacher), and whether it was closed (`poll_closed`, with a quiz's
 * right option). Each: {poll, counts | null, voters, closed, correct}.
 */
export function pollsAt(timeline, t) {
  const polls = new Map();
  const timed = timeline.filter((e) => Number.isFinite(e.at) && e.at <= t);
  for (const e of timed) {
    if (e.type === 'poll' && e.poll?.id) {
      const was = polls.get(e.poll.id);
      polls.set(e.poll.id, { counts: null, voters: 0, closed: false, correct: null, ...was, poll: e.poll });
    } else if (e.type === 'poll_results' && polls.has(e.pollId)) {
      Object.assign(polls.get(e.pollId), { counts: e.counts || null, voters: e.voters || 0 });
    } else if (e.type === 'poll_closed' && polls.has(e.pollId)) {
      Object.assign(polls.get(e.pollId), { closed: true, correct: e.correct ?? null });
    }
  }
  return [...polls.values()];
}
