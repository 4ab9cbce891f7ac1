/**
 * JOBS.jsonl: one job a line, keys named after `openssl cmp` options; a bad line is reported with
 * its number and the others still count; a secret may only be named (env:/file:), never given.
 */
import { parseJobs } from '../../src/fleet';

const KNOWN = new Set(['subject', 'newkey', 'certout', 'secret', 'server', 'days', 'keypass', 'policy_oids']);
const isKnownOption = (name: string) => KNOWN.has(name);

describe('JOBS.jsonl', () => {
  it('reads one job a line, skipping blank and # lines, with the common options under each line', () => {
    const text = [
      '# fleet of two',
      '{"id":"device-0001","cmd":"ir","subject":"/CN=device-0001","newkey":"keys/d1.pem","certout":"certs/d1.pem"}',
      '',
      '{"id":"device-0002","cmd":"cr","subject":"/CN=device-0002","server":"other:80","days":30}',
    ].join('\n');
    const parsed = parseJobs(text, { isKnownOption, common: { server: 'ca:8080', secret: 'env:FLEET_SECRET' } });
    expect(parsed.errors).toEqual([]);
    expect(parsed.specs).toEqual([
      {
        id: 'device-0001',
        cmd: 'ir',
        options: { server: 'ca:8080', secret: 'env:FLEET_SECRET', subject: '/CN=device-0001', newkey: 'keys/d1.pem', certout: 'certs/d1.pem' },
      },
      { id: 'device-0002', cmd: 'cr', options: { server: 'other:80', secret: 'env:FLEET_SECRET', subject: '/CN=device-0002', days: 30 } },
    ]);
  });

  it('reports each malformed line with its number and keeps the rest', () => {
    const text = [
      '{"id":"ok-1","cmd":"ir"}',
      '{"id":"broken" "cmd":"ir"}',
      '["not","an","object"]',
      '{"cmd":"ir"}',
      '{"id":"ok-2","cmd":"enroll"}',
      '{"id":"../escape","cmd":"ir"}',
      '{"id":"ok-3","cmd":"ir","no_such_option":"x"}',
      '{"id":"ok-4","cmd":"ir","days":{"n":1}}',
      '{"id":"ok-1","cmd":"cr"}',
      '{"id":"ok-5","cmd":"genm"}',
    ].join('\r\n');
    const parsed = parseJobs(text, { isKnownOption });
    expect(parsed.specs.map((s) => s.id)).toEqual(['ok-1', 'ok-5']);
    expect(parsed.errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(parsed.errors[0]!.message).toMatch(/^not valid JSON \(at character \d+\)$/);
    expect(parsed.errors[3]!.message).toMatch(/^cmd: required, one of ir, cr, kur, p10cr, rr, genm/);
    expect(parsed.errors[5]!.message).toBe('no_such_option: not an openssl cmp option');
    expect(parsed.errors[7]!.message).toBe('id ok-1 was already given on line 1');
  });

  it('refuses a literal secret on a line, naming the option but never the value, and takes env:/file: references', () => {
    const text = [
      '{"id":"d1","cmd":"ir","secret":"pass:hunter2"}',
      '{"id":"d2","cmd":"ir","keypass":"hunter2"}',
      '{"id":"d3","cmd":"ir","secret":"env:DEVICE_SECRET","keypass":"file:/etc/cmpflow/keypass"}',
      '{"id":"d4","cmd":"ir","secret":"oops, "}',
    ].join('\n');
    const parsed = parseJobs(text, { isKnownOption });
    expect(parsed.specs.map((s) => s.id)).toEqual(['d3']);
    expect(parsed.errors.map((e) => [e.line, e.message.split(':')[0]])).toEqual([
      [1, 'job d1'],
      [2, 'job d2'],
      [4, 'job d4'],
    ]);
    expect(JSON.stringify(parsed.errors)).not.toMatch(/hunter2|oops/);
  });

  it('refuses a literal secret among the common options before reading any line', () => {
    expect(() => parseJobs('{"id":"d1","cmd":"ir"}', { common: { secret: 'pass:hunter2' } })).toThrow(
      /secret must be given as env:NAME or file:PATH/,
    );
  });

  it('a malformed line does not echo what it holds, which may be a secret', () => {
    const parsed = parseJobs('{"id":"d1","cmd":"ir","secret":"pass:hunter2"', { isKnownOption });
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]!.message).not.toContain('hunter2');
  });
});
