/** The longest webhook URL the API accepts (SPEC §3). */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * The API's rule for a webhook's `url` (SPEC §3), in one place for the CLI and the dispatcher:
 * absolute http(s), no credentials, at most 2048 characters, no whitespace or control
 * characters. Returns what is wrong as a predicate that reads after the field's name
 * ("url must use http or https, not ftp"; "--url is not an absolute URL; …"), or undefined
 * when the URL is fine. Each caller raises its own error with it.
 */
export function checkWebhookUrl(value: string): string | undefined {
  if (value.trim() === '') return 'is required: an absolute http(s) URL such as https://example.com/webhooks/v2k';
  if (value.length > MAX_WEBHOOK_URL_LENGTH)
    return `is ${value.length} characters long; at most ${MAX_WEBHOOK_URL_LENGTH} are allowed`;
  // Checked before parsing: the URL parser silently drops tabs and line breaks and trims spaces, so "https://exa\nmple.com" would pass as another host.
  if (/[\s\p{Cc}]/u.test(value))
    return 'must not contain spaces or control characters; percent-encode them (a space is %20)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URL; use http(s)://host/path, such as https://example.com/webhooks/v2k';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `must use http or https, not ${url.protocol.replace(/:$/, '')}`;
  if (url.username !== '' || url.password !== '') {
    return 'must not hold credentials (user:password@); deliveries are authenticated by their signature instead';
  }
  return undefined;
}
