import {
  ACL_OPERATION_TYPES,
  ACL_PERMISSION_TYPES,
  ACL_RESOURCE_TYPES,
  RESOURCE_PATTERN_TYPES,
} from "../../log/acl.js";

/**
 * kafkajs' ACL enums (`src/protocol/acl*Types.js`, `resourcePatternTypes.js`), with kafkajs' exact
 * numbers — Kafka's wire codes, which the cluster's ACL model (src/log/acl.ts) uses too.
 */

/**
 * kafkajs' `AclResourceTypes`.
 *
 * @example
 * ```ts
 * AclResourceTypes.TOPIC; // 2
 * ```
 */
export const AclResourceTypes = ACL_RESOURCE_TYPES;

/**
 * kafkajs' `AclOperationTypes`.
 *
 * @example
 * ```ts
 * AclOperationTypes.READ; // 3
 * ```
 */
export const AclOperationTypes = ACL_OPERATION_TYPES;

/**
 * kafkajs' `AclPermissionTypes`.
 *
 * @example
 * ```ts
 * AclPermissionTypes.ALLOW; // 3
 * ```
 */
export const AclPermissionTypes = ACL_PERMISSION_TYPES;

/**
 * kafkajs' `ResourcePatternTypes`.
 *
 * @example
 * ```ts
 * ResourcePatternTypes.PREFIXED; // 4
 * ```
 */
export const ResourcePatternTypes = RESOURCE_PATTERN_TYPES;
