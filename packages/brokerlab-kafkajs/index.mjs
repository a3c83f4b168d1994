// kafkajs (`import { Kafka } from "kafkajs"`) as brokerlab's facade.
export * from "brokerlab/kafkajs";
