/**
 * OpenSSL's own `openssl cmp` test rows for the verification options (test/recipes/80-test_cmp_http_data,
 * test_verification.csv) against its mock server: cmpflow must pass each as `openssl cmp` does.
 */
import { replayAspect } from './aspect-suite';

replayAspect('verification');
