// Feed the matches of several streams to the engine in log-time order, as `analyze` must: the
// engine is incremental, so an api-out.log read whole before api-error.log would put an hour of
// one file's matches before the other's in the same incident group. Each stream yields its
// matches a chunk at a time; only one chunk's matches per stream are held. Within a stream the
// file order is kept (a line without its own timestamp has its predecessor's).
/** What is merged: matches, and the facts the reports pair in log time (an exit and the error before it). */
interface Timed {
  time: number;
}

interface Head<T extends Timed> {
  it: AsyncIterator<T[]>;
  batch: T[];
  at: number;
  order: number;
}

async function refill<T extends Timed>(h: Head<T>): Promise<boolean> {
  for (;;) {
    const next = await h.it.next();
    if (next.done) return false;
    if (next.value.length > 0) {
      h.batch = next.value;
      h.at = 0;
      return true;
    }
  }
}

export async function mergeByTime<T extends Timed>(streams: Array<AsyncIterable<T[]>>, feed: (m: T) => void): Promise<void> {
  let heads: Array<Head<T>> = [];
  for (const [order, s] of streams.entries()) {
    const h: Head<T> = { it: s[Symbol.asyncIterator](), batch: [], at: 0, order };
    if (await refill(h)) heads.push(h);
  }
  while (heads.length > 0) {
    // the stream with the earliest next match runs until it passes the second earliest (ties
    // go to the stream named first): a few comparisons per run, not per match
    let best: Head<T> | undefined;
    let second = Infinity;
    let secondOrder = Infinity;
    for (const h of heads) {
      const t = h.batch[h.at]?.time ?? Infinity;
      const bt = best ? (best.batch[best.at]?.time ?? Infinity) : Infinity;
      if (!best || t < bt || (t === bt && h.order < best.order)) {
        if (best) {
          second = bt;
          secondOrder = best.order;
        }
        best = h;
      } else if (t < second || (t === second && h.order < secondOrder)) {
        second = t;
        secondOrder = h.order;
      }
    }
    if (!best) break;
    // locals in the loop: it runs once per match and fact (millions on a log where every line matches)
    const after = best.order > secondOrder;
    for (;;) {
      const batch = best.batch;
      let at = best.at;
      for (; at < batch.length; at++) {
        const m = batch[at];
        if (m === undefined) continue;
        if (m.time > second || (m.time === second && after)) break;
        feed(m);
      }
      best.at = at;
      if (at < batch.length) break;
      if (await refill(best)) continue;
      heads = heads.filter((h) => h !== best);
      break;
    }
  }
}
