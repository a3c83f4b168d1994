export * from "brokerlab/amqplib/callback_api";
export { default } from "brokerlab/amqplib/callback_api";
