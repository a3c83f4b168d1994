/**
 * Type-level compatibility with kafkajs 2.2.4's published declarations (node_modules/kafkajs,
 * types/index.d.ts): the facade's values are usable where application code typed against kafkajs
 * expects kafkajs' types, and kafkajs-typed configuration is accepted by the facade. `npm run
 * typecheck` compiles this file; a mismatch is a type error. Nothing here runs.
 */
import type * as K from "kafkajs";
import * as F from "../../../src/compat/kafkajs/index.js";

declare const kafkaConfig: K.KafkaConfig;
declare const producerConfig: K.ProducerConfig;
declare const consumerConfig: K.ConsumerConfig;
declare const adminConfig: K.AdminConfig;
declare const record: K.ProducerRecord;
declare const batch: K.ProducerBatch;
declare const runConfig: K.ConsumerRunConfig;
declare const subscribeTopics: K.ConsumerSubscribeTopics;
declare const subscribeTopic: K.ConsumerSubscribeTopic;

export async function typesLineUp(): Promise<void> {
  const kafka: K.Kafka = new F.Kafka(kafkaConfig);
  const producer: K.Producer = kafka.producer(producerConfig);
  const consumer: K.Consumer = kafka.consumer(consumerConfig);
  const admin: K.Admin = kafka.admin(adminConfig);
  const metadata: K.RecordMetadata[] = await producer.send(record);
  const batched: K.RecordMetadata[] = await producer.sendBatch(batch);
  await consumer.subscribe(subscribeTopics);
  await consumer.subscribe(subscribeTopic);
  await consumer.run(runConfig);
  const topics: string[] = await admin.listTopics();
  const level: K.logLevel = F.logLevel.INFO;
  const codec: K.CompressionTypes = F.CompressionTypes.GZIP;
  const handler: K.EachMessageHandler = async () => {};
  const facadeHandler: F.EachMessageHandler = handler;
  const error: K.KafkaJSError = new F.KafkaJSError("x");
  void [metadata, batched, topics, level, codec, facadeHandler, error];
}
