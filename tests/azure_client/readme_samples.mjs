// Microsoft's official Azure Face client (@azure-rest/ai-vision-face, pinned by package-lock.json)
// runs its README samples against `facet serve` on a free loopback port. What differs from the
// README, and nothing else: the endpoint and key (AzureKeyCredential, as the README's key
// snippet), allowInsecureConnection (plain HTTP on loopback), the images, and one consent call per
// person before adding faces (facet enrolls no one without consent). Then what the client sets is
// read back and changed with its PATCH calls (a group's name and userData, the recognitionModel
// asked for, a face's userData; both group kinds), verify, findSimilar and group with Azure's
// bodies, the detection sample under every API version, the audit log, and the
// Azure REST reference's example bodies sent as plain HTTP requests (as curl would).
//
// Usage: node readme_samples.mjs FACET_BINARY MODEL_DIR
// Exits 77 (skipped) when the client is not installed (scripts/test.sh installs it).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, 'node_modules/@azure-rest/ai-vision-face/package.json'))) {
  console.log('SKIP: the Azure Face client is not installed (cd tests/azure_client && npm ci)');
  process.exit(77);
}
const { default: FaceClient, isUnexpected, getLongRunningPoller } = await import(
  '@azure-rest/ai-vision-face');
const { AzureKeyCredential } = await import('@azure/core-auth');

const [facet, modelDir] = process.argv.slice(2);
if (!facet || !modelDir) {
  console.error('usage: node readme_samples.mjs FACET_BINARY MODEL_DIR');
  process.exit(2);
}
const samples = join(modelDir, 'src/@vladmandic/face-api@1.7.15/demo');
const image = (i) => join(samples, `sample${i}.jpg`);
const work = mkdtempSync(join(tmpdir(), 'facet-azure-'));
const keys = join(work, 'keys.json');
const store = join(work, 'store.db');
const masterKey = join(work, 'master.key');
const failures = [];
let server;

function addKey(name, purpose) {
  const out = execFileSync(facet, ['serve', 'keys', 'add', '--keys', keys, '--name', name,
    '--scopes', 'all', '--purpose', purpose, '--json']);
  return JSON.parse(out.toString()).key;
}

function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(facet, ['serve', '--port', '0', '--keys', keys, '--models', modelDir,
      '--workers', '1', '--store', store, '--key-file', masterKey],
    { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    const timer = setTimeout(() => reject(new Error('server did not start: ' + text)), 60000);
    server.stderr.on('data', (chunk) => {
      text += chunk.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    server.on('exit', (code) => reject(new Error(`server exited (${code}): ${text}`)));
  });
}

async function step(name, fn) {
  const start = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - start} ms)`);
  } catch (e) {
    failures.push(name);
    console.log(`FAIL ${name}: ${e.stack || e}`);
  }
}

// facet's own routes (consents, audit) are not in the client's table of expected answers.
function ok200(response) {
  if (response.status !== '200') {
    throw new Error(`${response.status}: ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

