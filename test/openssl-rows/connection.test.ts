/**
 * OpenSSL's own `openssl cmp` test rows for the connection options (test/recipes/80-test_cmp_http_data,
 * test_connection.csv) against its mock server: cmpflow must pass each as `openssl cmp` does.
 */
import { replayAspect } from './aspect-suite';

replayAspect('connection');
