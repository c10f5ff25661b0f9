import { api, ApiError, drawFaces, imageFrom, progress, readFile, showError, showStatus,
         takeKeyFromFragment } from './app.js';

takeKeyFromFragment();
const form = document.getElementById('compare-form');
const status = document.getElementById('status');
const result = document.getElementById('result');
const button = document.getElementById('run');

// Detects the faces of one photo with a one-minute faceId; returns the photo and its largest face.
async function largestFace(file, which) {
  const photo = await readFile(file);
  const faces = await api('/face/v1.0/detect?returnFaceId=true&faceIdTimeToLive=60' +
      '&returnFaceAttributes=qualityForRecognition',
      { method: 'POST', body: photo.bytes, type: 'application/octet-stream' });
  if (faces.length === 0) {
    throw new ApiError(400, 'NoFaceDetected', `no face was found in the ${which} photo`);
  }
  return { photo, face: faces[0] };  // the API lists the largest face first
}

async function draw(canvas, photo, face) {
  const image = await imageFrom(photo.bytes, photo.type);
  if (image) drawFaces(canvas, image, [face]);
  canvas.hidden = !image;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const fileA = document.getElementById('photo-a').files[0];
  const fileB = document.getElementById('photo-b').files[0];
  if (!fileA || !fileB) return;
  button.disabled = true;
  result.hidden = true;
  const work = progress(status, 'Finding the face of the first photo…');
  try {
    const a = await largestFace(fileA, 'first');
    work.step('Finding the face of the second photo…', 1, 3);
    const b = await largestFace(fileB, 'second');
    work.step('Comparing…', 2, 3);
    const v = await api('/face/v1.0/verify', {
      method: 'POST', type: 'application/json',
      body: JSON.stringify({ faceId1: a.face.faceId, faceId2: b.face.faceId }),
    });
    await draw(document.getElementById('canvas-a'), a.photo, a.face);
    await draw(document.getElementById('canvas-b'), b.photo, b.face);
    const verdict = document.getElementById('verdict');
    verdict.textContent = v.isIdentical ? 'Same person' : 'Different people';
    verdict.className = 'verdict ' + (v.isIdentical ? 'same' : 'different');
    document.getElementById('numbers').textContent =
        `Similarity ${v.similarity.toFixed(3)} (threshold ${v.threshold.toFixed(3)}), ` +
        `confidence ${(100 * v.confidence).toFixed(1)} %. Quality of the faces: ` +
        `${a.face.faceAttributes.qualityForRecognition} and ${b.face.faceAttributes.qualityForRecognition}.`;
    result.hidden = false;
    showStatus(status, 'Done.', 'ok');
  } catch (e) {
    result.hidden = true;
    showError(status, e);
  } finally {
    work.done();
    button.disabled = false;
  }
});
