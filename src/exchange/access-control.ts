import { describeValue } from "../scheduler/describe-value.js";
import { BrokerlabError, InvalidArgumentError } from "../scheduler/errors.js";
import { AmqpError } from "./amqp-error.js";

/**
 * The three kinds of permission RabbitMQ grants per user and virtual host: `configure` (declare
 * and delete queues and exchanges), `write` (publish to an exchange, bind to a queue or a
 * destination exchange) and `read` (consume, get and purge a queue; bind from a source exchange).
 *
 * @example
 * ```ts
 * const needed: Permission = "write";
 * ```
 */
export type Permission = "configure" | "write" | "read";

/**
 * One user's permissions in one virtual host: a regular expression per kind, as
 * `rabbitmqctl set_permissions -p vhost user configure write read` takes them. RabbitMQ searches
 * the resource name with the expression (Erlang's `re:run`, unanchored): `"orders"` allows
 * `"eu-orders-v2"`, `"^orders$"` allows only `"orders"`; `""` allows nothing.
 *
 * @example
 * ```ts
 * const perms: PermissionSet = { configure: "^billing\\.", write: "^billing\\.|^amq\\.default$", read: ".*" };
 * ```
 */
export interface PermissionSet {
  configure: string;
  write: string;
  read: string;
}

/**
 * A user as `rabbitmqctl list_users` shows it (the password is never listed).
 *
 * @example
 * ```ts
 * broker.access.listUsers(); // [{ name: "guest", tags: ["administrator"] }]
 * ```
 */
export interface UserInfo {
  name: string;
  tags: string[];
}

/**
 * Options of {@link AccessControl.addUser}.
 *
 * @example
 * ```ts
 * access.addUser("ops", "s3cret", { tags: ["administrator"] });
 * ```
 */
export interface AddUserOptions {
  /**
   * User tags (`rabbitmqctl set_user_tags`). Only `impersonator` changes what the AMQP broker
   * does (a publish may then carry any `userId`); the others matter to the management plugin,
   * which is not modelled, and are kept for inspection.
   */
  tags?: string[];
}

interface UserRecord {
  readonly name: string;
  /** Null after `clearPassword`: password logins are refused. */
  readonly password: string | null;
  readonly tags: readonly string[];
}

/**
 * The node-wide access-control state: users, virtual hosts and permissions. Immutable; every
 * change makes a new value (see the reducers below), so a snapshot is just a reference.
 *
 * @example
 * ```ts
 * const before = broker.access.state;
 * broker.access.addUser("ops", "pw");
 * before.users.has("ops"); // false
 * ```
 */
export interface AccessState {
  readonly users: ReadonlyMap<string, UserRecord>;
  readonly vhosts: ReadonlySet<string>;
  /** `user → vhost → permissions`. */
  readonly permissions: ReadonlyMap<string, ReadonlyMap<string, Readonly<PermissionSet>>>;
}

const FULL: Readonly<PermissionSet> = Object.freeze({ configure: ".*", write: ".*", read: ".*" });

/**
 * What a fresh RabbitMQ node starts with: virtual host `/`, user `guest` (password `guest`, tag
 * `administrator`) with `.* .* .*` on `/`.
 *
 * @example
 * ```ts
 * INITIAL_ACCESS_STATE.users.has("guest"); // true
 * ```
 */
export const INITIAL_ACCESS_STATE: AccessState = Object.freeze({
  users: new Map([["guest", Object.freeze({ name: "guest", password: "guest", tags: ["administrator"] })]]),
  vhosts: new Set(["/"]),
  permissions: new Map([["guest", new Map([["/", FULL]])]]),
});

/** The code of an {@link AccessControlError}. */
export type AccessControlErrorCode =
  | "USER_EXISTS"
  | "NO_SUCH_USER"
  | "VHOST_EXISTS"
  | "NO_SUCH_VHOST"
  | "INVALID_PERMISSION_REGEX";

/**
 * A refused management command (what `rabbitmqctl` would print an error for): the state is
 * unchanged.
 *
 * @example
 * ```ts
 * try { access.addUser("guest", "x"); } catch (e) { (e as AccessControlError).code; } // "USER_EXISTS"
 * ```
 */
