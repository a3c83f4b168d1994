// amqplib's promise API (`require("amqplib")`) as brokerlab's facade.
module.exports = require("brokerlab/amqplib");
