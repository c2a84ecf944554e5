import { describe, expect, it } from 'vitest';
import { MAX_CALLEES } from '../../../../src/domain/calls/index.js';
import { actionOf } from '../../../../src/integrations/kaleyra/events.js';
import { InvalidInput } from '../../../../src/kernel/index.js';

/** A chat webhook as callpush reads it (docs/kaleyra.md#chat): the author and the channel's members. */
const chat = (data: Record<string, unknown>) => ({ event: 'on_message_sent', data: { channel_id: 'ch_1', ...data } });

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    if (err instanceof InvalidInput) return err.field;
    throw err;
  }
  return undefined;
}

describe('on_message_sent recipients', () => {
  it('are the participants but the sender', () => {
    const action = actionOf('on_message_sent', chat({ sender: 'usr_123', participants: ['usr_123', 'usr_999'] }));
    expect(action).toEqual({ kind: 'chat', to: ['usr_999'] });
  });

  it('accept members listed as {user:{userAlias}}, as on_call_incoming lists its users, and collapse repeats', () => {
    const participants = [{ user: { userAlias: 'usr_999' } }, 'usr_555', 'usr_999', { user: { userAlias: 'usr_123' } }];
    expect(actionOf('on_message_sent', chat({ sender: 'usr_123', participants }))).toEqual({
      kind: 'chat',
      to: ['usr_999', 'usr_555'],
    });
  });

  it('are nobody when the sender is alone in the channel: the event is only acknowledged', () => {
    expect(actionOf('on_message_sent', chat({ sender: 'usr_123', participants: ['usr_123'] }))).toEqual({
      kind: 'ignore',
    });
  });

  it('refuse a body callpush cannot read, naming the field', () => {
    const read = (data: Record<string, unknown>) => fieldOf(() => actionOf('on_message_sent', chat(data)));
    expect(fieldOf(() => actionOf('on_message_sent', { event: 'on_message_sent' }))).toBe('data');
    expect(read({ participants: ['usr_999'] })).toBe('data.sender');
    expect(read({ sender: 'usr_123' })).toBe('data.participants');
    expect(read({ sender: 'usr_123', participants: ['usr_999', 'usr/../1'] })).toBe('data.participants.1');
    expect(read({ sender: 'usr_123', participants: [{ user: {} }] })).toBe('data.participants.0.user.userAlias');
    expect(read({ sender: 'usr 123', participants: ['usr_999'] })).toBe('data.sender');
  });

  it(`reach at most ${MAX_CALLEES} members, the cap of a call`, () => {
    const members = (n: number) => Array.from({ length: n }, (_, i) => `usr_${i}`);
    const fits = actionOf('on_message_sent', chat({ sender: 'usr_0', participants: members(MAX_CALLEES + 1) }));
    expect(fits).toMatchObject({ kind: 'chat' });
    const over = () => actionOf('on_message_sent', chat({ sender: 'usr_0', participants: members(MAX_CALLEES + 2) }));
    expect(fieldOf(over)).toBe('data.participants');
  });
});
