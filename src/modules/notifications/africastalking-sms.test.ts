import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeAfricasTalking, startFakeAfricasTalking } from '../../../test/fakes/africastalking.js';
import { createAfricasTalkingSms } from './africastalking-sms.js';
import { SmsError } from './sms.js';

let fake: FakeAfricasTalking;
const creds = { username: 'kkoo', apiKey: 'atsk_test_key_123' };

beforeAll(async () => {
  fake = await startFakeAfricasTalking(creds);
});
afterAll(() => fake.close());

const adapter = (over: Partial<{ apiKey: string; timeoutMs: number; senderId: string }> = {}) =>
  createAfricasTalkingSms({ baseUrl: fake.baseUrl, ...creds, timeoutMs: 2000, ...over });

async function failure(p: Promise<unknown>): Promise<SmsError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SmsError);
  return err as SmsError;
}

describe("Africa's Talking SMS adapter (against a local fake of the real API)", () => {
  it('posts a form with the apiKey header and returns the message id', async () => {
    const receipt = await adapter({ senderId: 'KKOO' }).send('+255712345678', 'Your code is 123456');
    expect(receipt).toEqual({
      messageId: expect.stringMatching(/^ATXid_/),
      status: 'Success',
      cost: { minor: 2500, currency: 'TZS' },
    });
    const req = fake.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/version1/messaging');
    expect(req.headers.apikey).toBe(creds.apiKey);
    expect(req.headers.accept).toBe('application/json');
    expect(req.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(req.form).toEqual({
      username: 'kkoo',
      to: '+255712345678',
      message: 'Your code is 123456',
      from: 'KKOO',
    });
  });

  it('sends no "from" when no sender id is configured', async () => {
    await adapter().send('+255712345679', 'hello');
    expect(fake.requests.at(-1)!.form).not.toHaveProperty('from');
  });

  it('reports wrong credentials as a non-retryable HTTP error', async () => {
    const err = await failure(adapter({ apiKey: 'wrong' }).send('+255712345678', 'x'));
    expect(err.reason).toBe('HTTP_ERROR');
    expect(err.message).toMatch(/401/);
    expect(err.retryable).toBe(false);
  });

  it('treats a 201 whose recipient was refused as a failure', async () => {
    fake.script.set('+255700000403', { kind: 'reject', statusCode: 403, status: 'InvalidPhoneNumber' });
    const err = await failure(adapter().send('+255700000403', 'x'));
    expect(err.reason).toBe('REJECTED');
    expect(err.message).toMatch(/403 InvalidPhoneNumber/);
    expect(err.retryable).toBe(false);
    expect(err.providerCode).toBe(403);
  });

  it('marks an insufficient balance as retryable', async () => {
    fake.script.set('+255700000405', { kind: 'reject', statusCode: 405, status: 'InsufficientBalance' });
    expect((await failure(adapter().send('+255700000405', 'x'))).retryable).toBe(true);
  });

  it('marks a provider 5xx as retryable', async () => {
    fake.script.set('+255700000500', { kind: 'http', status: 500, body: 'Internal Server Error' });
    const err = await failure(adapter().send('+255700000500', 'x'));
    expect(err).toMatchObject({ reason: 'HTTP_ERROR', retryable: true });
  });

  it('gives up after the configured timeout when the provider never answers', async () => {
    fake.script.set('+255700000999', { kind: 'hang' });
    const started = Date.now();
    const err = await failure(adapter({ timeoutMs: 300 }).send('+255700000999', 'x'));
    expect(err).toMatchObject({ reason: 'TIMEOUT', retryable: true });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports an unreachable provider as a network error', async () => {
    const dead = createAfricasTalkingSms({ baseUrl: 'http://127.0.0.1:1', ...creds, timeoutMs: 1000 });
    expect((await failure(dead.send('+255712345678', 'x'))).reason).toBe('NETWORK');
  });
});
