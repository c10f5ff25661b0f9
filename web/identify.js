import { api, cell, drawFaces, fillGalleryPicker, imageFrom, plural, progress, readFile,
         rememberGallery, showError, showStatus, takeKeyFromFragment } from './app.js';

takeKeyFromFragment();
const status = document.getElementById('status');
const result = document.getElementById('result');
const button = document.getElementById('run');
let picker = document.getElementById('gallery');
const enc = encodeURIComponent;
let admin = true;  // whether this key may list galleries and read persons' names

// A key without the admin scope cannot list galleries: the gallery is typed instead.
function typedGallery() {
  admin = false;
  const input = document.createElement('input');
  input.id = 'gallery';
  input.name = 'gallery';
  input.type = 'text';
  input.required = true;
  input.autocomplete = 'off';
  picker.replaceWith(input);
  picker = input;
  const hint = document.getElementById('no-gallery');
  hint.textContent = 'This key may not list the galleries (admin scope): type the name of one.';
  hint.hidden = false;
}

fillGalleryPicker(picker, document.getElementById('no-gallery'))
  .catch((e) => (e.status === 403 ? typedGallery() : showError(status, e)));
picker.addEventListener('change', () => rememberGallery(picker.value));

// Display names of the persons found (an admin key can read them); their ids otherwise.
async function names(gallery, ids) {
  const out = {};
  for (const id of new Set(ids)) {
    out[id] = id;
    if (!admin) continue;
    try {
      const p = await api(`/face/v1.0/persongroups/${enc(gallery)}/persons/${enc(id)}`);
      if (p.name) out[id] = `${p.name} (${id})`;
    } catch (e) { /* the id stands */ }
  }
  return out;
}

document.getElementById('identify-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const file = document.getElementById('photo').files[0];
  const gallery = picker.value.trim();
  if (!file || !gallery) return;
  button.disabled = true;
  result.hidden = true;
  const work = progress(status, 'Finding the faces…');
  try {
    const photo = await readFile(file);
    const faces = await api('/face/v1.0/detect?returnFaceId=true&faceIdTimeToLive=60' +
        '&returnFaceAttributes=qualityForRecognition',
        { method: 'POST', body: photo.bytes, type: 'application/octet-stream' });
    const found = [];
    // identify takes at most 10 faces per call.
    for (let i = 0; i < faces.length; i += 10) {
      work.step(`Searching ${gallery} for faces ${i + 1}-${Math.min(faces.length, i + 10)} of ` +
                `${faces.length}…`, i, faces.length);
      const part = await api('/face/v1.0/identify', {
        method: 'POST', type: 'application/json', body: JSON.stringify({
          personGroupId: gallery,
          faceIds: faces.slice(i, i + 10).map((f) => f.faceId),
          purpose: document.getElementById('purpose').value,
        }) });
      found.push(...part);
    }
    const known = found.filter((x) => x.decision !== 'unknown');
    const label = await names(gallery, known.map((x) => x.decision));
    const labels = found.map((x) => (x.decision === 'unknown' ? 'unknown' : label[x.decision]));
    const image = await imageFrom(photo.bytes, photo.type);
    const canvas = document.getElementById('canvas');
    if (image) {
      drawFaces(canvas, image, faces, labels,
                found.map((x) => (x.decision === 'unknown' ? '#57606a' : '#1a7f37')));
    }
    canvas.hidden = !image;
    const body = document.querySelector('#faces tbody');
    body.replaceChildren();
    faces.forEach((f, i) => {
      const row = document.createElement('tr');
      const id = found[i];
      cell(row, String(i + 1));
      cell(row, labels[i], id.decision === 'unknown' ? '' : 'q-high');
      cell(row, id.candidates.length ? (100 * id.candidates[0].confidence).toFixed(1) + ' %' : '–');
      cell(row, f.faceAttributes.qualityForRecognition, 'q-' + f.faceAttributes.qualityForRecognition);
      body.appendChild(row);
    });
    document.getElementById('faces').hidden = faces.length === 0;
    result.hidden = false;
    if (faces.length === 0) {
      showStatus(status, 'No face found in this photo: nothing to identify.', 'warn');
    } else {
      showStatus(status, `${plural(faces.length, 'face', 'faces')}, ${known.length} identified.`,
                 'ok');
    }
  } catch (e) {
    result.hidden = true;
    showError(status, e);
  } finally {
    work.done();
    button.disabled = false;
  }
});
