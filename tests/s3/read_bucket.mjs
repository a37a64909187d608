// Reads a bucket back with @aws-sdk/client-s3 (an independent S3 client) and
// prints one JSON document: every object under the prefix with its size,
// whether its bytes are gzip, and its content: NDJSON records for parts and
// snapshots (decompressed), the parsed document (with the base64 state
// decoded) for _state.json and its first copy _state.next.json, the parsed
// document for schema objects, and for attachment files (any bytes) only
// their SHA-256, computed here.
// Usage: node read_bucket.mjs <endpoint> <bucket> <prefix>
import { S3Client, ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';

const [endpoint, bucket, prefix] = process.argv.slice(2);
const s3 = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});

const keys = [];
let token;
do {
  const page = await s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
  );
  for (const o of page.Contents ?? []) keys.push(o.Key);
  token = page.IsTruncated ? page.NextContinuationToken : undefined;
} while (token);

const objects = [];
for (const key of keys.sort()) {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (key.includes('/attachments/files/')) {
    // Streamed, so a 200 MB file is never held here either.
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of got.Body) {
      hash.update(chunk);
      size += chunk.length;
    }
    objects.push({ key, size, sha256: hash.digest('hex') });
    continue;
  }
  const bytes = Buffer.from(await got.Body.transformToByteArray());
  const gzip = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  const text = (gzip ? gunzipSync(bytes) : bytes).toString('utf8');
  const entry = { key, size: bytes.length, gzip };
  if (key.includes('/schema/')) {
    entry.schema = JSON.parse(text);
  } else if (key.endsWith('/_state.json') || key.endsWith('/_state.next.json')) {
    const doc = JSON.parse(text);
    entry.state = { ...doc, stateDecoded: Buffer.from(doc.state, 'base64').toString('utf8') };
  } else {
    entry.records = text
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l));
  }
  objects.push(entry);
}
process.stdout.write(JSON.stringify({ objects }) + '\n');
