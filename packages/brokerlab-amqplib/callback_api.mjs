// amqplib's callback API (`import amqp from "amqplib/callback_api"`) as brokerlab's facade.
export * from "brokerlab/amqplib/callback_api";
export { default } from "brokerlab/amqplib/callback_api";
