import { describe, expect, it } from 'vitest';
import { createOperator } from '../../../api/operator.ts';

const TOKEN = 'a-long-operator-token-0123456789';
const request = (authorization?: string) =>
  new Request('http://localhost/graphql', { headers: authorization ? { authorization } : {} });

describe('operator gate', () => {
  it('allows only the exact bearer token', () => {
    const operator = createOperator(TOKEN, undefined);
    expect(operator.allowed(request(`Bearer ${TOKEN}`))).toBe(true);
    expect(operator.allowed(request(`bearer ${TOKEN}`))).toBe(true);
    expect(operator.allowed(request(`Bearer ${TOKEN}x`))).toBe(false);
    expect(operator.allowed(request(`Bearer ${TOKEN.slice(0, -1)}`))).toBe(false);
    expect(operator.allowed(request(TOKEN))).toBe(false);
    expect(operator.allowed(request())).toBe(false);
  });

  it('without a configured token nobody is an operator', () => {
    const operator = createOperator(undefined, undefined);
    expect(operator.allowed(request('Bearer anything-at-all-really'))).toBe(false);
  });

  it('refuses an action without the token with FORBIDDEN, before anything is sent', async () => {
    let sent = 0;
    const operator = createOperator(TOKEN, async () => {
      sent++;
      return { ok: false, error: 'unused' };
    });
    await expect(
      operator.act(request('Bearer wrong-token-wrong-token'), undefined, {
        action: 'start_rebuild',
        projection: 'orders',
      }),
    ).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(sent).toBe(0);
  });
});
