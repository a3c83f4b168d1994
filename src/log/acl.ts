import { describeValue } from "../scheduler/describe-value.js";
import { InvalidArgumentError } from "../scheduler/errors.js";
import type { LogCluster } from "./cluster.js";

/**
 * Kafka's ACL authorizer (`AclAuthorizer` / `StandardAuthorizer`) for one simulated cluster: ACL
 * bindings (resource pattern + principal, host, operation, permission), Kafka's filter matching
 * for DescribeAcls/DeleteAcls, and `authorize`, which clients of the cluster consult before a
 * request when authorization is enabled. The numeric codes are Kafka's wire codes (the same
 * numbers kafkajs exports as `AclResourceTypes`, `AclOperationTypes`, `AclPermissionTypes`,
 * `ResourcePatternTypes`).
 *
 * Authorization is off until {@link AclAuthorizer.enable} (Kafka without `authorizer.class.name`):
 * then, as in Kafka, a DENY that matches wins over any ALLOW; READ, WRITE, DELETE and ALTER imply
 * DESCRIBE and ALTER_CONFIGS implies DESCRIBE_CONFIGS; super users pass every check; a resource
 * no ACL matches is refused unless `allowEveryoneIfNoAclFound` (Kafka's
 * `allow.everyone.if.no.acl.found`, default false).
 */

/**
 * Kafka's `ResourceType` codes.
 *
 * @example
 * ```ts
 * ACL_RESOURCE_TYPES.TOPIC; // 2
 * ```
 */
export const ACL_RESOURCE_TYPES = Object.freeze({
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
} as const);

/**
 * Kafka's `AclOperation` codes.
 *
 * @example
 * ```ts
 * ACL_OPERATION_TYPES.READ; // 3
 * ```
 */
export const ACL_OPERATION_TYPES = Object.freeze({
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
} as const);

/**
 * Kafka's `AclPermissionType` codes.
 *
 * @example
 * ```ts
 * ACL_PERMISSION_TYPES.DENY; // 2
 * ```
 */
