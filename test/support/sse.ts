/** One GraphQL subscription over Server-Sent Events (yoga's transport), read event by event. */
export async function subscribeOverSse(url: string, query: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query }),
    signal: controller.signal,
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  // A read outlives a timed-out wait, so the chunk it brings is not lost.
  let reading: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  return {
    response,
    /** The next `next` event's payload (data, errors, extensions). */
    async next<T = Record<string, unknown>>(
      timeoutMs = 10_000,
    ): Promise<{
      data?: T;
      errors?: { message: string }[];
      extensions?: Record<string, unknown>;
    }> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = /event: next\ndata: (.*)\n\n/.exec(buffer);
        if (match) {
          buffer = buffer.slice((match.index ?? 0) + match[0].length);
          return JSON.parse(match[1] as string);
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`);
        let timer: NodeJS.Timeout | undefined;
        reading ??= reader.read();
        const chunk = await Promise.race([
          reading,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), left);
          }),
        ]).finally(() => clearTimeout(timer));
        reading = undefined;
        if (chunk.done) throw new Error('the event stream ended');
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    close: () => controller.abort(),
  };
}
