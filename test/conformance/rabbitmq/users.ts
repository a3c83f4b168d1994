/**
 * The users the conformance scenarios log in as. `scripts/rabbitmq.sh start` creates them on the
 * real node with `rabbitmqctl` (keep the two in step); the simulated context creates them in its
 * node with {@link provisionUsers}. Permission expressions allow the real run's name prefix
 * (`bl<time><random>-`) and no prefix (the simulated run).
 */
import type { AccessControl, PermissionSet } from "../../../src/exchange/access-control.js";

/** A user limited to `perm.own*` (configure, write, read), `perm.w*` (write) and `perm.r*` (read). */
export const LIMITED_USER = { username: "brokerlab-limited", password: "limited-pw" } as const;

/** LIMITED_USER's permissions on `/`; `anywhere` shows the expressions are searched, not anchored. */
export const LIMITED_PERMISSIONS: PermissionSet = {
  configure: "^(bl[0-9a-z]+-)?perm\\.own|anywhere",
  write: "^(bl[0-9a-z]+-)?perm\\.(own|w)",
  read: "^(bl[0-9a-z]+-)?perm\\.(own|r)",
};

/** A user with no permissions anywhere (its connections are refused at connection.open). */
export const NO_VHOST_USER = { username: "brokerlab-novhost", password: "novhost-pw" } as const;

/** Creates the conformance users in a simulated node. */
export function provisionUsers(access: AccessControl): void {
  access.addUser(LIMITED_USER.username, LIMITED_USER.password);
  access.setPermissions(LIMITED_USER.username, "/", LIMITED_PERMISSIONS);
  access.addUser(NO_VHOST_USER.username, NO_VHOST_USER.password);
}
