// amqplib's promise API (`import amqp from "amqplib"`) as brokerlab's facade.
export * from "brokerlab/amqplib";
export { default } from "brokerlab/amqplib";