export class AccessControlError extends BrokerlabError {
  declare readonly code: AccessControlErrorCode;
  constructor(code: AccessControlErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
  }
}

function checkName(value: unknown, what: string, where: string): string {
  if (typeof value !== "string" || value === "") {
    throw new InvalidArgumentError(`${where}: ${what} must be a non-empty string, got ${String(value)}.`);
  }
  return value;
}

function checkTags(tags: unknown, where: string): string[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== "string" || tag === "")) {
    throw new InvalidArgumentError(`${where}: tags must be an array of non-empty strings.`);
  }
  return [...new Set(tags as string[])];
}

function requireUser(state: AccessState, name: string): UserRecord {
  const user = state.users.get(name);
  if (user === undefined) {
    throw new AccessControlError("NO_SUCH_USER", `User "${name}" does not exist; add it first (addUser).`, {
      user: name,
    });
  }
  return user;
}

function requireVhost(state: AccessState, vhost: string): void {
  if (!state.vhosts.has(vhost)) {
    throw new AccessControlError(
      "NO_SUCH_VHOST",
      `Virtual host "${vhost}" does not exist; add it first (addVhost).`,
      { vhost },
    );
  }
}

/**
 * Compiles a permission expression as RabbitMQ reads it: `""` means `"^$"`; otherwise the
 * expression is searched for anywhere in the name. Throws on an invalid expression.
 *
 * @example
 * ```ts
 * compilePermission("^billing\\.").test("billing.invoices"); // true
 * compilePermission("").test("anything"); // false
 * ```
 */
export function compilePermission(pattern: string): RegExp {
  try {
    return new RegExp(pattern === "" ? "^$" : pattern);
  } catch (error) {
    throw new AccessControlError(
      "INVALID_PERMISSION_REGEX",
      `invalid permission regular expression ${describeValue(pattern)}: ${(error as Error).message}`,
      { pattern },
    );
  }
}

// ------------------------------------------------------------------ reducers (pure)

function withUser(state: AccessState, user: UserRecord): AccessState {
  const users = new Map(state.users);
  users.set(user.name, Object.freeze(user));
  return Object.freeze({ ...state, users });
}

function reduceAddUser(state: AccessState, name: string, password: string, tags: string[]): AccessState {
  if (state.users.has(name)) {
    throw new AccessControlError("USER_EXISTS", `User "${name}" already exists.`, { user: name });
  }
  return withUser(state, { name, password, tags });
}

function reduceDeleteUser(state: AccessState, name: string): AccessState {
  requireUser(state, name);
  const users = new Map(state.users);
  users.delete(name);
  const permissions = new Map(state.permissions);
  permissions.delete(name);
  return Object.freeze({ ...state, users, permissions });
}

function reduceSetPermissions(
  state: AccessState,
  user: string,
  vhost: string,
  set: Readonly<PermissionSet> | null,
): AccessState {
  requireUser(state, user);
  requireVhost(state, vhost);
  const permissions = new Map(state.permissions);
  const byVhost = new Map(permissions.get(user) ?? []);
  if (set === null) byVhost.delete(vhost);
  else byVhost.set(vhost, set);
  permissions.set(user, byVhost);
  return Object.freeze({ ...state, permissions });
}

/**
 * A user's compiled permissions in one virtual host, as a connection checks them.
 *
 * @example
 * ```ts
 * const grants = access.grants("guest", "/");
 * grants.allows("write", "amq.default"); // true
 * ```
 */
export class Grants {
  /** True when all three expressions are `.*`: every check passes without a regex. */
  readonly unrestricted: boolean;
  private readonly configure: RegExp;
  private readonly write: RegExp;
  private readonly read: RegExp;

  /** @internal */
  constructor(set: Readonly<PermissionSet>) {
    this.unrestricted = set.configure === ".*" && set.write === ".*" && set.read === ".*";
    this.configure = compilePermission(set.configure);
    this.write = compilePermission(set.write);
    this.read = compilePermission(set.read);
  }

