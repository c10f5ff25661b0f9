// The Galleries page: galleries (list, create, delete), their persons with faces and consents,
// and one person's consents (record once, revoke), enrollment of checked photos, export and
// erasure. Every destructive step asks first and says what it destroys.
import { api, button, cell, fillGalleryPicker, plural, progress, readFile, rememberGallery,
         showError, showStatus, takeKeyFromFragment } from './app.js';

takeKeyFromFragment();
const status = document.getElementById('status');
const picker = document.getElementById('gallery');
const G = '/face/v1.0/persongroups';
const enc = encodeURIComponent;
let groups = [];
let persons = [];
let current = null;  // the person shown in the panel: { personId, name, faceCount, consents }
let checked = [];    // photos chosen for enrollment: { file, photo, ok, item }

const galleryPath = () => `${G}/${enc(picker.value)}`;
const personPath = () => `${galleryPath()}/persons/${enc(current.personId)}`;
const validConsents = (p) => (p.consents || []).filter((c) => c.valid);

// A modal question; resolves true when confirmed.
function confirmed(title, text, action) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = action;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

// --- galleries

async function loadGalleries(choose) {
  groups = await fillGalleryPicker(picker, document.getElementById('no-gallery'), choose);
  const body = document.querySelector('#galleries tbody');
  body.replaceChildren();
  for (const g of groups) {
    const row = document.createElement('tr');
    for (const v of [g.personGroupId, g.purpose, g.use, g.personCount, g.faceCount]) {
      cell(row, String(v));
    }
    const actions = cell(row, '');
    actions.className = 'row-actions';
    actions.append(
      button('Open', () => { picker.value = g.personGroupId; openGallery(); }, 'secondary'),
      button('Delete', () => deleteGallery(g), 'danger'));
    actions.querySelectorAll('button')[0].setAttribute('aria-label', `Open ${g.personGroupId}`);
    actions.querySelectorAll('button')[1].setAttribute('aria-label', `Delete ${g.personGroupId}`);
    body.appendChild(row);
  }
  document.getElementById('galleries').hidden = groups.length === 0;
  document.getElementById('create').open = groups.length === 0;
  document.getElementById('people').hidden = groups.length === 0;
  if (groups.length === 0) {
    document.getElementById('person-panel').hidden = true;
    return;
  }
  await loadPersons();
}

async function deleteGallery(g) {
  const ok = await confirmed(`Delete gallery ${g.personGroupId}?`,
      `Every person in it is erased: ${plural(g.personCount, 'person', 'persons')}, their ` +
      `consent records and ${plural(g.faceCount, 'face template', 'face templates')} ` +
      '(their data keys are destroyed, so nothing can be recovered), then the gallery itself. ' +
      'The audit log keeps its entries, which name persons only by random pseudonyms. This ' +
      'cannot be undone.', `Delete ${g.personGroupId}`);
  if (!ok) return;
  try {
    await api(`${G}/${enc(g.personGroupId)}`, { method: 'DELETE' });
    current = null;
    await loadGalleries();
    showStatus(status, `Gallery ${g.personGroupId} deleted.`, 'ok');
  } catch (e) {
    showError(status, e);
  }
}

document.getElementById('create-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = document.getElementById('new-gallery').value.trim();
  try {
    await api(`${G}/${enc(name)}`, {
      method: 'PUT', type: 'application/json',
      body: JSON.stringify({ purpose: document.getElementById('new-purpose').value,
                             use: document.getElementById('new-use').value }),
    });
    event.target.reset();
    current = null;
    await loadGalleries(name);
    showStatus(status, `Gallery ${name} created. Add the people who agreed to it below.`, 'ok');
  } catch (e) {
    showError(status, e);
  }
});

// --- persons

function consentSummary(p) {
  const valid = validConsents(p);
  if (valid.length > 0) {
    return valid.map((c) => `${c.scope}: ${c.purpose}` +
                            (c.expiresDateTime ? ` (until ${c.expiresDateTime.slice(0, 10)})` : ''))
      .join('; ');
  }
  return (p.consents || []).length ? 'none valid (revoked or expired)' : 'none yet';
}

async function loadPersons() {
  persons = await api(`${galleryPath()}/persons?returnConsents=true`);
  const body = document.querySelector('#persons tbody');
  body.replaceChildren();
  for (const p of persons) {
    const row = document.createElement('tr');
    cell(row, p.personId);
    cell(row, p.name || '–');
    cell(row, String(p.faceCount));
    cell(row, consentSummary(p), validConsents(p).length ? '' : 'q-low');
    const actions = cell(row, '');
    const manage = button('Manage', () => openPerson(p.personId), 'secondary');
    manage.setAttribute('aria-label', `Manage ${p.personId}`);
    actions.append(manage);
    body.appendChild(row);
  }
  document.getElementById('persons').hidden = persons.length === 0;
  document.getElementById('add-person').open = persons.length === 0;
  if (current) {
    const again = persons.find((p) => p.personId === current.personId);
    if (again) showPerson(again); else document.getElementById('person-panel').hidden = true;
  }
}

