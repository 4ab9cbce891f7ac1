export * from './enveloped_data';
