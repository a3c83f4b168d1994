/**
 * Publisher confirms as RabbitMQ 3.10 puts them on the wire. A channel process collects the
 * sequence numbers its queues confirmed (and rejected) while it has other work in its mailbox, and
 * sends them when it runs out (`rabbit_channel:send_confirms_and_nacks`): one `basic.ack` with
 * `multiple = true` for the run of confirmed numbers below the lowest one still unconfirmed (and
 * below any rejected one), then one frame per number left. A lone confirm goes out as a single
 * `basic.ack`; rejections are coalesced the same way against the acks (`coalesce_and_send`).
 *
 * The model's "mailbox" is the simulation event in which the publishes happened: every confirm a
 * channel records during one event goes out together, as a batch, in a later event. A return
 * (basic.return) seals the batch in progress, so that a publish's return still comes before its
 * confirm.
 */

/**
 * One `basic.ack` / `basic.nack` frame as the broker sends it: with `multiple`, it confirms every
 * publish up to and including `seq` not confirmed yet.
 *
 * @example
 * ```ts
 * channel.on("confirm", (frame) => console.log(frame.ack ? "ack" : "nack", frame.seq, frame.multiple));
 * ```
 */
export interface ConfirmFrame {
  /** The delivery tag: the publish sequence number (from 1). */
  readonly seq: number;
  /** True: every publish up to `seq` not confirmed before. */
  readonly multiple: boolean;
  /** True for `basic.ack`, false for `basic.nack`. */
  readonly ack: boolean;
}

/** @internal The confirms a channel recorded in one event, sent together later. */
export interface ConfirmBatch {
  /** Acked sequence numbers, ascending (publishes are confirmed in order). */
  readonly acks: number[];
  /** Nacked sequence numbers, ascending. */
  readonly nacks: number[];
}

/**
 * The frames RabbitMQ sends for one batch (acks first, then nacks), given the lowest sequence
 * number still unconfirmed (`Infinity` when none is). `seqs` must be ascending.
 */
function coalesce(
  seqs: readonly number[],
  negatives: readonly number[],
  lowestUnconfirmed: number,
  ack: boolean,
  out: ConfirmFrame[],
): void {
  const last = seqs[seqs.length - 1]!;
  let cutoff = lowestUnconfirmed === Number.POSITIVE_INFINITY ? last + 1 : lowestUnconfirmed;
  // Negatives are ascending too: the first is their minimum.
  if (negatives.length > 0 && negatives[0]! < cutoff) cutoff = negatives[0]!;
  let i = 0;
  while (i < seqs.length && seqs[i]! < cutoff) i++;
  if (i > 0) out.push({ seq: seqs[i - 1]!, multiple: true, ack });
  for (; i < seqs.length; i++) out.push({ seq: seqs[i]!, multiple: false, ack });
}

/**
 * The wire frames of a batch, in RabbitMQ's order: acks (a single one plainly, several coalesced),
 * then nacks (always coalesced, as `send_nacks` does).
 *
 * @example
 * ```ts
 * confirmFrames({ acks: [1, 2, 3], nacks: [] }, Infinity); // [{ seq: 3, multiple: true, ack: true }]
 * ```
 */
export function confirmFrames(batch: ConfirmBatch, lowestUnconfirmed: number): ConfirmFrame[] {
  const out: ConfirmFrame[] = [];
  const { acks, nacks } = batch;
  if (acks.length === 1) out.push({ seq: acks[0]!, multiple: false, ack: true });
  else if (acks.length > 1) coalesce(acks, nacks, lowestUnconfirmed, true, out);
  if (nacks.length > 0) coalesce(nacks, acks, lowestUnconfirmed, false, out);
  return out;
}
