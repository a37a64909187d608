// Starts s3rver (a real S3 HTTP server) on a free loopback port with one
// bucket, prints {"port":N} once it listens, and runs until killed.
// Usage: node --openssl-legacy-provider start_s3rver.mjs <directory> <bucket>
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory,
  silent: true,
  configureBuckets: [{ name: bucket }],
});
const { port } = await server.run();
process.stdout.write(JSON.stringify({ port }) + '\n');
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
