/**
 * The environment a measured Node process gets: this one's, without NODE_EXTRA_CA_CERTS. Node
 * reads and parses the certificates it names as it starts, for every program whether or not it
 * uses TLS (37 ms of CPU with the 144 of /etc/ssl/certs/ca-certificates.crt on the machine of
 * docs/benchmarks.md): a setting of the machine, not a cost of cmpflow (bench/startup.ts measures
 * it on its own row).
 */
export function withoutExtraCaCerts(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _unset, ...rest } = env;
  return rest;
}
