import { setDeadline } from '../../src/transport/deadlines';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the per-message deadlines, watched by one timer', () => {
  it('expires each deadline once its time has passed, in order, and never a cleared one', async () => {
    const expired: string[] = [];
    const started = performance.now();
    const times: Record<string, number> = {};
    const note = (name: string) => () => {
      expired.push(name);
      times[name] = performance.now() - started;
    };
    setDeadline(60, note('late'));
    const clear = setDeadline(30, note('cleared'));
    setDeadline(15, note('early'));
    clear();
    await sleep(120);
    expect(expired).toEqual(['early', 'late']);
    expect(times['early']).toBeGreaterThanOrEqual(14);
    expect(times['late']).toBeGreaterThanOrEqual(59);
  });

  it('takes a deadline beyond what one Node timer can hold without expiring it early', async () => {
    const expired: string[] = [];
    const clear = setDeadline(2 ** 40, () => expired.push('far'));
    setDeadline(5, () => expired.push('near'));
    await sleep(40);
    expect(expired).toEqual(['near']);
    clear();
  });
});
