/** The general message session: genm → genp. See single-exchange.ts for the statechart. */
import { createSingleExchangeMachine } from './single-exchange';

export const generalMachine = createSingleExchangeMachine('general', 'genm', 'generalResponse');