  /** Whether `permission` on a resource named `name` is granted (the default exchange is `amq.default`). */
  allows(permission: Permission, name: string): boolean {
    if (this.unrestricted) return true;
    const regex =
      permission === "configure" ? this.configure : permission === "write" ? this.write : this.read;
    return regex.test(name === "" ? "amq.default" : name);
  }
}

/**
 * RabbitMQ's access control for a node: users with passwords and tags, virtual hosts, and per
 * user and virtual host `configure`/`write`/`read` expressions. Method names follow `rabbitmqctl`
 * (`add_user` → {@link addUser}, `set_permissions` → {@link setPermissions}, …). A fresh one is
 * what a fresh RabbitMQ has ({@link INITIAL_ACCESS_STATE}). Brokers of the same simulated node
 * (one per virtual host, as the amqplib facade makes them) share one.
 *
 * Where RabbitMQ checks what (verified against RabbitMQ 3.10.8): declaring a queue or exchange
 * needs `configure` on it (a passive declare needs nothing); a new queue with a dead-letter
 * exchange also needs `read` on the queue and `write` on the exchange, a new exchange with an
 * alternate exchange `read` on itself and `write` on the alternate; deleting needs `configure`;
 * binding and unbinding need `write` on the destination (queue or exchange) and `read` on the
 * source exchange; publishing needs `write` on the exchange (`amq.default` for `""`); consume,
 * get and purge need `read` on the queue. A refusal is a 403 channel error, `ACCESS_REFUSED -
 * access to queue 'q' in vhost '/' refused for user 'u'`, raised before the resource is looked
 * up (so a missing one is still a 403). Changes apply to open connections at their next check.
 *
 * @example
 * ```ts
 * const access = broker.access;
 * access.addUser("billing", "s3cret");
 * access.setPermissions("billing", "/", { configure: "^billing\\.", write: "^billing\\.", read: "^billing\\." });
 * const channel = broker.connect({ user: "billing", password: "s3cret" }).channel();
 * channel.queue("billing.invoices"); // allowed
 * channel.queue("orders"); // throws AmqpError ACCESS_REFUSED (403), closing the channel
 * ```
 */
export class AccessControl {
  private current: AccessState = INITIAL_ACCESS_STATE;
  private stamp = 0;
  private readonly compiled = new Map<string, Grants | null>();
  private readonly deletedListeners: Array<(user: string) => void> = [];
  private readonly changeListeners: Array<() => void> = [];

  /** The current state (immutable). */
  get state(): AccessState {
    return this.current;
  }

  /** Bumped by every change; connections re-read their grants when it moves. */
  get version(): number {
    return this.stamp;
  }

  private commit(next: AccessState): void {
    this.current = next;
    this.stamp++;
    this.compiled.clear();
    for (const listener of this.changeListeners) listener();
  }

  /** @internal A broker sharing this access control recomputes its fast path on every change. */
  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  /**
   * True when every user has `.* .* .*` on `vhost` (a fresh node: only guest): no operation there
   * can be refused, so brokers skip the checks altogether.
   */
  everyoneUnrestricted(vhost: string): boolean {
    for (const name of this.current.users.keys()) {
      const set = this.current.permissions.get(name)?.get(vhost);
      if (set === undefined || set.configure !== ".*" || set.write !== ".*" || set.read !== ".*")
        return false;
    }
    return true;
  }

  /**
   * `rabbitmqctl add_user name password` (with `set_user_tags`): a new user without permissions.
   * `USER_EXISTS` if taken.
   *
   * @example
   * ```ts
   * access.addUser("worker", "pw", { tags: ["monitoring"] });
   * ```
   */
  addUser(name: string, password: string, options?: AddUserOptions): void {
    const where = "AccessControl.addUser";
    checkName(name, "the user name", where);
    if (typeof password !== "string") throw new InvalidArgumentError(`${where}: password must be a string.`);
    if (options !== undefined && (options === null || typeof options !== "object")) {
      throw new InvalidArgumentError(`${where}: options must be an object ({ tags }).`);
    }
    const tags = checkTags(options?.tags, where);
    this.commit(reduceAddUser(this.current, name, password, tags));
  }

