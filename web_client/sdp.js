// The one edit the client makes to an SDP of its own: a stereo track is decoded in stereo.
//
// Chrome decodes a received Opus track in as many channels as its own answer's fmtp says, and
// its answer never says `stereo=1` by itself: a performer's stereo (sfu/sdp.py
// with_stereo_opus marks it in the SFU's offer) would be mixed down to mono. So the answer
// copies the mark for the m-lines the offer marked. (mediasoup-client does the same.)

const OPUS = /^a=rtpmap:(\d+) opus\/48000/im;

/** The SDP's m-sections keyed by mid, each as its text. */
function sections(sdp) {
  const [head, ...rest] = sdp.split(/\r\n(?=m=)/);
  return { head, rest };
}

const midOf = (section) => /^a=mid:(\S+)/m.exec(section)?.[1];

function isStereoOpus(section) {
  const pt = OPUS.exec(section)?.[1];
  if (!pt) return false;
  const fmtp = new RegExp(`^a=fmtp:${pt} (.*)$`, 'm').exec(section)?.[1] || '';
  return fmtp.split(';').some((p) => p.trim() === 'stereo=1');
}

function markStereo(section) {
  const pt = OPUS.exec(section)?.[1];
  if (!pt) return section;
  const fmtp = new RegExp(`^(a=fmtp:${pt} )(.*)$`, 'm');
  const found = fmtp.exec(section);
  if (found) {
    const params = found[2].split(';').filter((p) => p.trim() && !p.trim().startsWith('stereo='));
    return section.replace(fmtp, `$1${[...params, 'stereo=1'].join(';')}`);
  }
  return section.replace(new RegExp(`^(a=rtpmap:${pt} opus/48000[^\\r\\n]*)`, 'im'), `$1\r\na=fmtp:${pt} stereo=1`);
}

/** `answer` with `stereo=1` on the Opus of every m-line whose offer had it. */
export function withStereoAnswer(offer, answer) {
  const stereo = new Set(sections(offer).rest.filter(isStereoOpus).map(midOf));
  if (!stereo.size) return answer;
  const { head, rest } = sections(answer);
  return [head, ...rest.map((s) => (stereo.has(midOf(s)) ? markStereo(s) : s))].join('\r\n');
}
