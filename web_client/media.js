// Getting the camera, the microphone and the screen, with failures turned into i18n keys.

// 960x540 at 24 fps, sent in three sizes (protocol.js CAMERA_LAYERS): a board behind the
// teacher stays readable on a large screen, and a phone on mobile data gets the 240x135 or
// 480x270 copy. Chrome sends three simulcast layers only from 960x540 up (two at 640x360).
const CAMERA = { width: { ideal: 960 }, height: { ideal: 540 }, frameRate: { ideal: 24, max: 30 } };
const MICROPHONE = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
// A performer's microphone carries music: speech processing would pump a crescendo down,
// gate the quiet notes and fold the stereo image to mono.
const MUSIC = {
  echoCancellation: false,
  noiseSuppression: false,
  autoGainControl: false,
  channelCount: { ideal: 2 },
  sampleRate: { ideal: 48000 },
};

function errorKey(err) {
  switch (err?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'media.denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'media.notFound';
    case 'NotReadableError':
    case 'AbortError':
      return 'media.busy';
    default:
      return 'media.failed';
  }
}

/**
 * Asks for camera and microphone; falls back to whichever one exists. `music`: the
 * microphone of an event's performer (no speech processing, stereo).
 * Resolves with {stream: MediaStream|null, errorKey: string|null} and never rejects: a pupil
 * without a camera must still be able to join and follow the lesson.
 */
export async function getLocalMedia({ music = false } = {}) {
  const devices = globalThis.navigator?.mediaDevices;
  if (!devices?.getUserMedia) return { stream: null, errorKey: 'media.insecure' };
  const audio = music ? MUSIC : MICROPHONE;
  try {
    return { stream: await devices.getUserMedia({ audio, video: CAMERA }), errorKey: null };
  } catch (err) {
    if (errorKey(err) === 'media.denied') return { stream: null, errorKey: 'media.denied' };
    for (const constraints of [{ audio }, { video: CAMERA }]) {
      try {
        return { stream: await devices.getUserMedia(constraints), errorKey: errorKey(err) };
      } catch {
        // try the next one
      }
    }
    return { stream: null, errorKey: errorKey(err) };
  }
}

/** The screen (or a window / tab) the person picks; rejects if they cancel. */
export async function getScreen() {
  const stream = await navigator.mediaDevices.getDisplayMedia({
    video: { frameRate: { ideal: 15, max: 30 } },
    audio: false,
  });
  return stream.getVideoTracks()[0];
}

export function stopStream(stream) {
  for (const track of stream?.getTracks() || []) track.stop();
}
