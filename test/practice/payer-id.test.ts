// A payer id the scrubber would refuse on a claim is refused when the payer is recorded: one rule.
import { expect, it } from 'vitest';
import { isValidPayerId } from '../../src/codes/payer-id.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';

describeEachBackend('payer ids', (t) => {
  it('refuses on payers add and edit the ids the claim scrubber refuses, and accepts the ones it passes', async () => {
    for (const id of ['DEMO-BLUE', 'AB 12', 'X']) {
      expect(isValidPayerId(id)).toBe(false);
      const run = await runCli(['payers', 'add', '--payer-id', id, '--name', 'Plan'], { database: t.handle });
      expect(run.code, id).toBe(1);
      expect(run.stderr).toContain('2 to 80 letters and digits only');
    }
    expect((await runCli(['payers', 'add', '--payer-id', 'DEMOBLUE', '--name', 'Plan'], { database: t.handle })).code).toBe(0);
    const edit = await runCli(['payers', 'edit', 'DEMOBLUE', '--payer-id', 'DEMO-BLUE'], { database: t.handle });
    expect(edit.code).not.toBe(0);
  });
});