  /**
   * `rabbitmqctl delete_user`: the user and its permissions go, and the broker closes the user's
   * open connections (320 CONNECTION_FORCED, `user 'worker' is deleted`), as RabbitMQ 3.10 does.
   *
   * @example
   * ```ts
   * access.deleteUser("worker");
   * ```
   */
  deleteUser(name: string): void {
    checkName(name, "the user name", "AccessControl.deleteUser");
    this.commit(reduceDeleteUser(this.current, name));
    for (const listener of this.deletedListeners) listener(name);
  }

  /** @internal A broker sharing this access control closes a deleted user's connections. */
  onUserDeleted(listener: (user: string) => void): void {
    this.deletedListeners.push(listener);
  }

  /**
   * `rabbitmqctl change_password`.
   *
   * @example
   * ```ts
   * access.changePassword("guest", "n3w");
   * ```
   */
  changePassword(name: string, password: string): void {
    checkName(name, "the user name", "AccessControl.changePassword");
    if (typeof password !== "string")
      throw new InvalidArgumentError("AccessControl.changePassword: password must be a string.");
    const user = requireUser(this.current, name);
    this.commit(withUser(this.current, { ...user, password }));
  }

  /**
   * `rabbitmqctl clear_password`: password logins of this user are refused from now on.
   *
   * @example
   * ```ts
   * access.clearPassword("guest");
   * ```
   */
  clearPassword(name: string): void {
    checkName(name, "the user name", "AccessControl.clearPassword");
    const user = requireUser(this.current, name);
    this.commit(withUser(this.current, { ...user, password: null }));
  }

  /**
   * `rabbitmqctl set_user_tags name tag…` (replaces the tags).
   *
   * @example
   * ```ts
   * access.setUserTags("relay", ["impersonator"]);
   * ```
   */
  setUserTags(name: string, tags: string[]): void {
    checkName(name, "the user name", "AccessControl.setUserTags");
    const checked = checkTags(tags, "AccessControl.setUserTags");
    const user = requireUser(this.current, name);
    this.commit(withUser(this.current, { ...user, tags: checked }));
  }

  /**
   * `rabbitmqctl add_vhost`: a new virtual host, where nobody has permissions yet.
   * `VHOST_EXISTS` if taken.
   *
   * @example
   * ```ts
   * access.addVhost("staging");
   * access.setPermissions("guest", "staging", { configure: ".*", write: ".*", read: ".*" });
   * ```
   */
  addVhost(name: string): void {
    checkName(name, "the virtual host name", "AccessControl.addVhost");
    if (this.current.vhosts.has(name)) {
      throw new AccessControlError("VHOST_EXISTS", `Virtual host "${name}" already exists.`, { vhost: name });
    }
    const vhosts = new Set(this.current.vhosts);
    vhosts.add(name);
    this.commit(Object.freeze({ ...this.current, vhosts }));
  }

  /**
   * `rabbitmqctl set_permissions -p vhost user configure write read`. Each expression is
   * searched for in resource names (see {@link PermissionSet}); invalid ones are refused
   * (`INVALID_PERMISSION_REGEX`), as are unknown users and virtual hosts.
   *
   * @example
   * ```ts
   * access.setPermissions("worker", "/", { configure: "^$", write: "^$", read: "^jobs$" });
   * ```
   */
  setPermissions(user: string, vhost: string, permissions: PermissionSet): void {
    const where = "AccessControl.setPermissions";
    checkName(user, "the user name", where);
    checkName(vhost, "the virtual host name", where);
    if (permissions === null || typeof permissions !== "object") {
      throw new InvalidArgumentError(`${where}: permissions must be { configure, write, read }.`);
    }
    for (const key of ["configure", "write", "read"] as const) {
      const value = permissions[key];
      if (typeof value !== "string")
        throw new InvalidArgumentError(`${where}: permissions.${key} must be a regular expression string.`);
      compilePermission(value);
    }
    const set = Object.freeze({
      configure: permissions.configure,
      write: permissions.write,
      read: permissions.read,
    });
    this.commit(reduceSetPermissions(this.current, user, vhost, set));
  }

