jest.mock('cmpflow', () => jest.requireActual('../../src'), { virtual: true });
import { probe } from '../../docs/examples/zz-probe';
it('resolves cmpflow', () => { expect(probe()).toBe('ERR_INTERNAL'); });
