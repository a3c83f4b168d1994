import { describeValue } from "../scheduler/describe-value.js";
import { InvalidArgumentError } from "../scheduler/errors.js";

/**
 * Whether a topic-exchange binding key matches a routing key, by the textbook recursive
 * definition of RabbitMQ's rules. This is the **slow reference**: it re-splits both keys on every
 * call and backtracks on `#`, so it is exponential in the number of `#` words. Tests use it as the
 * oracle for {@link TopicTrie}; routing must use the trie.
 *
 * The rules (RabbitMQ 3.10):
 * - the empty key is zero words; any other key is cut at every `.`, keeping empty words;
 * - in a binding key, the whole word `*` matches exactly one word (possibly empty), the whole word
 *   `#` matches zero or more words, and every other word (`a#b`, `a*`, the empty word) must equal
 *   the routing word;
 * - in a routing key, `*` and `#` are ordinary text.
 *
 * @example
 * ```ts
 * topicMatchesReference("stock.*.nyse", "stock.ibm.nyse"); // true
 * topicMatchesReference("stock.*.nyse", "stock.nyse"); // false
 * topicMatchesReference("log.#", "log"); // true: a trailing # may take nothing
 * topicMatchesReference("*.x", ".x"); // true: * takes the empty first word
 * topicMatchesReference("*", ""); // false: the empty key has no word for * to take
 * ```
 */
export function topicMatchesReference(bindingKey: string, routingKey: string): boolean {
  checkKey(bindingKey, "bindingKey");
  checkKey(routingKey, "routingKey");
  return matchWords(splitWords(bindingKey), 0, splitWords(routingKey), 0);
}

// "".split(".") is [""], one empty word, but RabbitMQ treats the empty key as no words at all.
function splitWords(key: string): string[] {
  return key === "" ? [] : key.split(".");
}

function matchWords(binding: readonly string[], b: number, routing: readonly string[], r: number): boolean {
  if (b === binding.length) return r === routing.length;
  const word = binding[b];
  if (word === "#") {
    for (let taken = r; taken <= routing.length; taken++) {
      if (matchWords(binding, b + 1, routing, taken)) return true;
    }
    return false;
  }
  if (r === routing.length) return false;
  if (word === "*" || word === routing[r]) return matchWords(binding, b + 1, routing, r + 1);
  return false;
}

function checkKey(key: unknown, name: string): void {
  if (typeof key !== "string") {
    throw new InvalidArgumentError(
      `topicMatchesReference: ${name} must be a string, got ${describeValue(key)}.`,
    );
  }
}
