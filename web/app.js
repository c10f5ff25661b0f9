// Shared code of the facet web UI: the API key (kept in this tab's sessionStorage only), calls
// to the API, one way to show errors and progress, the gallery picker, and drawing of faces.
// No third-party code.
const KEY_ITEM = 'facet.apiKey';

export function apiKey() {
  return sessionStorage.getItem(KEY_ITEM) || '';
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_ITEM, key.trim());
  else sessionStorage.removeItem(KEY_ITEM);
}

// A key handed over in the address ("#key=..."; fragments are never sent to a server) is taken
// into this tab and removed from the address bar and history.
export function takeKeyFromFragment() {
  const match = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (match) {
    setApiKey(decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function send(path, method, body, type) {
  const headers = {};
  const key = apiKey();
  if (key) headers['Ocp-Apim-Subscription-Key'] = key;
  if (type) headers['Content-Type'] = type;
  try {
    return await fetch(path, { method, headers, body, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'NetworkError', 'the server cannot be reached');
  }
}

async function failure(response) {
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  const err = data && data.error ? data.error : { code: 'Error', message: response.statusText };
  return new ApiError(response.status, err.code, err.message);
}

// Calls the API; resolves to the parsed JSON, rejects with ApiError.
export async function api(path, { method = 'GET', body, type } = {}) {
  const response = await send(path, method, body, type);
  if (!response.ok) throw await failure(response);
  try { return await response.json(); } catch (e) { return null; }
}

// Calls an API route that answers with a file; resolves to { blob, headers }, rejects with
// ApiError.
export async function apiFile(path, { method = 'GET', body, type } = {}) {
  const response = await send(path, method, body, type);
  if (!response.ok) throw await failure(response);
  return { blob: await response.blob(), headers: response.headers };
}

// One way to show every error: what the server said and its code. A 401 adds where a key is
// entered. Errors found here (no face in a photo) are ApiErrors with a code as well.
export function explain(error) {
  if (!(error instanceof ApiError)) return String(error && error.message ? error.message : error);
  const text = `${error.message} (${error.code})`;
  if (error.status === 401) return text + ': enter a valid key on the Home page.';
  return text;
}

export function showStatus(element, text, kind) {
  element.replaceChildren(text);
  element.className = 'status' + (kind ? ' ' + kind : '');
}

export function showError(element, error) {
  showStatus(element, explain(error), 'error');
}

// Progress of slow work in a status element: a progress bar (determinate once step() gives a
// maximum), what is being done and the seconds spent. Returns { step(text, value, max), done() }.
export function progress(element, text) {
  const bar = document.createElement('progress');
  bar.setAttribute('aria-hidden', 'true');
  const label = document.createElement('span');
  const clock = document.createElement('span');  // not announced every second
  clock.setAttribute('aria-hidden', 'true');
  clock.className = 'hint';
  const started = Date.now();
  const tick = () => {
    const seconds = Math.floor((Date.now() - started) / 1000);
    clock.textContent = seconds >= 1 ? `${seconds} s` : '';
  };
  label.textContent = text;
  element.className = 'status busy';
  element.replaceChildren(bar, label, clock);
  const timer = setInterval(tick, 1000);
  return {
    step(next, value, max) {
      label.textContent = next;
      if (max) {
        bar.max = max;
        bar.value = value;
      } else {
        bar.removeAttribute('value');
      }
    },
    done() { clearInterval(timer); },
  };
}

// Decodes bytes the server accepted into an image element for drawing; null when this browser
// cannot show them (the server's answer is still shown).
export async function imageFrom(bytes, type) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const image = new Image();
  try {
    await new Promise((resolve, reject) => {
      image.onload = resolve;
      image.onerror = reject;
      image.src = url;
    });
    return image;
  } catch (e) {
    return null;
  } finally {
    URL.revokeObjectURL(url);
  }
}

// A chosen file's bytes (for the API) and type. Nothing is decoded first: the server says
// whether it is an image, in the same words everywhere.
export async function readFile(file) {
  return { bytes: await file.arrayBuffer(), type: file.type || 'application/octet-stream',
           name: file.name };
}

// --- The gallery picker of the Galleries and Identify pages: the server's galleries, the last
// one chosen remembered in this tab, and a hint when there is none yet.
const GALLERY_ITEM = 'facet.gallery';

export function rememberGallery(name) {
  if (name) sessionStorage.setItem(GALLERY_ITEM, name);
}

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

export async function fillGalleryPicker(select, hint, chosen) {
  const groups = await api('/face/v1.0/persongroups');
  const previous = chosen || select.value || sessionStorage.getItem(GALLERY_ITEM) || '';
  select.replaceChildren();
  for (const g of groups) {
    const option = document.createElement('option');
    option.value = g.personGroupId;
    option.textContent = `${g.personGroupId} (${plural(g.personCount, 'person', 'persons')}, ` +
        `${plural(g.faceCount, 'face', 'faces')})`;
    select.appendChild(option);
  }
  if (groups.some((g) => g.personGroupId === previous)) select.value = previous;
  select.disabled = groups.length === 0;
  if (hint) hint.hidden = groups.length !== 0;
  rememberGallery(select.value);
  return groups;
}

export const QUALITY_COLOURS = { high: '#1a7f37', medium: '#bf8700', low: '#cf222e' };

// Draws `image` with each face's box (coloured by quality, or by `colours[i]`), its landmarks
// and a label on a band beside the box: the face's number and `labels[i]` (e.g. a name).
export function drawFaces(canvas, image, faces, labels, colours) {
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const g = canvas.getContext('2d');
  g.drawImage(image, 0, 0);
  const line = Math.max(2, Math.round(Math.max(canvas.width, canvas.height) / 400));
  const size = line * 8;
  g.font = `bold ${size}px system-ui, sans-serif`;
  g.textBaseline = 'top';
  faces.forEach((face, i) => {
    const r = face.faceRectangle;
    const quality = face.faceAttributes && face.faceAttributes.qualityForRecognition;
    const colour = (colours && colours[i]) || QUALITY_COLOURS[quality] || '#0a58ca';
    g.lineWidth = line;
    g.strokeStyle = colour;
    g.strokeRect(r.left, r.top, r.width, r.height);
    // Above the box, or below it at the top edge; always inside the canvas.
    const text = labels && labels[i] ? `${i + 1} ${labels[i]}` : String(i + 1);
    const width = g.measureText(text).width + line * 2;
    const height = size + line * 2;
    const x = Math.max(0, Math.min(r.left, canvas.width - width));
    const y = r.top - height >= 0 ? r.top - height
                                  : Math.min(r.top + r.height, canvas.height - height);
    g.fillStyle = colour;
    g.fillRect(x, y, width, height);
    g.fillStyle = '#fff';
    g.fillText(text, x + line, y + line);
    if (face.faceLandmarks) {
      g.fillStyle = '#00e5ff';
      for (const p of Object.values(face.faceLandmarks)) {
        g.beginPath();
        g.arc(p.x, p.y, line * 1.5, 0, 2 * Math.PI);
        g.fill();
      }
    }
  });
}

export function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

export function button(text, onClick, className) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  if (className) b.className = className;
  b.addEventListener('click', onClick);
  return b;
}
