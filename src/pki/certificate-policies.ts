/**
 * Certificate policy processing of RFC 5280 section 6.1 (the valid_policy_tree). OpenSSL runs
 * this only when asked (-policy_check); RFC 5280 makes it part of path validation, so we always
 * do. By default the inputs are user-initial-policy-set {anyPolicy} and no initial requirement for
 * an explicit policy, no inhibition of policy mapping or of anyPolicy, the result of `openssl
 * verify -policy_check`; PolicyInputs sets them as -policy, -explicit_policy, -inhibit_map and
 * -inhibit_any do.
 *
 * A path can fail policy processing only when an explicit policy is required (by the inputs or a
 * policyConstraints requireExplicitPolicy) or a certificate maps to or from anyPolicy. The tree,
 * which can grow large (the root cause of CVE-2023-0464), is therefore built only when an explicit
 * policy may be required, and then within a node budget.
 */
import { CmpError, ErrorCodes } from '../errors';
import type { CertificateView } from './certificate-view';

export const anyPolicy = '2.5.29.32.0';

const maxTreeNodes = 10_000;

interface PolicyNode {
  validPolicy: string;
  expected: Set<string>;
  parent?: PolicyNode;
}

/** The tree as its levels: levels[d] holds the nodes of depth d. Undefined is RFC 5280's NULL. */
type PolicyTree = PolicyNode[][] | undefined;

/** The initial inputs of RFC 5280 section 6.1.1 (c), (e), (f), (g); the defaults are the permissive ones. */
export interface PolicyInputs {
  /** user-initial-policy-set (OpenSSL -policy, repeated); default {anyPolicy}. */
  initialPolicies?: readonly string[];
  /** initial-explicit-policy (OpenSSL -explicit_policy). */
  explicitPolicy?: boolean;
  /** initial-policy-mapping-inhibit (OpenSSL -inhibit_map). */
  inhibitPolicyMapping?: boolean;
  /** initial-any-policy-inhibit (OpenSSL -inhibit_any). */
  inhibitAnyPolicy?: boolean;
}

/**
 * Undefined when the path satisfies policy processing, else an ERR_PATH_POLICY error.
 * `certs` is the path without its trust anchor, ordered from the certificate the anchor issued
 * down to the target, as RFC 5280 numbers them 1..n.
 */
export function policyError(
  certs: readonly CertificateView[],
  selfIssued: (view: CertificateView) => boolean,
  inputs: PolicyInputs = {},
): CmpError | undefined {
  const n = certs.length;
  const treeMatters = inputs.explicitPolicy === true || certs.some((c) => c.extensions?.policyConstraints?.requireExplicitPolicy !== undefined);
  let tree: PolicyTree = treeMatters ? [[{ validPolicy: anyPolicy, expected: new Set([anyPolicy]) }]] : undefined;
  let explicitPolicy = inputs.explicitPolicy ? 0 : n + 1;
  let inhibitAnyPolicy = inputs.inhibitAnyPolicy ? 0 : n + 1;
  let policyMapping = inputs.inhibitPolicyMapping ? 0 : n + 1;

  for (let i = 1; i <= n; i++) {
    const cert = certs[i - 1]!;
    const ext = cert.extensions;
    const isSelfIssued = selfIssued(cert);
    if (tree) {
      tree = ext?.certificatePolicies ? addPolicies(tree, i, ext.certificatePolicies, inhibitAnyPolicy > 0 || (i < n && isSelfIssued)) : undefined;
      if (tree && countNodes(tree) > maxTreeNodes) return failure(cert, 'has a certificate policy tree too large to process');
    }
    if (treeMatters && explicitPolicy === 0 && !tree) return failure(cert, 'leaves no valid certificate policy where one is required');
    if (i === n) break;

    const mappings = ext?.policyMappings;
    if (mappings?.some((m) => m.issuerDomainPolicy === anyPolicy || m.subjectDomainPolicy === anyPolicy)) {
      return failure(cert, 'maps a certificate policy to or from anyPolicy');
    }
    if (tree && mappings) tree = applyMappings(tree, i, mappings, policyMapping > 0);
    if (!isSelfIssued) {
      if (explicitPolicy > 0) explicitPolicy--;
      if (policyMapping > 0) policyMapping--;
      if (inhibitAnyPolicy > 0) inhibitAnyPolicy--;
    }
    const constraints = ext?.policyConstraints;
    if (constraints?.requireExplicitPolicy !== undefined) explicitPolicy = Math.min(explicitPolicy, constraints.requireExplicitPolicy);
    if (constraints?.inhibitPolicyMapping !== undefined) policyMapping = Math.min(policyMapping, constraints.inhibitPolicyMapping);
    if (ext?.inhibitAnyPolicy !== undefined) inhibitAnyPolicy = Math.min(inhibitAnyPolicy, ext.inhibitAnyPolicy);
  }

  // Wrap-up (RFC 5280 section 6.1.5 (a), (b), (g)).
  const target = certs[n - 1];
  if (!target) return undefined;
  if (explicitPolicy > 0) explicitPolicy--;
  if (target.extensions?.policyConstraints?.requireExplicitPolicy === 0) explicitPolicy = 0;
  if (tree && inputs.initialPolicies && !inputs.initialPolicies.includes(anyPolicy)) {
    tree = intersect(tree, new Set(inputs.initialPolicies));
  }
  if (treeMatters && explicitPolicy === 0 && !tree) {
    const wanted = inputs.initialPolicies && !inputs.initialPolicies.includes(anyPolicy) ? ` among ${inputs.initialPolicies.join(', ')}` : '';
    return failure(target, `leaves no valid certificate policy${wanted} where one is required`);
  }
  return undefined;
}

