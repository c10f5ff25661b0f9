import { api, cell, drawFaces, explain, loadFile, showStatus, takeKeyFromFragment } from './app.js';

takeKeyFromFragment();
const status = document.getElementById('status');
const result = document.getElementById('result');
const button = document.getElementById('run');

document.getElementById('identify-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const file = document.getElementById('photo').files[0];
  if (!file) return;
  button.disabled = true;
  showStatus(status, 'Identifying…', '');
  try {
    const photo = await loadFile(file);
    const faces = await api('/face/v1.0/detect?returnFaceId=true&faceIdTimeToLive=60' +
        '&returnFaceAttributes=qualityForRecognition',
        { method: 'POST', body: photo.bytes, type: 'application/octet-stream' });
    const found = [];
    // identify takes at most 10 faces per call.
    for (let i = 0; i < faces.length; i += 10) {
      const part = await api('/face/v1.0/identify', {
        method: 'POST', type: 'application/json', body: JSON.stringify({
          personGroupId: document.getElementById('gallery').value.trim(),
          faceIds: faces.slice(i, i + 10).map((f) => f.faceId),
          purpose: document.getElementById('purpose').value,
        }) });
      found.push(...part);
    }
    drawFaces(document.getElementById('canvas'), photo.image, faces);
    URL.revokeObjectURL(photo.url);
    const body = document.querySelector('#faces tbody');
    body.replaceChildren();
    faces.forEach((f, i) => {
      const row = document.createElement('tr');
      const id = found[i];
      cell(row, String(i + 1));
      cell(row, id.decision, id.decision === 'unknown' ? '' : 'q-high');
      cell(row, id.candidates.length ? (100 * id.candidates[0].confidence).toFixed(1) + ' %' : '–');
      cell(row, f.faceAttributes.qualityForRecognition, 'q-' + f.faceAttributes.qualityForRecognition);
      body.appendChild(row);
    });
    result.hidden = false;
    const known = found.filter((x) => x.decision !== 'unknown').length;
    showStatus(status, `${faces.length} faces, ${known} identified.`, 'ok');
  } catch (e) {
    result.hidden = true;
    showStatus(status, explain(e), 'error');
  } finally {
    button.disabled = false;
  }
});
