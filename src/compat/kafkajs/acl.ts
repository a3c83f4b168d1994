import {
  ACL_OPERATION_TYPES,
  ACL_PERMISSION_TYPES,
  ACL_RESOURCE_TYPES,
  type AclBinding,
  type AclFilter,
  clusterAcls,
  filterProblem,
  RESOURCE_PATTERN_TYPES,
} from "../../log/acl.js";
import { jsonShown, stringShown } from "../shown.js";
import type { ClientContext } from "./context.js";
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from "./errors.js";

/**
 * kafkajs' ACL admin calls (`createAcls`, `describeAcls`, `deleteAcls`) over the cluster's ACL
 * model (src/log/acl.ts), with kafkajs' client-side validation and response shapes, plus the
 * checks facade clients make before their requests when the cluster enforces ACLs
 * (`clusterAcls(cluster).enable()`): a consumer needs READ on its group (JoinGroup, OffsetCommit)
 * and on each topic it fetches, a producer WRITE on each topic it produces to. A client's
 * principal is `User:<sasl.username>` of its Kafka config (`User:ANONYMOUS` without SASL) and its
 * host 127.0.0.1.
 */

/**
 * The host simulated clients connect from, as the authorizer sees it.
 *
 * @example
 * ```ts
 * await admin.createAcls({ acl: [{ ...entry, host: CLIENT_ACL_HOST }] });
 * ```
 */
export const CLIENT_ACL_HOST = "127.0.0.1";

/**
 * An ACL as kafkajs' createAcls takes it (and deleteAcls reports it).
 *
 * @example
 * ```ts
 * const entry: AclEntry = { resourceType: 2, resourceName: "orders", resourcePatternType: 3, principal: "User:alice", host: "*", operation: 3, permissionType: 3 };
 * ```
 */
export type AclEntry = AclBinding;

/**
 * A kafkajs ACL filter (describeAcls' argument, deleteAcls' `filters`).
 *
 * @example
 * ```ts
 * const everything: AclEntryFilter = { resourceType: 1, resourcePatternType: 1, operation: 1, permissionType: 1 };
 * ```
 */
export type AclEntryFilter = AclFilter;

/**
 * describeAcls' result. kafkajs 2.2.4 resolves with `{ resources }` only although its types also
 * declare `throttleTime` and `errorCode`; both are included (0) so code typed against kafkajs reads
 * them.
 *
 * @example
 * ```ts
 * (await admin.describeAcls(everything)).resources[0]?.acls; // [{ principal, host, operation, permissionType }]
 * ```
 */
export interface DescribeAclResponse {
  throttleTime: number;
  errorCode: number;
  errorMessage?: string;
  resources: {
    resourceType: number;
    resourceName: string;
    resourcePatternType: number;
    acls: { principal: string; host: string; operation: number; permissionType: number }[];
  }[];
}

/**
 * deleteAcls' result (kafkajs' `DeleteAclResponse`; like describeAcls, `throttleTime` is 0). The
 * broker's null `errorMessage`s are left out, as kafkajs' types make them optional strings.
 *
 * @example
 * ```ts
 * (await admin.deleteAcls({ filters: [everything] })).filterResponses[0]?.matchingAcls.length; // 3
 * ```
 */
export interface DeleteAclResponse {
  throttleTime: number;
  filterResponses: {
    errorCode: number;
    errorMessage?: string;
    matchingAcls: (AclEntry & { errorCode: number; errorMessage?: string })[];
  }[];
}

const validOperation = Object.values(ACL_OPERATION_TYPES) as number[];
const validPattern = Object.values(RESOURCE_PATTERN_TYPES) as number[];
const validPermission = Object.values(ACL_PERMISSION_TYPES) as number[];
const validResource = Object.values(ACL_RESOURCE_TYPES) as number[];

function fail(message: string): never {
  throw new KafkaJSNonRetriableError(message, { brokerlabCode: "INVALID_ARGUMENT" });
}

