import { api, cell, explain, showStatus, takeKeyFromFragment } from './app.js';

takeKeyFromFragment();
const status = document.getElementById('status');
const more = document.getElementById('more');
let next = null;

async function show(from, append) {
  const page = await api('/face/v1.0/audit?limit=100&from=' + encodeURIComponent(from));
  const body = document.querySelector('#entries tbody');
  if (!append) body.replaceChildren();
  for (const e of page.entries) {
    const row = document.createElement('tr');
    for (const v of [e.seq, e.dateTime, e.actor, e.action, e.personGroupId, e.purpose]) cell(row, String(v));
    cell(row, typeof e.details === 'string' ? e.details : JSON.stringify(e.details));
    body.appendChild(row);
  }
  next = page.nextFrom;
  more.hidden = next === null;
  showStatus(status, `${body.children.length} entries shown.`, 'ok');
}

document.getElementById('audit-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await show(document.getElementById('from').value.trim() || '1', false);
  } catch (e) {
    showStatus(status, explain(e), 'error');
  }
});
more.addEventListener('click', () => show(next, true).catch((e) => showStatus(status, explain(e), 'error')));
document.getElementById('check').addEventListener('click', async () => {
  try {
    const r = await api('/face/v1.0/audit/verify');
    showStatus(status, r.intact ? `The chain of ${r.entries} entries is intact.`
                                : `The audit log was tampered with at entry ${r.firstBadSeq}: ${r.problem}`,
               r.intact ? 'ok' : 'error');
  } catch (e) {
    showStatus(status, explain(e), 'error');
  }
});
