export * from "brokerlab/amqplib";
export { default } from "brokerlab/amqplib";
