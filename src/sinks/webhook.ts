// Webhook sink: each change record, as JSON, POSTed on its own (one object per request is what
// Slack/Feishu/DingTalk bridges and most HTTP receivers expect). Delivery is at least once: a
// receiver dedupes on `incident.id` + `event` + `incident.count` if it must.
import { postJson } from './deliver/http-post.js';
import type { ChangeSink, RetryPolicy } from './deliver/sink.js';

export function webhookSink(options: { url: string; retry: RetryPolicy }): ChangeSink {
  return {
    name: `webhook ${redact(options.url)}`,
    retry: options.retry,
    batchSize: 1,
    async deliver(changes, signal) {
      for (const c of changes) await postJson(options.url, c, signal);
    },
  };
}

/** Webhook URLs often carry a token in the path or query: messages show only scheme, host and path start. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    const first = u.pathname.split('/').filter(Boolean)[0];
    return `${u.protocol}//${u.host}/${first ? `${first}/…` : ''}`;
  } catch {
    return 'webhook';
  }
}