export const ACL_PERMISSION_TYPES = Object.freeze({ UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const);

/**
 * Kafka's `PatternType` codes.
 *
 * @example
 * ```ts
 * RESOURCE_PATTERN_TYPES.PREFIXED; // 4
 * ```
 */
export const RESOURCE_PATTERN_TYPES = Object.freeze({
  UNKNOWN: 0,
  ANY: 1,
  MATCH: 2,
  LITERAL: 3,
  PREFIXED: 4,
} as const);

/**
 * The only name a CLUSTER resource has.
 *
 * @example
 * ```ts
 * acls.authorize("User:ops", "127.0.0.1", ACL_OPERATION_TYPES.ALTER, ACL_RESOURCE_TYPES.CLUSTER, CLUSTER_RESOURCE_NAME);
 * ```
 */
export const CLUSTER_RESOURCE_NAME = "kafka-cluster";
/**
 * LITERAL resource name matching every resource of its type.
 *
 * @example
 * ```ts
 * acls.create([{ ...binding, resourceName: WILDCARD_RESOURCE }]); // every topic
 * ```
 */
export const WILDCARD_RESOURCE = "*";
/**
 * Principal matching every principal.
 *
 * @example
 * ```ts
 * acls.create([{ ...binding, principal: WILDCARD_PRINCIPAL }]);
 * ```
 */
export const WILDCARD_PRINCIPAL = "User:*";
/**
 * Host matching every host.
 *
 * @example
 * ```ts
 * acls.create([{ ...binding, host: WILDCARD_HOST }]);
 * ```
 */
export const WILDCARD_HOST = "*";

/**
 * One ACL binding, as CreateAcls takes it.
 *
 * @example
 * ```ts
 * const b: AclBinding = { resourceType: 2, resourceName: "orders", resourcePatternType: 3, principal: "User:alice", host: "*", operation: 3, permissionType: 3 };
 * ```
 */
export interface AclBinding {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly resourcePatternType: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permissionType: number;
}

/**
 * A filter over bindings (DescribeAcls, DeleteAcls): ANY codes and absent strings match anything;
 * pattern type MATCH matches every pattern that applies to the named resource (LITERAL equal or
 * "*", PREFIXED prefixes of it).
 *
 * @example
 * ```ts
 * const f: AclFilter = { resourceType: 1, resourcePatternType: 1, operation: 1, permissionType: 1 };
 * ```
 */
export interface AclFilter {
  readonly resourceType: number;
  readonly resourceName?: string | null | undefined;
  readonly resourcePatternType: number;
  readonly principal?: string | null | undefined;
  readonly host?: string | null | undefined;
  readonly operation: number;
  readonly permissionType: number;
}

/**
 * Why a binding or filter is refused (Kafka answers INVALID_REQUEST).
 *
 * @example
 * ```ts
 * acls.create([badBinding])[0]?.message; // "Invalid empty resource name"
 * ```
 */
export interface AclProblem {
  readonly error: "INVALID_REQUEST";
  readonly message: string;
}

/**
 * Settings of {@link AclAuthorizer.enable}.
 *
 * @example
 * ```ts
 * const options: AuthorizerOptions = { superUsers: ["User:admin"], allowEveryoneIfNoAclFound: false };
 * ```
 */
export interface AuthorizerOptions {
  /** Principals that pass every check (Kafka's `super.users`), e.g. `["User:admin"]`. */
  superUsers?: readonly string[];
  /** Allow requests on resources no ACL matches (Kafka's `allow.everyone.if.no.acl.found`). Default false. */
  allowEveryoneIfNoAclFound?: boolean;
}

const R = ACL_RESOURCE_TYPES;
const O = ACL_OPERATION_TYPES;
const P = ACL_PERMISSION_TYPES;
const PT = RESOURCE_PATTERN_TYPES;

/** Operations an ACL may name per resource type (Kafka's `AclEntry.supportedOperations`), ALL aside. */
const SUPPORTED: Readonly<Record<number, readonly number[]>> = {
  [R.TOPIC]: [O.READ, O.WRITE, O.CREATE, O.DESCRIBE, O.DELETE, O.ALTER, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS],
  [R.GROUP]: [O.READ, O.DESCRIBE, O.DELETE],
  [R.CLUSTER]: [
    O.CREATE,
    O.CLUSTER_ACTION,
    O.DESCRIBE_CONFIGS,
    O.ALTER_CONFIGS,
    O.IDEMPOTENT_WRITE,
    O.ALTER,
    O.DESCRIBE,
  ],
  [R.TRANSACTIONAL_ID]: [O.DESCRIBE, O.WRITE],
  [R.DELEGATION_TOKEN]: [O.DESCRIBE],
};

/** ALLOW ACLs for these operations also allow the key (Kafka's implied operations). */
const IMPLIED_BY: Readonly<Record<number, readonly number[]>> = {
  [O.DESCRIBE]: [O.READ, O.WRITE, O.DELETE, O.ALTER],
  [O.DESCRIBE_CONFIGS]: [O.ALTER_CONFIGS],
};

function codeIn(table: Readonly<Record<string, number>>, value: unknown): boolean {
  return typeof value === "number" && Object.values(table).includes(value);
}

/**
 * Why Kafka would refuse to create `binding` (INVALID_REQUEST), or null when it is valid: codes
 * must be specific (no UNKNOWN/ANY/MATCH), the pattern LITERAL or PREFIXED, the principal of the
 * form `Type:name`, the resource name non-empty (a CLUSTER's is "kafka-cluster"), and the
 * operation one the resource type supports.
 *
 * @example
 * ```ts
 * bindingProblem({ ...binding, resourceName: "" })?.message; // "Invalid empty resource name"
 * ```
 */
export function bindingProblem(binding: AclBinding): AclProblem | null {
  const bad = (message: string): AclProblem => ({ error: "INVALID_REQUEST", message });
  const { resourceType, resourceName, resourcePatternType, principal, operation, permissionType } = binding;
  if (!codeIn(R, resourceType) || resourceType === R.UNKNOWN || resourceType === R.ANY)
    return bad(`Invalid resource type ${String(resourceType)} for a binding (give a specific type)`);
  if (resourcePatternType !== PT.LITERAL && resourcePatternType !== PT.PREFIXED)
    return bad(`Invalid resource pattern type ${String(resourcePatternType)} (LITERAL or PREFIXED)`);
  if (!codeIn(O, operation) || operation === O.UNKNOWN || operation === O.ANY)
    return bad(`Invalid operation ${String(operation)} for a binding`);
  if (permissionType !== P.ALLOW && permissionType !== P.DENY)
    return bad(`Invalid permission type ${String(permissionType)} (ALLOW or DENY)`);
  if (resourceName.length === 0) return bad("Invalid empty resource name");
  if (resourceType === R.CLUSTER && resourceName !== CLUSTER_RESOURCE_NAME)
    return bad(`The only valid name for the CLUSTER resource is ${CLUSTER_RESOURCE_NAME}`);
  if (!/^[^:]+:.+$/.test(principal))
    return bad(`Could not parse principal ${describeValue(principal)}: expected "User:<name>"`);
  if (operation !== O.ALL && !(SUPPORTED[resourceType] ?? []).includes(operation))
    return bad(`Operation ${operation} is not supported on resource type ${resourceType}`);
  return null;
}

/**
 * Why Kafka would refuse `filter` (INVALID_REQUEST: an UNKNOWN code anywhere), or null.
 *
 * @example
 * ```ts
 * filterProblem({ resourceType: 0, resourcePatternType: 1, operation: 1, permissionType: 1 }); // INVALID_REQUEST
 * ```
 */
export function filterProblem(filter: AclFilter): AclProblem | null {
  const unknown =
    filter.resourceType === R.UNKNOWN ||
    filter.resourcePatternType === PT.UNKNOWN ||
    filter.operation === O.UNKNOWN ||
    filter.permissionType === P.UNKNOWN;
  return unknown ? { error: "INVALID_REQUEST", message: "The filter has an UNKNOWN element" } : null;
}

/**
 * Whether `binding` matches `filter` (Kafka's `AclBindingFilter.matches`).
 *
 * @example
 * ```ts
 * matchesFilter(binding, { resourceType: 1, resourcePatternType: 1, operation: 1, permissionType: 1 }); // true
 * ```
 */
export function matchesFilter(binding: AclBinding, filter: AclFilter): boolean {
  if (filter.resourceType !== R.ANY && filter.resourceType !== binding.resourceType) return false;
  const pt = filter.resourcePatternType;
  if (pt !== PT.ANY && pt !== PT.MATCH && pt !== binding.resourcePatternType) return false;
  const name = filter.resourceName;
  if (name !== null && name !== undefined) {
    if (pt === PT.ANY || pt === binding.resourcePatternType) {
      if (name !== binding.resourceName) return false;
    } else if (binding.resourcePatternType === PT.LITERAL) {
      if (name !== binding.resourceName && binding.resourceName !== WILDCARD_RESOURCE) return false;
    } else if (!name.startsWith(binding.resourceName)) return false;
  }
  if (filter.principal !== null && filter.principal !== undefined && filter.principal !== binding.principal)
    return false;
  if (filter.host !== null && filter.host !== undefined && filter.host !== binding.host) return false;
  if (filter.operation !== O.ANY && filter.operation !== binding.operation) return false;
  if (filter.permissionType !== P.ANY && filter.permissionType !== binding.permissionType) return false;
  return true;
}

/** Whether a binding's pattern applies to the resource `name` of `resourceType`. */
function appliesTo(binding: AclBinding, resourceType: number, name: string): boolean {
  if (binding.resourceType !== resourceType) return false;
  if (binding.resourcePatternType === PT.PREFIXED) return name.startsWith(binding.resourceName);
  return binding.resourceName === name || binding.resourceName === WILDCARD_RESOURCE;
}

function sameBinding(a: AclBinding, b: AclBinding): boolean {
  return (
    a.resourceType === b.resourceType &&
    a.resourceName === b.resourceName &&
    a.resourcePatternType === b.resourcePatternType &&
    a.principal === b.principal &&
    a.host === b.host &&
    a.operation === b.operation &&
    a.permissionType === b.permissionType
  );
}

/**
 * The ACLs of one cluster and the switch that enforces them (see the module comment).
 *
 * @example
 * ```ts
 * const acls = clusterAcls(cluster);
 * acls.enable({ superUsers: ["User:admin"] });
 * acls.create([{ resourceType: 2, resourceName: "orders", resourcePatternType: 3, principal: "User:alice", host: "*", operation: 3, permissionType: 3 }]);
 * acls.authorize("User:alice", "127.0.0.1", ACL_OPERATION_TYPES.READ, ACL_RESOURCE_TYPES.TOPIC, "orders"); // true
 * ```
 */
export class AclAuthorizer {
  private bindings: AclBinding[] = [];
  private on = false;
  private superUsers = new Set<string>();
  private allowIfNone = false;

  /** True while ACLs are enforced. */
  get enabled(): boolean {
    return this.on;
  }

  /** Starts enforcing ACLs (Kafka with an authorizer configured). */
  enable(options: AuthorizerOptions = {}): void {
    const { superUsers = [], allowEveryoneIfNoAclFound = false } = options;
    if (!Array.isArray(superUsers) || superUsers.some((u) => typeof u !== "string" || !u.includes(":")))
      throw new InvalidArgumentError(
        'AclAuthorizer.enable: superUsers must be principals such as "User:admin".',
      );
    if (typeof allowEveryoneIfNoAclFound !== "boolean")
      throw new InvalidArgumentError("AclAuthorizer.enable: allowEveryoneIfNoAclFound must be a boolean.");
    this.on = true;
    this.superUsers = new Set(superUsers);
    this.allowIfNone = allowEveryoneIfNoAclFound;
  }

  /** Stops enforcing (the ACLs stay stored). */
  disable(): void {
    this.on = false;
  }

  /** Every stored binding, in creation order. */
  list(): AclBinding[] {
    return this.bindings.map((b) => ({ ...b }));
  }

  /**
   * CreateAcls: one result per binding, null for created (an existing equal binding is kept
   * once) or the problem; valid bindings are stored even when others in the request are not.
   */
  create(bindings: readonly AclBinding[]): (AclProblem | null)[] {
    return bindings.map((binding) => {
      const problem = bindingProblem(binding);
      if (problem !== null) return problem;
      if (!this.bindings.some((b) => sameBinding(b, binding))) this.bindings.push({ ...binding });
      return null;
    });
  }

  /** DescribeAcls: the bindings matching `filter`. */
  describe(filter: AclFilter): AclBinding[] {
    return this.bindings.filter((b) => matchesFilter(b, filter)).map((b) => ({ ...b }));
  }

  /** DeleteAcls: per filter, every binding it matched (Kafka lists a binding under each filter matching it); all are removed. */
  delete(filters: readonly AclFilter[]): AclBinding[][] {
    const out = filters.map((f) => this.bindings.filter((b) => matchesFilter(b, f)).map((b) => ({ ...b })));
    this.bindings = this.bindings.filter((b) => !filters.some((f) => matchesFilter(b, f)));
    return out;
  }

  /**
   * Whether `principal` connecting from `host` may perform `operation` on a resource. Always true
   * while disabled.
   */
  authorize(principal: string, host: string, operation: number, resourceType: number, name: string): boolean {
    if (!this.on || this.superUsers.has(principal)) return true;
    const relevant = this.bindings.filter((b) => appliesTo(b, resourceType, name));
    if (relevant.length === 0) return this.allowIfNone;
    const mine = relevant.filter(
      (b) =>
        (b.principal === principal || b.principal === WILDCARD_PRINCIPAL) &&
        (b.host === host || b.host === WILDCARD_HOST),
    );
    const denied = mine.some(
      (b) => b.permissionType === P.DENY && (b.operation === operation || b.operation === O.ALL),
    );
    if (denied) return false;
    const implied = IMPLIED_BY[operation] ?? [];
    return mine.some(
      (b) =>
        b.permissionType === P.ALLOW &&
        (b.operation === operation || b.operation === O.ALL || implied.includes(b.operation)),
    );
  }
}

const authorizers = new WeakMap<LogCluster, AclAuthorizer>();

/**
 * The ACL authorizer of a cluster (created, disabled and empty, on first use).
 *
 * @example
 * ```ts
 * clusterAcls(cluster).enable({ superUsers: ["User:admin"] });
 * ```
 */
export function clusterAcls(cluster: LogCluster): AclAuthorizer {
  let acls = authorizers.get(cluster);
  if (acls === undefined) {
    acls = new AclAuthorizer();
    authorizers.set(cluster, acls);
  }
  return acls;
}