/** kafkajs' enum checks of createAcls/deleteAcls entries, in kafkajs' order and wording. */
function checkEnums(list: readonly Record<string, unknown>[]): void {
  const checks: [string, number[], string][] = [
    ["operation", validOperation, "operation type"],
    ["resourcePatternType", validPattern, "resource pattern type"],
    ["permissionType", validPermission, "permission type"],
    ["resourceType", validResource, "resource type"],
  ];
  for (const [key, valid, what] of checks) {
    const bad = list.find((i) => !valid.includes(i[key] as number));
    if (bad !== undefined) fail(`Invalid ${what} ${stringShown(bad[key])}: ${jsonShown(bad)}`);
  }
}

/**
 * kafkajs' `admin.createAcls({ acl })`: resolves true; a binding the broker refuses (Kafka's
 * INVALID_REQUEST: empty resource name, a CLUSTER not named "kafka-cluster", an unparsable
 * principal, an operation the resource type lacks) rejects with that protocol error — the valid
 * ones of the same request are created, as Kafka creates them.
 *
 * @example
 * ```ts
 * await admin.createAcls({ acl: [{ resourceType: AclResourceTypes.TOPIC, resourceName: "orders", resourcePatternType: ResourcePatternTypes.LITERAL, principal: "User:alice", host: "*", operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW }] });
 * ```
 */
export async function createAcls(ctx: ClientContext, options: { acl: AclEntry[] }): Promise<boolean> {
  const acl = (options as { acl?: unknown } | undefined)?.acl as Record<string, unknown>[] | undefined;
  if (!acl || !Array.isArray(acl)) fail(`Invalid ACL array ${String(acl)}`);
  if (acl.length === 0) fail("Empty ACL array");
  if (acl.some((a) => typeof a?.principal !== "string"))
    fail("Invalid ACL array, the principals have to be a valid string");
  if (acl.some((a) => typeof a.host !== "string"))
    fail("Invalid ACL array, the hosts have to be a valid string");
  if (acl.some((a) => typeof a.resourceName !== "string"))
    fail("Invalid ACL array, the resourceNames have to be a valid string");
  checkEnums(acl);
  const results = clusterAcls(ctx.cluster).create(acl as unknown as AclBinding[]);
  const problem = results.find((r) => r !== null);
  if (problem) throw new KafkaJSProtocolError(problem.error, { hint: problem.message });
  return true;
}

/**
 * kafkajs' `admin.describeAcls(filter)`: the matching bindings grouped by resource pattern.
 *
 * @example
 * ```ts
 * const { resources } = await admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
 * ```
 */
export async function describeAcls(ctx: ClientContext, filter: AclEntryFilter): Promise<DescribeAclResponse> {
  const f = (filter ?? {}) as unknown as Record<string, unknown>;
  if (typeof f.principal !== "string" && f.principal !== undefined)
    fail("Invalid principal, the principal have to be a valid string");
  if (typeof f.host !== "string" && f.host !== undefined)
    fail("Invalid host, the host have to be a valid string");
  if (typeof f.resourceName !== "string" && f.resourceName !== undefined)
    fail("Invalid resourceName, the resourceName have to be a valid string");
  if (!validOperation.includes(f.operation as number)) fail(`Invalid operation type ${String(f.operation)}`);
  if (!validPattern.includes(f.resourcePatternType as number))
    fail(`Invalid resource pattern filter type ${String(f.resourcePatternType)}`);
  if (!validPermission.includes(f.permissionType as number))
    fail(`Invalid permission type ${String(f.permissionType)}`);
  if (!validResource.includes(f.resourceType as number))
    fail(`Invalid resource type ${String(f.resourceType)}`);
  const problem = filterProblem(filter);
  if (problem !== null) throw new KafkaJSProtocolError(problem.error, { hint: problem.message });
  const resources: DescribeAclResponse["resources"] = [];
  for (const b of clusterAcls(ctx.cluster).describe(filter)) {
    let entry = resources.find(
      (r) =>
        r.resourceType === b.resourceType &&
        r.resourceName === b.resourceName &&
        r.resourcePatternType === b.resourcePatternType,
    );
    if (entry === undefined) {
      entry = {
        resourceType: b.resourceType,
        resourceName: b.resourceName,
        resourcePatternType: b.resourcePatternType,
        acls: [],
      };
      resources.push(entry);
    }
    entry.acls.push({
      principal: b.principal,
      host: b.host,
      operation: b.operation,
      permissionType: b.permissionType,
    });
  }
  return { throttleTime: 0, errorCode: 0, resources };
}

