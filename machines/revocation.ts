/** The revocation session: rr → rp. See single-exchange.ts for the statechart. */
import { createSingleExchangeMachine } from './single-exchange';

export const revocationMachine = createSingleExchangeMachine('revocation', 'rr', 'revocation');
