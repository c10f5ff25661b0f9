import { api, ApiError, cell, explain, showStatus, takeKeyFromFragment } from './app.js';

takeKeyFromFragment();
const status = document.getElementById('status');
const G = '/face/v1.0/persongroups';
const enc = encodeURIComponent;

async function refresh(select) {
  const groups = await api(G);
  const body = document.querySelector('#galleries tbody');
  body.replaceChildren();
  const chooser = document.getElementById('gallery');
  const previous = select || chooser.value;
  chooser.replaceChildren();
  for (const g of groups) {
    const row = document.createElement('tr');
    for (const v of [g.personGroupId, g.purpose, g.use, g.recognitionModel, g.personCount, g.faceCount]) {
      cell(row, String(v));
    }
    body.appendChild(row);
    const option = document.createElement('option');
    option.value = option.textContent = g.personGroupId;
    chooser.appendChild(option);
  }
  if (previous) chooser.value = previous;
}

document.getElementById('create-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = document.getElementById('new-gallery').value.trim();
  try {
    await api(G + '/' + enc(name), {
      method: 'PUT', type: 'application/json',
      body: JSON.stringify({ purpose: document.getElementById('new-purpose').value }),
    });
    await refresh(name);
    showStatus(status, `Gallery ${name} created.`, 'ok');
  } catch (e) {
    showStatus(status, explain(e), 'error');
  }
});

document.getElementById('enroll-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const gallery = document.getElementById('gallery').value;
  const person = document.getElementById('person').value.trim();
  const file = document.getElementById('photo').files[0];
  if (!gallery || !person || !file) return;
  const button = document.getElementById('enroll');
  button.disabled = true;
  showStatus(status, 'Recording the consent and enrolling…', '');
  const base = `${G}/${enc(gallery)}/persons`;
  try {
    try {
      await api(base, { method: 'POST', type: 'application/json', body: JSON.stringify({
        personId: person, name: document.getElementById('display-name').value }) });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 'PersonExists')) throw e;
    }
    const consent = await api(`${base}/${enc(person)}/consents`, {
      method: 'POST', type: 'application/json', body: JSON.stringify({
        grantedBy: document.getElementById('granted-by').value,
        scope: 'identify',
        purpose: document.getElementById('consent-purpose').value,
        evidence: document.getElementById('evidence').value,
      }) });
    const face = await api(`${base}/${enc(person)}/persistedfaces`, {
      method: 'POST', body: await file.arrayBuffer(), type: 'application/octet-stream' });
    await refresh(gallery);
    showStatus(status, `Consent ${consent.consentId} recorded; ${face.duplicate ? 'this photo was already enrolled' : 'face enrolled'} for ${person} (quality ${face.qualityForRecognition}).`, 'ok');
  } catch (e) {
    showStatus(status, explain(e), 'error');
  } finally {
    button.disabled = false;
  }
});

refresh().catch((e) => showStatus(status, explain(e), 'error'));
