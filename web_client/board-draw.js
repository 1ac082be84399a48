// Drawing the whiteboard's strokes on a canvas: the live board (board.js) and a recording's
// playback (playback-stage.js) draw alike, and as the composed video does (recording/slide.py).

/** The server's frame: every page scales it to its own board (classroom/board.py). */
export const BOARD_WIDTH = 1600;
export const BOARD_HEIGHT = 900;

/** Draws one stroke ({tool, color, width, points, text}) on `ctx`, at `scale` px per unit. */
export function drawStroke(ctx, stroke, scale, background = '#ffffff') {
  const p = stroke.points.map((v) => v * scale);
  ctx.save();
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.lineWidth = Math.max(1, stroke.width * scale);
  ctx.strokeStyle = stroke.tool === 'eraser' ? background : stroke.color;
  ctx.fillStyle = stroke.color;
  if (stroke.tool === 'highlighter') ctx.globalAlpha = 0.35;
  if (stroke.tool === 'text') {
    ctx.font = `${Math.max(8, stroke.width * 4 * scale)}px sans-serif`;
    ctx.textBaseline = 'top';
    ctx.fillText(stroke.text ?? '', p[0], p[1]);
  } else if (stroke.tool === 'rect') {
    ctx.strokeRect(Math.min(p[0], p[2]), Math.min(p[1], p[3]), Math.abs(p[2] - p[0]), Math.abs(p[3] - p[1]));
  } else if (stroke.tool === 'ellipse') {
    ctx.beginPath();
    ctx.ellipse((p[0] + p[2]) / 2, (p[1] + p[3]) / 2, Math.abs(p[2] - p[0]) / 2, Math.abs(p[3] - p[1]) / 2, 0, 0, 2 * Math.PI);
    ctx.stroke();
  } else {
    ctx.beginPath();
    ctx.moveTo(p[0], p[1]);
    if (p.length === 2) ctx.lineTo(p[0] + 0.01, p[1]); // a dot
    for (let i = 2; i < p.length; i += 2) ctx.lineTo(p[i], p[i + 1]);
    ctx.stroke();
  }
  ctx.restore();
}
