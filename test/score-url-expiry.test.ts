// Presigned URL expiry as score-client's validators read it: SigV4, SigV2, Azure SAS, else 1 h.
import test from 'ava';
import { UNKNOWN_URL_LIFETIME_MS, urlExpiresAt } from '../src/score/url-expiry.js';

const NOW = Date.UTC(2024, 9, 9, 12, 0, 0);

test('S3 SigV4: X-Amz-Date + X-Amz-Expires seconds', (t) => {
  const url =
    'https://bucket.s3.amazonaws.com/data/abc?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20241009T120000Z&X-Amz-SignedHeaders=host&X-Amz-Expires=86400&X-Amz-Credential=AKIA%2F20241009%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=00ff';
  t.is(urlExpiresAt(url, NOW), Date.UTC(2024, 9, 10, 12, 0, 0));
  // Query keys are matched case-insensitively, as some proxies lower-case them.
  t.is(urlExpiresAt('https://h/o?x-amz-date=20241231T235959Z&x-amz-expires=2', NOW), Date.UTC(2025, 0, 1, 0, 0, 1));
});

test('S3 SigV2: Expires in epoch seconds', (t) => {
  t.is(urlExpiresAt('https://bucket.s3.amazonaws.com/data/abc?AWSAccessKeyId=AKIA&Expires=1728561600&Signature=abc%3D', NOW), 1728561600 * 1000);
});

test('Azure SAS: se as an ISO time', (t) => {
  const url = 'https://acct.blob.core.windows.net/data/abc?sv=2021-08-06&se=2024-10-10T12%3A00%3A00Z&sr=b&sp=r&sig=abc%3D';
  t.is(urlExpiresAt(url, NOW), Date.UTC(2024, 9, 10, 12, 0, 0));
});

test('unknown or malformed expiry: assume it expires within the hour', (t) => {
  t.is(urlExpiresAt('https://h/o?token=abc', NOW), NOW + UNKNOWN_URL_LIFETIME_MS);
  t.is(urlExpiresAt('https://h/o?X-Amz-Date=2024-10-09&X-Amz-Expires=60', NOW), NOW + UNKNOWN_URL_LIFETIME_MS);
  t.is(urlExpiresAt('https://h/o?X-Amz-Date=20241009T120000Z&X-Amz-Expires=soon', NOW), NOW + UNKNOWN_URL_LIFETIME_MS);
  t.is(urlExpiresAt('https://h/o?se=tomorrow', NOW), NOW + UNKNOWN_URL_LIFETIME_MS);
  t.is(urlExpiresAt('not a url', NOW), NOW + UNKNOWN_URL_LIFETIME_MS);
});
