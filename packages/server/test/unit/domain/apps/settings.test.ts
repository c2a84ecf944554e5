import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, mergeSettings, parseSettings } from '../../../../src/domain/apps/settings.js';

describe('app settings', () => {
  it('reads an app without stored settings as the defaults', () => {
    expect(parseSettings(null)).toEqual({
      missedCalls: { enabled: true, visibleOnData: false },
      rejectWhenBusy: false,
    });
  });

  it('fills a setting a stored row lacks (written by an older version) with its default', () => {
    expect(parseSettings('{"rejectWhenBusy":true,"missedCalls":{"enabled":false}}')).toEqual({
      missedCalls: { enabled: false, visibleOnData: false },
      rejectWhenBusy: true,
    });
  });

  it('changes only what a patch names', () => {
    const base = mergeSettings(DEFAULT_SETTINGS, { missedCalls: { visibleOnData: true } });
    expect(mergeSettings(base, { missedCalls: { enabled: false, visibleOnData: undefined } })).toEqual({
      missedCalls: { enabled: false, visibleOnData: true },
      rejectWhenBusy: false,
    });
    expect(DEFAULT_SETTINGS.missedCalls.visibleOnData).toBe(false);
  });
});
