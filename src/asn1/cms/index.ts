export * from './enveloped_data';
export * from './kem_recipient_info';
