// One JSON POST with a timeout, its failures sorted into retryable or not (Prometheus' notifier
// retries 5xx and network errors, never other 4xx).
import { DeliveryError } from './sink.js';

const TIMEOUT_MS = 10_000;
const USER_AGENT = 'incident-analyser';

export async function postJson(url: string, body: unknown, signal: AbortSignal, headers: Record<string, string> = {}): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]),
    });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
    const message = err instanceof Error ? err.message : String(err);
    throw new DeliveryError(cause ? `${message} (${cause})` : message, true);
  }
  // read the body either way: an unread body keeps the connection busy
  const text = await res.text().catch(() => '');
  if (res.ok) return;
  const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
  const detail = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  throw new DeliveryError(`HTTP ${res.status}${detail ? `: ${detail}` : ''}`, retryable, retryAfterMs(res.headers.get('retry-after')));
}

function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
