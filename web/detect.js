import { api, cell, drawFaces, imageFrom, plural, progress, readFile, showError, showStatus,
         takeKeyFromFragment } from './app.js';

takeKeyFromFragment();
const form = document.getElementById('detect-form');
const status = document.getElementById('status');
const result = document.getElementById('result');
const canvas = document.getElementById('canvas');
const rows = document.querySelector('#faces tbody');
const button = document.getElementById('run');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const file = document.getElementById('photo').files[0];
  if (!file) return;
  button.disabled = true;
  result.hidden = true;
  const work = progress(status, 'Detecting…');
  try {
    const photo = await readFile(file);
    const mode = document.getElementById('mode').value;
    const faces = await api('/face/v1.0/detect?returnFaceLandmarks=true&detectionModel=' + mode +
        '&returnFaceAttributes=qualityForRecognition,headPose,qualityDetails',
        { method: 'POST', body: photo.bytes, type: 'application/octet-stream' });
    const image = await imageFrom(photo.bytes, photo.type);
    if (image) drawFaces(canvas, image, faces);
    canvas.hidden = !image;
    rows.replaceChildren();
    faces.forEach((f, i) => {
      const tr = document.createElement('tr');
      const r = f.faceRectangle;
      const a = f.faceAttributes;
      const d = a.qualityDetails;
      cell(tr, String(i + 1));
      cell(tr, `${r.left}, ${r.top}, ${r.width} × ${r.height}`);
      cell(tr, a.qualityForRecognition, 'q-' + a.qualityForRecognition);
      // A pose from the 5 landmarks (the face mesh failed or was contradicted) is coarser.
      const coarse = d.poseMethod === 'five_points' ? ' (5 points)' : '';
      cell(tr, `${a.headPose.yaw} / ${a.headPose.pitch} / ${a.headPose.roll}${coarse}`);
      cell(tr, String(d.faceSize));
      cell(tr, String(d.sharpness));
      cell(tr, String(d.detectionScore));
      rows.appendChild(tr);
    });
    document.getElementById('faces').hidden = faces.length === 0;
    result.hidden = false;
    if (faces.length === 0) {
      showStatus(status, 'No face found in this photo. The recall detector finds smaller faces.',
                 'warn');
    } else {
      showStatus(status, plural(faces.length, 'face', 'faces') + ' found.', 'ok');
    }
  } catch (e) {
    result.hidden = true;
    showError(status, e);
  } finally {
    work.done();
    button.disabled = false;
  }
});
