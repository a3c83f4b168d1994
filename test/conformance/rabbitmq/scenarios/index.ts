/** Every RabbitMQ conformance scenario, in the order the suite runs them. */
import type { Scenario } from "../harness.js";
import { alternateExchanges, exchangeToExchange } from "./alternate-exchanges.js";
import { amqplib2 } from "./amqplib2.js";
import { channelErrors } from "./channel-errors.js";
import { confirmsMultipleAndClose } from "./confirms.js";
import { deadLetterRejectNack } from "./dead-letter.js";
import { defaultExchangeMandatory } from "./default-exchange.js";
import { directExchange, fanoutExchange } from "./direct-fanout.js";
import { directReplyTo } from "./direct-reply-to.js";
import { flowControl } from "./flow-control.js";
import { headersExchange } from "./headers-exchange.js";
import { overflowModes } from "./overflow.js";
import { permissions } from "./permissions.js";
import { prefetchConsumers } from "./prefetch.js";
import { quorumDeliveryLimit } from "./quorum.js";
import { channelCloseRequeue, requeueOrder } from "./requeue.js";
import { retryLoop } from "./retry-loop.js";
import { topicMatrix } from "./topic-matrix.js";
import { messageTtl } from "./ttl.js";

/** All scenarios; names are unique and double as golden file names. */
export const scenarios: readonly Scenario[] = [
  topicMatrix,
  directExchange,
  fanoutExchange,
  headersExchange,
  defaultExchangeMandatory,
  alternateExchanges,
  exchangeToExchange,
  requeueOrder,
  channelCloseRequeue,
  deadLetterRejectNack,
  messageTtl,
  overflowModes,
  quorumDeliveryLimit,
  retryLoop,
  prefetchConsumers,
  channelErrors,
  confirmsMultipleAndClose,
  directReplyTo,
  permissions,
  amqplib2,
  flowControl,
];
