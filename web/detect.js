import { api, cell, drawFaces, explain, loadFile, showStatus, takeKeyFromFragment } from './app.js';

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
  showStatus(status, 'Detecting…', '');
  try {
    const photo = await loadFile(file);
    const mode = document.getElementById('mode').value;
    const faces = await api('/face/v1.0/detect?returnFaceLandmarks=true&detectionModel=' + mode +
        '&returnFaceAttributes=qualityForRecognition,headPose,qualityDetails',
        { method: 'POST', body: photo.bytes, type: 'application/octet-stream' });
    drawFaces(canvas, photo.image, faces);
    URL.revokeObjectURL(photo.url);
    rows.replaceChildren();
    faces.forEach((f, i) => {
      const tr = document.createElement('tr');
      const r = f.faceRectangle;
      const a = f.faceAttributes;
      const d = a.qualityDetails;
      cell(tr, String(i + 1));
      cell(tr, `${r.left}, ${r.top}, ${r.width} × ${r.height}`);
      cell(tr, a.qualityForRecognition, 'q-' + a.qualityForRecognition);
      cell(tr, `${a.headPose.yaw} / ${a.headPose.pitch} / ${a.headPose.roll}`);
      cell(tr, String(d.faceSize));
      cell(tr, String(d.sharpness));
      cell(tr, String(d.detectionScore));
      rows.appendChild(tr);
    });
    result.hidden = false;
    showStatus(status, faces.length === 1 ? '1 face found.' : `${faces.length} faces found.`, 'ok');
  } catch (e) {
    result.hidden = true;
    showStatus(status, explain(e), 'error');
  } finally {
    button.disabled = false;
  }
});
