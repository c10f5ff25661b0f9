import { apiFile, explain, showStatus, takeKeyFromFragment } from './app.js';

takeKeyFromFragment();
const form = document.getElementById('redact-form');
const status = document.getElementById('status');
const result = document.getElementById('result');
const picture = document.getElementById('redacted');
const download = document.getElementById('download');
const button = document.getElementById('run');
let shown = '';

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const file = document.getElementById('photo').files[0];
  if (!file) return;
  button.disabled = true;
  showStatus(status, 'Redacting…', '');
  try {
    const mode = document.getElementById('mode').value;
    const format = document.getElementById('format').value;
    const { blob, headers } = await apiFile(
        '/face/v1.0/redact?mode=' + encodeURIComponent(mode) + '&format=' + encodeURIComponent(format),
        { method: 'POST', body: await file.arrayBuffer(), type: 'application/octet-stream' });
    if (shown) URL.revokeObjectURL(shown);
    shown = URL.createObjectURL(blob);
    await new Promise((resolve, reject) => {
      picture.onload = resolve;
      picture.onerror = () => reject(new Error('the browser cannot show the redacted photo'));
      picture.src = shown;
    });
    download.href = shown;
    download.download = 'redacted.' + (format === 'png' ? 'png' : 'jpg');
    const count = Number(headers.get('X-Faces-Redacted') || '0');
    result.hidden = false;
    showStatus(status, count === 1 ? '1 face redacted.' : `${count} faces redacted.`, 'ok');
  } catch (e) {
    result.hidden = true;
    showStatus(status, explain(e), 'error');
  } finally {
    button.disabled = false;
  }
});