// The README's `if (isUnexpected(r)) throw new Error(r.body.error.message)`.
function expected(response) {
  if (isUnexpected(response)) {
    throw new Error(`${response.status}: ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

try {
  execFileSync(facet, ['init', '--store', store, '--key-file', masterKey], { stdio: 'ignore' });
  const apikey = addKey('readme samples', 'README samples of the Azure Face client');
  const port = await startServer();
  const endpoint = `http://127.0.0.1:${port}`;
  const credential = new AzureKeyCredential(apikey);
  const client = FaceClient(endpoint, credential, { allowInsecureConnection: true });

  // --- ReadmeSampleFaceDetection, as written: it asks for "mask", which facet has no model for.
  const detectionSample = (attributes) => client.path('/detect').post({
    contentType: 'application/octet-stream',
    queryParameters: {
      detectionModel: 'detection_03',
      recognitionModel: 'recognition_04',
      returnFaceLandmarks: true,
      returnRecognitionModel: true,
      faceIdTimeToLive: 120,
      returnFaceAttributes: attributes,
      returnFaceId: false,
    },
    body: readFileSync(image(1)),
  });
  await step('README detection sample: "mask" is refused by name (400)', async () => {
    const response = await detectionSample(['headPose', 'mask', 'qualityForRecognition']);
    assert.equal(isUnexpected(response), true);
    assert.equal(response.status, '400');
    assert.equal(response.body.error.code, 'BadArgument');
    assert.match(response.body.error.message, /'mask'.*no model/);
  });
  await step('README detection sample without "mask"', async () => {
    const faces = expected(await detectionSample(['headPose', 'qualityForRecognition']));
    assert.ok(faces.length >= 2, 'the sample photo shows several people');
    for (const face of faces) {
      assert.equal(face.faceId, undefined);  // returnFaceId: false
      assert.equal(face.recognitionModel, 'recognition_04');
      assert.ok(face.faceRectangle.width > 0 && face.faceRectangle.height > 0);
      assert.ok(face.faceLandmarks.pupilLeft.x > face.faceRectangle.left);
      assert.ok(['low', 'medium', 'high'].includes(face.faceAttributes.qualityForRecognition));
      assert.equal(typeof face.faceAttributes.headPose.yaw, 'number');
    }
    // Largest first, as Azure.
    const areas = faces.map((f) => f.faceRectangle.width * f.faceRectangle.height);
    assert.deepEqual([...areas].sort((a, b) => b - a), areas);
  });
  await step('detection sample under every API version', async () => {
    const answers = [];
    for (const apiVersion of ['v1.0', 'v1.1-preview.1', 'v1.2-preview.1', 'v1.2']) {
      const versioned = FaceClient(endpoint, credential,
        { apiVersion, allowInsecureConnection: true });
      const response = await versioned.path('/detect').post({
        contentType: 'application/octet-stream',
        queryParameters: { detectionModel: 'detection_03', returnFaceAttributes: ['blur', 'exposure', 'noise'] },
        body: readFileSync(image(1)),
      });
      answers.push(JSON.stringify(expected(response)));
    }
    assert.equal(new Set(answers).size, 1, 'every version answers alike');
    for (const face of JSON.parse(answers[0])) {
      assert.ok(['low', 'medium', 'high'].includes(face.faceAttributes.blur.blurLevel));
      assert.ok(['underExposure', 'goodExposure', 'overExposure']
        .includes(face.faceAttributes.exposure.exposureLevel));
      assert.ok(['low', 'medium', 'high'].includes(face.faceAttributes.noise.noiseLevel));
    }
  });

  // --- ReadmeSampleFaceRecognitionFromLargePersonGroup
  const largePersonGroupId = 'lpg_family';
  let personId_bill;
  let personId_clare;
  // facet's one addition: the person's consent, recorded before their faces.
  const consent = (personId, grantedBy) => client
    .pathUnchecked('/largepersongroups/{largePersonGroupId}/persons/{personId}/consents',
      largePersonGroupId, personId)
    .post({ body: { grantedBy, scope: 'identify', purpose: 'family door' } });
  await step('README LargePersonGroup sample: group, persons, consents, faces', async () => {
    const createLargePersonGroupResponse = await client
      .path('/largepersongroups/{largePersonGroupId}', largePersonGroupId)
      .put({ body: { name: 'My Family', recognitionModel: 'recognition_04' } });
    expected(createLargePersonGroupResponse);

    const bill = await client
      .path('/largepersongroups/{largePersonGroupId}/persons', largePersonGroupId)
      .post({ body: { name: 'Bill', userData: 'Dad' } });
    personId_bill = expected(bill).personId;
    // Without a consent, adding a face is refused and says how to record one.
    const refused = await client
      .path('/largepersongroups/{largePersonGroupId}/persons/{personId}/persistedfaces',
        largePersonGroupId, personId_bill)
      .post({ queryParameters: { userData: 'Dad-0001', detectionModel: 'detection_03' },
        contentType: 'application/octet-stream', body: readFileSync(image(3)) });
    assert.equal(refused.status, '403');
    assert.equal(refused.body.error.code, 'ConsentRequired');
    assert.match(refused.body.error.message, /POST .*\/consents/);
    ok200(await consent(personId_bill, 'Bill'));
    expected(await client
      .path('/largepersongroups/{largePersonGroupId}/persons/{personId}/persistedfaces',
        largePersonGroupId, personId_bill)
      .post({ queryParameters: { userData: 'Dad-0001', detectionModel: 'detection_03' },
        contentType: 'application/octet-stream', body: readFileSync(image(3)) }));

    const clare = await client
      .path('/largepersongroups/{largePersonGroupId}/persons', largePersonGroupId)
      .post({ body: { name: 'Clare', userData: 'Mom' } });
    personId_clare = expected(clare).personId;
    ok200(await consent(personId_clare, 'Clare'));
    expected(await client
      .path('/largepersongroups/{largePersonGroupId}/persons/{personId}/persistedfaces',
        largePersonGroupId, personId_clare)
      .post({ queryParameters: { userData: 'Mom-0001', detectionModel: 'detection_03' },
        contentType: 'application/octet-stream', body: readFileSync(image(1)) }));
  });

  // Beyond the README: what the client sets is kept and read back (group name and userData, the
  // recognitionModel asked for, a face's userData), and changed with the client's PATCH calls.
  await step('Group name/userData and face userData: set, read back, PATCH (LargePersonGroup)',
    async () => {
      const group = expected(await client
        .path('/largepersongroups/{largePersonGroupId}', largePersonGroupId)
        .get({ queryParameters: { returnRecognitionModel: true } }));
      assert.equal(group.largePersonGroupId, largePersonGroupId);
      assert.equal(group.name, 'My Family');
      assert.equal(group.recognitionModel, 'recognition_04');
      assert.equal(group.userData, undefined);
      expected(await client
        .path('/largepersongroups/{largePersonGroupId}', largePersonGroupId)
        .patch({ body: { name: 'The Family', userData: 'three generations' } }));
      const listed = expected(await client.path('/largepersongroups').get());
      const mine = listed.find((g) => g.largePersonGroupId === largePersonGroupId);
      assert.equal(mine.name, 'The Family');
      assert.equal(mine.userData, 'three generations');
      const bill = expected(await client
        .path('/largepersongroups/{largePersonGroupId}/persons/{personId}', largePersonGroupId,
          personId_bill).get());
      assert.equal(bill.persistedFaceIds.length, 1);
      const facePath = '/largepersongroups/{largePersonGroupId}/persons/{personId}' +
        '/persistedfaces/{persistedFaceId}';
      const face = expected(await client
        .path(facePath, largePersonGroupId, personId_bill, bill.persistedFaceIds[0]).get());
      assert.equal(face.persistedFaceId, bill.persistedFaceIds[0]);
      assert.equal(face.userData, 'Dad-0001');
      expected(await client
        .path(facePath, largePersonGroupId, personId_bill, bill.persistedFaceIds[0])
        .patch({ body: { userData: 'Dad-0001, front' } }));
      const changed = expected(await client
        .path(facePath, largePersonGroupId, personId_bill, bill.persistedFaceIds[0]).get());
      assert.equal(changed.userData, 'Dad-0001, front');
      const missing = await client
        .path(facePath, largePersonGroupId, personId_bill, '999999').get();
      assert.equal(missing.status, '404');
      assert.equal(missing.body.error.code, 'PersistedFaceNotFound');
      const noGroup = await client
        .path('/largepersongroups/{largePersonGroupId}', 'nowhere')
        .patch({ body: { name: 'x' } });
      assert.equal(noGroup.status, '404');
      assert.equal(noGroup.body.error.code, 'LargePersonGroupNotFound');
    });

  await step('Group name/userData and face userData: set, read back, PATCH (PersonGroup)',
    async () => {
      const personGroupId = 'pg_office';
      expected(await client.path('/persongroups/{personGroupId}', personGroupId)
        .put({ body: { name: 'Office', userData: 'second floor',
          recognitionModel: 'recognition_03' } }));
      const group = expected(await client.path('/persongroups/{personGroupId}', personGroupId)
        .get());
      assert.equal(group.personGroupId, personGroupId);
      assert.equal(group.name, 'Office');
      assert.equal(group.userData, 'second floor');
      assert.equal(group.recognitionModel, 'recognition_03');
      expected(await client.path('/persongroups/{personGroupId}', personGroupId)
        .patch({ body: { userData: 'third floor' } }));
      const patched = expected(await client.path('/persongroups/{personGroupId}', personGroupId)
        .get());
      assert.equal(patched.name, 'Office');
      assert.equal(patched.userData, 'third floor');
      const person = expected(await client
        .path('/persongroups/{personGroupId}/persons', personGroupId)
        .post({ body: { name: 'Dana', userData: 'reception' } }));
      ok200(await client
        .pathUnchecked('/persongroups/{personGroupId}/persons/{personId}/consents',
          personGroupId, person.personId)
        .post({ body: { grantedBy: 'Dana', scope: 'identify', purpose: 'office door' } }));
      const added = expected(await client
        .path('/persongroups/{personGroupId}/persons/{personId}/persistedfaces', personGroupId,
          person.personId)
        .post({ queryParameters: { userData: 'Dana-0001', detectionModel: 'detection_03' },
          contentType: 'application/octet-stream', body: readFileSync(image(1)) }));
      const facePath = '/persongroups/{personGroupId}/persons/{personId}' +
        '/persistedfaces/{persistedFaceId}';
      const face = expected(await client
        .path(facePath, personGroupId, person.personId, added.persistedFaceId).get());
      assert.equal(face.userData, 'Dana-0001');
      expected(await client
        .path(facePath, personGroupId, person.personId, added.persistedFaceId)
        .patch({ body: { userData: 'Dana-0001, profile' } }));
      assert.equal(expected(await client
        .path(facePath, personGroupId, person.personId, added.persistedFaceId).get()).userData,
      'Dana-0001, profile');
      expected(await client.path('/persongroups/{personGroupId}', personGroupId).delete());
    });

  await step('README train sample: getLongRunningPoller(...).pollUntilDone()', async () => {
    const trainResponse = await client
      .path('/largepersongroups/{largePersonGroupId}/train', largePersonGroupId)
      .post();
    assert.equal(trainResponse.status, '202');
    const trainPoller = await getLongRunningPoller(client, trainResponse);
    const result = await trainPoller.pollUntilDone();
    assert.equal(trainPoller.getOperationState().status, 'succeeded');
    assert.equal(result.body.status, 'succeeded');
    const training = expected(await client
      .path('/largepersongroups/{largePersonGroupId}/training', largePersonGroupId).get());
    assert.equal(training.status, 'succeeded');
  });

  let faceIds = [];
  let outerFaceIds = [];
  await step('README identify sample (no purpose in the body: the key\'s is audited)', async () => {
    const detectResponse = await client.path('/detect').post({
      contentType: 'application/octet-stream',
      queryParameters: {
        detectionModel: 'detection_03',
        recognitionModel: 'recognition_04',
        returnFaceId: true,
      },
      body: readFileSync(image(3)),
    });
    const detectedFaces = expected(detectResponse);
    faceIds = detectedFaces.map((face) => face.faceId);
    // The leftmost and the rightmost person (two different women, similarity ~0.2; the middle
    // one resembles the right one at ~0.46, just above the FMR-1e-3 threshold).
    const byLeft = [...detectedFaces].sort((a, b) => a.faceRectangle.left - b.faceRectangle.left);
    outerFaceIds = [byLeft[0].faceId, byLeft[byLeft.length - 1].faceId];
    assert.ok(faceIds.length >= 2);
    const identifyResponse = await client.path('/identify').post({
      body: { faceIds, largePersonGroupId },
    });
    const identified = expected(identifyResponse);
    assert.equal(identified.length, faceIds.length);
    assert.equal(identified[0].faceId, faceIds[0]);
    assert.equal(identified[0].candidates[0].personId, personId_bill);
    assert.ok(identified[0].candidates[0].confidence > 0.5);
    for (const other of identified.slice(1)) {
      assert.ok(other.candidates.every((c) => c.personId !== personId_bill));
    }
  });

  await step('verify: face to person and face to face (Azure bodies)', async () => {
    const toPerson = expected(await client.path('/verify').post({
      body: { faceId: faceIds[0], personId: personId_bill, largePersonGroupId },
    }));
    assert.equal(toPerson.isIdentical, true);
    const notClare = expected(await client.path('/verify').post({
      body: { faceId: faceIds[0], personId: personId_clare, largePersonGroupId },
    }));
    assert.equal(notClare.isIdentical, false);
    const faceToFace = expected(await client.path('/verify').post({
      body: { faceId1: outerFaceIds[0], faceId2: outerFaceIds[1] },
    }));
    assert.equal(faceToFace.isIdentical, false, JSON.stringify(faceToFace));
  });

  await step('findSimilar and group (Azure bodies)', async () => {
    const again = expected(await client.path('/detect').post({
      contentType: 'application/octet-stream',
      queryParameters: { recognitionModel: 'recognition_04', returnFaceId: true },
      body: readFileSync(image(3)),
    })).map((face) => face.faceId);
    const similar = expected(await client.path('/findsimilars').post({
      body: { faceId: faceIds[0], faceIds: again, maxNumOfCandidatesReturned: 1, mode: 'matchPerson' },
    }));
    assert.equal(similar.length, 1);
    assert.equal(similar[0].faceId, again[0]);
    const grouped = expected(await client.path('/group').post({
      body: { faceIds: [...faceIds, ...again] },
    }));
    // Each face is grouped with itself detected again: the largest face's group is the pair.
    const largest = grouped.groups.find((g) => g.includes(faceIds[0]));
    assert.deepEqual([...largest].sort(), [faceIds[0], again[0]].sort());
    for (const group of grouped.groups) assert.ok(group.length >= 2);
    const lists = await client.path('/findsimilars').post({
      body: { faceId: faceIds[0], largeFaceListId: 'nowhere' },
    });
    assert.equal(lists.status, '400');
    assert.match(lists.body.error.message, /face lists/);
  });

  await step('the audit log holds each identification with the key\'s purpose', async () => {
    const audit = ok200(await client.pathUnchecked('/audit').get({
      queryParameters: { limit: 1000 } }));
    const searches = audit.entries.filter((e) => e.action === 'identify' || e.action === 'verify');
    assert.equal(searches.length, 3);  // one identify, two verifications against persons
    for (const e of searches) {
      assert.equal(e.purpose, 'README samples of the Azure Face client');
      assert.equal(e.actor, 'readme samples');
    }
  });

  await step('README delete sample', async () => {
    expected(await client
      .path('/largepersongroups/{largePersonGroupId}', largePersonGroupId).delete());
    const gone = await client
      .path('/largepersongroups/{largePersonGroupId}', largePersonGroupId).get();
    assert.equal(gone.status, '404');
    assert.equal(gone.body.error.code, 'LargePersonGroupNotFound');
  });
  // --- The Azure REST reference's example bodies (azure-rest-api-specs, Face v1.1-preview.1
  // examples), sent as curl would, without the client: group, person, face with targetFace,
  // train + operation, detect, identify, verify.
  await step('REST reference bodies (plain HTTP requests)', async () => {
    const base = `${endpoint}/face/v1.1-preview.1`;
    const call = async (method, path, body, type = 'application/json') => {
      const response = await fetch(base + path, {
        method,
        headers: { 'Ocp-Apim-Subscription-Key': apikey,
          ...(body === undefined ? {} : { 'Content-Type': type }) },
        body: body === undefined ? undefined : type === 'application/json' ? JSON.stringify(body) : body,
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers,
        body: text ? JSON.parse(text) : undefined };
    };
    const must = (r, status = 200) => {
      assert.equal(r.status, status, JSON.stringify(r.body));
      return r.body;
    };
    const group = '/largepersongroups/your_large_person_group_id';
    must(await call('PUT', group, { name: 'your_large_person_group_name',
      userData: 'your_user_data', recognitionModel: 'recognition_01' }));
    const person = must(await call('POST', `${group}/persons`,
      { name: 'your_large_person_group_person_name', userData: 'your_user_data' }));
    must(await call('POST', `${group}/persons/${person.personId}/consents`,
      { grantedBy: 'the person', scope: 'identify', purpose: 'reference run' }));
    const photo = readFileSync(image(3));
    // The reference's attribute list asks for glasses, occlusion, accessories and mask too.
    const reference = '?returnFaceId=true&returnFaceLandmarks=true&recognitionModel=recognition_01' +
      '&returnRecognitionModel=true&detectionModel=detection_01&faceIdTimeToLive=60' +
      '&returnFaceAttributes=';
    const refused = await call('POST', '/detect' + reference +
      'glasses,headPose,occlusion,accessories,blur,exposure,noise,mask,qualityForRecognition',
    photo, 'application/octet-stream');
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /'glasses'.*no model/);
    const faces = must(await call('POST', '/detect' + reference +
      'headPose,blur,exposure,noise,qualityForRecognition', photo, 'application/octet-stream'));
    assert.equal(faces[0].recognitionModel, 'recognition_01');
    const r = faces[0].faceRectangle;
    const face = must(await call('POST', `${group}/persons/${person.personId}/persistedfaces` +
      `?targetFace=${r.left},${r.top},${r.width},${r.height}&detectionModel=detection_01` +
      '&userData=your%20user%20data', photo, 'application/octet-stream'));
    assert.ok(face.persistedFaceId);
    assert.equal(face.userData, 'your user data');
    const kept = must(await call('GET', group));
    assert.equal(kept.name, 'your_large_person_group_name');
    assert.equal(kept.userData, 'your_user_data');
    assert.equal(kept.recognitionModel, 'recognition_01');
    must(await call('PATCH', group, { name: 'your_large_person_group_name',
      userData: 'your_user_data' }));
    must(await call('PATCH', `${group}/persons/${person.personId}/persistedfaces/` +
      face.persistedFaceId, { userData: 'your_user_data' }));
    assert.equal(must(await call('GET', `${group}/persons/${person.personId}/persistedfaces/` +
      face.persistedFaceId)).userData, 'your_user_data');
    const train = await call('POST', `${group}/train`);
    assert.equal(train.status, 202);
    const operation = await fetch(train.headers.get('operation-location'),
      { headers: { 'Ocp-Apim-Subscription-Key': apikey } }).then((x) => x.json());
    assert.equal(operation.status, 'succeeded');
    assert.equal(must(await call('GET', `${group}/training`)).status, 'succeeded');
    const identified = must(await call('POST', '/identify', {
      faceIds: [faces[0].faceId], largePersonGroupId: 'your_large_person_group_id',
      maxNumOfCandidatesReturned: 9, confidenceThreshold: 0.7 }));
    assert.equal(identified[0].candidates[0].personId, person.personId);
    const verified = must(await call('POST', '/verify', { faceId: faces[0].faceId,
      personId: person.personId, largePersonGroupId: 'your_large_person_group_id' }));
    assert.equal(verified.isIdentical, true);
    must(await call('DELETE', group));
  });
} catch (e) {
  failures.push('setup');
  console.log(`FAIL setup: ${e.stack || e}`);
} finally {
  if (server) server.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
console.log(failures.length === 0 ? 'all README samples ran' : `${failures.length} failed`);
process.exit(failures.length === 0 ? 0 : 1);