  /**
   * `rabbitmqctl clear_permissions -p vhost user`: the user can no longer open connections to it.
   *
   * @example
   * ```ts
   * access.clearPermissions("guest", "/");
   * ```
   */
  clearPermissions(user: string, vhost: string): void {
    checkName(user, "the user name", "AccessControl.clearPermissions");
    checkName(vhost, "the virtual host name", "AccessControl.clearPermissions");
    this.commit(reduceSetPermissions(this.current, user, vhost, null));
  }

  /** `rabbitmqctl list_users`. */
  listUsers(): UserInfo[] {
    return [...this.current.users.values()].map((user) => ({ name: user.name, tags: [...user.tags] }));
  }

  /** `rabbitmqctl list_vhosts`. */
  listVhosts(): string[] {
    return [...this.current.vhosts];
  }

  /** `rabbitmqctl list_permissions -p vhost`. */
  listPermissions(vhost = "/"): Array<{ user: string } & PermissionSet> {
    const out: Array<{ user: string } & PermissionSet> = [];
    for (const [user, byVhost] of this.current.permissions) {
      const set = byVhost.get(vhost);
      if (set !== undefined) out.push({ user, ...set });
    }
    return out;
  }

  /** True when `user` has the `impersonator` tag (its publishes may carry any `userId`). */
  isImpersonator(user: string): boolean {
    return this.current.users.get(user)?.tags.includes("impersonator") ?? false;
  }

  /**
   * `user`'s compiled permissions in `vhost`, or null without any (cached until the next change).
   *
   * @example
   * ```ts
   * access.grants("guest", "/")?.unrestricted; // true
   * ```
   */
  grants(user: string, vhost: string): Grants | null {
    const key = `${user}\u0000${vhost}`;
    let grants = this.compiled.get(key);
    if (grants === undefined) {
      const set = this.current.permissions.get(user)?.get(vhost);
      grants = set === undefined ? null : new Grants(set);
      this.compiled.set(key, grants);
    }
    return grants;
  }

  /**
   * @internal The login at `connection.start-ok`: refused with 403 ACCESS_REFUSED (RabbitMQ's
   * text, naming the SASL mechanism) for an unknown user, a wrong password or a cleared one.
   * `password` undefined is a trusted in-process client (the native API): only the user must
   * exist.
   */
  authenticate(user: string, password: string | undefined, mechanism: string): void {
    const record = this.current.users.get(user);
    const ok =
      record !== undefined &&
      (password === undefined || (record.password !== null && record.password === password));
    if (!ok) {
      throw new AmqpError(
        "ACCESS_REFUSED",
        `Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`,
        { reason: "login-refused", user, mechanism },
      );
    }
  }

  /**
   * @internal `connection.open`: refused with 530 NOT_ALLOWED when the virtual host does not
   * exist or the user has no permissions in it (RabbitMQ's text for both).
   */
  checkVhostAccess(user: string, vhost: string): void {
    if (this.current.vhosts.has(vhost) && this.grants(user, vhost) !== null) return;
    throw new AmqpError("NOT_ALLOWED", `access to vhost '${vhost}' refused for user '${user}'`, {
      reason: "vhost-access",
      user,
      vhost,
    });
  }
}

/**
 * The 403 for an operation the user's permissions do not allow (RabbitMQ's text, verbatim).
 *
 * @example
 * ```ts
 * accessRefused("queue", "jobs", "/", "worker");
 * // ACCESS_REFUSED - access to queue 'jobs' in vhost '/' refused for user 'worker'
 * ```
 */
export function accessRefused(
  kind: "queue" | "exchange",
  name: string,
  vhost: string,
  user: string,
  permission?: Permission,
): AmqpError {
  const shown = kind === "exchange" && name === "" ? "amq.default" : name;
  return new AmqpError(
    "ACCESS_REFUSED",
    `access to ${kind} '${shown}' in vhost '${vhost}' refused for user '${user}'`,
    {
      reason: "permission",
      permission,
      [kind]: name,
      user,
      vhost,
    },
  );
}