async function openGallery() {
  rememberGallery(picker.value);
  current = null;
  document.getElementById('person-panel').hidden = true;
  try {
    await loadPersons();
  } catch (e) {
    showError(status, e);
  }
}
picker.addEventListener('change', openGallery);

document.getElementById('person-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const id = document.getElementById('person').value.trim();
  try {
    await api(`${galleryPath()}/persons`, {
      method: 'POST', type: 'application/json',
      body: JSON.stringify({ personId: id, name: document.getElementById('display-name').value }),
    });
    event.target.reset();
    await loadGalleries(picker.value);
    openPerson(id);
    showStatus(status, `${id} added to ${picker.value}. Record their consent, then enroll photos.`,
               'ok');
  } catch (e) {
    showError(status, e);
  }
});

// --- one person

function openPerson(id) {
  const p = persons.find((x) => x.personId === id);
  if (!p) return;
  showPerson(p);
  document.getElementById('person-heading').focus();
}

function showPerson(p) {
  current = p;
  const panel = document.getElementById('person-panel');
  panel.hidden = false;
  document.getElementById('person-heading').textContent =
      `${p.name ? p.name + ' (' + p.personId + ')' : p.personId} in ${picker.value}`;
  const valid = validConsents(p).length > 0;
  document.getElementById('person-summary').textContent =
      `${plural(p.faceCount, 'face', 'faces')} enrolled. ` +
      (valid ? 'A valid consent covers enrollment.'
             : 'No valid consent: record one before enrolling photos.');
  const body = document.querySelector('#consents tbody');
  body.replaceChildren();
  for (const c of p.consents || []) {
    const row = document.createElement('tr');
    cell(row, String(c.consentId));
    cell(row, c.grantedBy);
    cell(row, c.scope);
    cell(row, c.purpose);
    cell(row, c.grantedDateTime.slice(0, 10));
    cell(row, c.expiresDateTime ? c.expiresDateTime.slice(0, 10) : '–');
    cell(row, c.valid ? 'valid' : c.revokedDateTime ? 'revoked' : 'expired',
         c.valid ? 'q-high' : 'q-low');
    const actions = cell(row, '');
    if (c.valid) {
      const revoke = button('Revoke', () => revokeConsent(c), 'danger');
      revoke.setAttribute('aria-label', `Revoke consent ${c.consentId}`);
      actions.append(revoke);
    }
    body.appendChild(row);
  }
  document.getElementById('consents').hidden = (p.consents || []).length === 0;
  updateEnrollButton();
}

async function revokeConsent(c) {
  const others = validConsents(current).filter((x) => x.consentId !== c.consentId).length;
  const ok = await confirmed(`Revoke consent ${c.consentId}?`,
      others > 0 ? 'Another valid consent remains, so the enrolled faces stay.'
                 : `This is ${current.personId}'s last valid consent: their ` +
                   `${plural(current.faceCount, 'face template is', 'face templates are')} ` +
                   'destroyed at once (the data key is shredded). The person and their consent ' +
                   'records stay; enrolling again needs a new consent.', 'Revoke consent');
  if (!ok) return;
  try {
    const r = await api(`${personPath()}/consents/${c.consentId}`, { method: 'DELETE' });
    await loadGalleries(picker.value);
    showStatus(status, `Consent ${c.consentId} revoked` +
               (r.templatesShredded ? '; the face templates were destroyed.' : '.'), 'ok');
  } catch (e) {
    showError(status, e);
  }
}

document.getElementById('consent-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const expires = document.getElementById('expires').value;
  const body = {
    grantedBy: document.getElementById('granted-by').value,
    scope: document.getElementById('scope').value,
    purpose: document.getElementById('consent-purpose').value,
  };
  if (expires) body.expiresDateTime = expires + 'T23:59:59Z';
  const evidence = document.getElementById('evidence').value.trim();
  if (evidence) body.evidence = evidence;
  try {
    const c = await api(`${personPath()}/consents`, {
      method: 'POST', type: 'application/json', body: JSON.stringify(body) });
    event.target.reset();
    await loadGalleries(picker.value);
    showStatus(status, `Consent ${c.consentId} recorded for ${current.personId}.`, 'ok');
  } catch (e) {
    showError(status, e);
  }
});