/**
 * kafkajs' `admin.deleteAcls({ filters })`: per filter, the bindings it matched and deleted.
 *
 * @example
 * ```ts
 * const { filterResponses } = await admin.deleteAcls({ filters: [{ resourceType: AclResourceTypes.TOPIC, resourceName: "orders", resourcePatternType: ResourcePatternTypes.LITERAL, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }] });
 * ```
 */
export async function deleteAcls(
  ctx: ClientContext,
  options: { filters: AclEntryFilter[] },
): Promise<DeleteAclResponse> {
  const filters = (options as { filters?: unknown } | undefined)?.filters as
    | Record<string, unknown>[]
    | undefined;
  if (!filters || !Array.isArray(filters)) fail(`Invalid ACL Filter array ${String(filters)}`);
  if (filters.length === 0) fail("Empty ACL Filter array");
  for (const [key, what] of [
    ["principal", "principals"],
    ["host", "hosts"],
    ["resourceName", "resourceNames"],
  ] as const) {
    if (filters.some((f) => typeof f?.[key] !== "string" && f?.[key] !== undefined))
      fail(`Invalid ACL Filter array, the ${what} have to be a valid string`);
  }
  checkEnums(filters);
  const typed = filters as unknown as AclFilter[];
  const problems = typed.map(filterProblem);
  const authorizer = clusterAcls(ctx.cluster);
  // Filters Kafka refuses answer with their error and delete nothing; the others delete.
  const matched = authorizer.delete(typed.filter((_, i) => problems[i] === null));
  let next = 0;
  const filterResponses = typed.map((_, i) => {
    const problem = problems[i];
    if (problem) {
      return {
        errorCode: new KafkaJSProtocolError(problem.error).code,
        errorMessage: problem.message,
        matchingAcls: [],
      };
    }
    return { errorCode: 0, matchingAcls: matched[next++]!.map((b) => ({ errorCode: 0, ...b })) };
  });
  return { throttleTime: 0, filterResponses };
}

/**
 * Throws kafkajs' protocol error (`errorType`) unless the client's principal may perform
 * `operation` on every named resource. Nothing happens while the cluster does not enforce ACLs.
 *
 * @example
 * ```ts
 * authorizeOrThrow(ctx, AclOperationTypes.WRITE, AclResourceTypes.TOPIC, ["orders"], "TOPIC_AUTHORIZATION_FAILED");
 * ```
 */
export function authorizeOrThrow(
  ctx: ClientContext,
  operation: number,
  resourceType: number,
  names: readonly string[],
  errorType: "TOPIC_AUTHORIZATION_FAILED" | "GROUP_AUTHORIZATION_FAILED",
): void {
  const acls = clusterAcls(ctx.cluster);
  if (!acls.enabled) return;
  const principal = ctx.principal ?? "User:ANONYMOUS";
  const refused = names.filter(
    (n) => !acls.authorize(principal, CLIENT_ACL_HOST, operation, resourceType, n),
  );
  if (refused.length === 0) return;
  const what = resourceType === ACL_RESOURCE_TYPES.GROUP ? "group" : "topic";
  const op = Object.keys(ACL_OPERATION_TYPES).find(
    (k) => ACL_OPERATION_TYPES[k as keyof typeof ACL_OPERATION_TYPES] === operation,
  );
  throw new KafkaJSProtocolError(errorType, {
    hint: `${principal} has no ${op} ACL on ${what} ${refused.join(", ")}; create one with admin.createAcls`,
    details: what === "group" ? { groupId: refused[0] } : { topics: refused },
  });
}