/**
 * RFC 5280 section 6.1.5 (g) (iii): keeps of the valid_policy_node_set (the nodes whose parent is
 * anyPolicy) only the initial policies, expanding an anyPolicy leaf into them.
 */
function intersect(tree: PolicyNode[][], initial: ReadonlySet<string>): PolicyTree {
  const levels = tree.map((level) => [...level]);
  const depth = levels.length - 1;
  for (let d = 1; d <= depth; d++) {
    const kept: PolicyNode[] = [];
    for (const node of levels[d]!) {
      const inSet = node.parent?.validPolicy === anyPolicy && node.validPolicy !== anyPolicy;
      if (inSet && !initial.has(node.validPolicy)) continue;
      if (node.validPolicy === anyPolicy && d === depth) {
        for (const policy of initial) {
          if (!levels[d]!.some((other) => other.validPolicy === policy))
            kept.push({ validPolicy: policy, expected: new Set([policy]), parent: node.parent });
        }
        continue;
      }
      kept.push(node);
    }
    levels[d] = kept;
    // Children of a deleted node go with it.
    if (d < depth) levels[d + 1] = levels[d + 1]!.filter((child) => child.parent && kept.includes(child.parent));
  }
  return prune(levels);
}

/** RFC 5280 section 6.1.3 (d): grow level i from the certificate's policies, then prune. */
function addPolicies(tree: PolicyNode[][], i: number, policies: readonly string[], anyPolicyAllowed: boolean): PolicyTree {
  const parents = tree[i - 1] ?? [];
  const level: PolicyNode[] = [];
  for (const policy of policies) {
    if (policy === anyPolicy) continue;
    const matching = parents.filter((p) => p.expected.has(policy));
    const sources = matching.length > 0 ? matching : parents.filter((p) => p.validPolicy === anyPolicy);
    for (const parent of sources) level.push({ validPolicy: policy, expected: new Set([policy]), parent });
  }
  if (policies.includes(anyPolicy) && anyPolicyAllowed) {
    for (const parent of parents) {
      for (const expected of parent.expected) {
        if (!level.some((c) => c.parent === parent && c.validPolicy === expected)) {
          level.push({ validPolicy: expected, expected: new Set([expected]), parent });
        }
      }
    }
  }
  return prune([...tree.slice(0, i), level]);
}

/** RFC 5280 section 6.1.4 (b): apply policyMappings to level i, or delete mapped policies when inhibited. */
function applyMappings(
  tree: PolicyNode[][],
  i: number,
  mappings: readonly { issuerDomainPolicy: string; subjectDomainPolicy: string }[],
  mappingAllowed: boolean,
): PolicyTree {
  const level = tree[i] ?? [];
  const mapped = new Map<string, Set<string>>();
  for (const m of mappings) {
    const subjects = mapped.get(m.issuerDomainPolicy) ?? new Set<string>();
    subjects.add(m.subjectDomainPolicy);
    mapped.set(m.issuerDomainPolicy, subjects);
  }
  if (!mappingAllowed) {
    return prune([...tree.slice(0, i), level.filter((node) => !mapped.has(node.validPolicy))]);
  }
  const next = [...level];
  const anyAtLevel = level.some((node) => node.validPolicy === anyPolicy);
  const anyParent = (tree[i - 1] ?? []).find((node) => node.validPolicy === anyPolicy);
  for (const [issuerPolicy, subjects] of mapped) {
    const nodes = level.filter((node) => node.validPolicy === issuerPolicy);
    for (const node of nodes) node.expected = new Set(subjects);
    if (nodes.length === 0 && anyAtLevel && anyParent) next.push({ validPolicy: issuerPolicy, expected: new Set(subjects), parent: anyParent });
  }
  return [...tree.slice(0, i), next];
}

/** Removes, bottom-up, nodes above the last level that have no children; NULL when the root goes. */
function prune(levels: PolicyNode[][]): PolicyTree {
  for (let d = levels.length - 2; d >= 0; d--) {
    const withChildren = new Set(levels[d + 1]!.map((child) => child.parent));
    levels[d] = levels[d]!.filter((node) => withChildren.has(node));
  }
  return levels[0]!.length > 0 ? levels : undefined;
}

function countNodes(tree: PolicyNode[][]): number {
  return tree.reduce((sum, level) => sum + level.length, 0);
}

function failure(cert: CertificateView, problem: string): CmpError {
  return new CmpError(ErrorCodes.ERR_PATH_POLICY, `certificate "${cert.cert.subject}" ${problem}`);
}