// --- enrollment: each chosen photo is checked (an image? a face? its quality) before any is
// enrolled; only the photos that passed are sent.

function updateEnrollButton() {
  const ready = checked.filter((c) => c.ok).length;
  const enroll = document.getElementById('enroll');
  const consent = current && validConsents(current).length > 0;
  enroll.disabled = ready === 0 || !consent;
  enroll.textContent = ready > 1 ? `Enroll ${ready} photos` : 'Enroll photo';
}

function note(item, text, kind) {
  item.textContent = text;
  item.className = kind;
}

document.getElementById('photos').addEventListener('change', async (event) => {
  const files = Array.from(event.target.files);
  const list = document.getElementById('checks');
  list.replaceChildren();
  checked = files.map((file) => {
    const item = document.createElement('li');
    list.appendChild(item);
    note(item, `${file.name}: checking…`, '');
    return { file, item, ok: false };
  });
  updateEnrollButton();
  for (const c of checked) {
    try {
      c.photo = await readFile(c.file);
      const faces = await api('/face/v1.0/detect?returnFaceAttributes=qualityForRecognition',
          { method: 'POST', body: c.photo.bytes, type: 'application/octet-stream' });
      if (faces.length === 0) {
        note(c.item, `${c.file.name}: no face found; not enrolled.`, 'error');
        continue;
      }
      const quality = faces[0].faceAttributes.qualityForRecognition;
      c.ok = true;
      note(c.item, `${c.file.name}: ${plural(faces.length, 'face', 'faces')}` +
           (faces.length > 1 ? '; the largest' : '') + ` (quality ${quality}) will be enrolled.`,
           quality === 'low' ? 'warn' : 'ok');
    } catch (e) {
      note(c.item, `${c.file.name}: ${e.message} (${e.code || 'Error'}); not enrolled.`, 'error');
    }
    updateEnrollButton();
  }
});

document.getElementById('enroll-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const ready = checked.filter((c) => c.ok);
  if (ready.length === 0 || !current) return;
  const enroll = document.getElementById('enroll');
  enroll.disabled = true;
  const work = progress(status, 'Enrolling…');
  let done = 0;
  let failed = 0;
  for (const [i, c] of ready.entries()) {
    work.step(`Enrolling ${c.file.name} (${i + 1} of ${ready.length})…`, i, ready.length);
    try {
      const face = await api(`${personPath()}/persistedfaces`, {
        method: 'POST', body: c.photo.bytes, type: 'application/octet-stream' });
      note(c.item, `${c.file.name}: ` + (face.duplicate ? 'already enrolled.'
           : `enrolled (face ${face.persistedFaceId}, quality ${face.qualityForRecognition}).`), 'ok');
      done++;
    } catch (e) {
      note(c.item, `${c.file.name}: ${e.message} (${e.code}).`, 'error');
      failed++;
    }
    c.ok = false;
  }
  work.done();
  const who = current.personId;
  try {
    await loadGalleries(picker.value);
  } catch (e) { /* the result below still stands */ }
  document.getElementById('photos').value = '';
  updateEnrollButton();
  showStatus(status, `${plural(done, 'photo', 'photos')} enrolled for ${who}` +
             (failed ? `; ${failed} refused (see the list).` : '.'), failed ? 'warn' : 'ok');
});

// --- export and erasure

document.getElementById('export-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const purpose = document.getElementById('export-purpose').value;
  try {
    const data = await api(`${personPath()}/export?purpose=${enc(purpose)}`);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)],
                                             { type: 'application/json' }));
    link.download = `${picker.value}-${current.personId}.json`;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    showStatus(status, `Exported ${current.personId} (the export is in the audit log).`, 'ok');
  } catch (e) {
    showError(status, e);
  }
});

document.getElementById('erase').addEventListener('click', async () => {
  const p = current;
  const ok = await confirmed(`Erase ${p.personId} from ${picker.value}?`,
      `This destroys ${p.personId}'s data key, so their ` +
      `${plural(p.faceCount, 'face template', 'face templates')} (and any kept photos) can never ` +
      `be read again, and deletes the person, their display name and ` +
      `${plural((p.consents || []).length, 'consent record', 'consent records')}. The audit log ` +
      'keeps its entries, which name the person only by a random pseudonym. This cannot be undone.',
      `Erase ${p.personId}`);
  if (!ok) return;
  try {
    await api(`${galleryPath()}/persons/${enc(p.personId)}`, { method: 'DELETE' });
    current = null;
    document.getElementById('person-panel').hidden = true;
    await loadGalleries(picker.value);
    showStatus(status, `${p.personId} erased.`, 'ok');
  } catch (e) {
    showError(status, e);
  }
});

loadGalleries().catch((e) => showError(status, e));
