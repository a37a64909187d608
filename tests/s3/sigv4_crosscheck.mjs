// Signs requests with the AWS SDK's own SigV4 implementation
// (@aws-sdk/signature-v4) and prints one Authorization header per line, for
// the C++ signer to be compared with byte for byte.
// Input (a JSON file): {accessKeyId, secretAccessKey, sessionToken?, region,
// service, date: "2015-08-30T12:36:00Z", requests: [{method, host, path,
// query: [[k, v], ...], headers: [[k, v], ...], payloadHash}]}
// Usage: node sigv4_crosscheck.mjs <input.json>
import { SignatureV4 } from '@aws-sdk/signature-v4';
import { Hash } from '@smithy/core/serde';
import { readFileSync } from 'node:fs';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const signer = new SignatureV4({
  credentials: {
    accessKeyId: input.accessKeyId,
    secretAccessKey: input.secretAccessKey,
    ...(input.sessionToken ? { sessionToken: input.sessionToken } : {}),
  },
  region: input.region,
  service: input.service,
  // The SHA-256 constructor the SDK's Node clients use.
  sha256: Hash.bind(null, 'sha256'),
  // S3 semantics: the path is signed as sent, encoded once.
  uriEscapePath: false,
  applyChecksum: false,
});

for (const r of input.requests) {
  const query = {};
  for (const [k, v] of r.query) {
    if (k in query) query[k] = [].concat(query[k], v);
    else query[k] = v;
  }
  const headers = {};
  for (const [k, v] of r.headers) headers[k] = v;
  headers['x-amz-content-sha256'] = r.payloadHash;
  const signed = await signer.sign(
    { method: r.method, protocol: 'https:', hostname: r.host, path: r.path, query, headers, body: undefined },
    { signingDate: new Date(input.date) },
  );
  process.stdout.write(signed.headers.authorization + '\n');
}
