export * from "brokerlab/kafkajs";
